from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenancyConfig(AppConfig):
    name = "gatehouse.tenancy"
    label = "tenancy"
    verbose_name = _("Permission management")

    def ready(self) -> None:
        from gatehouse.core import permissions

        permissions.register("tenancy", _("Users, groups and roles"))
        permissions.register("platform", _("Platform administration"))

        from gatehouse.console import navigation
        from gatehouse.console.navigation import NavItem

        for label, url_name, permission, icon in (
            (_("Enterprise management"), "tenancy:enterprise_list", "platform.view", "building"),
            (_("Group structure"), "tenancy:group_list", "tenancy.view", "sitemap"),
            (_("User management"), "tenancy:user_list", "tenancy.view", "users"),
            (_("Role management"), "tenancy:role_list", "tenancy.view", "lock-access"),
        ):
            navigation.add(navigation.SYSTEM, NavItem(label, url_name, permission, icon))

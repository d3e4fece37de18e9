from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "gatehouse.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from gatehouse.core import permissions

        permissions.register("core", _("Jobs"), extra={"cancel": _("Cancel")}, standard=("view",))

        from gatehouse.console import navigation
        from gatehouse.console.navigation import NavItem

        navigation.add(
            navigation.SYSTEM, NavItem(_("Jobs"), "core:job_list", "core.view", "player-play")
        )

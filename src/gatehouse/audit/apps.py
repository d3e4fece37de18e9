from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "gatehouse.audit"
    label = "audit"
    verbose_name = _("System log")

    def ready(self) -> None:
        from gatehouse.console import navigation
        from gatehouse.console.navigation import NavItem
        from gatehouse.core import permissions

        # Read-only: entries are written by services only, never added, edited or deleted.
        permissions.register(
            "audit", _("System log"), extra={"export": _("Export")}, standard=("view",)
        )
        navigation.add(
            navigation.SYSTEM,
            NavItem(_("System log"), "audit:log_list", "audit.view", "list-details"),
        )

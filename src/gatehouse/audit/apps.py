from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "gatehouse.audit"
    label = "audit"
    verbose_name = _("System log")

    def ready(self) -> None:
        from gatehouse.core import permissions

        permissions.register("audit", _("System log"), extra={"export": _("Export")})

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ZkPushConfig(AppConfig):
    name = "gatehouse.drivers.zkpush"
    label = "zkpush"
    verbose_name = _("ZKTeco PUSH devices")

    def ready(self) -> None:
        from gatehouse.devices import drivers, endpoints
        from gatehouse.drivers.zkpush.driver import DRIVER

        drivers.register(DRIVER)
        endpoints.register("/iclock/", "gatehouse.drivers.zkpush.urls")

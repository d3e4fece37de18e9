from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ZkPushConfig(AppConfig):
    name = "gatehouse.drivers.zkpush"
    label = "zkpush"
    verbose_name = _("ZKTeco PUSH devices")

    def ready(self) -> None:
        from gatehouse.devices import drivers, endpoints
        from gatehouse.drivers.zkpush.driver import DRIVER
        from gatehouse.drivers.zkpush.fastpath import answer_idle_poll

        drivers.register(DRIVER)
        endpoints.register("/iclock/", "gatehouse.drivers.zkpush.urls")
        endpoints.register_fast_path(answer_idle_poll)

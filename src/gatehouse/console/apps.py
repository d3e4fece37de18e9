from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsoleConfig(AppConfig):
    name = "gatehouse.console"
    label = "console"
    verbose_name = _("Console")

    def ready(self) -> None:
        from gatehouse.console import navigation

        navigation.add(
            navigation.SYSTEM,
            navigation.NavItem(
                _("System settings"), "console:system_settings", "platform.view", "adjustments"
            ),
        )

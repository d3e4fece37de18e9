from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

NAVIGATION_SECTION = "devices"


class DevicesConfig(AppConfig):
    name = "gatehouse.devices"
    label = "devices"
    verbose_name = _("Device management")

    def ready(self) -> None:
        from gatehouse.core import permissions

        permissions.register("devices", _("Devices"), extra={"control": _("Remote operations")})

        from gatehouse.core.events import register_labels, subscribe
        from gatehouse.devices import sync
        from gatehouse.devices.events import EVENT_LABELS

        register_labels(EVENT_LABELS)
        subscribe("people.", sync.person_changed)

        from gatehouse.devices import capture
        from gatehouse.people import capture as people_capture

        people_capture.register(capture.PROVIDER)

        from gatehouse.devices import selectors
        from gatehouse.tenancy import services as tenancy_services

        if selectors.group_has_devices not in tenancy_services.GROUP_DELETE_CHECKS:
            tenancy_services.GROUP_DELETE_CHECKS.append(selectors.group_has_devices)

        from gatehouse.console import navigation
        from gatehouse.console.navigation import NavItem

        navigation.section(NAVIGATION_SECTION, _("Device management"), "device-desktop", 10)
        for label, url_name, permission, icon in (
            (_("Device list"), "devices:device_list", "devices.view", "device-desktop"),
            (_("Device groups"), "devices:group_list", "devices.view", "folders"),
            (_("Packages"), "devices:package_list", "devices.view", "package"),
            (_("Command log"), "devices:command_list", "devices.view", "list-check"),
            # unassigned devices belong to the platform: its super administrator approves them
            (_("Pending devices"), "devices:pending_list", "platform.view", "device-desktop-plus"),
        ):
            navigation.add(NAVIGATION_SECTION, NavItem(label, url_name, permission, icon))
        navigation.add_dashboard_cards(selectors.dashboard_counts)

"""Console forms of the devices app. Ranges the services check (poll interval, time zone
offset, parameter limits) are left to them, so that the console shows their messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from gatehouse.core.forms import ConsoleForm, style_fields
from gatehouse.devices import commands, drivers, selectors, services
from gatehouse.devices.models import Device, DeviceGroup, FirmwarePackage
from gatehouse.tenancy import selectors as tenancy_selectors
from gatehouse.tenancy.models import Enterprise, Group

DOOR_SECONDS_MAX = 254  # what a lock can be opened for by one command


def _number_input(minimum: int | None = None, maximum: int | None = None, **attrs: Any) -> Any:
    limits = {"min": minimum, "max": maximum}
    return forms.NumberInput(attrs={**{k: v for k, v in limits.items() if v is not None}, **attrs})


class DeviceForm(ConsoleForm):
    """Basic information a user may edit (3.1.16)."""

    name = forms.CharField(label=_("Device name"), max_length=100)
    address = forms.CharField(label=_("Device address"), max_length=255, required=False)
    device_group = forms.TypedChoiceField(label=_("Device group"), coerce=int)
    comm_key = forms.CharField(
        label=_("Communication key"),
        max_length=32,
        required=False,
        help_text=_("Optional, up to 8 digits; set on the device as its communication password."),
        widget=forms.PasswordInput(render_value=True, attrs={"autocomplete": "off"}),
    )
    utc_offset_minutes = forms.IntegerField(
        label=_("Time zone offset (minutes)"),
        help_text=_("Minutes east of UTC of the device's clock, e.g. 60 for UTC+01:00."),
        widget=_number_input(-12 * 60, 14 * 60),
    )
    poll_interval = forms.IntegerField(
        label=_("Poll interval (seconds)"),
        help_text=_("How often the device asks for commands, 1 to 300 seconds."),
        widget=_number_input(1, 300),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        device: Device = self.instance
        # another user group's device group is a move (Move group), not an edit
        self.fields["device_group"].choices = selectors.device_group_choices(  # type: ignore[attr-defined]
            self.user, device.group
        )
        for name in services.DEVICE_FIELDS:
            self.initial.setdefault(name, getattr(device, name))
        self.initial["device_group"] = device.device_group_id

    def clean_device_group(self) -> DeviceGroup:
        pk = self.cleaned_data["device_group"]
        try:
            device_group: DeviceGroup = selectors.visible_device_groups(self.user).get(pk=pk)
        except DeviceGroup.DoesNotExist:
            raise forms.ValidationError(_("Choose a device group from the list.")) from None
        return device_group

    def service_values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in services.DEVICE_FIELDS}


class ParametersForm(ConsoleForm):
    """Parameter settings (3.1.1) generated from what the devices' drivers offer; for
    several devices (a device group), the parameters all of them have. An empty field keeps
    the device's value; only what is filled in is sent."""

    KEEP = ("", _("Keep the device's value"))

    def __init__(self, *args: Any, devices: Sequence[Device], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offered = [list(drivers.for_device(device).parameters(device)) for device in devices]
        shared = set.intersection(*({spec.name for spec in specs} for specs in offered))
        for spec in offered[0]:
            if spec.name in shared:
                self.fields[spec.name] = self._field(spec)
        style_fields(self)

    def _field(self, spec: drivers.Parameter) -> forms.Field:
        common: dict[str, Any] = {"label": spec.label, "required": False}
        if spec.kind == "int":
            placeholder = _("default %(value)s") % {"value": spec.default}
            return forms.IntegerField(
                help_text=str(spec.help_text),
                widget=_number_input(spec.minimum, spec.maximum, placeholder=placeholder),
                **common,
            )
        choices: list[tuple[str, Any]] = [self.KEEP]
        if spec.kind == "bool":
            choices += [("1", _("On")), ("0", _("Off"))]
        else:
            choices += spec.choices
        return forms.ChoiceField(choices=choices, help_text=str(spec.help_text), **common)

    def values(self) -> dict[str, Any]:
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}


class NoArgumentsForm(ConsoleForm):
    def values(self) -> dict[str, Any]:
        return {}


class VolumeForm(ConsoleForm):
    """Volume settings (3.1.5): 0-100, default 20, or silent mode."""

    volume = forms.IntegerField(label=_("Volume"), initial=20, widget=_number_input(0, 100))
    silent_mode = forms.BooleanField(label=_("Silent mode"), required=False)

    def values(self) -> dict[str, Any]:
        return {
            "volume": self.cleaned_data["volume"],
            "silent_mode": self.cleaned_data["silent_mode"],
        }


class DoorOpenForm(ConsoleForm):
    """Open the door remotely (3.1.12)."""

    door = forms.IntegerField(label=_("Door"), min_value=1, initial=1)
    seconds = forms.IntegerField(
        label=_("Seconds"), min_value=1, max_value=DOOR_SECONDS_MAX, initial=5
    )

    def values(self) -> dict[str, Any]:
        return {"door": self.cleaned_data["door"], "seconds": self.cleaned_data["seconds"]}


class UpgradeForm(ConsoleForm):
    """Client upgrade (3.1.4): one of the uploaded packages."""

    package = forms.TypedChoiceField(label=_("Package"), coerce=int)

    def __init__(self, *args: Any, enterprise_id: int | None = None, **kwargs: Any) -> None:
        """`enterprise_id`: offer only that enterprise's packages (the super administrator
        sees every enterprise's, but a device takes only its own enterprise's)."""
        super().__init__(*args, **kwargs)
        packages = selectors.visible_packages(self.user)
        if enterprise_id is not None:
            packages = packages.filter(enterprise_id=enterprise_id)
        self.fields["package"].choices = [(p.pk, str(p)) for p in packages]  # type: ignore[attr-defined]

    def clean_package(self) -> FirmwarePackage:
        try:
            package: FirmwarePackage = selectors.visible_packages(self.user).get(
                pk=self.cleaned_data["package"]
            )
        except FirmwarePackage.DoesNotExist:
            raise forms.ValidationError(_("Choose a package from the list.")) from None
        return package

    def values(self) -> dict[str, Any]:
        return {"package": self.cleaned_data["package"]}


class MoveForm(ConsoleForm):
    """Move group (3.1.14)."""

    device_group = forms.TypedChoiceField(label=_("Device group"), coerce=int)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["device_group"].choices = selectors.device_group_choices(self.user)  # type: ignore[attr-defined]

    def clean_device_group(self) -> DeviceGroup:
        try:
            device_group: DeviceGroup = selectors.visible_device_groups(self.user).get(
                pk=self.cleaned_data["device_group"]
            )
        except DeviceGroup.DoesNotExist:
            raise forms.ValidationError(_("Choose a device group from the list.")) from None
        return device_group


class DeviceGroupForm(ConsoleForm):
    name = forms.CharField(label=_("Device group name"), max_length=100)
    group = forms.TypedChoiceField(label=_("User group"), coerce=int)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = tenancy_selectors.group_choices(self.user)  # type: ignore[attr-defined]
        if isinstance(self.instance, DeviceGroup):
            self.initial.setdefault("name", self.instance.name)
            del self.fields["group"]

    def clean_group(self) -> Group:
        group: Group = tenancy_selectors.visible_groups(self.user).get(
            pk=self.cleaned_data["group"]
        )
        return group


class PackageForm(ConsoleForm):
    """Version upload (3.2.2)."""

    name = forms.CharField(label=_("Name"), max_length=100)
    version = forms.CharField(label=_("Version"), max_length=60)
    file = forms.FileField(label=_("Package file"), help_text=_("At most 512 MB."))
    notes = forms.CharField(label=_("Notes"), max_length=255, required=False)

    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if upload is not None and upload.size is not None and upload.size > services.PACKAGE_LIMIT:
            raise forms.ValidationError(_("The package is larger than 512 MB."))
        return upload


class ApproveForm(ConsoleForm):
    """Assign a pending device to an enterprise (platform super administrator)."""

    enterprise = forms.TypedChoiceField(label=_("Enterprise"), coerce=int)
    group = forms.TypedChoiceField(
        label=_("User group"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("Empty: the enterprise's top group."),
    )
    name = forms.CharField(
        label=_("Device name"),
        max_length=100,
        required=False,
        help_text=_("Empty: the name the device reports, or its model."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        enterprises = Enterprise.objects.filter(is_active=True).order_by("name")
        self.fields["enterprise"].choices = [(e.pk, e.name) for e in enterprises]  # type: ignore[attr-defined]
        self.fields["group"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *tenancy_selectors.group_choices(self.user),
        ]

    def clean_enterprise(self) -> Enterprise:
        enterprise: Enterprise = Enterprise.objects.get(pk=self.cleaned_data["enterprise"])
        return enterprise

    def clean_group(self) -> Group | None:
        pk = self.cleaned_data.get("group")
        if pk is None:
            return None
        group: Group = tenancy_selectors.visible_groups(self.user).get(pk=pk)
        return group


# --- remote operations the console offers ----------------------------------------------------


@dataclass(frozen=True)
class Operation:
    """A remote operation the console offers: the device operation it queues, the form
    with its arguments, and whether it replaces the devices' settings (3.1.18 warns)."""

    command: str
    form_class: type[Any] = NoArgumentsForm
    label_override: Promise | None = None
    overwrites: bool = False
    icon: str = "player-play"

    @property
    def label(self) -> str:
        return str(self.label_override or commands.operation_label(self.command))


OPERATIONS: dict[str, Operation] = {
    "restart": Operation("device.reboot", icon="refresh"),
    "reset": Operation("device.clear_data", overwrites=True, icon="eraser"),
    "time_sync": Operation("time.sync", icon="clock"),
    "refresh": Operation("device.refresh", icon="info-circle"),
    "door_open": Operation("door.open", DoorOpenForm, icon="door-enter"),
    "upgrade": Operation("firmware.upgrade", UpgradeForm, overwrites=True, icon="upload"),
    "volume": Operation(
        "parameters.set",
        VolumeForm,
        _("Volume setting"),
        overwrites=True,
        icon="volume",
    ),
    "parameters": Operation(
        "parameters.set",
        ParametersForm,
        _("Parameter setting"),
        overwrites=True,
        icon="adjustments",
    ),
}
LIST_OPERATIONS = ("restart", "time_sync")  # besides volume, move and delete (3.1)
DEVICE_PAGE_OPERATIONS = ("restart", "reset", "time_sync", "refresh")  # 3.1.16
GROUP_OPERATIONS = ("parameters", "restart", "reset", "upgrade", "volume")  # 3.1.18

"""API shapes for devices, device groups, the command queue, firmware packages and what
devices report. Write serializers check only the form of the input; the rules (poll interval,
communication key, parameter ranges, default device groups, offline-only deletion) live in
devices/services.py, so the API, the console and the `gatehouse device` command refuse the
same things with the same words."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from gatehouse.core.api.viewsets import VisiblePrimaryKeyRelatedField
from gatehouse.core.scoping import platform_scope
from gatehouse.devices import drivers, selectors, sync
from gatehouse.devices.commands import operation_label
from gatehouse.devices.models import (
    Device,
    DeviceCommand,
    DeviceEvent,
    DeviceGroup,
    FirmwarePackage,
    Holding,
    OperationLog,
)
from gatehouse.tenancy.models import Enterprise, Group


class VisibleDeviceField(VisiblePrimaryKeyRelatedField):
    """A device id from the client, among the caller's approved devices (the pending pool is
    never a choice here, not even for the super administrator)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(Device, **kwargs)

    def get_queryset(self) -> QuerySet[Any]:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None:
            return Device.objects.none()
        return selectors.visible_devices(user)


# --- devices ---------------------------------------------------------------------------------

DEVICE_READ_FIELDS = (
    "id",
    "serial_number",
    "name",
    "status",
    "enterprise",
    "group",
    "device_group",
    "address",
    "driver",
    "dialect",
    "model",
    "firmware",
    "ip_address",
    "mac_address",
    "protocol_version",
    "has_comm_key",
    "utc_offset_minutes",
    "poll_interval",
    "first_seen_at",
    "last_seen_at",
    "approved_at",
)


class DeviceSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    # a plain string, not an enum: "status" names another choice set (jobs) in the schema
    status = serializers.CharField(
        read_only=True,
        help_text=gettext_lazy(
            "online (polled within three poll intervals, at least 30 s), offline, or pending "
            "(waits for the platform super administrator's approval)."
        ),
    )
    has_comm_key = serializers.SerializerMethodField(
        help_text=gettext_lazy("The communication key is write-only; this says whether one is set.")
    )

    class Meta:
        model = Device
        fields: tuple[str, ...] = DEVICE_READ_FIELDS
        read_only_fields: tuple[str, ...] = fields

    def get_has_comm_key(self, device: Device) -> bool:
        return bool(device.comm_key)


class CapabilitiesSerializer(serializers.Serializer):  # type: ignore[type-arg]
    doors = serializers.IntegerField()
    readers = serializers.IntegerField()
    faces = serializers.BooleanField()
    fingerprints = serializers.BooleanField()
    cards = serializers.BooleanField()
    temperature = serializers.BooleanField()
    mask = serializers.BooleanField()
    string_pins = serializers.BooleanField()
    max_users = serializers.IntegerField(allow_null=True)
    max_faces = serializers.IntegerField(allow_null=True)
    operations = serializers.ListField(
        child=serializers.CharField(),
        help_text=gettext_lazy("Operations POST /devices/{id}/operations/ accepts."),
    )
    item_kinds = serializers.ListField(child=serializers.CharField())


class SyncProgressSerializer(serializers.Serializer):  # type: ignore[type-arg]
    total = serializers.IntegerField()
    done = serializers.IntegerField(help_text=gettext_lazy("Items the device confirmed."))
    pending = serializers.IntegerField(help_text=gettext_lazy("Items on their way."))
    failed = serializers.IntegerField(help_text=gettext_lazy("See /devices/{id}/failures/."))


class ParameterChoiceSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Built in get_fields(): attributes named `label` would hide Field.label."""

    def get_fields(self) -> dict[str, serializers.Field]:  # type: ignore[type-arg]
        return {"value": serializers.CharField(), "label": serializers.CharField()}


class ParameterSpecSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """A parameter the device's driver offers (3.1.1, 3.1.5), for POST .../parameters/.
    Built in get_fields(): `label` and `help_text` are also attributes of every Field."""

    def get_fields(self) -> dict[str, serializers.Field]:  # type: ignore[type-arg]
        return {
            "name": serializers.CharField(),
            "label": serializers.CharField(),
            "kind": serializers.CharField(help_text=gettext_lazy("int, bool or choice.")),
            "default": serializers.JSONField(),
            "minimum": serializers.IntegerField(allow_null=True),
            "maximum": serializers.IntegerField(allow_null=True),
            "choices": ParameterChoiceSerializer(many=True),
            "help_text": serializers.CharField(allow_blank=True),
        }


def _parameter_specs(device: Device) -> list[dict[str, Any]]:
    return [
        {
            "name": spec.name,
            "label": str(spec.label),
            "kind": spec.kind,
            "default": spec.default,
            "minimum": spec.minimum,
            "maximum": spec.maximum,
            "choices": [{"value": value, "label": str(label)} for value, label in spec.choices],
            "help_text": str(spec.help_text),
        }
        for spec in drivers.for_device(device).parameters(device)
    ]


class DeviceDetailSerializer(DeviceSerializer):
    """One device with what its driver says it can do and how far its sync is."""

    capabilities = serializers.SerializerMethodField()
    sync_progress = serializers.SerializerMethodField()
    parameters = serializers.SerializerMethodField()
    door_states = serializers.JSONField(read_only=True)

    class Meta(DeviceSerializer.Meta):
        fields = (*DEVICE_READ_FIELDS, "capabilities", "sync_progress", "parameters", "door_states")
        read_only_fields = fields

    @extend_schema_field(CapabilitiesSerializer)
    def get_capabilities(self, device: Device) -> dict[str, Any]:
        try:
            return drivers.for_device(device).capabilities(device).as_dict()
        except LookupError:  # its driver is not installed: what it last reported
            return {**drivers.Capabilities().as_dict(), **device.capabilities}

    @extend_schema_field(SyncProgressSerializer)
    def get_sync_progress(self, device: Device) -> dict[str, int]:
        return sync.progress(device)

    @extend_schema_field(ParameterSpecSerializer(many=True))
    def get_parameters(self, device: Device) -> list[dict[str, Any]]:
        try:
            return _parameter_specs(device)
        except LookupError:
            return []


class DeviceWriteSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """What an administrator edits on a device (PATCH: send only what changes). The
    communication key is write-only; an empty string removes it."""

    name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    address = serializers.CharField(max_length=255, required=False, allow_blank=True)
    comm_key = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        write_only=True,
        help_text=gettext_lazy("Up to 8 digits; empty for none."),
    )
    utc_offset_minutes = serializers.IntegerField(
        required=False, help_text=gettext_lazy("Minutes east of UTC, -720 to 840.")
    )
    poll_interval = serializers.IntegerField(
        required=False, help_text=gettext_lazy("Seconds, 1 to 300.")
    )
    device_group = VisiblePrimaryKeyRelatedField(
        DeviceGroup,
        required=False,
        allow_null=True,
        help_text=gettext_lazy(
            "A device group of the device's own user group (POST /devices/move/ moves it to "
            "another user group)."
        ),
    )


class DeviceOperationSerializer(serializers.Serializer):  # type: ignore[type-arg]
    operation = serializers.CharField(
        max_length=40,
        help_text=gettext_lazy(
            "One of the device's `capabilities.operations`, e.g. device.reboot, time.sync, "
            "door.open (arguments door, seconds), parameters.set (arguments values), "
            "firmware.upgrade (arguments package_id)."
        ),
    )
    arguments = serializers.DictField(required=False, default=dict)
    online_only = serializers.BooleanField(
        required=False,
        default=False,
        help_text=gettext_lazy("Refuse instead of queueing when a device is offline."),
    )


class ParameterValuesSerializer(serializers.Serializer):  # type: ignore[type-arg]
    values = serializers.DictField(
        allow_empty=False,
        help_text=gettext_lazy("Parameter name to value, as the device's `parameters` list."),
    )


class MoveDevicesSerializer(serializers.Serializer):  # type: ignore[type-arg]
    devices = VisibleDeviceField(many=True, allow_empty=False)
    device_group = VisiblePrimaryKeyRelatedField(
        DeviceGroup, help_text=gettext_lazy("The devices move to its user group too.")
    )


class MovedSerializer(serializers.Serializer):  # type: ignore[type-arg]
    moved = serializers.IntegerField()


class QueuedCountSerializer(serializers.Serializer):  # type: ignore[type-arg]
    queued = serializers.IntegerField()


# --- approval (platform super administrator) ----------------------------------------------


def find_enterprise(reference: str) -> Enterprise | None:
    """An enterprise by its code (any case) or, failing that, by its id."""
    reference = reference.strip()
    with platform_scope():
        enterprise: Enterprise | None = Enterprise.objects.filter(code__iexact=reference).first()
        if enterprise is None and reference.isdigit():
            enterprise = Enterprise.objects.filter(pk=int(reference)).first()
    return enterprise


def find_group(enterprise: Enterprise, reference: str) -> Group:
    """A user group of `enterprise` by id or by name; a name several groups share is refused
    rather than guessed."""
    reference = reference.strip()
    with platform_scope():
        groups = Group.objects.filter(enterprise=enterprise)
        found: list[Group] = list(groups.filter(pk=int(reference))) if reference.isdigit() else []
        if not found:
            found = list(groups.filter(name__iexact=reference)[:2])
    if not found:
        raise serializers.ValidationError(
            {
                "group": _("%(enterprise)s has no group %(group)s.")
                % {"enterprise": enterprise.code, "group": reference}
            }
        )
    if len(found) > 1:
        raise serializers.ValidationError(
            {
                "group": _("Several groups of %(enterprise)s are named %(group)s; give its id.")
                % {"enterprise": enterprise.code, "group": reference}
            }
        )
    return found[0]


class ApprovalSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Where a pending device goes. Also used by `gatehouse device approve`."""

    enterprise = serializers.CharField(
        max_length=40, help_text=gettext_lazy("The enterprise's code or id.")
    )
    group = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text=gettext_lazy(
            "Id or name of a user group of that enterprise; empty: its top group."
        ),
    )
    name = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text=gettext_lazy("Empty: the name the device reported, or its serial number."),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        enterprise = find_enterprise(attrs["enterprise"])
        if enterprise is None:
            raise serializers.ValidationError(
                {
                    "enterprise": _("There is no enterprise with the code or id %(ref)s.")
                    % {"ref": attrs["enterprise"]}
                }
            )
        group_reference = attrs.get("group", "").strip()
        group = find_group(enterprise, group_reference) if group_reference else None
        return {"enterprise": enterprise, "group": group, "name": attrs.get("name", "")}


# --- device groups ---------------------------------------------------------------------------


class DeviceGroupSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    display_name = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = DeviceGroup
        fields = ("id", "group", "name", "display_name", "is_default", "created_at")
        read_only_fields = fields


class DeviceGroupWriteSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """A new device group needs its user group; afterwards only its name changes."""

    name = serializers.CharField(max_length=100)
    group = VisiblePrimaryKeyRelatedField(Group, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        device_group: DeviceGroup | None = self.instance
        if device_group is None and "group" not in attrs:
            raise serializers.ValidationError(
                {"group": _("Give the user group of the new device group.")}
            )
        if device_group is not None and attrs.get("group", device_group.group) != (
            device_group.group
        ):
            raise serializers.ValidationError(
                {"group": _("A device group keeps its user group; create a new one instead.")}
            )
        return attrs


# --- commands and what devices report ------------------------------------------------------


class DeviceCommandSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """A queued remote operation and its outcome. Its arguments are not shown: they can carry
    persons' device PINs and the communication key."""

    operation_label = serializers.SerializerMethodField()
    message = serializers.SerializerMethodField(
        help_text=gettext_lazy("Why it failed, expired or was cancelled.")
    )

    class Meta:
        model = DeviceCommand
        fields = (
            "id",
            "device",
            "command_id",
            "operation",
            "operation_label",
            "summary",
            "state",
            "attempts",
            "return_code",
            "message",
            "created_at",
            "sent_at",
            "finished_at",
            "expires_at",
            "actor",
            "is_sync",
        )
        read_only_fields = fields

    def get_operation_label(self, command: DeviceCommand) -> str:
        return operation_label(command.operation)

    def get_message(self, command: DeviceCommand) -> str:
        return str(command.result.get("message", "")) if isinstance(command.result, dict) else ""


class QueuedCommandsSerializer(serializers.Serializer):  # type: ignore[type-arg]
    commands = DeviceCommandSerializer(many=True, read_only=True)


class FailureSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """A row of a device's failure table (5.2.1)."""

    class Meta:
        model = Holding
        fields = ("id", "kind", "key", "person", "reason", "updated_at")
        read_only_fields = fields


class DeviceEventSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    local_time = serializers.SerializerMethodField(
        help_text=gettext_lazy(
            "The device's own wall-clock time of the record (ISO 8601, without an offset)."
        )
    )
    temperature = serializers.FloatField(
        read_only=True, allow_null=True, help_text=gettext_lazy("°C")
    )

    class Meta:
        model = DeviceEvent
        fields = (
            "id",
            "device",
            "occurred_at",
            "local_time",
            "event_code",
            "door",
            "verify_mode",
            "in_out",
            "pin",
            "card_number",
            "person",
            "temperature",
            "mask",
        )
        read_only_fields = fields

    def get_local_time(self, event: DeviceEvent) -> str:
        return str(event.local_time.replace(tzinfo=None).isoformat())


class OperationLogSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = OperationLog
        fields = ("id", "device", "occurred_at", "operation", "administrator", "objects_text")
        read_only_fields = fields


# --- firmware packages -----------------------------------------------------------------------


class FirmwarePackageSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = FirmwarePackage
        fields = (
            "id",
            "name",
            "version",
            "byte_size",
            "md5",
            "sha256",
            "notes",
            "uploaded_at",
            "uploaded_by",
        )
        read_only_fields = fields


class FirmwareUploadSerializer(serializers.Serializer):  # type: ignore[type-arg]
    name = serializers.CharField(max_length=100)
    version = serializers.CharField(max_length=60)
    file = serializers.FileField(help_text=gettext_lazy("The package, at most 512 MB."))
    notes = serializers.CharField(max_length=255, required=False, allow_blank=True)

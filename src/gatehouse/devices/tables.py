from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gatehouse.devices import selectors
from gatehouse.devices.commands import operation_label
from gatehouse.devices.forms import GROUP_OPERATIONS, OPERATIONS
from gatehouse.devices.models import (
    Device,
    DeviceCommand,
    DeviceEvent,
    DeviceGroup,
    FirmwarePackage,
    OperationLog,
)

ATTRS = {"class": "table card-table table-vcenter"}
# The bulk form of the device list: row checkboxes belong to it from inside the table.
BULK_FORM_ID = "device-bulk-form"
# One form outside the table holds the CSRF token for the row buttons of the command list.
COMMAND_FORM_ID = "command-action-form"

STATUS_BADGES = {
    Device.Status.ONLINE: "bg-green-lt",
    Device.Status.OFFLINE: "bg-secondary-lt",
    Device.Status.PENDING: "bg-yellow-lt",
}
STATE_BADGES = {
    DeviceCommand.State.QUEUED: "bg-secondary-lt",
    DeviceCommand.State.SENT: "bg-blue-lt",
    DeviceCommand.State.DONE: "bg-green-lt",
    DeviceCommand.State.FAILED: "bg-red-lt",
    DeviceCommand.State.EXPIRED: "bg-yellow-lt",
    DeviceCommand.State.CANCELLED: "bg-secondary-lt",
}


def badge(css: str, text: Any, testid: str) -> SafeString:
    return format_html('<span class="badge {}" data-testid="{}">{}</span>', css, testid, text)


def status_badge(device: Device) -> SafeString:
    return badge(STATUS_BADGES[Device.Status(device.status)], device.get_status_display(), "status")


def state_badge(command: DeviceCommand) -> SafeString:
    return badge(
        STATE_BADGES[DeviceCommand.State(command.state)], command.get_state_display(), "state"
    )


def yes_no(value: bool | None) -> str:
    if value is None:
        return "—"
    return gettext("Yes") if value else gettext("No")


class DeviceTable(tables.Table):
    """Smart Pass 3.1 device list; the columns are personalized (3.1.15)."""

    select = tables.Column(verbose_name="", accessor="pk", orderable=False)
    name = tables.LinkColumn(
        "devices:device_detail", args=[tables.A("pk")], order_by=("name", "serial_number")
    )
    status = tables.Column(
        verbose_name=_("Status"), empty_values=(), orderable=False, accessor="last_seen_at"
    )
    group = tables.Column(verbose_name=_("User group"), accessor="group__name")
    device_group = tables.Column(verbose_name=_("Device group"))
    sync = tables.Column(verbose_name=_("Sync"), empty_values=(), orderable=False)

    class Meta:
        model = Device
        fields = (
            "select",
            "name",
            "serial_number",
            "status",
            "group",
            "device_group",
            "model",
            "firmware",
            "ip_address",
            "last_seen_at",
            "sync",
            "address",
            "mac_address",
            "dialect",
            "driver",
            "first_seen_at",
            "approved_at",
        )
        attrs = ATTRS
        default_columns = (
            "name",
            "serial_number",
            "status",
            "group",
            "device_group",
            "model",
            "firmware",
            "ip_address",
            "last_seen_at",
            "sync",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._progress: dict[int, dict[str, int]] | None = None

    def render_select(self, record: Device) -> SafeString:
        return format_html(
            '<input type="checkbox" class="form-check-input m-0" name="devices" value="{}" '
            'form="{}" aria-label="{}" data-testid="select-device">',
            record.pk,
            BULK_FORM_ID,
            gettext("Select %(device)s") % {"device": record},
        )

    def render_status(self, record: Device) -> SafeString:
        return status_badge(record)

    def render_last_seen_at(self, value: Any) -> SafeString:
        """ "3 minutes ago" keeps the column narrow; the exact time is in the tooltip."""
        return format_html(
            '<span title="{}">{}</span>',
            date_format(localtime(value), "SHORT_DATETIME_FORMAT"),
            naturaltime(value),
        )

    def render_device_group(self, record: Device) -> str:
        return str(record.device_group) if record.device_group else "—"

    def render_sync(self, record: Device) -> SafeString:
        if self._progress is None:  # the shown page only, in one query
            self._progress = selectors.sync_counts(row.record.pk for row in self.paginated_rows)
        return sync_summary(self._progress.get(record.pk))


def sync_summary(progress: dict[str, int] | None) -> SafeString:
    """ "120 / 130", and the failures in red."""
    progress = progress or {"done": 0, "total": 0, "failed": 0}
    failed = (
        format_html(
            '<span class="d-block small text-danger text-nowrap" data-testid="sync-failed">'
            "{}</span>",
            gettext("%(count)d failed") % {"count": progress["failed"]},
        )
        if progress["failed"]
        else ""
    )
    return format_html(
        '<span class="text-nowrap" data-testid="sync">{} / {}</span>{}',
        progress["done"],
        progress["total"],
        failed,
    )


class PendingDeviceTable(tables.Table):
    approve = tables.TemplateColumn(
        template_name="devices/partials/approve_button.html", verbose_name="", orderable=False
    )

    class Meta:
        model = Device
        fields = (
            "serial_number",
            "model",
            "firmware",
            "ip_address",
            "first_seen_at",
            "last_seen_at",
            "dialect",
            "approve",
        )
        attrs = ATTRS


class DeviceGroupTable(tables.Table):
    name = tables.Column(verbose_name=_("Device group name"), empty_values=())
    group = tables.Column(verbose_name=_("User group"))
    device_count = tables.Column(verbose_name=_("Devices"))
    actions = tables.TemplateColumn(
        template_name="devices/partials/group_actions.html",
        verbose_name="",
        orderable=False,
        extra_context={"group_operations": [(key, OPERATIONS[key]) for key in GROUP_OPERATIONS]},
    )

    class Meta:
        model = DeviceGroup
        fields = ("name", "group", "device_count", "created_at", "actions")
        attrs = ATTRS

    def render_name(self, record: DeviceGroup) -> str:
        return str(record)


class PackageTable(tables.Table):
    byte_size = tables.Column(verbose_name=_("Size"))
    md5 = tables.Column(verbose_name=_("MD5"))
    actions = tables.TemplateColumn(
        template_name="devices/partials/package_actions.html", verbose_name="", orderable=False
    )

    class Meta:
        model = FirmwarePackage
        fields = ("name", "version", "byte_size", "md5", "notes", "uploaded_at", "uploaded_by")
        attrs = ATTRS

    def render_byte_size(self, value: int) -> str:
        return filesizeformat(value)


class CommandTable(tables.Table):
    """The command log (DESIGN rule 6: every remote operation has a visible result)."""

    command_id = tables.Column(verbose_name=_("Command ID"))
    device = tables.LinkColumn("devices:device_detail", args=[tables.A("device_id")])
    operation = tables.Column(verbose_name=_("Operation"))
    state = tables.Column(verbose_name=_("State"))
    result = tables.Column(verbose_name=_("Result"), empty_values=(), orderable=False)
    cancel = tables.Column(verbose_name="", empty_values=(), orderable=False, accessor="pk")

    class Meta:
        model = DeviceCommand
        fields = (
            "command_id",
            "device",
            "operation",
            "state",
            "attempts",
            "result",
            "created_at",
            "sent_at",
            "finished_at",
            "actor",
            "cancel",
        )
        attrs = ATTRS
        default_columns = (
            "command_id",
            "device",
            "operation",
            "state",
            "attempts",
            "result",
            "created_at",
            "sent_at",
            "finished_at",
        )

    def render_operation(self, record: DeviceCommand) -> SafeString:
        """The operation, and its summary when it says more than the operation's name."""
        label = operation_label(record.operation)
        if not record.summary or record.summary == label:
            return format_html("{}", label)
        return format_html(
            '{}<span class="d-block small text-secondary">{}</span>', label, record.summary
        )

    def render_state(self, record: DeviceCommand) -> SafeString:
        return state_badge(record)

    def render_result(self, record: DeviceCommand) -> SafeString:
        message = str(record.result.get("message", ""))
        if record.return_code is None and not message:
            return mark_safe('<span class="text-secondary">—</span>')
        code = "" if record.return_code is None else str(record.return_code)
        return format_html(
            '<span data-testid="result">{}</span> <span class="text-secondary">{}</span>',
            code,
            message,
        )

    def render_cancel(self, record: DeviceCommand) -> SafeString | str:
        if record.state != DeviceCommand.State.QUEUED:
            return ""
        return format_html(
            '<button class="btn btn-sm btn-ghost-danger" form="{}" formaction="{}" '
            'data-testid="cancel-command">{}</button>',
            COMMAND_FORM_ID,
            reverse("devices:command_cancel", args=[record.pk]),
            gettext("Cancel"),
        )


class EventTable(tables.Table):
    """Records the devices reported (3.1.17), at the device's own wall-clock time."""

    local_time = tables.Column(verbose_name=_("Time (device)"), order_by=("occurred_at",))
    device = tables.LinkColumn("devices:device_detail", args=[tables.A("device_id")])
    temperature = tables.Column(
        verbose_name=_("Temperature"), order_by=("temperature_decidegrees",)
    )
    mask = tables.Column(verbose_name=_("Mask"))

    class Meta:
        model = DeviceEvent
        fields = (
            "local_time",
            "device",
            "event_code",
            "door",
            "pin",
            "person",
            "card_number",
            "verify_mode",
            "temperature",
            "mask",
        )
        attrs = ATTRS
        default_columns = (
            "local_time",
            "device",
            "event_code",
            "door",
            "pin",
            "person",
            "verify_mode",
            "temperature",
            "mask",
        )

    def render_local_time(self, value: Any) -> str:
        return f"{value:%Y-%m-%d %H:%M:%S}"

    def render_temperature(self, value: float) -> str:
        return f"{value:.1f} °C"

    def render_mask(self, value: bool | None) -> str:
        return yes_no(value)


class OperationLogTable(tables.Table):
    device = tables.LinkColumn("devices:device_detail", args=[tables.A("device_id")])

    class Meta:
        model = OperationLog
        fields = ("occurred_at", "device", "operation", "administrator", "objects_text")
        attrs = ATTRS

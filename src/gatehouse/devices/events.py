"""Names and labels of the devices app's events (audit actions, WebSocket, webhooks)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

EVENT_LABELS: dict[str, Promise] = {
    "devices.device.discovered": _("New device waiting for approval"),
    "devices.device.approved": _("Device approved"),
    "devices.device.changed": _("Device changed"),
    "devices.device.moved": _("Device moved"),
    "devices.device.deleted": _("Device deleted"),
    "devices.device.online": _("Device online"),
    "devices.device.offline": _("Device offline"),
    "devices.device.repushed": _("Failed items sent again"),
    "devices.device.failures_exported": _("Device failure table exported"),
    "devices.group.created": _("Device group created"),
    "devices.group.changed": _("Device group changed"),
    "devices.group.deleted": _("Device group deleted"),
    "devices.package.uploaded": _("Package uploaded"),
    "devices.package.deleted": _("Package deleted"),
    "devices.command.done": _("Device command done"),
    "devices.command.failed": _("Device command failed"),
    "devices.command.expired": _("Device command expired"),
    "devices.command.cancelled": _("Device command cancelled"),
    "devices.event.received": _("Device event"),
    "devices.event.backlog_received": _("Device records caught up"),
    "devices.door.state_changed": _("Door state changed"),
    "devices.enrolment.received": _("Enrolment on a device"),
    "devices.enrolment.backlog_received": _("Enrolments from a device caught up"),
    "devices.device.parameters_set": _("Device parameters set"),
    "devices.device.device_reboot": _("Device restart requested"),
    "devices.device.device_clear_data": _("Device reset requested"),
    "devices.device.door_open": _("Remote door opening requested"),
    "devices.device.time_sync": _("Time synchronization requested"),
    "devices.device.firmware_upgrade": _("Client upgrade requested"),
    "devices.device.face_capture": _("Face registration on device requested"),
}

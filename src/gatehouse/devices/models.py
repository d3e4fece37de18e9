"""Devices (Smart Pass chapter 3): the registry of terminals and panels, their groups, the
command queue, what each device confirmed it holds, and what devices report (events, door
states, operation logs, enrolments). Vendor details stay in the drivers; these rows hold
vendor-neutral names plus the driver's raw dictionaries for display."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gatehouse.core.models import TenantManager, TenantModel, enterprise_key

SERIAL_PATTERN = r"^[A-Za-z0-9_-]{1,40}$"


class DeviceGroup(TenantModel):
    """A device grouping under one user group (3.1.19): each user group has a default one
    and may add its own; bulk operations (3.1.18) act on a device group."""

    group = models.ForeignKey(
        "tenancy.Group",
        verbose_name=_("user group"),
        on_delete=models.CASCADE,
        related_name="device_groups",
    )
    name = models.CharField(_("device group name"), max_length=100, blank=True)
    is_default = models.BooleanField(_("default device group"), default=False, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["group__path", "-is_default", "name"]
        verbose_name = _("device group")
        verbose_name_plural = _("device groups")
        constraints = [
            models.UniqueConstraint(fields=["group", "name"], name="devices_group_unique_name"),
        ]

    def __str__(self) -> str:
        return gettext("Default device group") if self.is_default else self.name


class Device(models.Model):
    """One terminal or panel, known by its serial number across the whole platform. A device
    without an enterprise is in the platform's unassigned pool: pending approval, it gets no
    commands and its uploads are not taken (so it keeps them until it is approved)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending approval")
        ONLINE = "online", _("Online")
        OFFLINE = "offline", _("Offline")

    enterprise = models.ForeignKey(
        "tenancy.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    group = models.ForeignKey(
        "tenancy.Group",
        verbose_name=_("user group"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="devices",
        editable=False,
    )
    device_group = models.ForeignKey(
        DeviceGroup,
        verbose_name=_("device group"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="devices",
    )
    serial_number = models.CharField(_("serial number"), max_length=40, unique=True)
    name = models.CharField(_("device name"), max_length=100, blank=True)
    address = models.CharField(_("device address"), max_length=255, blank=True)
    driver = models.CharField(_("protocol"), max_length=20, editable=False)
    dialect = models.CharField(_("dialect"), max_length=10, blank=True, editable=False)
    model = models.CharField(_("model"), max_length=100, blank=True, editable=False)
    firmware = models.CharField(_("firmware"), max_length=100, blank=True, editable=False)
    ip_address = models.CharField(_("IP address"), max_length=45, blank=True, editable=False)
    mac_address = models.CharField(_("MAC address"), max_length=40, blank=True, editable=False)
    protocol_version = models.CharField(max_length=20, blank=True, editable=False)
    comm_key = models.CharField(
        _("communication key"),
        max_length=32,
        blank=True,
        help_text=_("Optional. Set on the device as its communication password."),
    )
    # minutes east of UTC of the device's clock: its records carry local wall-clock times
    utc_offset_minutes = models.SmallIntegerField(_("time zone offset (minutes)"), default=0)
    poll_interval = models.PositiveSmallIntegerField(_("poll interval (seconds)"), default=2)
    registry = models.JSONField(default=dict, editable=False)
    options = models.JSONField(default=dict, editable=False)
    capabilities = models.JSONField(default=dict, editable=False)
    door_states = models.JSONField(default=dict, editable=False)
    session = models.JSONField(default=dict, editable=False)  # driver session (codes, ids)
    first_seen_at = models.DateTimeField(_("first seen"), default=timezone.now, editable=False)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True, editable=False)
    # the status last announced (devices.device.online / .offline), so each change is told once
    reported_online = models.BooleanField(default=False, editable=False)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True, editable=False)
    next_command_number = models.PositiveBigIntegerField(default=1, editable=False)
    sync_requested_at = models.DateTimeField(null=True, blank=True, editable=False)

    group_path_lookup: ClassVar[str | None] = "group__path"

    objects = TenantManager()

    class Meta:
        ordering = ["name", "serial_number"]
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        indexes = [models.Index(fields=["enterprise", "last_seen_at"])]

    def __str__(self) -> str:
        return self.name or self.serial_number

    @property
    def is_pending(self) -> bool:
        return self.enterprise_id is None

    def offline_after(self) -> timedelta:
        """A device that has not polled for three intervals (at least 30 s) is offline."""
        return timedelta(seconds=max(30, 3 * self.poll_interval))

    def is_online(self, now: Any = None) -> bool:
        if self.last_seen_at is None:
            return False
        return (now or timezone.now()) - self.last_seen_at <= self.offline_after()

    @property
    def status(self) -> str:
        if self.is_pending:
            return self.Status.PENDING
        return self.Status.ONLINE if self.is_online() else self.Status.OFFLINE

    def get_status_display(self) -> str:
        return str(self.Status(self.status).label)


class CommandPayload(TenantModel):
    """The records of a sync command, stored once for every device that gets the same batch:
    the first sync of a group sends the same persons, in the same batches, to each of its
    devices. Keyed by a digest of the batch's content, so it never changes."""

    digest = models.CharField(max_length=32)
    operation = models.CharField(max_length=40)
    arguments = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "digest"], name="devices_payload_unique_digest"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.operation} {self.digest}"


class DeviceCommand(TenantModel):
    """A queued remote operation (DESIGN rule 6). `operation` and `arguments` are vendor
    neutral; the device's driver renders the wire text when the device collects it, so a
    queued face photo is not copied into the queue once per device. A sync command keeps its
    records in a shared `payload` instead of `arguments`."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")
        CANCELLED = "cancelled", _("Cancelled")

    OPEN_STATES: ClassVar[tuple[str, ...]] = (State.QUEUED, State.SENT)

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="commands")
    command_id = models.CharField(_("command ID"), max_length=16)
    operation = models.CharField(_("operation"), max_length=40)
    arguments = models.JSONField(default=dict)
    payload = models.ForeignKey(
        CommandPayload,
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="commands",
    )
    summary = models.CharField(_("summary"), max_length=255, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveSmallIntegerField(default=3)
    return_code = models.IntegerField(_("return code"), null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    actor = models.CharField(_("by"), max_length=150, blank=True)
    is_sync = models.BooleanField(default=False)

    group_path_lookup: ClassVar[str | None] = "device__group__path"

    class Meta:
        ordering = ["-id"]
        verbose_name = _("device command")
        verbose_name_plural = _("device commands")
        constraints = [
            models.UniqueConstraint(
                fields=["device", "command_id"], name="devices_command_unique_id"
            ),
        ]
        indexes = [models.Index(fields=["device", "state", "id"])]

    def __str__(self) -> str:
        return f"{self.command_id} {self.operation}"


class Holding(TenantModel):
    """One item a device should hold or holds (a person's record, face, authorization, a
    time zone), with the digest of the version last sent and whether the device confirmed it.
    The sync engine diffs the desired set against these rows."""

    class State(models.TextChoices):
        PENDING = "pending", _("Sending")
        CONFIRMED = "confirmed", _("On the device")
        FAILED = "failed", _("Failed")
        REMOVING = "removing", _("Removing")

    # Holdings are millions of rows, always reached through a device, a person or a command:
    # no index of their own on enterprise (an enterprise-wide index tempted the planner into
    # ANDing millions of entries to confirm one command) or device (the indexes below lead
    # with it).
    enterprise = enterprise_key(indexed=False)
    device = models.ForeignKey(
        Device, on_delete=models.CASCADE, related_name="holdings", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=20)
    key = models.CharField(_("key"), max_length=40)
    person = models.ForeignKey(
        "people.Person",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # the (person, device) index below serves person lookups too
    )
    digest = models.CharField(max_length=32)
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    command = models.ForeignKey(
        DeviceCommand, on_delete=models.SET_NULL, null=True, blank=True, related_name="holdings"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    group_path_lookup: ClassVar[str | None] = "device__group__path"

    class Meta:
        verbose_name = _("device holding")
        verbose_name_plural = _("device holdings")
        constraints = [
            models.UniqueConstraint(
                fields=["device", "kind", "key"], name="devices_holding_unique_item"
            ),
        ]
        indexes = [
            models.Index(fields=["device", "state"]),
            # which devices hold a person; a device's rows of some persons (or of none)
            models.Index(fields=["person", "device"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}"


class SyncRequest(models.Model):
    """ "Reconcile this device (for this person, or everyone when empty) at its next poll":
    written when persons change, consumed by the device's poll. Reached only through its
    device, so it carries no enterprise of its own."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="+")
    person_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.device_id}:{self.person_id or '*'}"


class DeviceEvent(TenantModel):
    """One record a device reported (access event, punch, alarm). Kept narrow: it is the
    largest table (goal: 250 bytes a row with its indexes). `dedupe_key` is a 63-bit hash of
    what the protocol says identifies a record, so a re-sent upload is stored once."""

    # no indexes of their own: (device, dedupe_key) and (enterprise, occurred_at) serve them
    enterprise = enterprise_key(indexed=False)
    device = models.ForeignKey(
        Device, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    occurred_at = models.DateTimeField(_("time"))
    utc_offset_minutes = models.SmallIntegerField(default=0)
    dedupe_key = models.BigIntegerField()
    event_code = models.IntegerField(_("event"))
    door = models.SmallIntegerField(_("door"), null=True, blank=True)
    # a legacy verify mode code (0-255), or 0x10000 | the 16 bits of a new-style mode string
    verify_mode = models.IntegerField(_("verify mode"), null=True, blank=True)
    in_out = models.SmallIntegerField(null=True, blank=True)
    pin = models.CharField(_("personnel ID"), max_length=20, blank=True)
    card_number = models.CharField(_("card number"), max_length=20, blank=True)
    person = models.ForeignKey(
        "people.Person",
        verbose_name=_("person"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    # tenths of a degree Celsius: two bytes instead of a decimal
    temperature_decidegrees = models.SmallIntegerField(null=True, blank=True)
    mask = models.BooleanField(null=True, blank=True)

    group_path_lookup: ClassVar[str | None] = "device__group__path"

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("device event")
        verbose_name_plural = _("device events")
        constraints = [
            models.UniqueConstraint(fields=["device", "dedupe_key"], name="devices_event_once"),
        ]
        indexes = [
            models.Index(fields=["enterprise", "occurred_at"]),
            # a person's records, and deleting a person: without it every deleted person
            # costs a scan of the whole table (found deleting an enterprise of 10,000)
            models.Index(
                fields=["person"],
                condition=models.Q(person__isnull=False),
                name="devices_event_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.device_id}:{self.event_code}@{self.occurred_at:%Y-%m-%d %H:%M:%S}"

    @property
    def local_time(self) -> Any:
        return self.occurred_at + timedelta(minutes=self.utc_offset_minutes)

    @property
    def temperature(self) -> float | None:
        if self.temperature_decidegrees is None:
            return None
        return self.temperature_decidegrees / 10


class EventPhoto(TenantModel):
    """A snapshot a device took at a verification (ATTPHOTO), matched to events by device,
    personnel ID and time."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="photos")
    taken_at = models.DateTimeField()
    pin = models.CharField(max_length=20, blank=True)
    file = models.FileField(max_length=255)
    byte_size = models.PositiveIntegerField()
    dedupe_key = models.BigIntegerField()

    group_path_lookup: ClassVar[str | None] = "device__group__path"

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["device", "dedupe_key"], name="devices_eventphoto_once"
            ),
        ]

    def __str__(self) -> str:
        return self.file.name or ""


class OperationLog(TenantModel):
    """The device's own operation log (att OPERLOG; 3.1.17 "log monitoring")."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="operation_logs")
    occurred_at = models.DateTimeField(_("time"))
    operation = models.IntegerField(_("operation"))
    administrator = models.CharField(_("administrator"), max_length=40, blank=True)
    objects_text = models.CharField(_("objects"), max_length=255, blank=True)
    dedupe_key = models.BigIntegerField()

    group_path_lookup: ClassVar[str | None] = "device__group__path"

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("device operation log")
        verbose_name_plural = _("device operation logs")
        constraints = [
            models.UniqueConstraint(fields=["device", "dedupe_key"], name="devices_operlog_once"),
        ]

    def __str__(self) -> str:
        return f"{self.operation}@{self.occurred_at}"


class Enrolment(TenantModel):
    """A credential enrolled on a device (user record, fingerprint, face template or photo):
    the device's copy, kept so it can be shown on the person and synced to other devices."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="enrolments")
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    pin = models.CharField(_("personnel ID"), max_length=20)
    kind = models.CharField(_("kind"), max_length=20)  # user, biodata, biophoto, fingerprint
    bio_type = models.SmallIntegerField(default=0)
    number = models.SmallIntegerField(default=0)
    index = models.SmallIntegerField(default=0)
    record = models.JSONField(default=dict)  # the other fields, as the device sent them
    template = models.TextField(blank=True)  # base64 as the device sent it
    received_at = models.DateTimeField(default=timezone.now)

    group_path_lookup: ClassVar[str | None] = "device__group__path"

    class Meta:
        verbose_name = _("device enrolment")
        verbose_name_plural = _("device enrolments")
        constraints = [
            models.UniqueConstraint(
                fields=["device", "pin", "kind", "bio_type", "number", "index"],
                name="devices_enrolment_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pin}:{self.kind}:{self.bio_type}"


class FirmwarePackage(TenantModel):
    """An uploaded client or firmware package (3.2 "APK list") devices can be upgraded to."""

    name = models.CharField(_("name"), max_length=100)
    version = models.CharField(_("version"), max_length=60)
    file = models.FileField(max_length=255, editable=False)
    byte_size = models.PositiveBigIntegerField(_("size"), editable=False)
    md5 = models.CharField(max_length=32, editable=False)
    sha256 = models.CharField(max_length=64, editable=False)
    notes = models.CharField(_("notes"), max_length=255, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now, editable=False)
    uploaded_by = models.CharField(_("uploaded by"), max_length=150, blank=True, editable=False)

    group_path_lookup: ClassVar[str | None] = None

    class Meta:
        ordering = ["-uploaded_at"]
        verbose_name = _("firmware package")
        verbose_name_plural = _("firmware packages")

    def __str__(self) -> str:
        return f"{self.name} {self.version}"

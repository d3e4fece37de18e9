"""Writes for devices, device groups, remote operations and firmware packages. The console,
the API, the `gatehouse device` command and the protocol drivers all call these."""

from __future__ import annotations

import copy
import hashlib
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import IO, Any

from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from gatehouse.audit.services import record, record_for, snapshot
from gatehouse.core.actors import Actor
from gatehouse.core.errors import PermissionDenied, ServiceError
from gatehouse.core.events import publish
from gatehouse.core.scoping import platform_scope
from gatehouse.devices import commands, drivers, photos, sync
from gatehouse.devices.commands import CommandSpec
from gatehouse.devices.models import Device, DeviceCommand, DeviceGroup, FirmwarePackage
from gatehouse.tenancy.models import Enterprise, Group
from gatehouse.tenancy.services import require_superuser, require_visible_group

DEVICE_FIELDS = (
    "name",
    "address",
    "comm_key",
    "utc_offset_minutes",
    "poll_interval",
    "device_group",
)
# Writing `last_seen_at` on every poll would be one write per poll per device; a device is
# offline after at least 30 s of silence, so a write every 20 s keeps the status right.
SEEN_WRITE_INTERVAL = timedelta(seconds=20)
PACKAGE_LIMIT = 512 * 1024 * 1024
NAME_LIMIT = 100


def _audited(device: Device) -> dict[str, Any]:
    values = snapshot(device, DEVICE_FIELDS)
    if values.get("comm_key"):
        values["comm_key"] = "****"
    return values


def _require_device_visible(actor: Actor, device: Device) -> None:
    if device.group is None:
        require_superuser(actor)
    else:
        require_visible_group(actor, device.group)


# --- what devices tell us (called by drivers) ------------------------------------------------


def note_contact(
    serial_number: str,
    *,
    driver: str,
    dialect: str = "",
    address: str = "",
    protocol_version: str = "",
) -> Device:
    """Find the device by serial number or record it as pending (it gets nothing until an
    administrator approves it), and keep its last contact and address."""
    now = timezone.now()
    with platform_scope():
        device: Device | None = DEVICE_CACHE.get(serial_number)
        if device is None:
            device = (
                Device.objects.select_related("group").filter(serial_number=serial_number).first()
            )
        if device is None:
            created_device: Device
            created_device, created = Device.objects.get_or_create(
                serial_number=serial_number,
                defaults={
                    "driver": driver,
                    "dialect": dialect,
                    "ip_address": address,
                    "protocol_version": protocol_version,
                    "last_seen_at": now,
                },
            )
            if created:
                record(
                    "devices.device.discovered",
                    actor=Actor(kind=Actor.system().kind, label=serial_number, address=address),
                    enterprise_id=None,
                    obj=created_device,
                    message=_("Device %(sn)s connected and waits for approval.")
                    % {"sn": serial_number},
                )
            return created_device
        changes: dict[str, Any] = {}
        if dialect and device.dialect != dialect:
            changes["dialect"] = dialect
        if address and device.ip_address != address:
            changes["ip_address"] = address
        if protocol_version and device.protocol_version != protocol_version:
            changes["protocol_version"] = protocol_version
        if device.last_seen_at is None or now - device.last_seen_at >= SEEN_WRITE_INTERVAL:
            changes["last_seen_at"] = now
        if changes:
            Device.objects.filter(pk=device.pk).update(**changes)
            for name, value in changes.items():
                setattr(device, name, value)
        if not device.reported_online and device.enterprise_id is not None:
            _announce_status(device, online=True)
        DEVICE_CACHE.put(device)
        return device


def poll_for_work(
    device: Device, *, version: int, budget_bytes: int, max_commands: int
) -> tuple[sync.Requested, commands.Collected]:
    """A poll with work signalled (`version`: the work counter the poll saw): reconcile what
    was requested, then hand out commands (rendered, within the byte budget). Returns (what
    the reconcile did, what was handed out).

    One poll of a device at a time: a device that retries a poll it thinks was lost must
    not reconcile twice in parallel. The row is read afresh under the lock (the copy cached
    in this process may predate a registry another process just stored). The lock is a
    no-key one: rows that refer to the device (a sync request written by a person's change)
    can still be inserted meanwhile.

    A poll that leaves the queue empty marks the device idle: its next polls skip the
    database. Work queued meanwhile (this poll's reconcile included) moved the counter on,
    so the mark does not hide it, and a device that took its last commands answers them
    without a poll in between."""
    with transaction.atomic():
        device = (
            Device.objects.select_for_update(no_key=True, of=("self",))
            .select_related("group")
            .get(pk=device.pk)
        )
        requested = sync.run_requested(device)
        collected = commands.collect(
            device,
            budget_bytes=budget_bytes,
            max_commands=max_commands,
            load_photos=photos.load_many,
        )
    if collected.drained:
        commands.mark_idle(device.pk, version, requested.recheck)
    return requested, collected


def _announce_status(device: Device, *, online: bool) -> None:
    with transaction.atomic():
        updated = Device.objects.filter(pk=device.pk, reported_online=not online).update(
            reported_online=online
        )
        device.reported_online = online
        if updated:
            publish(
                f"devices.device.{'online' if online else 'offline'}",
                enterprise_id=device.enterprise_id,
                group_path=device.group.path if device.group else "",
                payload={
                    "device_id": device.pk,
                    "device": str(device),
                    "serial_number": device.serial_number,
                },
            )


def mark_offline_devices() -> int:
    """Announce each device that stopped polling (periodic job); returns how many."""
    count = 0
    now = timezone.now()
    with platform_scope():
        for device in Device.objects.filter(reported_online=True).select_related("group"):
            if not device.is_online(now):
                _announce_status(device, online=False)
                count += 1
    return count


# What the items a device should hold depend on: a change asks for a full reconcile.
SYNC_CAPABILITIES = ("item_kinds", "doors", "string_pins", "faces")


def record_identity(device: Device, values: Mapping[str, Any], **fields: Any) -> None:
    """Store what the device says about itself (registry, options, info): the raw values
    for display, and model, firmware, capabilities in Gatehouse's words."""
    with platform_scope(), transaction.atomic():
        changes = {name: value for name, value in fields.items() if value not in (None, "")}
        for name, value in changes.items():
            setattr(device, name, value)
        resync = False
        if device.driver:
            before = device.capabilities or {}
            device.capabilities = drivers.for_device(device).capabilities(device).as_dict()
            changes["capabilities"] = device.capabilities
            # e.g. the registry arrived after approval: now it takes faces, or has 4 doors
            resync = device.enterprise_id is not None and any(
                before.get(name) != device.capabilities.get(name) for name in SYNC_CAPABILITIES
            )
        Device.objects.filter(pk=device.pk).update(**changes)
        if resync:  # after the update: the poll that takes the request reads the new values
            sync.request([device.pk], None)
        DEVICE_CACHE.put(device)


def save_session(device: Device, session: Mapping[str, Any]) -> None:
    with platform_scope():
        device.session = dict(session)
        Device.objects.filter(pk=device.pk).update(session=device.session)
        DEVICE_CACHE.put(device)


class _SeenTimes:
    """Last-seen times from idle polls, written for all devices at once a moment later: a
    thousand devices polling every few seconds would otherwise each cost an UPDATE (and a
    thread) every SEEN_WRITE_INTERVAL. A time is written at most FLUSH_SECONDS late."""

    FLUSH_SECONDS = 2.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._times: dict[int, datetime] = {}

    def note(self, device_id: int, when: datetime) -> bool:
        """Remember a contact; True when a flush should be scheduled (the first pending)."""
        with self._lock:
            first = not self._times
            self._times[device_id] = when
        return first

    def flush(self) -> int:
        with self._lock:
            times, self._times = self._times, {}
        if times:
            table = Device._meta.db_table
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(
                    f"UPDATE {table} SET last_seen_at = %s WHERE id = %s",  # noqa: S608
                    [(when, device_id) for device_id, when in sorted(times.items())],
                )
        return len(times)


SEEN_TIMES = _SeenTimes()


def note_idle_contact(device: Device) -> bool:
    """An idle poll answered without the database: its time goes to the cached copy now and
    to the database with the next flush. True when the caller should schedule a flush."""
    now = timezone.now()
    if device.last_seen_at is not None and now - device.last_seen_at < SEEN_WRITE_INTERVAL:
        return False
    DEVICE_CACHE.note_seen(device.serial_number, now)
    return SEEN_TIMES.note(device.pk, now)


def fresh_device(device: Device) -> Device:
    """The device as stored now (not as cached): for rare requests that must not act on a
    copy a few seconds old, such as registration."""
    with platform_scope():
        stored: Device = Device.objects.select_related("group").get(pk=device.pk)
    DEVICE_CACHE.put(stored)
    return stored


class _DeviceCache:
    """Devices by serial number for a few seconds, per process: a poll or an upload then
    costs no lookup. Changes made here refresh it at once; changes made in another process
    reach this one within TTL seconds."""

    TTL = 5.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, Device]] = {}

    def get(self, serial_number: str, max_age: float | None = None) -> Device | None:
        with self._lock:
            entry = self._entries.get(serial_number)
        if entry is None or time.monotonic() - entry[0] > (max_age or self.TTL):
            return None
        return copy.copy(entry[1])

    def put(self, device: Device) -> None:
        with self._lock:
            self._entries[device.serial_number] = (time.monotonic(), copy.copy(device))

    def note_seen(self, serial_number: str, when: datetime) -> None:
        """Update the cached copy's last contact without making the copy count as fresh."""
        with self._lock:
            entry = self._entries.get(serial_number)
            if entry is not None:
                entry[1].last_seen_at = when

    def forget(self, serial_number: str) -> None:
        with self._lock:
            self._entries.pop(serial_number, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


DEVICE_CACHE = _DeviceCache()


def _forget(device: Device) -> None:
    """Drop the cached copy now and again after commit (a request in between may have
    cached the old state). The work signal tells the other processes: their idle-poll fast
    path sends the device's next poll to the full view, which reads the device afresh."""
    serial_number, device_id = device.serial_number, device.pk

    def after_commit() -> None:
        DEVICE_CACHE.forget(serial_number)
        commands.signal_work(device_id)

    DEVICE_CACHE.forget(serial_number)
    transaction.on_commit(after_commit)


# --- approval and management ---------------------------------------------------------------


def default_device_group(group: Group) -> DeviceGroup:
    """The device group every user group has (3.1.19), created when first needed."""
    device_group: DeviceGroup
    device_group, _created = DeviceGroup.objects.get_or_create(
        enterprise_id=group.enterprise_id, group=group, is_default=True, defaults={"name": ""}
    )
    return device_group


@transaction.atomic
def approve_device(
    device: Device,
    *,
    actor: Actor,
    enterprise: Enterprise,
    group: Group | None = None,
    name: str = "",
) -> Device:
    """Assign a pending device to an enterprise and group; from its next contact it is
    registered, gets its settings and is synced."""
    require_superuser(actor)
    if not device.is_pending:
        raise ServiceError(_("This device is already assigned to an enterprise."))
    if not enterprise.is_active:
        raise ServiceError(_("This enterprise is disabled."), field="enterprise")
    with platform_scope():
        if group is None:
            group = Group.objects.get(enterprise=enterprise, parent__isnull=True)
        elif group.enterprise_id != enterprise.pk:
            raise ServiceError(_("That group belongs to another enterprise."), field="group")
        device.enterprise = enterprise
        device.group = group
        device.device_group = default_device_group(group)
        device.name = (name or device.name or device.model or device.serial_number).strip()[
            :NAME_LIMIT
        ]
        device.approved_at = timezone.now()
        device.session = {}
        device.reported_online = False
        device.save()
        _forget(device)
        record_for("devices.device.approved", device, actor=actor, after=_audited(device))
        sync.request([device.pk], None)
    return device


@transaction.atomic
def update_device(device: Device, *, actor: Actor, **values: Any) -> Device:
    """Edit name, address, communication key, time zone offset, poll interval, device group."""
    _require_device_visible(actor, device)
    unknown = set(values) - set(DEVICE_FIELDS)
    if unknown:
        raise ValueError(f"not device fields: {sorted(unknown)}")
    before = _audited(device)
    name = str(values.get("name", device.name)).strip()
    if not name:
        raise ServiceError(_("The device name cannot be empty."), field="name")
    values["name"] = name[:NAME_LIMIT]
    interval = int(values.get("poll_interval", device.poll_interval))
    if not 1 <= interval <= 300:
        raise ServiceError(
            _("The poll interval must be between 1 and 300 seconds."), field="poll_interval"
        )
    offset = int(values.get("utc_offset_minutes", device.utc_offset_minutes))
    if not -12 * 60 <= offset <= 14 * 60:
        raise ServiceError(
            _("The time zone offset must be between -12:00 and +14:00."), field="utc_offset_minutes"
        )
    device_group = values.get("device_group", device.device_group)
    if device_group is not None and device_group.group_id != device.group_id:
        raise ServiceError(
            _("Use Move group to move a device to another user group."), field="device_group"
        )
    key = str(values.get("comm_key", device.comm_key))
    if key and (not key.isdigit() or len(key) > 8):
        raise ServiceError(_("The communication key is up to 8 digits."), field="comm_key")
    old_key = device.comm_key
    for field_name, value in values.items():
        setattr(device, field_name, value)
    device.save()
    _forget(device)
    after = _audited(device)
    if before != after:
        record_for("devices.device.changed", device, actor=actor, before=before, after=after)
    if device.comm_key != old_key and "parameters.set" in _operations(device):
        commands.queue(
            device, "parameters.set", {"values": {"comm_key": device.comm_key}}, actor=actor
        )
    return device


@transaction.atomic
def delete_device(device: Device, *, actor: Actor) -> None:
    """Only an offline device can be deleted (3.1.13): an online one would come straight
    back as pending."""
    _require_device_visible(actor, device)
    if device.is_online():
        raise ServiceError(_("Only offline devices can be deleted."))
    record_for("devices.device.deleted", device, actor=actor, before=_audited(device))
    _forget(device)
    device.delete()


@transaction.atomic
def move_devices(devices: Sequence[Device], *, actor: Actor, device_group: DeviceGroup) -> int:
    """Move devices to another device group, and with it its user group (3.1.14)."""
    require_visible_group(actor, device_group.group)
    for device in devices:
        _require_device_visible(actor, device)
        if device.enterprise_id != device_group.enterprise_id:
            raise PermissionDenied(_("That belongs to another enterprise."))
        before = _audited(device)
        moved_group = device.group_id != device_group.group_id
        device.device_group = device_group
        device.group = device_group.group
        device.save(update_fields=["device_group", "group"])
        _forget(device)
        record_for(
            "devices.device.moved", device, actor=actor, before=before, after=_audited(device)
        )
        if moved_group:
            sync.request([device.pk], None)
    return len(devices)


def _check_group_name(group: Group, name: str, exclude: int | None) -> str:
    name = name.strip()
    if not name:
        raise ServiceError(_("The device group name cannot be empty."), field="name")
    same = DeviceGroup.objects.filter(group=group, name__iexact=name)
    if exclude is not None:
        same = same.exclude(pk=exclude)
    if same.exists():
        raise ServiceError(_("A device group with this name already exists here."), field="name")
    return name[:NAME_LIMIT]


@transaction.atomic
def create_device_group(*, actor: Actor, group: Group, name: str) -> DeviceGroup:
    require_visible_group(actor, group)
    device_group: DeviceGroup = DeviceGroup.objects.create(
        enterprise_id=group.enterprise_id, group=group, name=_check_group_name(group, name, None)
    )
    record_for(
        "devices.group.created", device_group, actor=actor, after={"name": device_group.name}
    )
    return device_group


@transaction.atomic
def rename_device_group(device_group: DeviceGroup, *, actor: Actor, name: str) -> DeviceGroup:
    require_visible_group(actor, device_group.group)
    if device_group.is_default:
        raise ServiceError(_("The default device group cannot be renamed."))
    before = {"name": device_group.name}
    device_group.name = _check_group_name(device_group.group, name, device_group.pk)
    device_group.save(update_fields=["name"])
    record_for(
        "devices.group.changed",
        device_group,
        actor=actor,
        before=before,
        after={"name": device_group.name},
    )
    return device_group


@transaction.atomic
def delete_device_group(device_group: DeviceGroup, *, actor: Actor) -> None:
    require_visible_group(actor, device_group.group)
    if device_group.is_default:
        raise ServiceError(_("The default device group cannot be deleted."))
    if device_group.devices.exists():
        raise ServiceError(_("Only an empty device group can be deleted: move its devices first."))
    record_for(
        "devices.group.deleted", device_group, actor=actor, before={"name": device_group.name}
    )
    device_group.delete()


# --- remote operations ---------------------------------------------------------------------


def _operations(device: Device) -> frozenset[str]:
    return drivers.for_device(device).capabilities(device).operations


def _check_operation(device: Device, operation: str) -> None:
    if device.is_pending:
        raise ServiceError(_("Approve the device first."))
    if operation not in _operations(device):
        raise ServiceError(
            _("%(device)s does not support this operation: %(operation)s.")
            % {"device": device, "operation": commands.operation_label(operation)}
        )


@transaction.atomic
def run_operation(
    devices: Sequence[Device],
    operation: str,
    arguments: Mapping[str, Any] | None = None,
    *,
    actor: Actor,
    online_only: bool = False,
) -> list[DeviceCommand]:
    """Queue one remote operation on each device (restart, reset, time sync, door open ...).
    Each becomes a command with an id, a visible result and a system log entry."""
    if not devices:
        raise ServiceError(_("Select at least one device."))
    queued: list[DeviceCommand] = []
    for device in devices:
        _require_device_visible(actor, device)
        _check_operation(device, operation)
        if online_only and not device.is_online():
            raise ServiceError(_("%(device)s is offline.") % {"device": device})
        specs = [
            CommandSpec(operation, parts)
            for parts in drivers.for_device(device).split(device, operation, arguments or {})
        ]
        batch = commands.queue_many(device, specs, actor=actor)
        record_for(
            f"devices.device.{operation.replace('.', '_')}",
            device,
            actor=actor,
            message=_("Command %(id)s queued: %(what)s")
            % {"id": ", ".join(c.command_id for c in batch), "what": batch[0].summary},
        )
        queued.extend(batch)
    return queued


def parameter_values(device: Device, values: Mapping[str, Any]) -> dict[str, Any]:
    """Check parameter values against what the device's driver offers (3.1.1, 3.1.5)."""
    specs = {spec.name: spec for spec in drivers.for_device(device).parameters(device)}
    clean: dict[str, Any] = {}
    for name, raw in values.items():
        spec = specs.get(name)
        if spec is None:
            raise ServiceError(
                _("%(device)s has no parameter %(name)s.") % {"device": device, "name": name},
                field=name,
            )
        if spec.kind == "bool":
            clean[name] = bool(raw) and str(raw).lower() not in ("0", "false", "off", "no")
        elif spec.kind == "int":
            try:
                number = int(raw)
            except (TypeError, ValueError):
                raise ServiceError(
                    _("%(label)s must be a whole number.") % {"label": spec.label}, field=name
                ) from None
            if (spec.minimum is not None and number < spec.minimum) or (
                spec.maximum is not None and number > spec.maximum
            ):
                raise ServiceError(
                    _("%(label)s must be between %(min)s and %(max)s.")
                    % {"label": spec.label, "min": spec.minimum, "max": spec.maximum},
                    field=name,
                )
            clean[name] = number
        else:
            allowed = {value for value, _label in spec.choices}
            if str(raw) not in allowed:
                raise ServiceError(
                    _("Choose a valid value for %(label)s.") % {"label": spec.label}, field=name
                )
            clean[name] = str(raw)
    if not clean:
        raise ServiceError(_("Set at least one parameter."))
    return clean


@transaction.atomic
def set_parameters(
    devices: Sequence[Device], values: Mapping[str, Any], *, actor: Actor
) -> list[DeviceCommand]:
    """Set parameters on each device; for a device group this overwrites each device's own
    settings (3.1.18 warns so before it is confirmed)."""
    queued: list[DeviceCommand] = []
    for device in devices:
        clean = parameter_values(device, values)
        queued.extend(run_operation([device], "parameters.set", {"values": clean}, actor=actor))
    return queued


def devices_of_group(device_group: DeviceGroup, *, actor: Actor) -> list[Device]:
    """The devices a bulk operation on a device group acts on (3.1.18)."""
    require_visible_group(actor, device_group.group)
    devices = list(device_group.devices.select_related("group"))
    if not devices:
        raise ServiceError(_("There is no device in the selected group, please select again."))
    return devices


@transaction.atomic
def cancel_command(command: DeviceCommand, *, actor: Actor) -> None:
    _require_device_visible(actor, command.device)
    try:
        commands.cancel(command, actor=actor)
    except ValueError:
        raise ServiceError(
            _("Only a command the device has not collected yet can be cancelled.")
        ) from None


@transaction.atomic
def repush_failures(device: Device, *, actor: Actor) -> int:
    _require_device_visible(actor, device)
    count = sync.repush_failures(device)
    record_for(
        "devices.device.repushed",
        device,
        actor=actor,
        message=ngettext("%(count)d command queued.", "%(count)d commands queued.", count)
        % {"count": count},
    )
    return count


def export_failures(
    device: Device, rows: Sequence[Sequence[str]], *, actor: Actor
) -> tuple[str, bytes]:
    """The failure table as xlsx (5.2.1), and the system log entry saying who took it."""
    from gatehouse.core.spreadsheets import write_table

    _require_device_visible(actor, device)
    title = _("Failures %(device)s") % {"device": device.serial_number}
    headers = [_("Kind"), _("Personnel ID"), _("Person"), _("Reason")]
    content = write_table(title=title, headers=headers, rows=rows, file_format="xlsx")
    name = f"{title}.xlsx"
    record_for("devices.device.failures_exported", device, actor=actor, message=name)
    return name, content


# --- firmware packages (3.2) -----------------------------------------------------------------


@transaction.atomic
def upload_package(
    *, actor: Actor, enterprise_id: int, name: str, version: str, upload: IO[bytes], notes: str = ""
) -> FirmwarePackage:
    name, version = name.strip(), version.strip()
    if not name or not version:
        raise ServiceError(_("A package needs a name and a version."))
    md5, sha256, size = hashlib.md5(usedforsecurity=False), hashlib.sha256(), 0
    chunks: list[bytes] = []
    while chunk := upload.read(1024 * 1024):
        size += len(chunk)
        if size > PACKAGE_LIMIT:
            raise ServiceError(_("The package is larger than 512 MB."), field="file")
        md5.update(chunk)
        sha256.update(chunk)
        chunks.append(chunk)
    if size == 0:
        raise ServiceError(_("The package file is empty."), field="file")
    from django.core.files.base import ContentFile

    digest = sha256.hexdigest()
    path = default_storage.save(
        f"packages/{enterprise_id}/{digest}.bin", ContentFile(b"".join(chunks))
    )
    package: FirmwarePackage = FirmwarePackage.objects.create(
        enterprise_id=enterprise_id,
        name=name[:100],
        version=version[:60],
        file=path,
        byte_size=size,
        md5=md5.hexdigest(),
        sha256=digest,
        notes=notes[:255],
        uploaded_by=actor.label[:150],
    )
    record(
        "devices.package.uploaded",
        actor=actor,
        enterprise_id=enterprise_id,
        obj=package,
        after={"name": package.name, "version": package.version, "size": size},
    )
    return package


@transaction.atomic
def delete_package(package: FirmwarePackage, *, actor: Actor) -> None:
    if DeviceCommand.objects.filter(
        operation="firmware.upgrade",
        arguments__package_id=package.pk,
        state__in=DeviceCommand.OPEN_STATES,
    ).exists():
        raise ServiceError(_("Devices are still being upgraded with this package."))
    record(
        "devices.package.deleted",
        actor=actor,
        enterprise_id=package.enterprise_id,
        obj=package,
        before={"name": package.name, "version": package.version},
    )
    path = package.file.name or ""
    package.delete()
    if not FirmwarePackage.objects.filter(file=path).exists():
        transaction.on_commit(lambda: default_storage.delete(path))


def upgrade(
    devices: Sequence[Device], package: FirmwarePackage, *, actor: Actor
) -> list[DeviceCommand]:
    for device in devices:
        if device.enterprise_id != package.enterprise_id:
            raise PermissionDenied(_("That belongs to another enterprise."))
    return run_operation(
        devices,
        "firmware.upgrade",
        {"package_id": package.pk, "version": package.version},
        actor=actor,
    )

"""Storing what devices report (DESIGN rule 7: nothing is lost). Uploads are idempotent on
the keys the protocol gives, written in one transaction, and the driver answers the device
only after this returns, i.e. after commit. New rows are published as dotted events after
commit for the alarm, access and realtime modules."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django_scopes import scope

from gatehouse.core import bulk
from gatehouse.core.events import publish
from gatehouse.devices.groupcommit import GroupCommit
from gatehouse.devices.models import (
    Device,
    DeviceEvent,
    Enrolment,
    EventPhoto,
    Holding,
    OperationLog,
)
from gatehouse.people.models import Person

# Above this many new rows in one upload (a backlog after an outage) subscribers get one
# summary event instead of one event per row.
LIVE_EVENT_LIMIT = 100
_EARLIEST = datetime(2000, 1, 1)  # noqa: DTZ001 - device wall clock, naive by nature


@dataclass(frozen=True)
class EventRow:
    """One record as a device reported it, in Gatehouse's words. `identity` holds what the
    protocol says makes it unique (acc: time and index; att: PIN and time)."""

    local_time: datetime
    identity: str
    event_code: int
    door: int | None = None
    verify_mode: int | None = None
    in_out: int | None = None
    pin: str = ""
    card_number: str = ""
    temperature: Decimal | None = None
    mask: bool | None = None


@dataclass(frozen=True)
class OperationRow:
    local_time: datetime
    operation: int
    administrator: str
    objects: Sequence[str] = ()


@dataclass(frozen=True)
class EnrolmentRow:
    """A credential enrolled on the device: kind user/biodata/biophoto/fingerprint."""

    pin: str
    kind: str
    bio_type: int = 0
    number: int = 0
    index: int = 0
    record: dict[str, Any] = field(default_factory=dict)
    template: str = ""


def dedupe_key(*parts: object) -> int:
    text = "\x1f".join(str(part) for part in parts)
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") & 0x7FFF_FFFF_FFFF_FFFF


def event_key(row: EventRow) -> int:
    """The record's wall-clock second (32 bits) above 31 bits of its identity's hash: unique
    like a plain hash, but a device's new records land at the end of the unique index instead
    of all over it, which keeps a long backlog upload fast."""
    seconds = max(0, int((row.local_time - _EARLIEST).total_seconds())) & 0xFFFF_FFFF
    return (seconds << 31) | (dedupe_key(row.identity) & 0x7FFF_FFFF)


def to_utc(device: Device, local_time: datetime) -> datetime:
    """A device's wall-clock time as an aware UTC time, through the device's zone offset."""
    offset = timedelta(minutes=device.utc_offset_minutes)
    return (local_time - offset).replace(tzinfo=UTC)


def _persons_by_pin(enterprise_id: int, pins: Iterable[str]) -> dict[str, int]:
    wanted = {pin.casefold() for pin in pins if pin and pin != "0"}
    if not wanted:
        return {}
    rows = (
        Person.objects.filter(enterprise_id=enterprise_id)
        .annotate(pin_key=Lower("personnel_id"))
        .filter(pin_key__in=wanted)
        .values_list("pin_key", "pk")
    )
    return dict(rows)


def _temperature(value: Decimal | None) -> int | None:
    if value is None or value <= 0:
        return None  # devices send 0 when there was no reading
    return int((value * 10).to_integral_value())


def _plausible(row_time: datetime) -> bool:
    """An unsynchronised clock sends garbage dates; keep the row but do not trust its year."""
    return row_time >= _EARLIEST


def store_events(device: Device, rows: Sequence[EventRow]) -> int:
    """Store new rows, skip ones already stored; returns how many rows the device may
    forget (all of them, duplicates included: otherwise it re-sends them forever). Returns
    after the rows are committed, together with other devices' concurrent uploads."""
    if not rows or device.enterprise_id is None:
        return len(rows)
    EVENT_COMMITS.submit((device, rows))
    return len(rows)


def _write_events(uploads: Sequence[tuple[Device, Sequence[EventRow]]]) -> None:
    """One transaction for the batch, one set of queries per device in it."""
    by_device: dict[int, tuple[Device, list[EventRow]]] = {}
    for device, rows in uploads:
        by_device.setdefault(device.pk, (device, []))[1].extend(rows)
    with transaction.atomic():
        for device, rows in by_device.values():
            assert device.enterprise_id is not None  # noqa: S101 - checked by store_events
            with scope(enterprise=device.enterprise_id):
                _insert_events(device, device.enterprise_id, rows)


@dataclass(frozen=True)
class _NewEvent:
    """A row ready for the events table (without Django model instances: a backlog upload
    is thousands of rows)."""

    dedupe_key: int
    occurred_at: datetime
    event_code: int
    door: int | None
    verify_mode: int | None
    in_out: int | None
    pin: str
    card_number: str
    person_id: int | None
    temperature_decidegrees: int | None
    mask: bool | None


def _insert_events(device: Device, enterprise_id: int, rows: Sequence[EventRow]) -> None:
    keyed = {event_key(row): row for row in rows}
    persons = _persons_by_pin(enterprise_id, (row.pin for row in keyed.values()))
    values = [
        _NewEvent(
            dedupe_key=key,
            occurred_at=to_utc(device, row.local_time if _plausible(row.local_time) else _EARLIEST),
            event_code=row.event_code,
            door=row.door,
            verify_mode=row.verify_mode,
            in_out=row.in_out,
            pin=row.pin[:20] if row.pin != "0" else "",
            card_number=row.card_number[:20] if row.card_number != "0" else "",
            person_id=persons.get(row.pin.casefold()),
            temperature_decidegrees=_temperature(row.temperature),
            mask=row.mask,
        )
        for key, row in keyed.items()
    ]
    if connection.vendor == "postgresql":
        created = _insert_postgresql(device, enterprise_id, values)
    else:
        created = _insert_orm(device, enterprise_id, values)
    _announce(device, "event", [_event_payload(device, event) for event in created])


_COLUMNS = (
    "enterprise_id", "device_id", "utc_offset_minutes", "dedupe_key", "occurred_at",
    "event_code", "door", "verify_mode", "in_out", "pin", "card_number", "person_id",
    "temperature_decidegrees", "mask",
)  # fmt: skip


def _insert_postgresql(
    device: Device, enterprise_id: int, values: list[_NewEvent]
) -> list[_NewEvent]:
    """One insert for the whole upload: duplicates skipped by the unique key, the keys of
    the rows actually inserted back."""
    rows = [
        (
            enterprise_id, device.pk, device.utc_offset_minutes,
            *(getattr(value, name) for name in _COLUMNS[3:]),
        )
        for value in values
    ]  # fmt: skip
    inserted = bulk.insert_rows(
        DeviceEvent._meta.db_table,
        bulk.model_columns(DeviceEvent, _COLUMNS),
        rows,
        "ON CONFLICT (device_id, dedupe_key) DO NOTHING RETURNING dedupe_key",
    )
    keys = {key for (key,) in inserted}
    return [value for value in values if value.dedupe_key in keys]


def _insert_orm(device: Device, enterprise_id: int, values: list[_NewEvent]) -> list[_NewEvent]:
    existing = set(
        DeviceEvent.objects.filter(
            device=device, dedupe_key__in=[value.dedupe_key for value in values]
        ).values_list("dedupe_key", flat=True)
    )
    fresh = [value for value in values if value.dedupe_key not in existing]
    DeviceEvent.objects.bulk_create(
        [
            DeviceEvent(
                enterprise_id=enterprise_id,
                device=device,
                utc_offset_minutes=device.utc_offset_minutes,
                **{name: getattr(value, name) for name in _COLUMNS[3:]},
            )
            for value in fresh
        ],
        ignore_conflicts=True,
    )
    return fresh


EVENT_COMMITS: GroupCommit[tuple[Device, Sequence[EventRow]]] = GroupCommit(_write_events)


def _announce(device: Device, what: str, payloads: list[dict[str, Any]]) -> None:
    """`devices.<what>.received` per row, or one `devices.<what>.backlog_received` with the
    count when a device catches up on many rows at once."""
    group_path = device.group.path if device.group else ""
    if len(payloads) > LIVE_EVENT_LIMIT:
        publish(
            f"devices.{what}.backlog_received",
            enterprise_id=device.enterprise_id,
            group_path=group_path,
            payload={"device_id": device.pk, "count": len(payloads)},
        )
        return
    for payload in payloads:
        publish(
            f"devices.{what}.received",
            enterprise_id=device.enterprise_id,
            group_path=group_path,
            payload={"device_id": device.pk, **payload},
        )


def _event_payload(device: Device, event: _NewEvent) -> dict[str, Any]:
    temperature = event.temperature_decidegrees
    local_time = event.occurred_at + timedelta(minutes=device.utc_offset_minutes)
    return {
        "device": str(device),
        "event_code": event.event_code,
        "occurred_at": event.occurred_at.isoformat(),
        "local_time": local_time.replace(tzinfo=None).isoformat(),
        "door": event.door,
        "pin": event.pin,
        "person_id": event.person_id,
        "verify_mode": event.verify_mode,
        "temperature": None if temperature is None else temperature / 10,
        "mask": event.mask,
    }


def store_door_states(device: Device, states: dict[str, Any]) -> None:
    """The latest door, relay and alarm state (rtstate); published only when it changed."""
    if device.enterprise_id is None or states == device.door_states:
        return
    with transaction.atomic():
        Device.objects.filter(pk=device.pk).update(door_states=states)
        device.door_states = states
        publish(
            "devices.door.state_changed",
            enterprise_id=device.enterprise_id,
            group_path=device.group.path if device.group else "",
            payload={"device_id": device.pk, "states": states},
        )


def store_operation_logs(device: Device, rows: Sequence[OperationRow]) -> int:
    if not rows or device.enterprise_id is None:
        return len(rows)
    logs = [
        OperationLog(
            enterprise_id=device.enterprise_id,
            device=device,
            occurred_at=to_utc(device, row.local_time),
            operation=row.operation,
            administrator=row.administrator[:40],
            objects_text=" ".join(row.objects)[:255],
            dedupe_key=dedupe_key(
                row.local_time.isoformat(), row.operation, row.administrator, *row.objects
            ),
        )
        for row in rows
    ]
    with transaction.atomic():
        OperationLog.objects.bulk_create(logs, ignore_conflicts=True)
    return len(rows)


def store_enrolments(device: Device, rows: Sequence[EnrolmentRow]) -> int:
    """Keep the device's copy of credentials enrolled on it; the device already holds them,
    so the matching holdings count as confirmed (nothing is sent back to it). Written in bulk:
    a device that extracted templates from synced photos uploads thousands at once."""
    if not rows or device.enterprise_id is None:
        return len(rows)
    enterprise_id = device.enterprise_id
    persons = _persons_by_pin(enterprise_id, (row.pin for row in rows))
    now = timezone.now()
    unique = {(row.pin[:20], row.kind, row.bio_type, row.number, row.index): row for row in rows}
    enrolments = [
        Enrolment(
            enterprise_id=enterprise_id,
            device=device,
            person_id=persons.get(row.pin.casefold()),
            pin=row.pin[:20],
            kind=row.kind,
            bio_type=row.bio_type,
            number=row.number,
            index=row.index,
            record=row.record,
            template=row.template,
            received_at=now,
        )
        for row in unique.values()
    ]
    holdings = [
        Holding(
            enterprise_id=enterprise_id,
            device=device,
            kind="biodata",
            key=f"{row.pin}:{row.bio_type}:{row.number}:{row.index}",
            person_id=persons.get(row.pin.casefold()),
            digest="device",
            state=Holding.State.CONFIRMED,
            updated_at=now,
        )
        for row in unique.values()
        if row.kind == "biodata"
    ]
    with transaction.atomic():
        Enrolment.objects.bulk_create(
            enrolments,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["device", "pin", "kind", "bio_type", "number", "index"],
            update_fields=["enterprise", "person", "record", "template", "received_at"],
        )
        Holding.objects.bulk_create(
            holdings,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["device", "kind", "key"],
            update_fields=["person", "digest", "state", "reason", "updated_at"],
        )
        _announce(
            device,
            "enrolment",
            [{"pin": e.pin, "kind": e.kind, "person_id": e.person_id} for e in enrolments],
        )
    return len(rows)


def store_snapshot(
    device: Device, *, pin: str, local_time: datetime, jpeg: bytes, name: str
) -> None:
    """A verification snapshot (ATTPHOTO); stored once per device and file name."""
    if device.enterprise_id is None:
        return
    key = dedupe_key(name)
    if EventPhoto.objects.filter(device=device, dedupe_key=key).exists():
        return
    path = default_storage.save(
        f"snapshots/{device.enterprise_id}/{device.pk}/{local_time:%Y/%m/%d}/{key:x}.jpg",
        ContentFile(jpeg),
    )
    with transaction.atomic():
        EventPhoto.objects.get_or_create(
            device=device,
            dedupe_key=key,
            defaults={
                "enterprise_id": device.enterprise_id,
                "taken_at": to_utc(device, local_time),
                "pin": pin[:20],
                "file": path,
                "byte_size": len(jpeg),
            },
        )

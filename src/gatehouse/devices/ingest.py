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
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from gatehouse.core.events import publish
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
    forget (all of them, duplicates included: otherwise it re-sends them forever)."""
    if not rows or device.enterprise_id is None:
        return len(rows)
    enterprise_id = device.enterprise_id
    with transaction.atomic():
        keyed = {dedupe_key(row.identity): row for row in rows}
        existing = set(
            DeviceEvent.objects.filter(device=device, dedupe_key__in=list(keyed)).values_list(
                "dedupe_key", flat=True
            )
        )
        fresh = {key: row for key, row in keyed.items() if key not in existing}
        persons = _persons_by_pin(enterprise_id, (row.pin for row in fresh.values()))
        events = [
            DeviceEvent(
                enterprise_id=enterprise_id,
                device=device,
                occurred_at=to_utc(
                    device, row.local_time if _plausible(row.local_time) else _EARLIEST
                ),
                utc_offset_minutes=device.utc_offset_minutes,
                dedupe_key=key,
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
            for key, row in fresh.items()
        ]
        created = DeviceEvent.objects.bulk_create(events, ignore_conflicts=True)
        _announce(device, created)
    return len(rows)


def _announce(device: Device, events: list[DeviceEvent]) -> None:
    group_path = device.group.path if device.group else ""
    if len(events) > LIVE_EVENT_LIMIT:
        publish(
            "devices.event.backlog_received",
            enterprise_id=device.enterprise_id,
            group_path=group_path,
            payload={"device_id": device.pk, "count": len(events)},
        )
        return
    for event in events:
        publish(
            "devices.event.received",
            enterprise_id=device.enterprise_id,
            group_path=group_path,
            payload={
                "device_id": device.pk,
                "device": str(device),
                "event_code": event.event_code,
                "occurred_at": event.occurred_at.isoformat(),
                "local_time": event.local_time.isoformat(),
                "door": event.door,
                "pin": event.pin,
                "person_id": event.person_id,
                "verify_mode": event.verify_mode,
                "temperature": event.temperature,
                "mask": event.mask,
            },
        )


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
    so the matching holdings count as confirmed (nothing is sent back to it)."""
    if not rows or device.enterprise_id is None:
        return len(rows)
    enterprise_id = device.enterprise_id
    persons = _persons_by_pin(enterprise_id, (row.pin for row in rows))
    now = timezone.now()
    with transaction.atomic():
        for row in rows:
            person_id = persons.get(row.pin.casefold())
            Enrolment.objects.update_or_create(
                device=device,
                pin=row.pin[:20],
                kind=row.kind,
                bio_type=row.bio_type,
                number=row.number,
                index=row.index,
                defaults={
                    "enterprise_id": enterprise_id,
                    "person_id": person_id,
                    "record": row.record,
                    "template": row.template,
                    "received_at": now,
                },
            )
            if row.kind == "biodata":
                key = f"{row.pin}:{row.bio_type}:{row.number}:{row.index}"
                Holding.objects.update_or_create(
                    device=device,
                    kind="biodata",
                    key=key,
                    defaults={
                        "enterprise_id": enterprise_id,
                        "person_id": person_id,
                        "digest": "device",
                        "state": Holding.State.CONFIRMED,
                        "reason": "",
                        "updated_at": now,
                    },
                )
            publish(
                "devices.enrolment.received",
                enterprise_id=enterprise_id,
                group_path=device.group.path if device.group else "",
                payload={
                    "device_id": device.pk,
                    "pin": row.pin,
                    "kind": row.kind,
                    "person_id": person_id,
                },
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

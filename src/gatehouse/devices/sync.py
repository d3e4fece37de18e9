"""Desired-state sync (DESIGN rule 6): what a device should hold is computed from the
database, diffed against what it confirmed (`Holding` rows) and only the difference is
queued, in the order devices need (time zones, then persons, then their access rights, then
credentials; removals the other way round). Re-running it queues nothing new.

Until the access module adds grants, a device holds everyone (employees and visitors) of
its user group and the groups below it, allowed through all its doors at all times."""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import DatabaseError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gatehouse.core import bulk
from gatehouse.core.actors import Actor
from gatehouse.devices import commands, drivers
from gatehouse.devices.caches import SharedCache
from gatehouse.devices.commands import CommandSpec
from gatehouse.devices.models import Device, DeviceCommand, Enrolment, Holding, SyncRequest
from gatehouse.people.models import Category, Person

# Order in which a device must receive items; removals run in reverse.
KIND_ORDER = ("timezone", "user", "authorization", "face", "biodata")
ALL_DAY_TIMEZONE = 1
DERIVED_FROM_PHOTO = (9,)  # biometric type index 9: visible-light face (reference §2.14.5)
SYNC_ACTOR = Actor.system("sync")
logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Item:
    kind: str
    key: str
    record: Mapping[str, Any]
    person_id: int | None = None
    digest: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        # computed once: the same items are diffed against every device of a group
        text = json.dumps(self.record, sort_keys=True, default=str)
        digest = hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()
        object.__setattr__(self, "digest", digest)


def synced_persons(device: Device) -> QuerySet[Person]:
    """Who the device should know (until access grants: everyone in its group subtree)."""
    if device.enterprise_id is None or device.group is None:
        return Person.objects.none()
    return Person.objects.filter(
        enterprise_id=device.enterprise_id,
        group__path__startswith=device.group.path,
        category__in=(Category.EMPLOYEE, Category.VISITOR),
    )


# The person columns a device's items are made from. On PostgreSQL a digest of exactly these
# columns tells whether items computed for another device of the group still apply.
PERSON_COLUMNS = (
    "pk", "personnel_id", "first_name", "last_name", "card_number", "device_pin",
    "valid_from", "valid_until", "is_enabled", "photo_id", "photo__sha256", "photo__byte_size",
)  # fmt: skip


def _person_items(row: tuple[Any, ...], kinds: frozenset[str], doors: int) -> list[Item]:
    (pk, pin, first, last, card, device_pin, valid_from, valid_until, enabled,
     photo_id, photo_sha256, photo_size) = row  # fmt: skip
    items = [
        Item(
            "user",
            pin,
            {
                "pin": pin,
                "name": Person.join_name(first, last),
                "card": card,
                "password": device_pin,
                "start": valid_from.isoformat() if valid_from else None,
                "end": valid_until.isoformat() if valid_until else None,
                "disabled": not enabled,
            },
            pk,
        )
    ]
    if "authorization" in kinds:
        items.append(
            Item(
                "authorization",
                pin,
                {"pin": pin, "timezone": ALL_DAY_TIMEZONE, "doors": list(range(1, doors + 1))},
                pk,
            )
        )
    if "face" in kinds and photo_id is not None:
        record = {"pin": pin, "photo_id": photo_id, "sha256": photo_sha256, "size": photo_size}
        items.append(Item("face", pin, record, pk))
    return items


def _persons_fingerprint(persons: QuerySet[Person]) -> str | None:
    """A digest, computed by PostgreSQL, of the person columns items are made from (None
    elsewhere: then nothing is shared)."""
    if connection.vendor != "postgresql":
        return None
    sql, params = persons.values_list(*PERSON_COLUMNS).order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), md5(string_agg(row_text, ',' ORDER BY row_text)) "  # noqa: S608
            f"FROM (SELECT person_row::text AS row_text FROM ({sql}) person_row) texts",
            params,
        )
        count, digest = cursor.fetchone()
    return f"{count}:{digest}"


# Person items by (enterprise, group path, item kinds, doors) with the fingerprint they were
# made at: the devices of a group reconcile one after another with the same answer.
_SHARED_ITEMS: SharedCache[tuple[Any, ...], tuple[str, list[Item]]] = SharedCache(
    60_000, lambda entry: len(entry[1]) + 1
)


def _items_of_persons(
    persons: QuerySet[Person],
    key: tuple[Any, ...] | None,
    fingerprint: str | None,
    kinds: frozenset[str],
    doors: int,
) -> list[Item]:
    if key is not None and fingerprint is not None:
        cached = _SHARED_ITEMS.get(key)
        if cached is not None and cached[0] == fingerprint:
            return cached[1]
    rows = persons.values_list(*PERSON_COLUMNS).order_by("pk")
    items: list[Item] = []
    # a whole group in chunks (a server-side cursor); a few persons in one fetch
    for row in rows.iterator(chunk_size=2000) if key is not None else rows:
        items += _person_items(row, kinds, doors)
    if key is not None and fingerprint is not None:
        _SHARED_ITEMS.put(key, (fingerprint, items))
    return items


@dataclass(frozen=True)
class _GroupItems:
    """What every device of a group with the same capabilities should hold of some persons:
    their items, and the templates to pass on with the device each was enrolled at (a device
    is not sent its own)."""

    persons: list[Item]
    templates: list[tuple[int | None, Item]]
    version: str | None = None  # the persons' fingerprint, when they are the whole group


def _group_items(
    device: Device, ids: list[int] | None, kinds: frozenset[str], doors: int
) -> _GroupItems:
    persons = synced_persons(device)
    shared_key = None
    if ids is not None:
        persons = persons.filter(pk__in=ids)
    elif device.group is not None:
        shared_key = (device.enterprise_id, device.group.path, kinds, doors)
    templates: list[tuple[int | None, Item]] = []
    if "biodata" in kinds:
        # visible-light face templates are extracted by each device from the synced photo:
        # only templates that cannot be derived (fingerprints, NIR faces, veins ...) travel
        enrolments = Enrolment.objects.filter(
            enterprise_id=device.enterprise_id,
            kind="biodata",
            person_id__in=persons.values("pk"),
        ).exclude(bio_type__in=DERIVED_FROM_PHOTO)
        for enrolment in enrolments.order_by("received_at"):
            key = f"{enrolment.pin}:{enrolment.bio_type}:{enrolment.number}:{enrolment.index}"
            record = {
                **enrolment.record,
                "template": enrolment.template,
                "pin": enrolment.pin,
                "bio_type": enrolment.bio_type,
                "number": enrolment.number,
                "index": enrolment.index,
            }
            item = Item("biodata", key, record, enrolment.person_id)
            templates.append((enrolment.device_id, item))
    fingerprint = _persons_fingerprint(persons) if shared_key is not None else None
    items = _items_of_persons(persons, shared_key, fingerprint, kinds, doors)
    version = None if fingerprint is None else f"{device.group_id}:{fingerprint}"
    return _GroupItems(items, templates, version)


def _group_of(
    device: Device, ids: list[int] | None, memo: dict[tuple[Any, ...], _GroupItems] | None
) -> tuple[drivers.Capabilities, _GroupItems]:
    capabilities = drivers.for_device(device).capabilities(device)
    kinds = capabilities.item_kinds
    doors = max(capabilities.doors, 1)
    group_path = device.group.path if device.group is not None else None
    key = (device.enterprise_id, group_path, kinds, doors, None if ids is None else tuple(ids))
    group = memo.get(key) if memo is not None else None
    if group is None:
        group = _group_items(device, ids, kinds, doors)
        if memo is not None:
            memo[key] = group
    return capabilities, group


def desired_items(
    device: Device,
    person_ids: Iterable[int] | None = None,
    *,
    memo: dict[tuple[Any, ...], _GroupItems] | None = None,
) -> dict[tuple[str, str], Item]:
    """What the device should hold (of `person_ids`, or of everyone). `memo` shares the
    answer between devices of one group and capabilities within one reconcile."""
    ids = None if person_ids is None else sorted(set(person_ids))
    capabilities, group = _group_of(device, ids, memo)
    items: dict[tuple[str, str], Item] = {}
    if ids is None and "timezone" in capabilities.item_kinds:
        items["timezone", str(ALL_DAY_TIMEZONE)] = Item(
            "timezone", str(ALL_DAY_TIMEZONE), {"id": ALL_DAY_TIMEZONE, "all_day": True}
        )
    for item in group.persons:
        items[item.kind, item.key] = item
    for enrolled_at, item in group.templates:
        if enrolled_at != device.pk:
            items[item.kind, item.key] = item
    return items


def _holdings(device_ids: list[int], person_ids: list[int] | None) -> QuerySet[Holding]:
    holdings = Holding.objects.filter(device_id__in=device_ids)
    if person_ids is not None:
        # the persons asked about, plus rows whose person was deleted meanwhile
        holdings = holdings.filter(Q(person_id__in=person_ids) | Q(person__isnull=True)).exclude(
            kind="timezone"
        )
    return holdings


def _batches(rows: list[T], limit: int) -> Iterable[list[T]]:
    size = max(limit, 1)
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _batches_within(items: list[Item], limit: int, budget: int) -> Iterable[list[Item]]:
    """At most `limit` records and about `budget` bytes of content per command (a face
    photo's record carries its size; one record always fits)."""
    batch: list[Item] = []
    used = 0
    for item in items:
        size = int(item.record.get("size", 0)) * 4 // 3 + 256
        if batch and (len(batch) >= max(limit, 1) or used + size > budget):
            yield batch
            batch, used = [], 0
        batch.append(item)
        used += size
    if batch:
        yield batch


def _batch_digest(operation: str, items: list[Item]) -> str:
    """Names a batch by its content: devices that need the same batch share one payload."""
    text = "\n".join([operation, *(f"{i.kind}:{i.key}:{i.digest}" for i in items)])
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


@dataclass
class _Plan:
    """What a reconcile will do: items to send (by kind), items the device cannot take
    (with the reason), holdings to take back (by kind)."""

    put: dict[str, list[Item]] = field(default_factory=dict)
    refused: list[tuple[Item, str]] = field(default_factory=list)
    remove: dict[str, list[Holding]] = field(default_factory=dict)
    forget: list[int] = field(default_factory=list)


def _plan(
    device: Device, desired: dict[tuple[str, str], Item], current: dict[tuple[str, str], Holding]
) -> _Plan:
    driver = drivers.for_device(device)
    plan = _Plan()
    for pair, item in desired.items():
        holding = current.get(pair)
        if (
            holding is not None
            and holding.digest == item.digest
            and holding.state != Holding.State.REMOVING
        ):
            continue  # on the device, on its way, or failed (waits for a re-push)
        problem = driver.item_problem(device, item.kind, item.record)
        if problem:
            plan.refused.append((item, problem))
        else:
            plan.put.setdefault(item.kind, []).append(item)
    for pair, holding in current.items():
        if pair in desired or holding.state == Holding.State.REMOVING:
            continue
        if holding.state == Holding.State.FAILED and holding.command_id is None:
            plan.forget.append(holding.pk)  # never reached the device: nothing to take back
        else:
            plan.remove.setdefault(holding.kind, []).append(holding)
    return plan


@transaction.atomic
def reconcile(device: Device, person_ids: Iterable[int] | None = None) -> int:
    """Queue what the device lacks and the removal of what it should no longer hold.
    Returns the number of commands queued. `person_ids` limits the work to those persons
    (a change to one person costs one person's diff, not the whole group's)."""
    return reconcile_many([device], person_ids).get(device.pk, 0)


@dataclass
class _Order:
    """A device's part of a reconcile: its commands, and the holdings each one moves."""

    device: Device
    specs: list[CommandSpec] = field(default_factory=list)
    removals: list[list[Holding]] = field(default_factory=list)
    puts: list[list[Item]] = field(default_factory=list)


def _order(device: Device, plan: _Plan, shared: bool) -> _Order:
    driver = drivers.for_device(device)
    order = _Order(device)
    for kind in reversed(KIND_ORDER):
        operation = f"{kind}.remove"
        for holdings in _batches(plan.remove.get(kind, []), driver.batch_limit(device, operation)):
            order.specs.append(
                CommandSpec(operation, {"keys": [h.key for h in holdings]}, is_sync=True)
            )
            order.removals.append(holdings)
    for kind in KIND_ORDER:
        operation = f"{kind}.put"
        limit = driver.batch_limit(device, operation)
        for items in _batches_within(plan.put.get(kind, []), limit, driver.batch_bytes(device)):
            order.specs.append(
                CommandSpec(
                    operation,
                    {"records": [i.record for i in items]},
                    is_sync=True,
                    content_digest=_batch_digest(operation, items) if shared else "",
                )
            )
            order.puts.append(items)
    return order


# The commands of a device's first full sync by what decides them (see _first_sync_key): the
# devices of a group, installed together, would each plan the same thousands of items.
_FIRST_SYNCS: SharedCache[
    tuple[Any, ...], tuple[list[CommandSpec], list[list[Item]], list[tuple[Item, str]]]
] = SharedCache(60_000, lambda entry: sum(len(items) for items in entry[1]) + 1)


def _first_sync_key(
    device: Device,
    ids: list[int] | None,
    current: Mapping[tuple[str, str], Holding],
    memo: dict[tuple[Any, ...], _GroupItems],
) -> tuple[Any, ...] | None:
    """What a full sync of a device that holds nothing depends on: the group's persons (their
    fingerprint), the templates it would get, its capabilities (what it refuses) and how its
    driver batches. None when the plan cannot be shared."""
    if ids is not None or current:
        return None
    capabilities, group = _group_of(device, ids, memo)
    if group.version is None:
        return None
    driver = drivers.for_device(device)
    templates = tuple(item.digest for at, item in group.templates if at != device.pk)
    return (
        device.enterprise_id, device.driver, device.dialect, capabilities,
        driver.batch_bytes(device), group.version, templates,
    )  # fmt: skip


@transaction.atomic
def reconcile_many(
    devices: list[Device], person_ids: Iterable[int] | None = None
) -> dict[int, int]:
    """`reconcile` for several devices, with the queries shared: one for the holdings of
    all of them, one per group for the items, a few for all commands and holdings. Returns
    the commands queued per device id.

    A full reconcile stores its batches as shared payloads (the group's other devices need
    the same ones); a few persons' batches stay with their command, so that the devices of
    a group do not queue behind one another's uncommitted insert of the same payload."""
    devices = [device for device in devices if device.enterprise_id is not None]
    if not devices:
        return {}
    ids = None if person_ids is None else sorted(set(person_ids))
    current: dict[int, dict[tuple[str, str], Holding]] = {device.pk: {} for device in devices}
    for holding in _holdings(list(current), ids):
        current[holding.device_id][holding.kind, holding.key] = holding
    memo: dict[tuple[Any, ...], _GroupItems] = {}
    orders: list[_Order] = []
    refused: list[tuple[Device, list[tuple[Item, str]]]] = []
    forget: list[int] = []
    for device in devices:
        first_sync = _first_sync_key(device, ids, current[device.pk], memo)
        known = _FIRST_SYNCS.get(first_sync) if first_sync is not None else None
        if known is not None:
            specs, puts, problems = known
            orders.append(_Order(device, specs=specs, puts=puts))
            refused.append((device, problems))
            continue
        plan = _plan(device, desired_items(device, ids, memo=memo), current[device.pk])
        forget += plan.forget
        order = _order(device, plan, shared=ids is None)
        orders.append(order)
        refused.append((device, plan.refused))
        if first_sync is not None:
            _FIRST_SYNCS.put(first_sync, (order.specs, order.puts, plan.refused))
    Holding.objects.filter(pk__in=forget).delete()
    queued = commands.queue_for_devices(
        [(order.device, order.specs) for order in orders], actor=SYNC_ACTOR
    )

    writer = _HoldingWriter(timezone.now())
    for order, device_commands in zip(orders, queued, strict=True):
        removed = len(order.removals)
        for command, holdings in zip(device_commands, order.removals, strict=False):
            # taken back: the rows go once the device answers
            writer.set_many(order.device, holdings, Holding.State.REMOVING, command.pk, None)
        for command, items in zip(device_commands[removed:], order.puts, strict=True):
            writer.set_many(order.device, items, Holding.State.PENDING, command.pk, "")
    for device, problems in refused:
        for item, problem in problems:
            writer.set_many(device, [item], Holding.State.FAILED, None, problem)
    writer.write(current)
    return {order.device.pk: len(q) for order, q in zip(orders, queued, strict=True)}


class _HoldingWriter:
    """Collects holding rows, then writes them in bulk: a first sync of 10,000 persons is
    30,000 rows per device. On PostgreSQL one upsert, without model instances; elsewhere
    bulk inserts and updates. Rows are kept as the tuples the upsert takes."""

    FIELDS = ("person_id", "digest", "state", "command_id", "reason", "updated_at")
    COLUMNS = ("enterprise_id", "device_id", "kind", "key", *FIELDS)

    def __init__(self, now: Any) -> None:
        self.now = now
        self.rows: dict[tuple[int, str, str], tuple[Any, ...]] = {}

    def set_many(
        self,
        device: Device,
        items: Iterable[Item | Holding],
        state: str,
        command_id: int | None,
        reason: str | None,
    ) -> None:
        """Rows for `items` in `state`; `reason` None keeps a holding's own reason."""
        rows, now, head = self.rows, self.now, (device.enterprise_id, device.pk)
        for item in items:
            why = item.reason if reason is None and isinstance(item, Holding) else reason or ""
            rows[device.pk, item.kind, item.key] = (
                *head, item.kind, item.key, item.person_id, item.digest,
                state, command_id, why[:255], now,
            )  # fmt: skip

    def write(self, current: Mapping[int, Mapping[tuple[str, str], Holding]]) -> None:
        if not self.rows:
            return
        if connection.vendor == "postgresql":
            updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in self.FIELDS)
            bulk.insert_rows(
                Holding._meta.db_table,
                bulk.model_columns(Holding, self.COLUMNS),
                list(self.rows.values()),
                f"ON CONFLICT (device_id, kind, key) DO UPDATE SET {updates}",
            )
            return
        new: list[Holding] = []
        updated: list[Holding] = []
        for (device_id, kind, key), row in self.rows.items():
            existing = current.get(device_id, {}).get((kind, key))
            if existing is not None:
                holding = existing
                updated.append(holding)
            else:
                holding = Holding(enterprise_id=row[0], device_id=device_id, kind=kind, key=key)
                new.append(holding)
            for name, value in zip(self.FIELDS, row[4:], strict=True):
                setattr(holding, name, value)
        Holding.objects.bulk_create(new, batch_size=2000)
        Holding.objects.bulk_update(
            updated, [f.removesuffix("_id") for f in self.FIELDS], batch_size=2000
        )


def commands_done(device_id: int, done: list[tuple[int, str]]) -> None:
    """Successful sync commands (primary key, operation) of a device: what they sent is on
    the device, what they removed is gone.

    The rows are looked up by device and state first: a list of command ids alone, on a
    table of millions whose statistics lag behind a sync (or an autovacuum that is off),
    makes PostgreSQL scan the whole table for every answer."""
    removed = [pk for pk, operation in done if operation.endswith(".remove")]
    sent = [pk for pk, operation in done if not operation.endswith(".remove")]
    mine = Holding.objects.filter(device_id=device_id)
    if removed:
        mine.filter(state=Holding.State.REMOVING, command_id__in=removed).delete()
    if sent:
        mine.filter(state=Holding.State.PENDING, command_id__in=sent).update(
            state=Holding.State.CONFIRMED, reason="", updated_at=timezone.now()
        )


def command_finished(command: DeviceCommand) -> None:
    """Move the command's holdings on: confirmed, removed, or failed with the reason. A
    failed batch is split into single records so the failure table names the culprit."""
    if not command.is_sync:
        return
    holdings = list(Holding.objects.filter(command=command))
    if not holdings:
        return
    now = timezone.now()
    removing = command.operation.endswith(".remove")
    if command.state == DeviceCommand.State.DONE:
        if removing:
            Holding.objects.filter(pk__in=[h.pk for h in holdings]).delete()
        else:
            Holding.objects.filter(pk__in=[h.pk for h in holdings]).update(
                state=Holding.State.CONFIRMED, reason="", updated_at=now
            )
        return
    message = str(command.result.get("message", "")) or _("The device refused the command.")
    arguments = commands.arguments_of(command)
    records = arguments.get("records") or arguments.get("keys") or []
    if len(records) > 1 and command.return_code is not None:
        _split(command, holdings, records)
        return
    Holding.objects.filter(pk__in=[h.pk for h in holdings]).update(
        state=Holding.State.FAILED, reason=message[:255], updated_at=now
    )


def _split(command: DeviceCommand, holdings: list[Holding], records: list[Any]) -> None:
    kind = command.operation.rsplit(".", 1)[0]
    by_key = {h.key: h for h in holdings}
    specs: list[CommandSpec] = []
    keys: list[str] = []
    for record in records:
        key = record if isinstance(record, str) else _record_key(kind, record)
        if key not in by_key:
            continue
        argument = {"keys": [key]} if isinstance(record, str) else {"records": [record]}
        specs.append(CommandSpec(command.operation, argument, is_sync=True))
        keys.append(key)
    singles = commands.queue_many(command.device, specs, actor=SYNC_ACTOR)
    for key, single in zip(keys, singles, strict=True):
        Holding.objects.filter(pk=by_key[key].pk).update(command=single)


def _record_key(kind: str, record: Mapping[str, Any]) -> str:
    if kind == "timezone":
        return str(record["id"])
    if kind == "biodata":
        return f"{record['pin']}:{record['bio_type']}:{record['number']}:{record['index']}"
    return str(record["pin"])


@transaction.atomic
def repush_failures(device: Device) -> int:
    """Send every failed item again (5.2.1: fix the cause, then re-push)."""
    failed = Holding.objects.filter(device=device, state=Holding.State.FAILED)
    failed.update(digest="")
    return reconcile(device)


def request(device_ids: Iterable[int], person_ids: Iterable[int] | None) -> None:
    """Ask for a reconcile at each device's next poll (None: of everyone)."""
    device_ids = sorted(set(device_ids))
    person_ids = None if person_ids is None else list(person_ids)
    rows = [
        SyncRequest(device_id=device_id, person_id=person_id)
        for device_id in device_ids
        for person_id in ([None] if person_ids is None else person_ids)
    ]
    SyncRequest.objects.bulk_create(rows)
    transaction.on_commit(functools.partial(commands.signal_work_many, device_ids))


def group_turn_key(device: Device) -> int:
    """The advisory lock number of the device's group (a rare clash only delays a sync)."""
    name = f"devices.sync:{device.enterprise_id}:{device.group_id}".encode()
    return int.from_bytes(hashlib.blake2b(name, digest_size=8).digest(), "big", signed=True)


def _take_group_turn(device: Device) -> bool:
    """Whether this device may run a full reconcile now. The devices of a group all need one
    at the same moment (approved together, a bulk import); one at a time, the second finds
    the items and payloads the first computed and stored instead of computing them in
    parallel. The turn lasts until the poll's transaction ends (PostgreSQL only)."""
    if connection.vendor != "postgresql" or device.group_id is None:
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [group_turn_key(device)])
        (taken,) = cursor.fetchone()
    return bool(taken)


# A device that finds its group's turn taken is not told to look again at every poll (a
# hundred devices would each run a full poll a second while they wait): the device whose
# turn ends calls the next ones in line, and TURN_RECHECK bounds the wait should that call
# never come (the turn's transaction failed, the called devices went offline).
TURN_RECHECK = 30
# Devices called when a turn ends: the first to poll takes the turn, the others find it taken
# (a wasted poll each); more than one keeps the turn from idling for a whole poll interval.
TURN_CALLS = 3
# How long a turn goes on reconciling the group's other waiting devices after its own: they
# then only collect at their next poll. Without it a thousand devices polling every 5 s
# passed the turn on at about one device per poll interval (first syncs still arriving
# after six minutes; 108 s with it).
TURN_SECONDS = 1.0


@dataclass(frozen=True)
class Requested:
    """What a poll's requested reconcile did: commands queued, and whether a full reconcile
    still waits for its group's turn."""

    queued: int = 0
    waiting: bool = False

    @property
    def recheck(self) -> int:
        """Seconds until an idle device's polls look at the database again."""
        return TURN_RECHECK if self.waiting else commands.IDLE_RECHECK


def run_requested(device: Device) -> Requested:
    """Called at a poll (in its transaction): reconcile what changed since the last one, and
    consume the requests. A full reconcile waits while another device of the group runs one
    (the requests stay; the device is called when the turn ends)."""
    rows = list(SyncRequest.objects.filter(device=device).values_list("pk", "person_id"))
    if not rows:
        return Requested()
    everyone = any(person_id is None for _pk, person_id in rows)
    if everyone and not _take_group_turn(device):
        return Requested(waiting=True)
    began = time.monotonic()
    SyncRequest.objects.filter(pk__in=[pk for pk, _p in rows]).delete()
    if everyone:
        queued = reconcile(device)
        enterprise_id, group_id = device.enterprise_id, device.group_id
        if connection.vendor == "postgresql" and enterprise_id and group_id:
            _reconcile_waiting(device, enterprise_id, group_id, until=began + TURN_SECONDS)
            transaction.on_commit(lambda: _call_next_in_line(device, enterprise_id, group_id))
        return Requested(queued)
    return Requested(reconcile(device, {p for _pk, p in rows if p is not None}))


def _waiting_requests(device: Device, enterprise_id: int, group_id: int) -> QuerySet[SyncRequest]:
    """The full-sync requests of the group's other devices: those waiting for a turn."""
    return SyncRequest.objects.filter(
        person_id__isnull=True,
        device__enterprise_id=enterprise_id,
        device__group_id=group_id,
    ).exclude(device_id=device.pk)


def _reconcile_waiting(device: Device, enterprise_id: int, group_id: int, until: float) -> None:
    """While the turn lasts, run the full reconcile of the group's other devices that wait
    for one (a device in the middle of its own poll is skipped). Their commands are
    signalled when the turn's transaction commits."""
    waiting = _waiting_requests(device, enterprise_id, group_id).values("device_id")
    while time.monotonic() < until:
        other = (
            Device.objects.select_for_update(no_key=True, skip_locked=True, of=("self",))
            .select_related("group")
            .filter(enterprise_id=enterprise_id, pk__in=waiting)
            .order_by("pk")
            .first()
        )
        if other is None:
            return
        SyncRequest.objects.filter(device=other).delete()
        reconcile(other)


def _call_next_in_line(device: Device, enterprise_id: int, group_id: int) -> None:
    """After a full reconcile commits: signal the group's online devices that have waited
    longest for theirs."""
    online = timezone.now() - device.offline_after()
    waiting = (
        _waiting_requests(device, enterprise_id, group_id)
        .filter(device__last_seen_at__gte=online)
        .order_by("created_at", "pk")
        .values_list("device_id", flat=True)
    )
    # a device may have several requests: the first TURN_CALLS distinct ones
    called = list(dict.fromkeys(waiting[: TURN_CALLS * 4]))[:TURN_CALLS]
    commands.signal_work_many(called)


def progress(device: Device) -> dict[str, int]:
    """Per device (5.2.1): items on the device, on their way, failed, and the total."""
    counts = dict.fromkeys(Holding.State.values, 0)
    for state, count in _count_by_state(device):
        counts[state] = count
    total = sum(
        counts[s] for s in (Holding.State.CONFIRMED, Holding.State.PENDING, Holding.State.FAILED)
    )
    return {
        "total": total,
        "done": counts[Holding.State.CONFIRMED],
        "pending": counts[Holding.State.PENDING] + counts[Holding.State.REMOVING],
        "failed": counts[Holding.State.FAILED],
    }


def _count_by_state(device: Device) -> list[tuple[str, int]]:
    from django.db.models import Count

    return list(
        Holding.objects.filter(device=device)
        .values_list("state")
        .annotate(count=Count("pk"))
        .values_list("state", "count")
    )


def _ancestor_paths(group_path: str) -> list[str]:
    """ "/1/4/9/" -> ["/1/", "/1/4/", "/1/4/9/"]: the groups whose devices hold a person there."""
    parts = [part for part in group_path.split("/") if part]
    return ["/" + "/".join(parts[: depth + 1]) + "/" for depth in range(len(parts))]


def person_changed(
    name: str, enterprise_id: int | None, group_path: str, payload: dict[str, Any]
) -> None:
    """Subscriber of `people.*` events: ask the devices that hold (or should hold) the person
    for a reconcile at their next poll. Whole-group when the change was bulk or a deletion."""
    from gatehouse.core.scoping import platform_scope

    if enterprise_id is None or name.split(".")[1] not in {"employee", "visitor", "blacklist"}:
        return
    raw_id = str(payload.get("object_id") or "")
    person_id = int(raw_id) if raw_id.isdigit() else None
    with platform_scope():
        device_ids = set(
            Device.objects.filter(
                enterprise_id=enterprise_id, group__path__in=_ancestor_paths(group_path)
            ).values_list("pk", flat=True)
        )
        if person_id is not None:  # devices of the person's former group (a move, a new category)
            device_ids |= set(
                Holding.objects.filter(person_id=person_id).values_list("device_id", flat=True)
            )
        if not device_ids:
            return
        if payload.get("bulk") or name.endswith(".deleted") or person_id is None:
            request(sorted(device_ids), None)
        else:
            reconcile_person(sorted(device_ids), person_id)


def reconcile_person(device_ids: list[int], person_id: int) -> None:
    """Queue one person's change for all its devices at once, right after the change
    commits: the devices' next polls only collect (the goal is every device within one poll
    interval and a second). A device in the middle of a poll, or a reconcile that fails,
    falls back to a request its next poll runs. A device that waits for its full sync is
    left to it: the person comes with the rest, after the time zones the rights refer to."""
    waiting = set(
        SyncRequest.objects.filter(device_id__in=device_ids, person_id__isnull=True).values_list(
            "device_id", flat=True
        )
    )
    try:
        with transaction.atomic():
            devices = list(
                Device.objects.select_for_update(no_key=True, skip_locked=True, of=("self",))
                .select_related("group")
                .filter(pk__in=set(device_ids) - waiting)
                .order_by("pk")
            )
            reconcile_many(devices, [person_id])
            busy = set(device_ids) - {device.pk for device in devices} - waiting
            if busy:
                request(busy, [person_id])
    except DatabaseError:
        logger.exception("reconciling person %s failed; left to the devices' polls", person_id)
        request(device_ids, [person_id])

"""The command queue: every remote operation is a row with an id the device echoes back,
a state (queued, sent, done, failed, expired, cancelled), attempts and an expiry. Devices
collect commands when they poll; nothing is ever pushed to a device."""

from __future__ import annotations

import asyncio
import functools
import weakref
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from redis import asyncio as aioredis

from gatehouse.core import bulk
from gatehouse.core.actors import Actor
from gatehouse.core.events import publish
from gatehouse.devices import drivers
from gatehouse.devices.caches import SharedCache
from gatehouse.devices.models import CommandPayload, Device, DeviceCommand, Holding

# A sent command that gets no answer within this time goes back to the queue (or fails
# after its last attempt): the device may have rebooted, or given up waiting for a slow reply
# (devices wait TimeoutSec, 10 s). Sending a data command twice is harmless; waiting long is
# not, since nothing newer goes out meanwhile.
ANSWER_TIMEOUT = timedelta(seconds=30)
# Return code meaning "accepted, the final result follows" (sub-devices).
RESULT_FOLLOWS = -5000

OPERATION_LABELS: dict[str, Promise] = {
    "user.put": gettext_lazy("Send persons"),
    "user.remove": gettext_lazy("Remove persons"),
    "authorization.put": gettext_lazy("Send access rights"),
    "authorization.remove": gettext_lazy("Remove access rights"),
    "timezone.put": gettext_lazy("Send time zones"),
    "timezone.remove": gettext_lazy("Remove time zones"),
    "face.put": gettext_lazy("Send face photos"),
    "face.remove": gettext_lazy("Remove face photos"),
    "biodata.put": gettext_lazy("Send biometric templates"),
    "biodata.remove": gettext_lazy("Remove biometric templates"),
    "parameters.set": gettext_lazy("Set parameters"),
    "parameters.get": gettext_lazy("Read parameters"),
    "time.sync": gettext_lazy("Synchronize time"),
    "device.reboot": gettext_lazy("Restart"),
    "device.clear_data": gettext_lazy("Reset (clear data)"),
    "device.clear_records": gettext_lazy("Clear records"),
    "device.refresh": gettext_lazy("Refresh device information"),
    "door.open": gettext_lazy("Open door remotely"),
    "door.close": gettext_lazy("Close door"),
    "door.hold_open": gettext_lazy("Keep door open"),
    "alarm.cancel": gettext_lazy("Cancel alarm"),
    "firmware.upgrade": gettext_lazy("Client upgrade"),
    "face.capture": gettext_lazy("Register face on device"),
    "records.query": gettext_lazy("Fetch stored records"),
    "records.count": gettext_lazy("Count stored records"),
}

# How long an unsent command stays useful. A door opened two hours late is worse than one
# that never opened; a person's record is needed whenever the device comes back.
EXPIRY: dict[str, timedelta] = {
    "door.open": timedelta(minutes=1),
    "door.close": timedelta(minutes=1),
    "door.hold_open": timedelta(minutes=1),
    "alarm.cancel": timedelta(minutes=5),
    "device.reboot": timedelta(hours=1),
    "time.sync": timedelta(hours=1),
    "face.capture": timedelta(minutes=5),
}


def operation_label(operation: str) -> str:
    label = OPERATION_LABELS.get(operation)
    return str(label) if label is not None else operation


@dataclass(frozen=True)
class CommandSpec:
    """One command to queue. With a `content_digest` (sync batches) the arguments are stored
    once per enterprise in a shared payload and every device's command points at it."""

    operation: str
    arguments: Mapping[str, Any] = field(default_factory=dict)
    summary: str = ""
    is_sync: bool = False
    content_digest: str = ""


# Shared payload arguments by payload id, and the text drivers rendered from them by
# (payload id, driver, rendering variant): both never change under their key.
PAYLOAD_ARGUMENTS: SharedCache[int, Mapping[str, Any]] = SharedCache(
    32 * 1024 * 1024, lambda arguments: 256 + 256 * len(arguments.get("records") or ())
)
RENDERED: SharedCache[tuple[int, str, Hashable], str] = SharedCache(64 * 1024 * 1024, len)


def _store_payloads(device: Device, specs: Sequence[CommandSpec]) -> dict[str, int]:
    """Payload ids by content digest, storing the ones the enterprise does not have yet (a
    device syncing the same batch at the same moment inserts it too: conflicts are skipped)."""
    wanted = {spec.content_digest: spec for spec in specs if spec.content_digest}
    if not wanted:
        return {}
    stored = CommandPayload.objects.filter(digest__in=list(wanted)).values_list("digest", "pk")
    ids: dict[str, int] = dict(stored)
    new = [
        CommandPayload(
            enterprise_id=device.enterprise_id or 0,
            digest=digest,
            operation=spec.operation,
            arguments=dict(spec.arguments),
        )
        for digest, spec in wanted.items()
        if digest not in ids
    ]
    if new:
        CommandPayload.objects.bulk_create(new, ignore_conflicts=True)
        ids.update(
            CommandPayload.objects.filter(
                digest__in=[payload.digest for payload in new]
            ).values_list("digest", "pk")
        )
    return ids


def arguments_of(command: DeviceCommand) -> Mapping[str, Any]:
    """A command's arguments, from its shared payload if it has one."""
    if command.payload_id is None:
        return dict(command.arguments)
    return _payload_arguments([command.payload_id])[command.payload_id]


def _payload_arguments(payload_ids: Iterable[int]) -> dict[int, Mapping[str, Any]]:
    found, missing = PAYLOAD_ARGUMENTS.get_many(payload_ids)
    if missing:
        for pk, arguments in CommandPayload.objects.filter(pk__in=missing).values_list(
            "pk", "arguments"
        ):
            found[pk] = arguments
            PAYLOAD_ARGUMENTS.put(pk, arguments)
    return found


def _reserve_ids(counts: Mapping[int, int]) -> dict[int, list[str]]:
    """Command ids unique per device (the protocol allows 16 letters or digits), for several
    devices in one statement: `counts` is how many each device needs."""
    table = Device._meta.db_table
    cases = " ".join("WHEN %s THEN %s" for _ in counts)
    marks = ", ".join("%s" for _ in counts)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET next_command_number = next_command_number "  # noqa: S608
            f"+ CASE id {cases} END WHERE id IN ({marks}) RETURNING id, next_command_number",
            [value for pair in counts.items() for value in pair] + list(counts),
        )
        ends = dict(cursor.fetchall())
    return {
        device_id: [str(number) for number in range(ends[device_id] - count, ends[device_id])]
        for device_id, count in counts.items()
    }


# --- "is there anything for this device?" without the database --------------------------------
# A device polls every few seconds and almost always gets "OK". Queuing work bumps a counter in
# the cache (shared through Redis in production); a poll that found nothing records the counter
# it saw. Until the counter moves, or IDLE_RECHECK passes, a poll needs no query (expiries and
# unanswered commands are also settled by the device watch job every minute). Changes to the
# device itself bump the counter too. The recheck only bounds the delay of a signal that was
# lost (Redis unreachable at that moment): a command still reaches the device then.
IDLE_RECHECK = 300


def _work_key(device_id: int) -> str:
    return f"devices:work:{device_id}"


def _idle_key(device_id: int) -> str:
    return f"devices:idle:{device_id}"


@functools.cache
def _work_cache() -> BaseCache:
    """One cache client for the process. `django.core.cache.cache` is per request context
    under ASGI, so each poll would open a new Redis connection; this one keeps its pool."""
    return caches.create_connection(DEFAULT_CACHE_ALIAS)


def signal_work(device_id: int) -> None:
    """Tell the device's next poll to look (called after commit)."""
    signal_work_many([device_id])


def signal_work_many(device_ids: Iterable[int]) -> None:
    """`signal_work` for several devices; with Redis in one round trip (one changed person
    concerns every device of a group, and the save waits for this)."""
    cache = _work_cache()
    keys = [_work_key(device_id) for device_id in device_ids]
    if isinstance(cache, RedisCache):
        # INCR starts a missing counter at 0, as work_state reads it
        client = cache._cache.get_client(write=True)
        with client.pipeline(transaction=False) as pipeline:
            for key in keys:
                pipeline.incr(cache.make_and_validate_key(key))
            pipeline.execute()
        return
    for key in keys:
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=None)


def work_state(device_id: int) -> tuple[int, bool]:
    """(the work counter now, whether a poll already found nothing at this counter)."""
    values = _work_cache().get_many([_work_key(device_id), _idle_key(device_id)])
    version = int(values.get(_work_key(device_id), 0))
    return version, values.get(_idle_key(device_id)) == version


async def work_state_async(device_id: int) -> tuple[int, bool]:
    """`work_state` for the event loop (the idle-poll fast path): with Redis, through an
    asyncio client instead of a hop to a thread; an in-process cache is read directly."""
    cache = _work_cache()
    if not isinstance(cache, RedisCache):
        return work_state(device_id)
    keys = [
        cache.make_and_validate_key(_work_key(device_id)),
        cache.make_and_validate_key(_idle_key(device_id)),
    ]
    work, idle = await _loop_redis().mget(keys)
    version = int(work) if work is not None else 0
    # Django's Redis cache stores integers as their digits (anything else pickled)
    return version, idle is not None and idle.isdigit() and int(idle) == version


_LOOP_CLIENTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aioredis.Redis] = (
    weakref.WeakKeyDictionary()
)


# Connections of one process's event loop to Redis. The pool waits for a free connection
# rather than failing: a thousand devices reconnecting at once send a thousand polls in the
# same instant, and redis-py's default pool raised "Too many connections" past a hundred.
LOOP_REDIS_CONNECTIONS = 32
LOOP_REDIS_WAIT_SECONDS = 10.0


def _loop_redis() -> aioredis.Redis:
    """One asyncio Redis client per event loop (a client belongs to the loop it runs on)."""
    loop = asyncio.get_running_loop()
    client = _LOOP_CLIENTS.get(loop)
    if client is None:
        location = settings.CACHES[DEFAULT_CACHE_ALIAS]["LOCATION"]
        pool = aioredis.BlockingConnectionPool.from_url(
            str(location).split(",")[0],
            max_connections=LOOP_REDIS_CONNECTIONS,
            timeout=LOOP_REDIS_WAIT_SECONDS,
        )
        client = aioredis.Redis(connection_pool=pool)
        _LOOP_CLIENTS[loop] = client
    return client


def mark_idle(device_id: int, version: int, recheck: int = IDLE_RECHECK) -> None:
    """Polls skip the database until the counter moves or `recheck` seconds pass."""
    _work_cache().set(_idle_key(device_id), version, timeout=recheck)


def queue_many(
    device: Device, specs: Sequence[CommandSpec], *, actor: Actor
) -> list[DeviceCommand]:
    """Queue commands in order (the device runs them first in, first out)."""
    return queue_for_devices([(device, specs)], actor=actor)[0]


def queue_for_devices(
    batches: Sequence[tuple[Device, Sequence[CommandSpec]]], *, actor: Actor
) -> list[list[DeviceCommand]]:
    """`queue_many` for several devices at once, in a few statements for all of them (one
    changed person concerns every device of the group). Returns each batch's commands."""
    wanted = {device.pk: (device, specs) for device, specs in batches if specs}
    if not wanted:
        return [[] for _ in batches]
    if any(device.enterprise_id is None for device, _specs in wanted.values()):
        raise ValueError("a pending device gets no commands")
    now = timezone.now()
    ids = _reserve_ids({pk: len(specs) for pk, (_device, specs) in wanted.items()})
    commands: list[DeviceCommand] = []
    for device, specs in wanted.values():
        payloads = _store_payloads(device, specs)
        commands += [
            DeviceCommand(
                enterprise_id=device.enterprise_id or 0,  # checked above
                device=device,
                command_id=command_id,
                operation=spec.operation,
                arguments={} if spec.content_digest else dict(spec.arguments),
                payload_id=payloads.get(spec.content_digest),
                summary=(spec.summary or operation_label(spec.operation))[:255],
                created_at=now,
                expires_at=now + EXPIRY[spec.operation] if spec.operation in EXPIRY else None,
                actor=actor.label[:150],
                is_sync=spec.is_sync,
            )
            for command_id, spec in zip(ids[device.pk], specs, strict=True)
        ]
    if connection.vendor == "postgresql":
        bulk.create(commands, key=("device_id", "command_id"))  # a first sync queues hundreds
    else:
        commands = DeviceCommand.objects.bulk_create(commands)
    by_device: dict[int, list[DeviceCommand]] = {pk: [] for pk in wanted}
    for command in commands:
        by_device[command.device_id].append(command)
    if not all(command.pk for command in commands):  # SQLite before 3.35 gives no ids back
        for pk in by_device:
            stored = DeviceCommand.objects.filter(device_id=pk, command_id__in=ids[pk])
            by_id = {c.command_id: c for c in stored}
            by_device[pk] = [by_id[command_id] for command_id in ids[pk]]
    device_ids = list(wanted)

    transaction.on_commit(functools.partial(signal_work_many, device_ids))
    return [by_device.get(device.pk, []) for device, _specs in batches]


def queue(
    device: Device,
    operation: str,
    arguments: Mapping[str, Any] | None = None,
    *,
    actor: Actor,
    summary: str = "",
) -> DeviceCommand:
    return queue_many(device, [CommandSpec(operation, arguments or {}, summary)], actor=actor)[0]


def _finish(command: DeviceCommand, state: str, *, code: int | None, message: str) -> None:
    command.state = state
    command.return_code = code
    command.finished_at = timezone.now()
    command.result = {**command.result, "message": message}
    command.save(update_fields=["state", "return_code", "finished_at", "result"])
    from gatehouse.devices import sync

    sync.command_finished(command)
    if not command.is_sync:
        publish(
            f"devices.command.{state}",
            enterprise_id=command.enterprise_id,
            group_path=command.device.group.path if command.device.group else "",
            payload={
                "device_id": command.device_id,
                "command": command.command_id,
                "operation": command.operation,
                "return_code": code,
                "message": message,
            },
        )


def expire_overdue(device: Device, now: Any = None) -> int:
    """Expire queued commands past their expiry; re-queue or fail sent ones nobody answered."""
    now = now or timezone.now()
    count = 0
    requeued = False
    stale = DeviceCommand.objects.filter(device=device).filter(
        Q(state=DeviceCommand.State.QUEUED, expires_at__lt=now)
        | Q(state=DeviceCommand.State.SENT, sent_at__lt=now - ANSWER_TIMEOUT)
    )
    for command in stale.select_related("device__group"):
        count += 1
        if command.state == DeviceCommand.State.QUEUED:
            _finish(
                command,
                DeviceCommand.State.EXPIRED,
                code=None,
                message=_("The device did not collect the command in time."),
            )
        elif command.attempts < command.max_attempts and (
            command.expires_at is None or command.expires_at > now
        ):
            command.state = DeviceCommand.State.QUEUED
            command.save(update_fields=["state"])
            requeued = True
        else:
            _finish(
                command,
                DeviceCommand.State.FAILED,
                code=None,
                message=_("The device did not answer."),
            )
    if requeued:  # the device's polls may have been told the queue was drained
        transaction.on_commit(functools.partial(signal_work, device.pk))
    return count


def _awaiting_answers(device: Device, now: Any) -> bool:
    """Settle overdue commands (one query when, as nearly always, there are none), then
    whether sent commands still await their answer."""
    waiting = DeviceCommand.objects.filter(device=device).filter(
        Q(state=DeviceCommand.State.SENT) | Q(expires_at__lt=now, state=DeviceCommand.State.QUEUED)
    )
    rows = list(waiting.values_list("state", "sent_at"))
    overdue = any(
        state == DeviceCommand.State.QUEUED or (sent_at and sent_at < now - ANSWER_TIMEOUT)
        for state, sent_at in rows
    )
    if overdue:
        expire_overdue(device, now)
        return DeviceCommand.objects.filter(device=device, state=DeviceCommand.State.SENT).exists()
    return bool(rows)


@dataclass(frozen=True)
class Collected:
    """A poll's commands, rendered, and whether the device's queue is empty after them
    (then the device's next polls need not look until new work is signalled)."""

    handed: list[tuple[DeviceCommand, str]]
    drained: bool


def collect(
    device: Device,
    *,
    budget_bytes: int,
    max_commands: int,
    load_photos: drivers.PhotoLoader,
) -> Collected:
    """The commands to hand out on this poll, rendered, marked sent. Stops before the byte
    budget (the device's largest accepted reply) but always hands out at least one.

    Nothing new goes out while earlier commands await their answer: if a reply was lost on
    the way, handing out the next ones would let the device run them first (rights for a
    person it does not have yet). The unanswered ones are sent again after ANSWER_TIMEOUT;
    the queue does not count as drained meanwhile, so the device's polls keep looking."""
    driver = drivers.for_device(device)
    now = timezone.now()
    if _awaiting_answers(device, now):
        return Collected([], drained=False)
    handed: list[tuple[DeviceCommand, str]] = []
    used = 0
    queued = DeviceCommand.objects.filter(device=device, state=DeviceCommand.State.QUEUED)
    # only what rendering needs (a shared payload's text is usually rendered already: its
    # records are not loaded here); a failure's bookkeeping loads the rest. One more than
    # handed out tells whether the queue is drained.
    fields = ("command_id", "operation", "arguments", "payload_id", "is_sync", "device_id")
    batch = list(queued.order_by("id").only(*fields)[: max_commands + 1])
    variant = driver.render_variant(device)
    drained = len(batch) <= max_commands
    for command in batch[:max_commands]:
        command.device = device
        try:
            text = _render(driver, device, command, variant, load_photos)
        except (ValueError, LookupError) as exc:
            _finish(command, DeviceCommand.State.FAILED, code=None, message=str(exc))
            continue
        size = len(text.encode()) + 24
        if handed and used + size > budget_bytes:
            drained = False
            break
        used += size
        handed.append((command, text))
    if handed:
        DeviceCommand.objects.filter(pk__in=[command.pk for command, _text in handed]).update(
            state=DeviceCommand.State.SENT, sent_at=now, attempts=F("attempts") + 1
        )
    return Collected(handed, drained)


def _render(
    driver: drivers.DeviceDriver,
    device: Device,
    command: DeviceCommand,
    variant: Hashable,
    load_photos: drivers.PhotoLoader,
) -> str:
    """The command's wire text; a shared payload is rendered once per driver variant and
    process, not once per device."""
    if command.payload_id is None:
        return driver.render(device, command, load_photos)
    key = (command.payload_id, device.driver, variant)
    text = RENDERED.get(key)
    if text is None:
        command.arguments = dict(arguments_of(command))  # what the driver renders from
        text = driver.render(device, command, load_photos)
        RENDERED.put(key, text)
    return text


@dataclass(frozen=True)
class CommandResult:
    command_id: str
    return_code: int
    details: Mapping[str, str] = field(default_factory=dict)


def record_results(device: Device, results: Iterable[CommandResult]) -> int:
    """Apply the device's answers, all lines of one upload in one transaction. Unknown ids
    (a command from before a database restore, a duplicate answer) are ignored; the device
    only needs its `OK`. Successful sync commands, the bulk of all answers, are settled with
    a few statements for the whole upload."""
    driver = drivers.for_device(device)
    results = list(results)
    now = timezone.now()
    with transaction.atomic():
        applied = _settle_sync_answers(device, results, now)
        settled: list[DeviceCommand] = []
        open_commands: dict[str, DeviceCommand] = {}
        if len(applied) < len(results):  # the rest take the general path
            remaining = DeviceCommand.objects.select_for_update(of=("self",)).filter(
                device=device,
                command_id__in=[result.command_id for result in results],
                state__in=DeviceCommand.OPEN_STATES,
            )
            open_commands = {command.command_id: command for command in remaining}
        for result in results:
            command = open_commands.pop(result.command_id, None)
            if command is None:
                continue
            command.device = device
            if result.details:
                command.result = {**command.result, **result.details}
            if result.return_code == RESULT_FOLLOWS:
                open_commands[result.command_id] = command
                command.save(update_fields=["result"])
                continue
            applied.append(command.pk)
            if result.return_code >= 0 and command.is_sync and not result.details:
                command.return_code = result.return_code
                settled.append(command)
                continue
            ok = result.return_code >= 0
            _finish(
                command,
                DeviceCommand.State.DONE if ok else DeviceCommand.State.FAILED,
                code=result.return_code,
                message="" if ok else driver.return_message(device, result.return_code),
            )
        if settled:
            _settle(device, settled, now)
    return len(applied)


def _settle(device: Device, done: list[DeviceCommand], now: Any) -> None:
    """Mark successful sync commands done: one update per return code (nearly always 0)."""
    by_code: dict[int | None, list[int]] = {}
    for command in done:
        by_code.setdefault(command.return_code, []).append(command.pk)
    for code, pks in by_code.items():
        DeviceCommand.objects.filter(pk__in=pks).update(
            state=DeviceCommand.State.DONE, return_code=code, finished_at=now
        )
    from gatehouse.devices import sync

    sync.commands_done(device.pk, [(command.pk, command.operation) for command in done])


# Successful answers to sync commands, settled in one statement (PostgreSQL): a device in
# its first sync answers hundreds of commands at a time.
_SETTLE_SQL = """
UPDATE devices_devicecommand AS command
SET state = %(done)s, return_code = answer.code, finished_at = %(now)s
FROM unnest(%(ids)s::varchar[], %(codes)s::integer[]) AS answer(command_id, code)
WHERE command.device_id = %(device)s AND command.command_id = answer.command_id
  AND command.state IN (%(queued)s, %(sent)s) AND command.is_sync
RETURNING command.id, command.operation
"""


def _settle_sync_answers(device: Device, results: list[CommandResult], now: Any) -> list[int]:
    """Settle the plain successes among `results` whose commands are open sync commands;
    returns their primary keys. A command answered more than once in the upload, or with
    details, takes the general path."""
    if connection.vendor != "postgresql":
        return []
    seen = Counter(result.command_id for result in results)
    plain = [
        result
        for result in results
        if result.return_code >= 0 and not result.details and seen[result.command_id] == 1
    ]
    if not plain:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            _SETTLE_SQL,
            {
                "done": DeviceCommand.State.DONE,
                "now": now,
                "ids": [result.command_id for result in plain],
                "codes": [result.return_code for result in plain],
                "device": device.pk,
                "queued": DeviceCommand.State.QUEUED,
                "sent": DeviceCommand.State.SENT,
            },
        )
        done = [(int(pk), str(operation)) for pk, operation in cursor.fetchall()]
    if done:
        from gatehouse.devices import sync

        sync.commands_done(device.pk, done)
    return [pk for pk, _operation in done]


# How long finished commands stay in a device's command log. A command a failed item still
# points at stays: the failure table names it.
COMMAND_RETENTION = timedelta(days=30)
PRUNE_BATCH = 20_000


def prune(now: Any = None) -> int:
    """Remove finished commands past the retention (at most PRUNE_BATCH a run), then the
    shared payloads no command uses any more. Returns the number of commands removed."""
    now = now or timezone.now()
    failed_items = Holding.objects.filter(state=Holding.State.FAILED, command__isnull=False)
    old = (
        DeviceCommand.objects.exclude(state__in=DeviceCommand.OPEN_STATES)
        .filter(finished_at__lt=now - COMMAND_RETENTION)
        .exclude(pk__in=failed_items.values("command_id"))
    )
    pks = list(old.order_by("id").values_list("pk", flat=True)[:PRUNE_BATCH])
    # the confirmed items keep no link to the command that sent them (one UPDATE, rather
    # than the delete collector loading every holding to set it to NULL)
    Holding.objects.filter(command_id__in=pks).update(command=None)
    removed, _by_model = DeviceCommand.objects.filter(pk__in=pks).delete()
    CommandPayload.objects.filter(
        commands__isnull=True, created_at__lt=now - timedelta(hours=1)
    ).delete()
    return removed


def cancel(command: DeviceCommand, *, actor: Actor) -> None:
    """Withdraw a command the device has not collected yet."""
    if command.state != DeviceCommand.State.QUEUED:
        raise ValueError("only a queued command can be cancelled")
    _finish(
        command,
        DeviceCommand.State.CANCELLED,
        code=None,
        message=_("Cancelled by %(actor)s.") % {"actor": actor.label},
    )


def note_result(command: DeviceCommand | None, values: Mapping[str, Any]) -> None:
    """Keep what a device sent back for a command before its final answer (query packets,
    counts, options)."""
    if command is None:
        return
    command.result = {**command.result, **values}
    command.save(update_fields=["result"])

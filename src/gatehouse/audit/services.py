"""Writing the system log. Every service write calls `record`; nothing else writes entries."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import math
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from gatehouse.audit.models import ChainHead, LogEntry
from gatehouse.core.actors import Actor
from gatehouse.core.events import publish

GENESIS_HASH = "0" * 64
HASHED_FIELDS = (
    "sequence",
    "created_at",
    "actor_kind",
    "actor_label",
    "action",
    "module",
    "object_type",
    "object_id",
    "object_repr",
    "before",
    "after",
    "result",
    "message",
    "source_address",
    "group_path",
    "previous_hash",
)


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    return str(value)


# From here on Python writes whole floats in exponent form (1e+16), which PostgreSQL's jsonb
# gives back as a plain integer.
_EXPONENT_FLOATS = 1e16


def _as_stored(value: Any) -> Any:
    """What the database will hand back for `value`: jsonb has no NaN or infinity and no
    NUL characters, so those become text, and big whole floats come back as integers."""
    if isinstance(value, dict):
        return {key: _as_stored(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_stored(item) for item in value]
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value.is_integer() and abs(value) >= _EXPONENT_FLOATS:
            return int(value)
    return value


def to_json_value(value: Any) -> Any:
    """Round-trip through JSON so that what is hashed equals what the database gives back
    (on SQLite and on PostgreSQL, whose jsonb also rewrites some numbers)."""
    return _as_stored(json.loads(json.dumps(value, default=_json_default)))


def compute_hash(entry: LogEntry) -> str:
    body = {name: getattr(entry, name) for name in HASHED_FIELDS}
    body["created_at"] = entry.created_at.astimezone(dt.UTC).isoformat()
    body["enterprise_id"] = entry.enterprise_id
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=_json_default)
    key = settings.AUDIT_CHAIN_KEY.encode()
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def chain_name(enterprise_id: int | None) -> str:
    return "platform" if enterprise_id is None else str(enterprise_id)


def snapshot(instance: models.Model, fields: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """The audited view of a model: the named fields, foreign keys as ids, JSON-safe."""
    values: dict[str, Any] = {}
    for name in fields:
        field = instance._meta.get_field(name)
        if field.many_to_many:
            values[name] = (
                sorted(str(obj) for obj in getattr(instance, name).all()) if instance.pk else []
            )
        elif field.is_relation:
            values[name] = getattr(instance, f"{name}_id")
        else:
            values[name] = getattr(instance, name)
    result: dict[str, Any] = to_json_value(values)
    return result


@dataclass
class AuditBatch:
    """Entries written inside `batched()`: chained and inserted together when it ends."""

    entries: list[LogEntry] = field(default_factory=list)

    def mark(self) -> int:
        return len(self.entries)

    def discard_since(self, mark: int) -> None:
        """Forget the entries of a unit of work that rolled back (a refused import row)."""
        del self.entries[mark:]

    def flush(self) -> None:
        chains: dict[str, list[LogEntry]] = {}
        for entry in self.entries:
            chains.setdefault(chain_name(entry.enterprise_id), []).append(entry)
        for chain, entries in chains.items():
            head = _locked_head(chain)
            for entry in entries:
                entry.sequence = head.sequence + 1
                entry.previous_hash = head.entry_hash or GENESIS_HASH
                entry.entry_hash = compute_hash(entry)
                head.sequence, head.entry_hash = entry.sequence, entry.entry_hash
            LogEntry.objects.bulk_create(entries, batch_size=500)
            head.save(update_fields=["sequence", "entry_hash"])
        self.entries.clear()


_BATCH: ContextVar[AuditBatch | None] = ContextVar("gatehouse_audit_batch", default=None)


@contextmanager
def batched() -> Iterator[AuditBatch]:
    """Inside, `record` collects entries; at the end they are chained and inserted with one
    lock of the chain head and one bulk insert (bulk imports: thousands of entries). Use it
    inside the transaction that writes the objects, so both commit or roll back together;
    entries of an inner unit that rolls back are dropped with `discard_since`. Entries made
    inside have no primary key until the end, so their events carry no log id."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.batched() must run inside a transaction")
    batch = AuditBatch()
    token = _BATCH.set(batch)
    try:
        yield batch
    finally:
        _BATCH.reset(token)
    batch.flush()


def record(
    action: str,
    *,
    actor: Actor,
    enterprise_id: int | None,
    obj: models.Model | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    result: str = LogEntry.Result.SUCCESS,
    message: str = "",
    group_path: str = "",
    publish_event: bool = True,
) -> LogEntry:
    """Append an entry to the enterprise's chain and publish `action` after commit. Inside
    `batched()` the entry is chained and inserted when the batch ends (no savepoint, no lock
    per entry)."""
    batch = _BATCH.get()
    with transaction.atomic() if batch is None else nullcontext():
        return _record(
            batch,
            action,
            actor=actor,
            enterprise_id=enterprise_id,
            obj=obj,
            before=before,
            after=after,
            result=result,
            message=message,
            group_path=group_path,
            publish_event=publish_event,
        )


def _record(
    batch: AuditBatch | None,
    action: str,
    *,
    actor: Actor,
    enterprise_id: int | None,
    obj: models.Model | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    result: str,
    message: str,
    group_path: str,
    publish_event: bool,
) -> LogEntry:
    head = _locked_head(chain_name(enterprise_id)) if batch is None else None
    entry = LogEntry(
        enterprise_id=enterprise_id,
        sequence=head.sequence + 1 if head is not None else 0,
        created_at=timezone.now(),
        actor_kind=actor.kind.value,
        actor_label=actor.label[:200],
        actor_user=actor.user if actor.user is not None and actor.user.pk else None,
        action=action,
        module=action.split(".", 1)[0],
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=str(obj)[:255] if obj is not None else "",
        before=to_json_value(before) if before is not None else None,
        after=to_json_value(after) if after is not None else None,
        result=result,
        message=message,
        source_address=actor.address[:64],
        group_path=group_path,
        previous_hash=(head.entry_hash or GENESIS_HASH) if head is not None else "",
    )
    if head is None:
        assert batch is not None  # noqa: S101 - narrows the type; head is None only then
        batch.entries.append(entry)  # chained and inserted when the batch ends
    else:
        entry.entry_hash = compute_hash(entry)
        entry.save(force_insert=True)
        head.sequence = entry.sequence
        head.entry_hash = entry.entry_hash
        head.save(update_fields=["sequence", "entry_hash"])
    if publish_event and result == LogEntry.Result.SUCCESS:
        publish(
            action,
            enterprise_id=enterprise_id,
            group_path=group_path,
            payload={
                "object_type": entry.object_type,
                "object_id": entry.object_id,
                "object": entry.object_repr,
                "actor": entry.actor_label,
                "log_id": entry.pk,
            },
        )
    return entry


def record_for(
    action: str,
    obj: models.Model,
    *,
    actor: Actor,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    message: str = "",
) -> LogEntry:
    """`record` for a tenant object: in its enterprise, and read at its user group when it
    has one (a person, a device) or enterprise-wide when it has none (a department)."""
    group = getattr(obj, "group", None)
    return record(
        action,
        actor=actor,
        enterprise_id=getattr(obj, "enterprise_id", None),
        obj=obj,
        before=before,
        after=after,
        message=message,
        group_path=group.path if group is not None else "",
    )


def record_failure(
    action: str,
    *,
    actor: Actor,
    enterprise_id: int | None,
    message: str,
    obj: models.Model | None = None,
    group_path: str = "",
) -> LogEntry:
    """Log a refused operation in a transaction of its own, so it survives the caller's rollback.

    Call it after the failed service's atomic block has rolled back (as ServiceFormView does).
    The block is durable: called inside another transaction it raises RuntimeError at once,
    instead of writing an entry that the caller's rollback would silently take away."""
    with transaction.atomic(durable=True):
        return record(
            action,
            actor=actor,
            enterprise_id=enterprise_id,
            obj=obj,
            result=LogEntry.Result.FAILURE,
            message=message,
            group_path=group_path,
            publish_event=False,
        )


@transaction.atomic
def log_export(
    *, actor: Actor, row_count: int, file_format: str, filters: dict[str, str]
) -> LogEntry:
    """An export of the system log is itself logged (who took which rows out, and how many)."""
    user = actor.user
    return record(
        "audit.log.exported",
        actor=actor,
        enterprise_id=getattr(user, "enterprise_id", None),
        after={"format": file_format, "rows": row_count, "filters": filters},
        group_path=getattr(user, "group_path", ""),
    )


def _locked_head(chain: str) -> ChainHead:
    try:
        with transaction.atomic():
            ChainHead.objects.get_or_create(chain=chain)
    except IntegrityError:  # created concurrently by another writer: fine, lock it below
        pass
    return ChainHead.objects.select_for_update().get(chain=chain)

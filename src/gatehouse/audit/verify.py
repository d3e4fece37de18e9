"""Checking the system log's hash chains (`gatehouse audit verify`).

Each enterprise (and the platform) has one chain: entry n carries the HMAC of its own content
and the hash of entry n-1, and ChainHead holds the last sequence and hash. Walking a chain in
sequence order therefore shows an edited entry (its hash no longer matches its content), a
deleted entry (a gap in the sequence), a re-linked entry (previous_hash does not match) and a
deleted last entry (the head points beyond the last entry), each with the sequence concerned.
Without the installation's chain key nobody can recompute hashes to cover an edit.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import gettext as _

from gatehouse.audit.models import ChainHead, LogEntry
from gatehouse.audit.services import GENESIS_HASH, chain_name, compute_hash
from gatehouse.core.scoping import platform_scope
from gatehouse.tenancy.models import Enterprise

CHUNK_SIZE = 2000


def verify_all() -> list[str]:
    """Problems in every chain of the installation, platform chain first; empty = intact."""
    with platform_scope():
        enterprise_ids = set(
            LogEntry.objects.filter(enterprise__isnull=False)
            .order_by()
            .values_list("enterprise_id", flat=True)
            .distinct()
        )
        problems = verify_chain(None)
        existing = set(Enterprise.objects.values_list("pk", flat=True))
        for head in ChainHead.objects.exclude(chain="platform"):
            try:
                enterprise_id = int(head.chain)
            except ValueError:
                problems.append(_("Unknown chain head %(chain)r.") % {"chain": head.chain})
                continue
            if enterprise_id in existing or enterprise_id in enterprise_ids:
                enterprise_ids.add(enterprise_id)
            elif not _enterprise_deletion_logged(enterprise_id):
                problems.append(
                    _(
                        "Enterprise %(id)s: the chain head is at sequence %(sequence)s but the "
                        "enterprise and all its entries are gone, and the platform log has no "
                        "record of the enterprise being deleted."
                    )
                    % {"id": enterprise_id, "sequence": head.sequence}
                )
        for enterprise_id in sorted(enterprise_ids):
            problems.extend(verify_chain(enterprise_id))
    return problems


def verify_chain(enterprise_id: int | None) -> list[str]:
    """Problems in one chain (None = the platform chain), in sequence order; empty = intact."""
    with platform_scope():
        label = _chain_label(enterprise_id)
        problems: list[str] = []
        expected = 1
        previous_hash = GENESIS_HASH
        last: LogEntry | None = None
        for entry in _entries(enterprise_id):
            seq = entry.sequence
            if seq < expected:
                problems.append(
                    _("%(chain)s, sequence %(seq)s: the sequence number appears twice.")
                    % {"chain": label, "seq": seq}
                )
            elif seq > expected:
                problems.append(_missing(label, expected, seq - 1))
            if compute_hash(entry) != entry.entry_hash:
                problems.append(
                    _(
                        "%(chain)s, sequence %(seq)s: the entry was modified (its content no "
                        "longer matches its hash)."
                    )
                    % {"chain": label, "seq": seq}
                )
            if seq == expected and entry.previous_hash != previous_hash:
                problems.append(
                    _(
                        "%(chain)s, sequence %(seq)s: the link to sequence %(prev)s is broken "
                        "(previous hash does not match)."
                    )
                    % {"chain": label, "seq": seq, "prev": seq - 1}
                )
            expected = max(expected, seq + 1)
            previous_hash = entry.entry_hash
            last = entry
        problems.extend(_check_head(enterprise_id, label, last))
    return problems


def _entries(enterprise_id: int | None) -> Iterator[LogEntry]:
    queryset = (
        LogEntry.objects.filter(enterprise__isnull=True)
        if enterprise_id is None
        else LogEntry.objects.filter(enterprise_id=enterprise_id)
    )
    return queryset.order_by("sequence", "id").iterator(chunk_size=CHUNK_SIZE)


def _check_head(enterprise_id: int | None, label: str, last: LogEntry | None) -> list[str]:
    head = ChainHead.objects.filter(chain=chain_name(enterprise_id)).first()
    last_seq = last.sequence if last is not None else 0
    if head is None:
        if last is None:
            return []
        return [
            _("%(chain)s: the chain head is missing (last entry is sequence %(seq)s).")
            % {"chain": label, "seq": last_seq}
        ]
    if head.sequence > last_seq:
        return [_missing(label, last_seq + 1, head.sequence, at_end=True)]
    if head.sequence < last_seq:
        return [
            _(
                "%(chain)s: the chain head is at sequence %(head)s but entries go up to "
                "sequence %(seq)s (entries were added outside the system log writer)."
            )
            % {"chain": label, "head": head.sequence, "seq": last_seq}
        ]
    if last is not None and head.entry_hash != last.entry_hash:
        return [
            _(
                "%(chain)s, sequence %(seq)s: the last entry's hash does not match the chain "
                "head (the last entry was replaced)."
            )
            % {"chain": label, "seq": last_seq}
        ]
    return []


def _missing(label: str, first: int, last_missing: int, *, at_end: bool = False) -> str:
    numbers = str(first) if first == last_missing else f"{first}-{last_missing}"
    if at_end:
        return _(
            "%(chain)s, sequence %(seq)s: missing at the end of the chain (deleted; the chain "
            "head is at sequence %(head)s)."
        ) % {"chain": label, "seq": numbers, "head": last_missing}
    return _("%(chain)s, sequence %(seq)s: missing (deleted).") % {"chain": label, "seq": numbers}


def _chain_label(enterprise_id: int | None) -> str:
    if enterprise_id is None:
        return _("Platform log")
    enterprise = Enterprise.objects.filter(pk=enterprise_id).first()
    if enterprise is None:
        return _("Enterprise %(id)s (deleted)") % {"id": enterprise_id}
    return _("Enterprise %(code)s (id %(id)s)") % {"code": enterprise.code, "id": enterprise_id}


def _enterprise_deletion_logged(enterprise_id: int) -> bool:
    return LogEntry.objects.filter(
        enterprise__isnull=True,
        action="tenancy.enterprise.deleted",
        object_type="tenancy.enterprise",
        object_id=str(enterprise_id),
    ).exists()

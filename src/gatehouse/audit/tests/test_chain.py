"""The hash chain: appends verify clean; an edited, deleted or truncated entry is reported
with its sequence; `gatehouse audit verify` exits 1 on any problem; failure entries survive
the rollback of the operation they describe."""

from __future__ import annotations

import itertools

import pytest
from django.db import transaction

from gatehouse.audit.models import ChainHead, LogEntry
from gatehouse.audit.services import record, record_failure
from gatehouse.audit.tests.helpers import write
from gatehouse.audit.verify import verify_all, verify_chain
from gatehouse.cli import main
from gatehouse.core.actors import Actor
from gatehouse.core.errors import ServiceError
from gatehouse.core.scoping import platform_scope
from gatehouse.tenancy import services as tenancy_services


def _chain_of_five(enterprise_id: int) -> list[LogEntry]:
    return [
        write(
            f"tenancy.group.changed.{n}",
            enterprise_id=enterprise_id,
            group_path="/x/",
            before={"name": f"old {n}"},
            after={"name": f"new {n}"},
        )
        for n in range(5)
    ]


def _seq(entries: list[LogEntry], index: int) -> int:
    return entries[index].sequence


def test_appends_link_and_verify_clean(cast) -> None:  # type: ignore[no-untyped-def]
    entries = _chain_of_five(cast.enterprise_a.pk)
    first_seq = entries[0].sequence
    assert [e.sequence for e in entries] == list(range(first_seq, first_seq + 5))
    for previous, entry in itertools.pairwise(entries):
        assert entry.previous_hash == previous.entry_hash
    with platform_scope():
        head = ChainHead.objects.get(chain=str(cast.enterprise_a.pk))
    assert (head.sequence, head.entry_hash) == (entries[-1].sequence, entries[-1].entry_hash)
    assert verify_chain(cast.enterprise_a.pk) == []
    assert verify_chain(None) == []
    assert verify_all() == []


def test_platform_chain_is_separate_from_enterprise_chains(cast) -> None:  # type: ignore[no-untyped-def]
    with platform_scope():
        before = ChainHead.objects.get(chain="platform").sequence
    entry = write("platform.settings.changed", enterprise_id=None)
    assert entry.sequence == before + 1
    other = write("tenancy.role.changed", enterprise_id=cast.enterprise_b.pk)
    assert other.sequence == 3  # bolt's chain: its admin, its role, this entry
    assert verify_all() == []


def test_edited_after_value_is_reported_with_its_sequence(cast) -> None:  # type: ignore[no-untyped-def]
    entries = _chain_of_five(cast.enterprise_a.pk)
    target = entries[2]
    with platform_scope():
        LogEntry.objects.filter(pk=target.pk).update(after={"name": "forged"})
    problems = verify_chain(cast.enterprise_a.pk)
    assert problems == [
        f"Enterprise acme (id {cast.enterprise_a.pk}), sequence {target.sequence}: the entry "
        "was modified (its content no longer matches its hash)."
    ]
    assert verify_chain(cast.enterprise_b.pk) == []


def test_edit_that_also_rewrites_the_hash_breaks_the_next_link(cast) -> None:  # type: ignore[no-untyped-def]
    entries = _chain_of_five(cast.enterprise_a.pk)
    with platform_scope():
        LogEntry.objects.filter(pk=entries[1].pk).update(entry_hash="f" * 64)
    problems = verify_chain(cast.enterprise_a.pk)
    assert len(problems) == 2
    assert f"sequence {_seq(entries, 1)}: the entry was modified" in problems[0]
    assert f"sequence {_seq(entries, 2)}: the link to sequence {_seq(entries, 1)}" in problems[1]


def test_deleted_middle_entry_is_reported(cast) -> None:  # type: ignore[no-untyped-def]
    entries = _chain_of_five(cast.enterprise_a.pk)
    with platform_scope():
        LogEntry.objects.filter(pk=entries[2].pk).delete()
    problems = verify_chain(cast.enterprise_a.pk)
    assert problems == [
        f"Enterprise acme (id {cast.enterprise_a.pk}), sequence {_seq(entries, 2)}: "
        "missing (deleted)."
    ]


def test_deleted_range_is_reported_as_a_range(cast) -> None:  # type: ignore[no-untyped-def]
    entries = _chain_of_five(cast.enterprise_a.pk)
    with platform_scope():
        LogEntry.objects.filter(pk__in=[entries[1].pk, entries[2].pk]).delete()
    problems = verify_chain(cast.enterprise_a.pk)
    assert len(problems) == 1
    assert f"sequence {_seq(entries, 1)}-{_seq(entries, 2)}: missing (deleted)." in problems[0]


def test_deleted_last_entry_is_reported(cast) -> None:  # type: ignore[no-untyped-def]
    entries = _chain_of_five(cast.enterprise_a.pk)
    with platform_scope():
        LogEntry.objects.filter(pk=entries[-1].pk).delete()
    problems = verify_chain(cast.enterprise_a.pk)
    last = entries[-1].sequence
    assert problems == [
        f"Enterprise acme (id {cast.enterprise_a.pk}), sequence {last}: missing at the end of "
        f"the chain (deleted; the chain head is at sequence {last})."
    ]


def test_deleted_first_entry_is_reported(cast) -> None:  # type: ignore[no-untyped-def]
    with platform_scope():
        LogEntry.objects.filter(enterprise=cast.enterprise_b, sequence=1).delete()
    assert verify_chain(cast.enterprise_b.pk) == [
        f"Enterprise bolt (id {cast.enterprise_b.pk}), sequence 1: missing (deleted)."
    ]


def test_cli_verify_exit_codes(cast, capsys) -> None:  # type: ignore[no-untyped-def]
    _chain_of_five(cast.enterprise_a.pk)
    assert main(["audit", "verify"]) == 0
    assert "every chain is intact" in capsys.readouterr().out
    with platform_scope():
        LogEntry.objects.filter(enterprise__isnull=True, sequence=2).update(message="tampered")
    assert main(["audit", "verify"]) == 1
    err = capsys.readouterr().err
    assert "Platform log, sequence 2: the entry was modified" in err
    assert "FAILED: 1 problem(s)" in err


def test_deleting_an_enterprise_leaves_the_log_verifiable(cast) -> None:  # type: ignore[no-untyped-def]
    bolt_id = cast.enterprise_b.pk
    with platform_scope():
        tenancy_services.delete_enterprise(cast.enterprise_b, actor=Actor.for_user(cast.superadmin))
        assert not LogEntry.objects.filter(enterprise_id=bolt_id).exists()
        assert ChainHead.objects.filter(chain=str(bolt_id)).exists()
    assert verify_all() == []
    with platform_scope():
        LogEntry.objects.filter(action="tenancy.enterprise.deleted").delete()
    problems = verify_all()
    assert any(f"Enterprise {bolt_id}: the chain head" in p for p in problems), problems


def test_a_vanished_enterprise_chain_without_deletion_record_is_reported(cast) -> None:  # type: ignore[no-untyped-def]
    with platform_scope():
        ChainHead.objects.create(chain="999999", sequence=4, entry_hash="a" * 64)
    problems = verify_all()
    assert len(problems) == 1
    assert "Enterprise 999999" in problems[0]


def test_failure_entry_survives_the_rollback_of_the_operation(cast) -> None:  # type: ignore[no-untyped-def]
    """As the console does it: the service's transaction rolls back (its own success entry
    and chain head with it), then the refusal is logged and stays, and the chain is intact."""
    actor = Actor.for_user(cast.a_admin, "198.51.100.4")
    enterprise_id = cast.enterprise_a.pk

    def failing_operation() -> None:
        with transaction.atomic():
            record(
                "tenancy.group.changed",
                actor=actor,
                enterprise_id=enterprise_id,
                group_path="/1/",
                after={"name": "half-done"},
            )
            raise ServiceError("A group with this name already exists here.")

    with platform_scope():
        head_before = ChainHead.objects.get(chain=str(enterprise_id)).sequence
        with pytest.raises(ServiceError):
            failing_operation()
        failure = record_failure(
            "tenancy.group.changed",
            actor=actor,
            enterprise_id=enterprise_id,
            message="A group with this name already exists here.",
            group_path="/1/",
        )
        entries = list(
            LogEntry.objects.filter(enterprise_id=enterprise_id, sequence__gt=head_before)
        )
    assert [(e.action, e.result, e.message) for e in entries] == [
        (
            "tenancy.group.changed",
            LogEntry.Result.FAILURE,
            "A group with this name already exists here.",
        )
    ]
    assert failure.sequence == head_before + 1
    assert failure.source_address == "198.51.100.4"
    assert verify_all() == []


def test_failure_entry_inside_a_transaction_is_refused_rather_than_lost(cast) -> None:  # type: ignore[no-untyped-def]
    """Inside a caller's transaction the entry could be rolled back with it: refused loudly."""
    with platform_scope(), pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        record_failure(
            "tenancy.group.changed",
            actor=Actor.system("test"),
            enterprise_id=cast.enterprise_a.pk,
            message="refused",
        )


def test_values_survive_the_database_round_trip_and_verify(cast) -> None:  # type: ignore[no-untyped-def]
    """What is hashed must equal what the database gives back (jsonb reorders keys and
    rewrites numbers), or every such entry would be reported as modified."""
    import datetime as dt
    from decimal import Decimal

    write(
        "people.person.changed",
        enterprise_id=cast.enterprise_a.pk,
        before={"z": 1, "a": [3, 2, 1], "temp": 37.3, "big": 1e20, "tiny": 1e-7, "one": 1.0},
        after={
            "name": "Zoë 张",
            "nested": {"b": None, "a": True},
            "when": dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=dt.UTC),
            "amount": Decimal("12.50"),
            "huge": 2**63 + 1,
            "odd": [float("nan"), float("-inf"), "nul\x00byte"],
        },
        message="line one\nline two",
    )
    assert verify_chain(cast.enterprise_a.pk) == []

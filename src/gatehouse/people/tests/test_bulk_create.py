"""The bulk path of imports: many persons in one insert, their system log entries chained in
one batch, and a concurrent writer's ID or card handled row by row."""

from __future__ import annotations

from typing import Any

from gatehouse.audit.models import LogEntry
from gatehouse.audit.verify import verify_chain
from gatehouse.core.actors import Actor
from gatehouse.core.spreadsheets import read_table, write_table
from gatehouse.people import services, workbooks
from gatehouse.people.models import Category, Person


def _table(rows: list[list[object]]) -> Any:
    data = write_table(
        title="t",
        headers=["Personnel ID", "First name", "Card number"],
        rows=rows,
        file_format="xlsx",
    )
    table = read_table(data)
    return table, workbooks.header_map(table.headers)


def test_a_bulk_import_logs_every_person_and_the_chain_verifies(
    admin_actor: Actor, top_group: Any
) -> None:
    table, mapping = _table([[f"B{i}", f"Person {i}", f"{1000 + i}"] for i in range(600)])
    report = workbooks.import_rows(
        table,
        mapping,
        actor=admin_actor,
        group=top_group,
        category=Category.EMPLOYEE,
        overwrite=False,
    )
    assert (report.created, report.failures) == (600, [])
    entries = LogEntry.objects.filter(action="people.employee.created")
    assert entries.count() == 600
    assert set(entries.values_list("object_repr", flat=True)) >= {"Person 5 (B5)"}
    assert verify_chain(top_group.enterprise_id) == []
    sequences = list(
        LogEntry.objects.filter(enterprise_id=top_group.enterprise_id)
        .order_by("sequence")
        .values_list("sequence", flat=True)
    )
    assert sequences == list(range(1, len(sequences) + 1))  # no gap, no repeat


def test_refused_rows_leave_no_log_entry_and_good_rows_keep_theirs(
    admin_actor: Actor, top_group: Any
) -> None:
    table, mapping = _table([["C1", "Ok", "11"], ["C2", "", "12"], ["C3", "Ok", "11"]])
    report = workbooks.import_rows(
        table,
        mapping,
        actor=admin_actor,
        group=top_group,
        category=Category.EMPLOYEE,
        overwrite=False,
    )
    assert report.created == 1
    assert [(f.row, f.field) for f in report.failures] == [(3, "first_name"), (4, "card_number")]
    assert LogEntry.objects.filter(action="people.employee.created").count() == 1
    assert verify_chain(top_group.enterprise_id) == []


def test_a_concurrent_writer_s_card_fails_only_that_row(
    admin_actor: Actor, top_group: Any, make_person: Any
) -> None:
    """`known` was read before another writer took card 77: the one insert fails on the
    unique index, and the import goes row by row instead, refusing only that row."""
    known = services.KnownKeys.load(top_group.enterprise_id)
    make_person("X1", card_number="77")  # the other writer, after `known` was read
    lookups = workbooks.Lookups.load(top_group, Category.EMPLOYEE)
    importer = workbooks.RowImporter(
        actor=admin_actor,
        group=top_group,
        overwrite=False,
        lookups=lookups,
        report=workbooks.ImportReport(total=2),
        mapping={
            "Personnel ID": "personnel_id",
            "First name": "first_name",
            "Card number": "card_number",
        },
        existing={},
        known=known,
    )
    table, _mapping = _table([["D1", "Dora", "76"], ["D2", "Dan", "77"]])
    from django.db import transaction

    from gatehouse.audit import services as audit

    with transaction.atomic(), audit.batched() as batch:
        importer.chunk(table.rows, batch)
    assert importer.report.created == 1
    assert [(f.row, f.field) for f in importer.report.failures] == [(3, "card_number")]
    assert "X1" in importer.report.failures[0].reason
    assert sorted(Person.objects.values_list("personnel_id", flat=True)) == ["D1", "X1"]
    assert verify_chain(top_group.enterprise_id) == []

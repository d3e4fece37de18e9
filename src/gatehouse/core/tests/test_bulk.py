"""Bulk inserts on PostgreSQL: both routes (arrays for few rows, a binary COPY through a
staging table for many) insert the same rows and report the same conflicts."""

from __future__ import annotations

import pytest
from django.db import connection

from gatehouse.core import bulk

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the bulk routes are PostgreSQL-only"
    ),
]
COLUMNS = (("k", "bigint"), ("v", "varchar"))


@pytest.fixture
def probe() -> str:
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE bulk_probe (k bigint PRIMARY KEY, v varchar)")
    return "bulk_probe"


def _rows(start: int, count: int) -> list[tuple[int, str | None]]:
    return [(k, None if k % 7 == 0 else f"value\t{k}\\") for k in range(start, start + count)]


def _insert(table: str, rows: list[tuple[int, str | None]]) -> set[int]:
    returned = bulk.insert_rows(table, COLUMNS, rows, "ON CONFLICT (k) DO NOTHING RETURNING k")
    return {k for (k,) in returned}


@pytest.mark.parametrize("count", [3, bulk.COPY_THRESHOLD * 3])
def test_rows_arrive_intact_and_conflicts_are_skipped(probe: str, count: int) -> None:
    assert _insert(probe, _rows(0, count)) == set(range(count))
    # overlapping rows, in the same transaction: only the new ones are inserted and returned
    assert _insert(probe, _rows(count // 2, count)) == set(range(count, count + count // 2))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT k, v FROM {probe} ORDER BY k")  # noqa: S608
        stored = cursor.fetchall()
    assert stored == _rows(0, count + count // 2)


def test_a_second_write_in_the_transaction_does_not_replay_the_first(probe: str) -> None:
    count = bulk.COPY_THRESHOLD
    upsert = "ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v"
    assert bulk.insert_rows(probe, COLUMNS, [(k, "first") for k in range(count)], upsert) == []
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {probe} SET v = 'edited'")  # noqa: S608
    bulk.insert_rows(probe, COLUMNS, [(k, "second") for k in range(count, 2 * count)], upsert)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT v, count(*) FROM {probe} GROUP BY v ORDER BY v")  # noqa: S608
        assert cursor.fetchall() == [("edited", count), ("second", count)]

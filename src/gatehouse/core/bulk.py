"""Writing many rows at once on PostgreSQL. Query parameters that are arrays are escaped
element by element in Python, which costs more than the database's whole insert for tens of
thousands of rows; a binary COPY is formatted in C. Large writes therefore go through a
temporary staging table, small ones (a single event) through arrays in one statement."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, transaction

# Below this many rows the three extra statements of the staging route cost more than they save.
COPY_THRESHOLD = 500


def insert_rows(
    table: str,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[Sequence[Any]],
    conflict: str = "",
) -> list[tuple[Any, ...]]:
    """INSERT INTO `table` (columns) the `rows`, followed by `conflict` (an ON CONFLICT and
    RETURNING clause); returns what RETURNING gave. `columns` are (name, PostgreSQL type);
    names and types are the caller's constants, never user input."""
    if not rows:
        return []
    names = ", ".join(name for name, _type in columns)
    returns = "RETURNING" in conflict.upper()
    with connection.cursor() as cursor:
        if len(rows) < COPY_THRESHOLD:
            arrays = ", ".join(f"%s::{kind}[]" for _name, kind in columns)
            cursor.execute(
                f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}) {conflict}",  # noqa: S608
                [list(column) for column in zip(*rows, strict=True)],
            )
            return list(cursor.fetchall()) if returns else []
        stage = f"stage_{table}"
        definition = ", ".join(f"{name} {kind}" for name, kind in columns)
        with transaction.atomic():
            cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} ({definition})")
            raw = cursor.cursor  # the driver's cursor: Django's wrapper has no COPY
            with raw.copy(f"COPY {stage} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types([kind for _name, kind in columns])
                for row in rows:
                    copy.write_row(row)
            cursor.execute(
                f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage} {conflict}"  # noqa: S608
            )
            result = list(cursor.fetchall()) if returns else []
            cursor.execute(f"DELETE FROM {stage}")  # noqa: S608
        return result

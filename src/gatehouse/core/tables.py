"""Personalized list columns: each user chooses which columns of a list to show; the choice is
kept per user and list (TableColumns). A table may name `Meta.default_columns`, shown until the
user chooses; columns with an empty header (row actions) are always shown."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction

from gatehouse.core.models import TableColumns

TABLE_KEY = re.compile(r"^[A-Za-z0-9_.]{1,120}$")
COLUMN_NAME = re.compile(r"^[A-Za-z0-9_]{1,60}$")
MAX_COLUMNS = 60


def table_key(table: Any) -> str:
    cls = type(table)
    return f"{cls.__module__}.{cls.__qualname__}"


def choosable(table: Any) -> list[tuple[str, str]]:
    """(name, header) of the columns the user may hide or show."""
    return [
        (column.name, str(column.header))
        for column in table.columns.iterall()
        if str(column.header).strip()
    ]


def chosen_columns(table: Any, user: Any) -> set[str] | None:
    saved = (
        TableColumns.objects.filter(user_id=user.pk, table=table_key(table))
        .values_list("columns", flat=True)
        .first()
    )
    if saved is not None:
        return set(saved)
    # django-tables2 keeps only the Meta options it knows: read ours from the class itself
    defaults = getattr(getattr(type(table), "Meta", None), "default_columns", None)
    return set(defaults) if defaults else None


def apply_choice(table: Any, user: Any) -> None:
    """Hide the columns the user has not chosen (nothing chosen: the table's defaults)."""
    if not getattr(user, "is_authenticated", False):
        return
    chosen = chosen_columns(table, user)
    if chosen is None:
        return
    for name, _header in choosable(table):
        if name not in chosen:
            table.columns.hide(name)


@transaction.atomic
def save_choice(user: Any, key: str, columns: list[str]) -> None:
    """Store a user's columns for a list. Names are only checked for shape: a stale or unknown
    name is harmless (it matches no column)."""
    if not TABLE_KEY.match(key):
        raise ValueError("bad table key")
    names = [name for name in columns if COLUMN_NAME.match(name)][:MAX_COLUMNS]
    TableColumns.objects.update_or_create(user=user, table=key, defaults={"columns": names})


def reset_choice(user: Any, key: str) -> None:
    TableColumns.objects.filter(user=user, table=key).delete()

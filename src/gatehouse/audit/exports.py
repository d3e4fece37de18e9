"""System log export (xlsx and csv) of exactly the rows the user's filters select.

Exports are bounded (EXPORT_ROW_LIMIT) and safe to open in a spreadsheet: text that a
spreadsheet would run as a formula (= + - @, tab, carriage return) gets a leading apostrophe.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gatehouse.audit.models import LogEntry
from gatehouse.core.spreadsheets import CONTENT_TYPES, neutralise, write_table

__all__ = [
    "EXPORT_ROW_LIMIT",
    "FORMATS",
    "build_csv",
    "build_xlsx",
    "filename",
    "headers",
    "neutralise",  # kept here for callers of the audit export
    "rows",
]

EXPORT_ROW_LIMIT = 100_000
# xls is left out: it holds at most 65,535 rows, fewer than EXPORT_ROW_LIMIT.
FORMATS = {file_format: CONTENT_TYPES[file_format] for file_format in ("xlsx", "csv")}
CHUNK_SIZE = 2000


def headers() -> list[str]:
    return [
        _("Time"),
        _("Module"),
        _("Action"),
        _("Object type"),
        _("Object id"),
        _("Object"),
        _("Operator"),
        _("Operator type"),
        _("Result"),
        _("Details"),
        _("Source address"),
        _("Before"),
        _("After"),
        _("Sequence"),
    ]


def _json_text(value: Any) -> str:
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def rows(queryset: QuerySet[LogEntry]) -> Iterator[list[Any]]:
    """One list per entry, in the list's order; times in the installation's time zone.
    write_table neutralises formula-like text."""
    for entry in queryset.iterator(chunk_size=CHUNK_SIZE):
        yield [
            timezone.localtime(entry.created_at).replace(tzinfo=None, microsecond=0),
            entry.module_label,
            entry.action,
            entry.object_type,
            entry.object_id,
            entry.object_repr,
            entry.actor_label,
            entry.get_actor_kind_display(),
            entry.get_result_display(),
            entry.message,
            entry.source_address,
            _json_text(entry.before),
            _json_text(entry.after),
            entry.sequence,
        ]


def _build(queryset: QuerySet[LogEntry], file_format: str) -> bytes:
    return write_table(
        title=_("System log"), headers=headers(), rows=rows(queryset), file_format=file_format
    )


def build_xlsx(queryset: QuerySet[LogEntry]) -> bytes:
    return _build(queryset, "xlsx")


def build_csv(queryset: QuerySet[LogEntry]) -> bytes:
    return _build(queryset, "csv")


def filename(file_format: str) -> str:
    return f"system-log-{timezone.localtime():%Y%m%d-%H%M%S}.{file_format}"

"""System log export (xlsx and csv) of exactly the rows the user's filters select.

Exports are bounded (EXPORT_ROW_LIMIT) and safe to open in a spreadsheet: text that a
spreadsheet would run as a formula (= + - @, tab, carriage return) gets a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gatehouse.audit.models import LogEntry

EXPORT_ROW_LIMIT = 100_000
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
CHUNK_SIZE = 2000


def neutralise(value: Any) -> Any:
    """Text that starts like a formula is prefixed with an apostrophe (formula injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


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
    """One list per entry, in the list's order; times in the installation's time zone."""
    for entry in queryset.iterator(chunk_size=CHUNK_SIZE):
        values = [
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
        yield [neutralise(value) for value in values]


def build_xlsx(queryset: QuerySet[LogEntry]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("System log")[:31])
    bold = Font(bold=True)
    header_cells = []
    for title in headers():
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows(queryset):
        cells: list[Any] = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never let the reader treat text as a formula
            else:
                cell.number_format = "yyyy-mm-dd hh:mm:ss" if not isinstance(value, int) else "0"
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def build_csv(queryset: QuerySet[LogEntry]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers())
    for row in rows(queryset):
        writer.writerow(
            [value.isoformat(sep=" ") if hasattr(value, "isoformat") else value for value in row]
        )
    # A byte order mark so that spreadsheet programs read the file as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def filename(file_format: str) -> str:
    return f"system-log-{timezone.localtime():%Y%m%d-%H%M%S}.{file_format}"

"""Reading uploaded spreadsheets and writing exports, both safely.

Uploads are untrusted: the format comes from the bytes (never the file name), an xlsx (a zip) is
checked for decompression bombs before openpyxl inflates anything, and every failure becomes a
SpreadsheetError whose text can be shown to the user as it is. Exports neutralise text that a
spreadsheet program would run as a formula (formula injection).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar, overload

from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from gatehouse.core import archives

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xls": "application/vnd.ms-excel",
    "csv": "text/csv; charset=utf-8",
}
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
XLSX_WORKBOOK_PART = "xl/workbook.xml"
# An xlsx is a zip; its declared sizes are checked before openpyxl inflates any part.
XLSX_MAX_PARTS = 10_000
XLSX_MAX_UNPACKED_BYTES = 256 * 1024 * 1024
EXCEL_MAX_ROW_NUMBER = 1_048_576  # a row number above this can only come from a crafted file
XLS_MAX_DATA_ROWS = 65_535  # the format holds 65,536 rows, one of them the header
XLS_MAX_COLUMNS = 256
SHEET_TITLE_MAX_LENGTH = 31
CELL_TEXT_MAX_LENGTH = 32_767  # longer text makes Excel report the file as damaged
# Control characters that XML 1.0 cannot hold; openpyxl refuses to write them.
_ILLEGAL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_INVALID_TITLE_CHARACTERS = re.compile(r"[\\*?:/\[\]\x00]")
_NUMBER_FORMATS: dict[type, str] = {
    dt.datetime: "yyyy-mm-dd hh:mm:ss",
    dt.date: "yyyy-mm-dd",
    dt.time: "hh:mm:ss",
    int: "0",
}

_Value = TypeVar("_Value")


class SpreadsheetError(Exception):
    """A workbook that cannot be read or written; str() is the message for the user."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class TableRow:
    number: int  # the row number the user sees in the spreadsheet program
    values: dict[str, object]  # every header of the table, None for an empty cell


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[TableRow]


# Reading


def read_table(data: bytes, *, max_rows: int = 100_000, max_columns: int = 200) -> Table:
    """The first sheet of an xlsx or xls upload as a header row and the non-empty rows below it.

    Text is stripped and blank text is None; whole numbers are ints (a personnel number typed as
    a number reads "1001", not "1001.0"); dates are datetimes. A leading apostrophe that
    `neutralise` added is removed again, so that an export reads back as it was written. Columns
    without a header are ignored.
    """
    if not data:
        raise SpreadsheetError(_("The file is empty."), code="empty")
    if data.startswith(OLE2_MAGIC):
        return _read_xls(data, max_rows=max_rows, max_columns=max_columns)
    if data.startswith(archives.ZIP_MAGIC):
        return _read_xlsx(data, max_rows=max_rows, max_columns=max_columns)
    raise _not_a_workbook()


def _not_a_workbook() -> SpreadsheetError:
    return SpreadsheetError(
        _(
            "The file is not an Excel workbook. Save it as .xlsx (or .xls) in your spreadsheet "
            "program and upload it again."
        ),
        code="not_workbook",
    )


def _corrupt() -> SpreadsheetError:
    return SpreadsheetError(
        _(
            "The workbook is damaged and cannot be read. Open it in your spreadsheet program, "
            "save it again and upload the new file."
        ),
        code="corrupt",
    )


def _encrypted() -> SpreadsheetError:
    return SpreadsheetError(
        _(
            "The workbook is protected with a password. Remove the password in your spreadsheet "
            "program, save it and upload it again."
        ),
        code="encrypted",
    )


def _check_xlsx_container(data: bytes) -> None:
    """Refuse what is not an xlsx, and decompression bombs, before openpyxl inflates a part."""
    try:
        container = archives.open_zip(data)
    except archives.ArchiveError as exc:
        raise _corrupt() from exc
    with container:
        parts = container.infolist()
    if XLSX_WORKBOOK_PART not in {part.filename.lower() for part in parts}:
        raise _not_a_workbook()
    unpacked = sum(part.file_size for part in parts)
    if len(parts) > XLSX_MAX_PARTS or unpacked > XLSX_MAX_UNPACKED_BYTES:
        raise SpreadsheetError(
            _(
                "The workbook is too large once unpacked (more than %(limit)s MB). "
                "Split it into smaller files."
            )
            % {"limit": XLSX_MAX_UNPACKED_BYTES // (1024 * 1024)},
            code="too_large",
        )
    if any(
        part.compress_type not in archives.SUPPORTED_COMPRESSION
        or part.flag_bits & archives.ENCRYPTED_FLAG
        for part in parts
    ):
        raise _corrupt()


def _read_xlsx(data: bytes, *, max_rows: int, max_columns: int) -> Table:
    from openpyxl import load_workbook

    _check_xlsx_container(data)
    try:
        # Workbooks from other programs make openpyxl warn (unknown extensions, no default
        # style); the upload is read all the same.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                if not workbook.worksheets:
                    raise _no_header()
                rows = _xlsx_rows(workbook, workbook.worksheets[0])
                return _collect(rows, max_rows=max_rows, max_columns=max_columns)
            finally:
                workbook.close()
    except SpreadsheetError:
        raise
    except Exception as exc:  # any parser error on untrusted bytes means the same to the user
        raise _corrupt() from exc


def _xlsx_rows(workbook: Any, sheet: Any) -> Iterator[tuple[int, dict[int, object]]]:
    """The cells each row of the sheet's XML holds, and nothing else.

    openpyxl's iter_rows pads every row to the widest column and yields every missing row in a
    gap, so a few bytes (`<row r="1048576">`, a valueless cell in column XFD) would cost millions
    of steps; its own parser costs only what the XML holds. It is the one read-only iter_rows
    uses, set up the same way (openpyxl is pinned; the tests cover this).
    """
    from openpyxl.worksheet._reader import WorkSheetParser

    with sheet._get_source() as source:
        parser = WorkSheetParser(
            source,
            sheet._shared_strings,
            data_only=True,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )
        for number, cells in parser.parse():
            yield number, {cell["column"] - 1: cell["value"] for cell in cells}


def _read_xls(data: bytes, *, max_rows: int, max_columns: int) -> Table:
    import xlrd

    log = io.StringIO()  # xlrd prints its warnings to a log file; the user gets one message
    try:
        if _is_encrypted_ooxml(data, log):
            raise _encrypted()
        book = xlrd.open_workbook(file_contents=data, logfile=log, on_demand=True)
        try:
            if book.nsheets == 0:
                raise _no_header()
            sheet = book.sheet_by_index(0)
            rows = (
                (index + 1, dict(enumerate(_xls_value(cell, book.datemode) for cell in row)))
                for index, row in enumerate(sheet.get_rows())
            )
            return _collect(rows, max_rows=max_rows, max_columns=max_columns)
        finally:
            book.release_resources()
    except SpreadsheetError:
        raise
    except xlrd.XLRDError as exc:
        if "encrypted" in str(exc):
            raise _encrypted() from exc
        if "Can't find workbook" in str(exc):  # an OLE2 file such as a Word .doc
            raise _not_a_workbook() from exc
        raise _corrupt() from exc
    except Exception as exc:  # any parser error on untrusted bytes means the same to the user
        raise _corrupt() from exc


def _is_encrypted_ooxml(data: bytes, log: io.StringIO) -> bool:
    """A password-protected xlsx is not a zip but an OLE2 file holding an EncryptedPackage."""
    from xlrd import compdoc

    document = compdoc.CompDoc(data, logfile=log)
    return any(node.name == "EncryptedPackage" for node in document.dirlist)


def _xls_value(cell: Any, datemode: int) -> object:
    import xlrd

    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate.xldate_as_datetime(cell.value, datemode)
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return cell.value
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return bool(cell.value)
    if cell.ctype == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(cell.value)  # "#N/A", as openpyxl reads it
    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    return cell.value


def _no_header() -> SpreadsheetError:
    return SpreadsheetError(
        _("The first sheet is empty: it needs a header row with the column names."),
        code="no_header",
    )


def _cell_value(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("'") and text[1:].startswith(FORMULA_PREFIXES):
            text = text[1:]
        return text or None
    return value


def _collect(
    numbered_rows: Iterable[tuple[int, dict[int, object]]], *, max_rows: int, max_columns: int
) -> Table:
    """The table from (row number, {column index: value}) pairs; empty rows are skipped."""
    columns: list[tuple[int, str]] | None = None
    rows: list[TableRow] = []
    for number, raw in numbered_rows:
        if number > EXCEL_MAX_ROW_NUMBER:
            raise _corrupt()
        cells = {
            index: value
            for index, raw_value in raw.items()
            if (value := _cell_value(raw_value)) is not None
        }
        if not cells:
            continue
        if max(cells) >= max_columns:
            raise SpreadsheetError(
                _("Row %(number)s has more than %(limit)s columns; at most %(limit)s are allowed.")
                % {"number": number, "limit": max_columns},
                code="too_many_columns",
            )
        if columns is None:
            columns = _header_columns(cells)
            continue
        if len(rows) == max_rows:
            raise SpreadsheetError(
                _("The spreadsheet has more than %(limit)s rows. Split it into smaller files.")
                % {"limit": f"{max_rows:,}"},
                code="too_many_rows",
            )
        values = {header: cells.get(index) for index, header in columns}
        rows.append(TableRow(number=number, values=values))
    if columns is None:
        raise _no_header()
    if not rows:
        raise SpreadsheetError(
            _("The spreadsheet has a header row but no rows below it."), code="empty"
        )
    return Table(headers=[header for _index, header in columns], rows=rows)


def _header_columns(cells: dict[int, object]) -> list[tuple[int, str]]:
    columns: list[tuple[int, str]] = []
    seen: set[str] = set()
    for index, value in sorted(cells.items()):
        header = str(value)
        if header in seen:
            raise SpreadsheetError(
                _("The column name “%(name)s” appears more than once in the header row.")
                % {"name": header},
                code="duplicate_header",
            )
        seen.add(header)
        columns.append((index, header))
    return columns


# Writing


@overload
def neutralise(value: str) -> str: ...
@overload
def neutralise(value: _Value) -> _Value: ...
def neutralise(value: object) -> object:
    """Text that starts like a formula gets a leading apostrophe (formula injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def write_table(
    *, title: str, headers: Sequence[str], rows: Iterable[Sequence[object]], file_format: str
) -> bytes:
    """One sheet (xlsx, xls) or one csv file: a bold header row, then the rows.

    Aware datetimes are written as the installation's local wall-clock time (spreadsheets have no
    time zones). Text loses the control characters XML cannot hold and, in xlsx and xls, is cut
    at the 32,767 characters a cell can show.
    """
    try:
        writer = _WRITERS[file_format]
    except KeyError:
        raise ValueError(f"unknown spreadsheet format {file_format!r}") from None
    return writer(_sheet_title(title), headers, rows)


def _sheet_title(title: str) -> str:
    cleaned = _INVALID_TITLE_CHARACTERS.sub(" ", title)[:SHEET_TITLE_MAX_LENGTH]
    return cleaned.strip(" '") or "Sheet1"


def _export_value(value: object) -> object:
    """A value the writers know: text is cleaned and neutralised, other objects become text."""
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, dt.time):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return value
    return neutralise(_ILLEGAL_CHARACTERS.sub("", str(value)))


def _cell_text_limited(value: object) -> object:
    return value[:CELL_TEXT_MAX_LENGTH] if isinstance(value, str) else value


def _write_xlsx(title: str, headers: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title)
    bold = Font(bold=True)

    def cell(raw: object) -> Any:
        value = _cell_text_limited(_export_value(raw))
        written = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            written.data_type = "s"  # never let the reader take text for a formula
        elif not isinstance(value, bool) and type(value) in _NUMBER_FORMATS:
            written.number_format = _NUMBER_FORMATS[type(value)]
        return written

    header_cells = [cell(header) for header in headers]
    for header_cell in header_cells:
        header_cell.font = bold
    sheet.append(header_cells)
    for row in rows:
        sheet.append([cell(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _write_xls(title: str, headers: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    import xlwt

    workbook = xlwt.Workbook(encoding="utf-8")
    sheet = workbook.add_sheet(title)
    bold = xlwt.easyxf("font: bold on")
    styles = {
        kind: xlwt.easyxf(num_format_str=number_format)
        for kind, number_format in _NUMBER_FORMATS.items()
    }
    plain = xlwt.Style.default_style

    def write_row(index: int, values: Sequence[object], header: bool = False) -> None:
        if len(values) > XLS_MAX_COLUMNS:
            raise SpreadsheetError(
                _("An .xls file holds at most %(limit)s columns; choose .xlsx instead.")
                % {"limit": XLS_MAX_COLUMNS},
                code="too_many_columns",
            )
        for column, raw in enumerate(values):
            value = _cell_text_limited(_export_value(raw))
            style = bold if header else styles.get(type(value), plain)
            sheet.write(index, column, value, style)

    write_row(0, headers, header=True)
    for index, row in enumerate(rows, start=1):
        if index > XLS_MAX_DATA_ROWS:
            raise SpreadsheetError(
                _("An .xls file holds at most %(limit)s rows; choose .xlsx or csv instead.")
                % {"limit": f"{XLS_MAX_DATA_ROWS:,}"},
                code="too_many_rows",
            )
        write_row(index, row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _csv_text(raw: object) -> object:
    value = _export_value(raw)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return value


def _write_csv(_title: str, headers: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_csv_text(header) for header in headers])
    for row in rows:
        writer.writerow([_csv_text(value) for value in row])
    # A byte order mark so that spreadsheet programs read the file as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


_WRITERS: dict[str, Callable[[str, Sequence[str], Iterable[Sequence[object]]], bytes]] = {
    "xlsx": _write_xlsx,
    "xls": _write_xls,
    "csv": _write_csv,
}


def download(content: bytes, filename: str, file_format: str) -> HttpResponse:
    """A spreadsheet as a file download. The name may be translated (non-ASCII): the header
    carries it RFC 6266/5987-encoded."""
    response = HttpResponse(content, content_type=CONTENT_TYPES[file_format])
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response

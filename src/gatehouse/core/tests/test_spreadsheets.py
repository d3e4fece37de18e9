"""Spreadsheet uploads are read from their bytes with clear errors; exports round-trip and never
carry a formula. Plain functions: no database."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import random
import re
import zipfile
from collections.abc import Callable, Sequence
from typing import Any

import pytest
import xlrd
import xlwt
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from gatehouse.core import spreadsheets
from gatehouse.core.spreadsheets import (
    CONTENT_TYPES,
    FORMULA_PREFIXES,
    SpreadsheetError,
    neutralise,
    read_table,
    write_table,
)


def _naive(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    """Spreadsheets hold wall-clock times without a time zone."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC).replace(tzinfo=None)


HEADERS = ["Personnel ID", "Name", "Hired", "Salary", "Active", "Note"]
ROWS: list[list[object]] = [
    [1001, "Anna Nowak", _naive(2024, 3, 1, 8, 30), 4250.5, True, "+48 600 100 200"],
    [1002, "Jan Kowalski", dt.date(2023, 11, 15), 3900, False, None],
]


def _openpyxl_xlsx(rows: Sequence[Sequence[object]]) -> bytes:
    """A workbook written without the code under test, as a user's program would."""
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlwt_xls(rows: Sequence[Sequence[object]], *, dates_1904: bool = False) -> bytes:
    workbook = xlwt.Workbook()
    workbook.dates_1904 = dates_1904
    sheet = workbook.add_sheet("Sheet1")
    date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd hh:mm")
    for row_index, row in enumerate(rows):
        for column, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write(row_index, column, value, date_style)
            else:
                sheet.write(row_index, column, value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


WRITERS: dict[str, Callable[[Sequence[Sequence[object]]], bytes]] = {
    "xlsx": _openpyxl_xlsx,
    "xls": _xlwt_xls,
}


def _rewrite_part(xlsx: bytes, part: str, change: Callable[[bytes], bytes]) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            target.writestr(info.filename, change(content) if info.filename == part else content)
    return buffer.getvalue()


def _refusal(data: bytes, **limits: int) -> SpreadsheetError:
    with pytest.raises(SpreadsheetError) as caught:
        read_table(data, **limits)
    return caught.value


# --- round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize("file_format", ["xlsx", "xls"])
def test_written_workbook_reads_back_with_its_values(file_format: str) -> None:
    data = write_table(title="People", headers=HEADERS, rows=ROWS, file_format=file_format)
    table = read_table(data)
    assert table.headers == HEADERS
    assert [row.number for row in table.rows] == [2, 3]
    first, second = (row.values for row in table.rows)
    assert first == {
        "Personnel ID": 1001,
        "Name": "Anna Nowak",
        "Hired": _naive(2024, 3, 1, 8, 30),
        "Salary": 4250.5,
        "Active": True,
        "Note": "+48 600 100 200",  # neutralised on the way out, restored on the way in
    }
    assert second["Hired"] == _naive(2023, 11, 15)
    assert second["Salary"] == 3900
    assert type(second["Salary"]) is int
    assert second["Active"] is False
    assert second["Note"] is None


def test_csv_is_utf8_with_bom_and_formats_dates() -> None:
    rows: list[list[object]] = [[1001, "Zoë Ødegård", _naive(2024, 3, 1, 8, 30), None]]
    data = write_table(
        title="x", headers=["ID", "Name", "When", "Empty"], rows=rows, file_format="csv"
    )
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8")[1:]
    assert list(csv.reader(io.StringIO(text))) == [
        ["ID", "Name", "When", "Empty"],
        ["1001", "Zoë Ødegård", "2024-03-01 08:30:00", ""],
    ]


def test_content_types_cover_every_format() -> None:
    assert set(CONTENT_TYPES) == {"xlsx", "xls", "csv"}
    assert CONTENT_TYPES["xls"] == "application/vnd.ms-excel"
    for file_format in CONTENT_TYPES:
        assert write_table(title="t", headers=["a"], rows=[[1]], file_format=file_format)


def test_unknown_format_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="pdf"):
        write_table(title="t", headers=["a"], rows=[], file_format="pdf")


# --- formula injection -----------------------------------------------------------------------


@pytest.mark.parametrize("prefix", FORMULA_PREFIXES)
def test_neutralise_prefixes_formula_text(prefix: str) -> None:
    text = f"{prefix}cmd|' /C calc'!A0"
    assert neutralise(text) == "'" + text
    assert neutralise(neutralise(text)) == "'" + text


def test_neutralise_leaves_other_values() -> None:
    assert neutralise("plain = text") == "plain = text"
    assert neutralise(-5) == -5
    assert neutralise(None) is None


@pytest.mark.parametrize("prefix", FORMULA_PREFIXES)
def test_xlsx_text_starting_like_a_formula_is_plain_text(prefix: str) -> None:
    text = f"{prefix}SUM(A1:A9)"
    data = write_table(
        title="t", headers=[f"{prefix}header"], rows=[[text, -5]], file_format="xlsx"
    )
    sheet = load_workbook(io.BytesIO(data)).active
    header, cell, number = sheet["A1"], sheet["A2"], sheet["B2"]
    assert cell.data_type == "s"
    # XML parsers read a carriage return back as a line feed
    assert cell.value in ("'" + text, "'" + text.replace("\r", "\n"))
    assert str(header.value).startswith("'")
    assert number.value == -5  # numbers are numbers, not text


@pytest.mark.parametrize("prefix", FORMULA_PREFIXES)
def test_xls_text_starting_like_a_formula_is_plain_text(prefix: str) -> None:
    text = f"{prefix}SUM(A1:A9)"
    data = write_table(title="t", headers=["h"], rows=[[text, -5]], file_format="xls")
    sheet = xlrd.open_workbook(file_contents=data).sheet_by_index(0)
    assert sheet.cell(1, 0).ctype == xlrd.XL_CELL_TEXT
    assert sheet.cell_value(1, 0) == "'" + text
    assert sheet.cell_value(1, 1) == -5


@pytest.mark.parametrize("prefix", FORMULA_PREFIXES)
def test_csv_text_starting_like_a_formula_is_neutralised(prefix: str) -> None:
    text = f"{prefix}SUM(A1:A9)"
    data = write_table(title="t", headers=["h"], rows=[[text]], file_format="csv")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8")[1:], newline="")))
    assert rows[1] == ["'" + text]


def test_text_of_other_types_is_neutralised_too() -> None:
    class Label:
        def __str__(self) -> str:
            return "=HYPERLINK(1)"

    data = write_table(title="t", headers=["h"], rows=[[Label()]], file_format="xlsx")
    assert load_workbook(io.BytesIO(data)).active["A2"].value == "'=HYPERLINK(1)"


# --- writing details -------------------------------------------------------------------------


def test_xlsx_header_is_bold_and_dates_are_formatted() -> None:
    data = write_table(title="People", headers=HEADERS, rows=ROWS, file_format="xlsx")
    sheet = load_workbook(io.BytesIO(data)).active
    assert all(cell.font.b for cell in sheet[1])
    assert not sheet["B2"].font.b
    assert sheet["C2"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert sheet["C3"].number_format == "yyyy-mm-dd"


def test_xls_header_is_bold_and_dates_are_formatted() -> None:
    data = write_table(title="People", headers=HEADERS, rows=ROWS, file_format="xls")
    book = xlrd.open_workbook(file_contents=data, formatting_info=True)
    sheet = book.sheet_by_index(0)
    header_font = book.font_list[book.xf_list[sheet.cell_xf_index(0, 0)].font_index]
    body_font = book.font_list[book.xf_list[sheet.cell_xf_index(1, 1)].font_index]
    assert header_font.bold
    assert not body_font.bold
    date_format = book.format_map[book.xf_list[sheet.cell_xf_index(1, 2)].format_key]
    assert date_format.format_str == "yyyy-mm-dd hh:mm:ss"


@pytest.mark.parametrize("file_format", ["xlsx", "xls"])
def test_sheet_title_is_made_valid(file_format: str) -> None:
    title = "Employees: [Warsaw/Kraków] *all* departments?"
    data = write_table(title=title, headers=["a"], rows=[], file_format=file_format)
    if file_format == "xlsx":
        name = load_workbook(io.BytesIO(data)).sheetnames[0]
    else:
        name = xlrd.open_workbook(file_contents=data).sheet_names()[0]
    assert len(name) <= 31
    assert name.startswith("Employees")
    assert not re.search(r"[\\*?:/\[\]]", name)


def test_aware_datetimes_are_written_in_local_time(settings: Any) -> None:
    settings.TIME_ZONE = "Europe/Warsaw"
    moment = dt.datetime(2024, 7, 1, 10, 0, tzinfo=dt.UTC)
    data = write_table(title="t", headers=["When"], rows=[[moment]], file_format="xlsx")
    assert load_workbook(io.BytesIO(data)).active["A2"].value == _naive(2024, 7, 1, 12, 0)


@pytest.mark.parametrize("file_format", ["xlsx", "xls"])
def test_control_characters_and_overlong_text_still_make_a_valid_file(file_format: str) -> None:
    rows: list[list[object]] = [["bell\x07and\x00null"], ["x" * 40_000]]
    table = read_table(write_table(title="t", headers=["h"], rows=rows, file_format=file_format))
    assert [row.values["h"] for row in table.rows] == ["bellandnull", "x" * 32_767]


def test_xls_refuses_more_rows_than_the_format_holds() -> None:
    limit = spreadsheets.XLS_MAX_DATA_ROWS
    assert limit == 65_535
    data = write_table(
        title="t", headers=["n"], rows=([n] for n in range(limit)), file_format="xls"
    )
    sheet = xlrd.open_workbook(file_contents=data).sheet_by_index(0)
    assert sheet.nrows == limit + 1
    assert sheet.cell_value(limit, 0) == limit - 1
    with pytest.raises(SpreadsheetError, match="65,535 rows") as caught:
        write_table(
            title="t", headers=["n"], rows=([n] for n in range(limit + 1)), file_format="xls"
        )
    assert caught.value.code == "too_many_rows"


def test_xls_refuses_more_columns_than_the_format_holds() -> None:
    headers = [f"c{n}" for n in range(257)]
    with pytest.raises(SpreadsheetError, match="256 columns"):
        write_table(title="t", headers=headers, rows=[], file_format="xls")


# --- reading: values -------------------------------------------------------------------------


@pytest.mark.parametrize("file_format", ["xlsx", "xls"])
def test_headers_are_stripped_and_row_numbers_are_the_users(file_format: str) -> None:
    rows: list[list[object]] = [
        [None, None],
        ["  ID ", " Name"],
        [1001, " Anna "],
        [None, "   "],
        [1002, "Jan"],
    ]
    table = read_table(WRITERS[file_format](rows))
    assert table.headers == ["ID", "Name"]
    assert [(row.number, row.values) for row in table.rows] == [
        (3, {"ID": 1001, "Name": "Anna"}),
        (5, {"ID": 1002, "Name": "Jan"}),
    ]


@pytest.mark.parametrize("file_format", ["xlsx", "xls"])
def test_columns_without_a_header_are_ignored_and_short_rows_padded(file_format: str) -> None:
    rows: list[list[object]] = [["ID", None, "Name"], [1001, "stray", "Anna"], [1002]]
    table = read_table(WRITERS[file_format](rows))
    assert table.headers == ["ID", "Name"]
    assert [row.values for row in table.rows] == [
        {"ID": 1001, "Name": "Anna"},
        {"ID": 1002, "Name": None},
    ]


def test_xls_whole_numbers_are_ints_so_ids_keep_their_text() -> None:
    table = read_table(_xlwt_xls([["ID", "Rate"], [1001.0, 2.5]]))
    personnel_id = table.rows[0].values["ID"]
    assert personnel_id == 1001
    assert str(personnel_id) == "1001"
    assert table.rows[0].values["Rate"] == 2.5


def test_xlsx_whole_numbers_stored_as_decimals_are_ints() -> None:
    xlsx = _rewrite_part(
        _openpyxl_xlsx([["ID"], [1001]]),
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b"<v>1001</v>", b"<v>1001.0</v>"),
    )
    assert str(read_table(xlsx).rows[0].values["ID"]) == "1001"


@pytest.mark.parametrize("dates_1904", [False, True])
def test_xls_dates_are_datetimes_in_the_workbooks_date_system(dates_1904: bool) -> None:
    when = _naive(2024, 2, 29, 17, 45)
    table = read_table(_xlwt_xls([["When"], [when]], dates_1904=dates_1904))
    assert table.rows[0].values["When"] == when


def test_xlsx_dates_are_datetimes() -> None:
    table = read_table(_openpyxl_xlsx([["When"], [_naive(2024, 2, 29, 17, 45)]]))
    assert table.rows[0].values["When"] == _naive(2024, 2, 29, 17, 45)


def test_only_the_first_sheet_is_read() -> None:
    workbook = Workbook()
    workbook.active.append(["ID"])
    workbook.active.append([1])
    other = workbook.create_sheet("Other")
    other.append(["Other"])
    other.append([2])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert read_table(buffer.getvalue()).headers == ["ID"]


def test_wrong_stored_dimensions_do_not_cut_rows() -> None:
    xlsx = _rewrite_part(
        _openpyxl_xlsx([["ID"], [1], [2], [3]]),
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:A1"', xml),
    )
    assert [row.values["ID"] for row in read_table(xlsx).rows] == [1, 2, 3]


def test_row_numbers_follow_gaps_up_to_the_last_row_of_a_sheet() -> None:
    xlsx = _rewrite_part(
        _openpyxl_xlsx([["ID"], [1]]),
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b'r="2"', b'r="1048576"').replace(b'"A2"', b'"A1048576"'),
    )
    assert [(row.number, row.values) for row in read_table(xlsx).rows] == [(1048576, {"ID": 1})]


def test_valueless_cells_far_right_are_not_columns() -> None:
    xlsx = _rewrite_part(
        _openpyxl_xlsx([["ID"], [1]]),
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b"</row>", b'<c r="XFD1" s="0"/></row>', 1),
    )
    table = read_table(xlsx, max_columns=3)
    assert table.headers == ["ID"]
    assert [row.values for row in table.rows] == [{"ID": 1}]


# --- reading: refusals -----------------------------------------------------------------------


def test_duplicate_header_is_refused() -> None:
    error = _refusal(_openpyxl_xlsx([["ID", "Name", "ID"], [1, "a", 2]]))
    assert error.code == "duplicate_header"
    assert "“ID”" in str(error)


@pytest.mark.parametrize("file_format", ["xlsx", "xls"])
def test_row_limit(file_format: str) -> None:
    data = WRITERS[file_format]([["ID"], *([n] for n in range(5))])
    assert len(read_table(data, max_rows=5).rows) == 5
    error = _refusal(data, max_rows=4)
    assert error.code == "too_many_rows"
    assert "more than 4 rows" in str(error)


@pytest.mark.parametrize("file_format", ["xlsx", "xls"])
def test_column_limit(file_format: str) -> None:
    data = WRITERS[file_format]([["a", "b", "c", "d"], [1, 2, 3, 4]])
    assert read_table(data, max_columns=4).headers == ["a", "b", "c", "d"]
    error = _refusal(data, max_columns=3)
    assert error.code == "too_many_columns"
    assert "Row 1 has more than 3 columns" in str(error)


def test_column_limit_applies_to_data_rows() -> None:
    error = _refusal(_openpyxl_xlsx([["a", "b"], [1, 2], [1, 2, 3, 4]]), max_columns=3)
    assert str(error).startswith("Row 3 has more than 3 columns")


def test_column_limit_sees_a_value_beyond_a_gap() -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["ID"])
    sheet.append([1])
    sheet.cell(row=3, column=500, value="far away")
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert str(_refusal(buffer.getvalue())).startswith("Row 3 has more than 200 columns")


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "empty"),
        (random.Random(7).randbytes(3000), "not_workbook"),
        (b"Personnel ID,Name\n1001,Anna\n", "not_workbook"),  # a csv renamed to .xlsx
        (b"%PDF-1.7\n", "not_workbook"),
    ],
)
def test_files_that_are_not_workbooks(content: bytes, code: str) -> None:
    error = _refusal(content)
    assert error.code == code
    assert str(error)


def test_a_zip_that_is_not_a_workbook() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    error = _refusal(buffer.getvalue())
    assert error.code == "not_workbook"
    assert "not an Excel workbook" in str(error)


def test_truncated_xlsx_is_corrupt() -> None:
    xlsx = _openpyxl_xlsx([["ID"], [1]])
    error = _refusal(xlsx[: len(xlsx) // 2])
    assert error.code == "corrupt"
    assert "damaged" in str(error)


def test_xlsx_with_a_broken_sheet_is_corrupt() -> None:
    xlsx = _rewrite_part(
        _openpyxl_xlsx([["ID"], [1]]), "xl/worksheets/sheet1.xml", lambda xml: xml[:100]
    )
    assert _refusal(xlsx).code == "corrupt"


def test_xlsx_row_number_beyond_excel_is_corrupt() -> None:
    xlsx = _rewrite_part(
        _openpyxl_xlsx([["ID"], [1]]),
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b'r="2"', b'r="99999999999"').replace(b'"A2"', b'"A99999999999"'),
    )
    assert _refusal(xlsx).code == "corrupt"


def test_truncated_xls_is_corrupt() -> None:
    xls = _xlwt_xls([["ID"], [1]])
    assert _refusal(xls[:1024]).code == "corrupt"


@pytest.mark.parametrize("file_format", ["xlsx", "xls"])
def test_empty_sheet_has_no_header_row(file_format: str) -> None:
    error = _refusal(WRITERS[file_format]([]))
    assert error.code == "no_header"
    assert "header row" in str(error)


@pytest.mark.parametrize("file_format", ["xlsx", "xls"])
def test_header_only_is_empty(file_format: str) -> None:
    error = _refusal(WRITERS[file_format]([["ID", "Name"]]))
    assert error.code == "empty"
    assert "no rows below it" in str(error)


def _rename_xls_stream(new_name: str) -> bytes:
    """An OLE2 file whose workbook stream carries another name, as Word files or
    password-protected xlsx files (EncryptedPackage) do."""
    data = bytearray(_xlwt_xls([["ID"], [1]]))
    entry = data.index("Workbook".encode("utf-16-le"))
    encoded = (new_name + "\0").encode("utf-16-le")
    data[entry : entry + 64] = encoded.ljust(64, b"\0")
    data[entry + 64 : entry + 66] = len(encoded).to_bytes(2, "little")
    return bytes(data)


def test_password_protected_xlsx_is_refused_as_encrypted() -> None:
    error = _refusal(_rename_xls_stream("EncryptedPackage"))
    assert error.code == "encrypted"
    assert "password" in str(error)


def test_password_protected_xls_is_refused_as_encrypted() -> None:
    data = bytearray(_xlwt_xls([["ID"], [1]]))
    interface_header = data.index(b"\xe1\x00\x02\x00")  # the first record after BOF
    data[interface_header : interface_header + 2] = b"\x2f\x00"  # FILEPASS: encrypted
    assert _refusal(bytes(data)).code == "encrypted"


def test_ole2_file_without_a_workbook_is_not_a_workbook() -> None:
    assert _refusal(_rename_xls_stream("WordDocument")).code == "not_workbook"


def test_xlsx_zip_bomb_is_refused_before_inflating(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spreadsheets, "XLSX_MAX_UNPACKED_BYTES", 1_000_000)
    buffer = io.BytesIO(_openpyxl_xlsx([["ID"], [1]]))
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.bin", bytes(2_000_000))
    error = _refusal(buffer.getvalue())
    assert error.code == "too_large"
    assert "too large once unpacked" in str(error)


def test_xlsx_with_too_many_parts_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spreadsheets, "XLSX_MAX_PARTS", 12)
    buffer = io.BytesIO(_openpyxl_xlsx([["ID"], [1]]))
    with zipfile.ZipFile(buffer, "a") as archive:
        for number in range(5):
            archive.writestr(f"xl/media/{number}.bin", b"x")
    assert _refusal(buffer.getvalue()).code == "too_large"


def test_xlsx_part_that_lies_about_its_size_is_corrupt() -> None:
    """zipfile stops at the declared size and the checksum then fails: a small declared size
    cannot hide a large part."""
    xlsx = _openpyxl_xlsx([["ID"], *([n] for n in range(2000))])
    data = bytearray(xlsx)
    part = next(
        info
        for info in zipfile.ZipFile(io.BytesIO(xlsx)).infolist()
        if info.filename == "xl/worksheets/sheet1.xml"
    )
    size = part.file_size.to_bytes(4, "little")
    smaller = (part.file_size // 10).to_bytes(4, "little")
    position = data.find(size)
    while position != -1:
        data[position : position + 4] = smaller
        position = data.find(size, position + 4)
    assert _refusal(bytes(data)).code == "corrupt"


# --- arbitrary input -------------------------------------------------------------------------


@functools.cache
def _valid_inputs() -> list[bytes]:
    return [
        _openpyxl_xlsx([["ID", "Name"], [1, "a"], [2, "b"]]),
        _xlwt_xls([["ID", "Name"], [1, "a"], [2, "b"]]),
    ]


_mutations = st.tuples(
    st.sampled_from(range(2)),
    st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), max_size=8),
    st.one_of(st.none(), st.integers(min_value=0)),
)


@hypothesis_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=2048), _mutations))
def test_arbitrary_bytes_only_ever_raise_spreadsheet_error(
    sample: bytes | tuple[int, list[tuple[int, int]], int | None],
) -> None:
    if isinstance(sample, bytes):
        data = sample
    else:
        which, patches, cut = sample
        mutable = bytearray(_valid_inputs()[which])
        for position, value in patches:
            mutable[position % len(mutable)] = value
        data = bytes(mutable if cut is None else mutable[: cut % len(mutable)])
    assert _outcome(data)


def _outcome(data: bytes) -> str:
    """The user's message, or "read" for a table with headers and rows; never another error."""
    try:
        table = read_table(data)
    except SpreadsheetError as error:
        return str(error)
    return "read" if table.headers and table.rows else ""


def test_a_translated_file_name_downloads_encoded() -> None:
    """Export names are translated ("员工信息.xlsx"): the header must still be valid."""
    from gatehouse.core.spreadsheets import download

    response = download(b"PK", "员工信息.xlsx", "xlsx")
    header = response["Content-Disposition"]
    assert header.startswith("attachment;")
    assert "filename*=utf-8''%E5%91%98%E5%B7%A5%E4%BF%A1%E6%81%AF.xlsx" in header
    assert response["Content-Type"] == CONTENT_TYPES["xlsx"]

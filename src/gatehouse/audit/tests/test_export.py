"""Exporting the System log: exactly the filtered rows, xlsx and csv, formula injection
neutralised, bounded with a clear message, permission-checked, and itself logged."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from openpyxl import load_workbook

from gatehouse.audit import exports
from gatehouse.audit.models import LogEntry
from gatehouse.audit.tests.helpers import write
from gatehouse.core.scoping import platform_scope


def _seed(cast) -> None:  # type: ignore[no-untyped-def]
    top = cast.a_admin.group.path
    when = dt.datetime(2026, 4, 2, 8, 15, 30, tzinfo=dt.UTC)
    write(
        "people.person.created",
        enterprise_id=cast.enterprise_a.pk,
        group_path=top,
        when=when,
        operator="=cmd|' /C calc'!A0",
        message="+SUM(A1:A9)",
        after={"name": "@evil", "note": "-2+3"},
    )
    write(
        "people.person.deleted",
        enterprise_id=cast.enterprise_a.pk,
        group_path=top,
        when=when,
        operator="\tclerk",
        result=LogEntry.Result.FAILURE,
        message="\rrefused",
    )
    write(
        "access.door.opened",
        enterprise_id=cast.enterprise_a.pk,
        group_path=top,
        when=when,
        operator="guard",
    )
    write(
        "people.person.created",
        enterprise_id=cast.enterprise_b.pk,
        group_path=cast.b_admin.group.path,
        when=when,
        operator="bolt-secret",
    )


def test_xlsx_export_has_the_filtered_rows_neutralised(cast, client_for) -> None:  # type: ignore[no-untyped-def]
    _seed(cast)
    response = client_for("a-admin").get("/audit/export/?module=people&format=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == exports.FORMATS["xlsx"]
    assert re.fullmatch(
        r'attachment; filename="system-log-\d{8}-\d{6}\.xlsx"', response["Content-Disposition"]
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:3] == ("Time", "Module", "Action")
    body = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    assert [row["Action"] for row in body] == ["people.person.deleted", "people.person.created"]
    created = body[1]
    assert created["Operator"] == "'=cmd|' /C calc'!A0"
    assert created["Details"] == "'+SUM(A1:A9)"
    assert created["After"] == '{"name": "@evil", "note": "-2+3"}'
    # Excel has no time zones: the local (here UTC) wall-clock time
    assert created["Time"] == dt.datetime(2026, 4, 2, 8, 15, 30, tzinfo=dt.UTC).replace(tzinfo=None)
    assert created["Result"] == "Success"
    deleted = body[0]
    assert deleted["Operator"] == "'\tclerk"
    assert deleted["Details"] in ("'\rrefused", "'\nrefused")  # XML reads CR back as LF
    assert deleted["Result"] == "Failure"
    assert "bolt-secret" not in str(rows)
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f"


def test_csv_export_has_the_filtered_rows_neutralised(cast, client_for) -> None:  # type: ignore[no-untyped-def]
    _seed(cast)
    response = client_for("a-admin").get("/audit/export/?operator=cmd&format=csv")
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.csv"')
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert len(rows) == 2
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["Operator"] == "'=cmd|' /C calc'!A0"
    assert record["Details"] == "'+SUM(A1:A9)"
    assert record["Time"] == "2026-04-02 08:15:30"


def test_export_is_logged(cast, client_for) -> None:  # type: ignore[no-untyped-def]
    _seed(cast)
    client_for("a-admin").get("/audit/export/?module=people&result=success&format=xlsx")
    with platform_scope():
        entry = LogEntry.objects.filter(action="audit.log.exported").get()
    assert entry.result == LogEntry.Result.SUCCESS
    assert entry.actor_label == "a-admin"
    assert entry.enterprise_id == cast.enterprise_a.pk
    assert entry.group_path == cast.a_admin.group.path
    assert entry.after == {
        "format": "xlsx",
        "rows": 1,
        "filters": {"module": "people", "result": "success"},
    }


def test_export_over_the_limit_is_refused_with_a_message(cast, client_for, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _seed(cast)
    monkeypatch.setattr(exports, "EXPORT_ROW_LIMIT", 1)
    client = client_for("a-admin")
    response = client.get("/audit/export/?module=people&format=xlsx")
    assert response.status_code == 302
    assert response["Location"] == "/audit/?module=people"
    page = client.get(response["Location"]).content.decode()
    assert "The filters select 2 entries; an export holds at most 1." in page
    assert "Narrow the filters" in page
    with platform_scope():
        refused = LogEntry.objects.get(action="audit.log.exported")
    assert refused.result == LogEntry.Result.FAILURE
    # within the limit the same export goes through
    ok = client.get("/audit/export/?module=people&result=success&format=xlsx")
    assert ok.status_code == 200


def test_export_needs_its_permission(cast, client_for) -> None:  # type: ignore[no-untyped-def]
    member = client_for("a-member")
    assert member.get("/audit/export/?format=xlsx").status_code == 403
    assert 'data-testid="export"' not in member.get("/audit/").content.decode()
    assert 'data-testid="export"' in client_for("a-admin").get("/audit/").content.decode()


def test_unknown_format_and_bad_filters_redirect_with_a_message(cast, client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("a-admin")
    response = client.get("/audit/export/?format=pdf", follow=True)
    assert "Unknown export format pdf." in response.content.decode()
    response = client.get("/audit/export/?format=csv&date_from=nope", follow=True)
    assert "Correct the filters before exporting." in response.content.decode()


def test_neutralise() -> None:
    for text in ("=1+1", "+1", "-1", "@SUM(1)", "\tx", "\rx"):
        assert exports.neutralise(text) == "'" + text
    assert exports.neutralise("plain") == "plain"
    assert exports.neutralise(-5) == -5

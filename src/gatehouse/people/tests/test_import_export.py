"""Bulk import and export of persons (Smart Pass 4.1.2, 4.1.4, 4.2.2, 4.3.2), through the console
pages and the import job as a user meets them, and through `workbooks` for the fine print."""

from __future__ import annotations

import io
import random
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlrd
import xlwt
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gatehouse.audit.models import LogEntry
from gatehouse.core.actors import Actor
from gatehouse.core.jobs.worker import run_pending
from gatehouse.core.models import Job
from gatehouse.core.spreadsheets import read_table
from gatehouse.people import services, workbooks
from gatehouse.people.models import Category, Person
from gatehouse.people.tests.console import (  # noqa: F401 - own_media_folder is a fixture
    MEMBER_PEOPLE_PERMISSIONS,
    download,
    grant_member,
    job_of,
    media_files,
    own_media_folder,
    post_file,
    run_job,
    summary_counts,
)
from gatehouse.tenancy import services as tenancy_services

pytestmark = pytest.mark.django_db(transaction=True)


INCORRECT = "The file content or format is incorrect"
TITLES = {column.key: str(column.title) for column in workbooks.COLUMNS}


# --- building uploads ------------------------------------------------------------------------


def xlsx(rows: list[dict[str, Any]], keys: list[str] | None = None) -> bytes:
    """An xlsx as a user fills it in: English column titles, one person per row."""
    keys = keys or list(dict.fromkeys(key for row in rows for key in row))
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([TITLES[key] for key in keys])
    for row in rows:
        sheet.append([row.get(key) for key in keys])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xls(rows: list[dict[str, Any]], keys: list[str] | None = None) -> bytes:
    """The legacy format of the manual ("Personnel_import_template.xls"), written by xlwt;
    dates are real date cells."""
    keys = keys or list(dict.fromkeys(key for row in rows for key in row))
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Personnel")
    date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for column, key in enumerate(keys):
        sheet.write(0, column, TITLES[key])
    for number, row in enumerate(rows, start=1):
        for column, key in enumerate(keys):
            value = row.get(key)
            if isinstance(value, date):
                sheet.write(number, column, value, date_style)
            elif value is not None:
                sheet.write(number, column, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def wall_clock(text: str) -> datetime:
    """A date and time as a spreadsheet holds it: local wall-clock time, no time zone."""
    return datetime.fromisoformat(text)


def top_group_id(cast: Any) -> int:
    return int(cast.a_admin.group_id)


def import_file(
    client: Client,
    data: bytes,
    *,
    group: int,
    slug: str = "employees",
    mode: str = "skip",
    filename: str = "people.xlsx",
) -> Any:
    return post_file(client, "people:person_import", slug, data, filename, group=group, mode=mode)


def imported(
    client: Client,
    data: bytes,
    *,
    group: int,
    slug: str = "employees",
    mode: str = "skip",
    filename: str = "people.xlsx",
) -> Job:
    job = run_job(import_file(client, data, group=group, slug=slug, mode=mode, filename=filename))
    assert job.status == Job.Status.SUCCEEDED, (job.error, job.log)
    return job


def person(personnel_id: str) -> Person:
    found: Person = Person.objects.select_related("department", "person_group", "group").get(
        personnel_id=personnel_id
    )
    return found


def stored_uploads() -> list[Path]:
    return media_files("imports")


# --- the template ----------------------------------------------------------------------------


@pytest.mark.parametrize("file_format", ["xlsx", "xls"])
def test_the_template_downloads_with_the_columns_and_its_example_row_imports(
    acme: Any, client_for: Any, file_format: str
) -> None:
    admin = client_for("a-admin")
    status, body, disposition = download(
        admin, f"{reverse('people:import_template')}?format={file_format}"
    )
    assert status == 200
    assert disposition == f'attachment; filename="Personnel_import_template.{file_format}"'
    table = read_table(body)
    assert table.headers[:3] == ["Personnel ID *", "First name *", "Last name"]
    assert "Device PIN" in table.headers
    assert "Enabled" in table.headers
    assert len(table.headers) == len(workbooks.COLUMNS)
    assert [row.values["Personnel ID *"] for row in table.rows] == ["1001"]

    job = imported(admin, body, group=top_group_id(acme), filename=f"template.{file_format}")
    assert summary_counts(job)["Created"] == 1
    ada = person("1001")
    assert (ada.first_name, ada.last_name, ada.gender) == ("Ada", "Lovelace", "female")
    assert ada.email == "ada@example.com"
    assert ada.birth_date == date(1990, 12, 10)
    assert ada.is_enabled
    assert ada.category == Category.EMPLOYEE
    assert ada.group_id == top_group_id(acme)


def test_the_template_is_for_users_who_may_import(acme: Any, client_for: Any) -> None:
    grant_member(acme, "people.view")
    member = client_for("a-member")
    assert member.get(reverse("people:import_template")).status_code == 403
    assert (
        client_for("a-admin").get(f"{reverse('people:import_template')}?format=csv").status_code
        == 404
    )


# --- importing -------------------------------------------------------------------------------


def test_an_import_creates_the_persons_with_every_column_and_reports_progress(
    acme: Any, client_for: Any, admin_actor: Actor, top_group: Any
) -> None:
    hq = services.create_department(
        actor=admin_actor, enterprise_id=acme.enterprise_a.pk, name="Head office", code="HQ"
    )
    night = services.create_person_group(
        actor=admin_actor, group=top_group, category=Category.EMPLOYEE, name="Night shift"
    )
    rows: list[dict[str, Any]] = [
        {
            "personnel_id": 1001,  # typed as a number
            "first_name": "Ada",
            "last_name": "Lovelace",
            "gender": "Female",
            "department": "Head office",
            "person_group": "night shift",
            "email": "ada@example.com",
            "mobile_phone": "+44 20 7946 0000",
            "id_card_number": "X123",
            "card_number": "00a1b2",
            "device_pin": "4711",
            "nationality": "British",
            "ethnicity": "English",
            "birth_place": "London",
            "birth_date": wall_clock("1815-12-10T00:00"),
            "address": "12 St James's Square",
            "notes": "first programmer",
            "valid_from": "2030-01-01",
            "valid_until": wall_clock("2030-12-31T18:00"),
            "is_enabled": "yes",
        },
        {"personnel_id": "1002", "first_name": "Grace", "department": "hq", "gender": "F"},
        {
            "personnel_id": "A3",
            "first_name": "Alan",
            "gender": "male",
            "is_enabled": "No",
            "valid_from": date(2030, 1, 1),  # date cells: the period covers both whole days
            "valid_until": date(2030, 6, 30),
        },
    ]
    admin = client_for("a-admin")
    response = import_file(admin, xlsx(rows), group=top_group.pk)
    job = run_job(response)

    assert job.status == Job.Status.SUCCEEDED
    assert job.title == "Importing personnel information"
    assert (job.progress_done, job.progress_total) == (3, 3)
    assert summary_counts(job) == {
        "Rows": 3,
        "Created": 3,
        "Updated": 0,
        "Skipped duplicates": 0,
        "Failed": 0,
    }
    assert job.summary["failures"] == []
    assert not job.result_file
    assert "Successful batch import of personnel information." in job.log
    assert job.created_by_id == acme.a_admin.pk
    assert stored_uploads() == []  # the upload is removed once read

    ada = person("1001")
    assert ada.full_name == "Ada Lovelace"
    assert ada.gender == "female"
    assert ada.department == hq
    assert ada.person_group == night
    assert ada.card_number == "00A1B2"
    assert ada.device_pin == "4711"
    assert (ada.nationality, ada.ethnicity, ada.birth_place) == ("British", "English", "London")
    assert ada.birth_date == date(1815, 12, 10)
    assert ada.mobile_phone == "+44 20 7946 0000"
    assert ada.valid_from == timezone.make_aware(wall_clock("2030-01-01T00:00"))
    assert ada.valid_until == timezone.make_aware(wall_clock("2030-12-31T18:00"))
    assert ada.is_enabled
    grace = person("1002")
    assert (grace.gender, grace.department) == ("female", hq)  # department by its code
    assert grace.person_group.is_default
    assert grace.group == top_group
    alan = person("A3")
    assert not alan.is_enabled
    assert alan.valid_from == timezone.make_aware(wall_clock("2030-01-01T00:00"))
    assert alan.valid_until == timezone.make_aware(wall_clock("2030-06-30T23:59:59"))
    created = LogEntry.objects.filter(action="people.employee.created", actor_user=acme.a_admin)
    assert created.count() == 3


@pytest.mark.parametrize(
    ("slug", "category"), [("visitors", Category.VISITOR), ("blacklist", Category.BLACKLIST)]
)
def test_each_page_imports_into_its_own_category(
    acme: Any, client_for: Any, slug: str, category: str
) -> None:
    imported(
        client_for("a-admin"),
        xlsx([{"personnel_id": "V1", "first_name": "Vera"}]),
        group=top_group_id(acme),
        slug=slug,
    )
    vera = person("V1")
    assert vera.category == category
    assert vera.person_group.category == category
    assert vera.person_group.is_default


def test_skip_mode_reports_existing_ids_as_skipped_and_changes_nothing(
    acme: Any, client_for: Any, make_person: Any
) -> None:
    make_person("1001", first_name="Old", email="old@example.com")
    make_person("V7", first_name="Visitor", category=Category.VISITOR)
    people_entries = LogEntry.objects.filter(module="people")
    before = people_entries.count()
    rows = [
        {"personnel_id": "1001", "first_name": "New", "email": "new@example.com"},
        {"personnel_id": "1002", "first_name": "Fresh"},
        {"personnel_id": "v7", "first_name": "Not a visitor any more"},
    ]
    job = imported(client_for("a-admin"), xlsx(rows), group=top_group_id(acme))

    assert job.summary["failure_columns"] == ["Row", "Field", "Reason"]
    assert job.summary["failures"] == [
        ["2", "Personnel ID", "The personnel ID 1001 already exists; skipped."],
        ["4", "Personnel ID", "The personnel ID v7 already exists; skipped."],
    ]
    assert summary_counts(job)["Skipped duplicates"] == 2
    assert summary_counts(job)["Created"] == 1
    assert summary_counts(job)["Failed"] == 0
    old = person("1001")
    assert (old.first_name, old.email) == ("Old", "old@example.com")
    visitor = person("V7")
    assert (visitor.first_name, visitor.category) == ("Visitor", Category.VISITOR)
    assert people_entries.count() == before + 1  # only 1002's creation
    assert not people_entries.filter(action__endswith=".changed").exists()


def test_overwrite_mode_updates_existing_persons_and_keeps_columns_left_out(
    acme: Any, client_for: Any, make_person: Any
) -> None:
    make_person("1001", first_name="Old", last_name="Name", device_pin="4711", notes="keep me")
    rows = [
        {"personnel_id": "1001", "first_name": "New", "last_name": "Surname"},
        {"personnel_id": "1002", "first_name": "Fresh", "last_name": ""},
    ]
    job = imported(client_for("a-admin"), xlsx(rows), group=top_group_id(acme), mode="overwrite")

    counts = summary_counts(job)
    assert (counts["Created"], counts["Updated"], counts["Skipped duplicates"]) == (1, 1, 0)
    assert job.summary["failures"] == []
    updated = person("1001")
    assert (updated.first_name, updated.last_name) == ("New", "Surname")
    assert (updated.device_pin, updated.notes) == ("4711", "keep me")  # no such columns
    entry = LogEntry.objects.get(action="people.employee.changed", object_id=str(updated.pk))
    assert entry.before["first_name"] == "Old"
    assert entry.after["first_name"] == "New"
    assert entry.actor_user_id == acme.a_admin.pk


def test_a_personnel_id_twice_in_one_file_imports_the_first_row_only(
    acme: Any, client_for: Any
) -> None:
    rows = [
        {"personnel_id": "1001", "first_name": "First"},
        {"personnel_id": "1001", "first_name": "Second"},
        {"personnel_id": "AB12", "first_name": "Upper"},
        {"personnel_id": "ab12", "first_name": "Lower"},
    ]
    for mode in ("skip", "overwrite"):
        Person.objects.all().delete()
        job = imported(client_for("a-admin"), xlsx(rows), group=top_group_id(acme), mode=mode)
        assert job.summary["failures"] == [
            ["3", "Personnel ID", "The personnel ID 1001 appears twice in the file (row 2)."],
            ["5", "Personnel ID", "The personnel ID ab12 appears twice in the file (row 4)."],
        ]
        assert summary_counts(job)["Failed"] == 2
        assert sorted(Person.objects.values_list("personnel_id", "first_name")) == [
            ("1001", "First"),
            ("AB12", "Upper"),
        ]


def _truncated_xlsx() -> bytes:
    whole = xlsx([{"personnel_id": "1001", "first_name": "Ada"}])
    return whole[: len(whole) // 2]


def _unrelated_workbook() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Name", "Phone"])
    sheet.append(["Ada", "123"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("filename", "content", "detail"),
    [
        ("people.xlsx", bytes(random.Random(7).getrandbits(8) for _ in range(4096)), "Excel"),
        ("people.xlsx", b"personnel_id,first_name\n1001,Ada\n", "Excel"),
        ("people.xls", b"Personnel ID\tFirst name\n1001\tAda\n", "Excel"),
        ("people.xlsx", _truncated_xlsx(), "damaged"),
        ("people.xlsx", _unrelated_workbook(), "Personnel ID, First name"),
        ("people.xlsx", xlsx([], keys=["personnel_id", "first_name"]), "no rows"),
    ],
    ids=["random-bytes", "csv-renamed", "txt-renamed-xls", "truncated", "no-template", "empty"],
)
def test_a_file_that_is_not_a_filled_in_template_is_refused_at_upload(
    acme: Any, client_for: Any, filename: str, content: bytes, detail: str
) -> None:
    response = import_file(
        client_for("a-admin"), content, group=top_group_id(acme), filename=filename
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert INCORRECT in page
    assert detail in page
    assert not Job._base_manager.exists()
    assert stored_uploads() == []
    assert not Person.objects.exists()


def test_bad_values_fail_row_by_row_with_field_and_reason_and_good_rows_import(
    acme: Any, client_for: Any, admin_actor: Actor
) -> None:
    services.create_department(
        actor=admin_actor, enterprise_id=acme.enterprise_a.pk, name="Head office"
    )
    job = imported(client_for("a-admin"), xlsx(BAD_ROWS), group=top_group_id(acme))

    assert job.summary["failures"] == [
        ["3", "Date of birth", "Enter a date as YYYY-MM-DD."],
        ["4", "Gender", "Gender must be male, female or other."],
        ["5", "Device PIN", "The device PIN must be 4 to 8 digits."],
        ["6", "E-mail", "Enter a valid e-mail address."],
        ["7", "Department", "There is no department Research."],
        ["8", "Grouping", "There is no grouping Night shift in Acme."],
        ["9", "Valid until", "The end of the validity period must come after its start."],
        ["10", "First name", "The first name is required."],
    ]
    assert job.summary["failures_total"] == 8
    assert summary_counts(job) == {
        "Rows": 10,
        "Created": 2,
        "Updated": 0,
        "Skipped duplicates": 0,
        "Failed": 8,
    }
    assert "8 rows were not imported; see the table and the file." in job.log
    assert sorted(Person.objects.values_list("personnel_id", flat=True)) == ["1001", "1010"]
    assert person("1010").department is not None


BAD_ROWS: list[dict[str, Any]] = [
    {"personnel_id": "1001", "first_name": "Good", "birth_date": "1990-01-31"},
    {"personnel_id": "1002", "first_name": "Bad date", "birth_date": "31/01/1990"},
    {"personnel_id": "1003", "first_name": "Bad gender", "gender": "robot"},
    {"personnel_id": "1004", "first_name": "Bad PIN", "device_pin": "12"},
    {"personnel_id": "1005", "first_name": "Bad mail", "email": "not-an-address"},
    {"personnel_id": "1006", "first_name": "No dept", "department": "Research"},
    {"personnel_id": "1007", "first_name": "No grouping", "person_group": "Night shift"},
    {
        "personnel_id": "1008",
        "first_name": "Backwards",
        "valid_from": "2030-02-01",
        "valid_until": "2030-01-01",
    },
    {"personnel_id": "1009", "first_name": None, "last_name": "Nameless"},
    {"personnel_id": "1010", "first_name": "Good too", "department": "head office"},
]


# --- the failure file ------------------------------------------------------------------------

FIXES: dict[str, dict[str, str]] = {
    "1002": {"Date of birth": "1990-01-31"},
    "1003": {"Gender": "male"},
    "1004": {"Device PIN": "1234"},
    "1005": {"E-mail": "mail@example.com"},
    "1006": {"Department": "Head office"},
    "1007": {"Grouping": ""},
    "1008": {"Valid until": "2030-03-01"},
    "1009": {"First name *": "Named"},
}


def test_the_failure_file_fixed_in_a_spreadsheet_program_imports(
    acme: Any, client_for: Any, admin_actor: Actor
) -> None:
    services.create_department(
        actor=admin_actor, enterprise_id=acme.enterprise_a.pk, name="Head office"
    )
    admin = client_for("a-admin")
    job = imported(admin, xlsx(BAD_ROWS), group=top_group_id(acme))
    status, body, disposition = download(admin, reverse("core:job_result", args=[job.pk]))
    assert status == 200
    assert disposition == 'attachment; filename="Import_failures.xlsx"'

    book = openpyxl.load_workbook(io.BytesIO(body))
    sheet = book.worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    # the columns of the upload, in its order, then where and why each row failed
    assert headers == [
        "Personnel ID *",
        "First name *",
        "Date of birth",
        "Gender",
        "Device PIN",
        "E-mail",
        "Department",
        "Grouping",
        "Valid from",
        "Valid until",
        "Last name",
        "Row",
        "Field",
        "Reason",
    ]
    failed = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert sorted(failed) == sorted(FIXES)
    column = {title: index for index, title in enumerate(headers)}
    assert failed["1004"][column["Row"]].value == 5
    assert failed["1004"][column["Field"]].value == "Device PIN"
    assert failed["1004"][column["Device PIN"]].value == "12"
    for personnel_id, fixes in FIXES.items():
        for title, value in fixes.items():
            failed[personnel_id][column[title]].value = value
    fixed = io.BytesIO()
    book.save(fixed)

    again = imported(admin, fixed.getvalue(), group=top_group_id(acme))
    assert again.summary["failures"] == []
    assert summary_counts(again)["Created"] == 8
    assert not again.result_file
    assert Person.objects.count() == 10
    assert person("1004").device_pin == "1234"
    assert person("1009").full_name == "Named Nameless"


def test_the_failure_file_of_an_overwrite_leaves_columns_the_upload_did_not_have(
    acme: Any, client_for: Any, make_person: Any
) -> None:
    make_person("1001", first_name="Ada", device_pin="4711", notes="keep me")
    admin = client_for("a-admin")
    upload = xlsx([{"personnel_id": "1001", "first_name": "Ada", "email": "nope"}])
    job = imported(admin, upload, group=top_group_id(acme), mode="overwrite")
    assert job.summary["failures"] == [["2", "E-mail", "Enter a valid e-mail address."]]
    body = download(admin, reverse("core:job_result", args=[job.pk]))[1]
    table = read_table(body)
    assert table.headers == ["Personnel ID *", "First name *", "E-mail", "Row", "Field", "Reason"]

    book = openpyxl.load_workbook(io.BytesIO(body))
    book.worksheets[0]["C2"] = "ada@example.com"
    fixed = io.BytesIO()
    book.save(fixed)
    imported(admin, fixed.getvalue(), group=top_group_id(acme), mode="overwrite")
    ada = person("1001")
    assert (ada.email, ada.device_pin, ada.notes) == ("ada@example.com", "4711", "keep me")


def test_a_legacy_xls_file_imports_and_its_failures_come_back_as_xls(
    acme: Any, client_for: Any
) -> None:
    rows: list[dict[str, Any]] = [
        {"personnel_id": 1001, "first_name": "Ada", "birth_date": date(1815, 12, 10)},
        {"personnel_id": "1002", "first_name": "Grace", "gender": "Female", "is_enabled": "no"},
        {"personnel_id": "1003", "first_name": "Bad", "email": "@"},
    ]
    admin = client_for("a-admin")
    job = imported(admin, xls(rows), group=top_group_id(acme), filename="Personnel.xls")
    assert summary_counts(job)["Created"] == 2
    assert job.summary["failures"] == [["4", "E-mail", "Enter a valid e-mail address."]]
    assert person("1001").birth_date == date(1815, 12, 10)
    grace = person("1002")
    assert (grace.gender, grace.is_enabled) == ("female", False)

    _status, body, disposition = download(admin, reverse("core:job_result", args=[job.pk]))
    assert disposition == 'attachment; filename="Import_failures.xls"'
    sheet = xlrd.open_workbook(file_contents=body).sheet_by_index(0)
    assert sheet.row_values(0)[-3:] == ["Row", "Field", "Reason"]
    assert sheet.row_values(1)[:2] == ["1003", "Bad"]


# --- who imports what ------------------------------------------------------------------------


def test_a_member_imports_only_into_groups_it_can_see(acme: Any, client_for: Any) -> None:
    grant_member(acme, *MEMBER_PEOPLE_PERMISSIONS)
    member = client_for("a-member")
    page = member.get(reverse("people:person_import", args=["employees"]))
    assert page.status_code == 200
    offered = {value for value, _label in page.context["form"].fields["group"].choices}
    assert offered == {acme.a_sub_group.pk}

    upload = xlsx([{"personnel_id": "1001", "first_name": "Ada"}])
    for hidden in (top_group_id(acme), acme.a_sibling_group.pk):
        refused = import_file(member, upload, group=hidden)
        assert refused.status_code == 200
        assert "Select a valid choice." in refused.content.decode()
    assert not Job._base_manager.exists()

    job = imported(member, upload, group=acme.a_sub_group.pk)
    assert job.group_path == acme.a_sub_group.path
    assert person("1001").group == acme.a_sub_group


def test_an_import_acts_with_the_importing_user_visibility(
    acme: Any, client_for: Any, make_person: Any, admin_actor: Actor, top_group: Any
) -> None:
    grant_member(acme, *MEMBER_PEOPLE_PERMISSIONS)
    make_person("1001", first_name="Sibling", group=acme.a_sibling_group)
    make_person("1002", first_name="Top")
    make_person("1003", first_name="Branch", group=acme.a_sub_group)
    services.create_person_group(
        actor=admin_actor, group=top_group, category=Category.EMPLOYEE, name="Managers"
    )
    rows = [
        {"personnel_id": "1001", "first_name": "Changed"},
        {"personnel_id": "1002", "first_name": "Changed"},
        {"personnel_id": "1003", "first_name": "Changed"},
        {"personnel_id": "1004", "first_name": "New", "person_group": "Managers"},
    ]
    job = imported(client_for("a-member"), xlsx(rows), group=acme.a_sub_group.pk, mode="overwrite")
    assert job.summary["failures"] == [
        ["2", "Personnel ID", "The personnel ID 1001 belongs to a person you cannot change."],
        ["3", "Personnel ID", "The personnel ID 1002 belongs to a person you cannot change."],
        ["5", "Grouping", "There is no grouping Managers in Branch."],
    ]
    assert person("1001").first_name == "Sibling"
    assert person("1002").first_name == "Top"
    assert person("1003").first_name == "Changed"
    assert not Person.objects.filter(personnel_id="1004").exists()


def test_an_import_whose_user_was_disabled_meanwhile_fails_and_imports_nothing(
    acme: Any, client_for: Any
) -> None:
    job = job_of(
        import_file(
            client_for("a-admin"),
            xlsx([{"personnel_id": "1001", "first_name": "Ada"}]),
            group=top_group_id(acme),
        )
    )
    acme.a_admin.is_active = False
    acme.a_admin.save(update_fields=["is_active"])
    run_pending()
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.error == "The user who started this import no longer exists or is disabled."
    assert not Person.objects.exists()
    assert stored_uploads() == []


def test_an_import_into_a_group_deleted_meanwhile_fails_with_a_clear_error(
    acme: Any, client_for: Any
) -> None:
    system = Actor.system("test")
    gone = tenancy_services.create_group(actor=system, parent=acme.a_sub_group, name="Gone")
    job = job_of(
        import_file(
            client_for("a-admin"),
            xlsx([{"personnel_id": "1001", "first_name": "Ada"}]),
            group=gone.pk,
        )
    )
    tenancy_services.delete_group(gone, actor=system)
    run_pending()
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.error == "The user group chosen for this import no longer exists."
    assert not Person.objects.exists()


def test_an_overwrite_does_not_move_a_person_of_another_category(
    acme: Any, client_for: Any, make_person: Any
) -> None:
    make_person("V1", first_name="Visitor", category=Category.VISITOR)
    make_person("B1", first_name="Banned", category=Category.BLACKLIST)
    rows = [
        {"personnel_id": "V1", "first_name": "Employee now?"},
        {"personnel_id": "B1", "first_name": "Employee now?"},
    ]
    job = imported(client_for("a-admin"), xlsx(rows), group=top_group_id(acme), mode="overwrite")
    assert [failure[:2] for failure in job.summary["failures"]] == [
        ["2", "Personnel ID"],
        ["3", "Personnel ID"],
    ]
    assert "Visitor" in job.summary["failures"][0][2]
    assert (person("V1").category, person("V1").first_name) == (Category.VISITOR, "Visitor")
    assert (person("B1").category, person("B1").first_name) == (Category.BLACKLIST, "Banned")


def test_import_pages_need_the_import_permission(acme: Any, client_for: Any) -> None:
    grant_member(acme, "people.view", "people.add", "people.change")
    member = client_for("a-member")
    upload = xlsx([{"personnel_id": "1001", "first_name": "Ada"}])
    for slug in ("employees", "visitors", "blacklist"):
        assert member.get(reverse("people:person_import", args=[slug])).status_code == 403
        assert import_file(member, upload, group=acme.a_sub_group.pk, slug=slug).status_code == 403
        assert member.get(reverse("people:person_export", args=[slug])).status_code == 403
    assert not Job._base_manager.exists()


# --- export ----------------------------------------------------------------------------------


@pytest.fixture
def roster(acme: Any, make_person: Any) -> dict[str, Person]:
    """Persons of every category in the top group, the member's branch and the sibling group;
    each has a device PIN nobody may export."""
    top = acme.a_admin.group
    return {
        personnel_id: make_person(
            personnel_id, first_name=name, category=category, group=group, device_pin="98765"
        )
        for personnel_id, name, category, group in (
            ("E1", "Ada", Category.EMPLOYEE, acme.a_sibling_group),
            ("E2", "Grace", Category.EMPLOYEE, acme.a_sub_group),
            ("E3", "Alan", Category.EMPLOYEE, top),
            ("V1", "Vera", Category.VISITOR, acme.a_sub_group),
            ("V2", "Victor", Category.VISITOR, top),
            ("B1", "Boris", Category.BLACKLIST, top),
        )
    }


def exported(client: Client, slug: str, file_format: str, query: str = "") -> tuple[str, Any]:
    """The download's file name and its rows as read back (header -> value dicts)."""
    url = f"{reverse('people:person_export', args=[slug])}?format={file_format}{query}"
    status, body, disposition = download(client, url)
    assert status == 200, body[:500]
    name = disposition.removeprefix('attachment; filename="').removesuffix('"')
    return name, read_table(body)


def exported_ids(client: Client, slug: str, file_format: str, query: str = "") -> list[str]:
    return [
        row.values["Personnel ID"] for row in exported(client, slug, file_format, query)[1].rows
    ]


@pytest.mark.parametrize(
    ("slug", "file_format", "filename", "expected"),
    [
        ("employees", "xlsx", "Employee Information.xlsx", ["E1", "E2", "E3"]),
        ("employees", "xls", "Employee Information.xls", ["E1", "E2", "E3"]),
        ("visitors", "xls", "Visitor information.xls", ["V1", "V2"]),
        ("visitors", "xlsx", "Visitor information.xlsx", ["V1", "V2"]),
        ("blacklist", "xlsx", "Blacklist information.xlsx", ["B1"]),
        ("blacklist", "xls", "Blacklist information.xls", ["B1"]),
    ],
)
def test_each_category_exports_to_the_manual_file_without_device_pins(
    roster: Any, client_for: Any, slug: str, file_format: str, *, filename: str, expected: list[str]
) -> None:
    name, table = exported(client_for("a-admin"), slug, file_format)
    assert name == filename
    assert [row.values["Personnel ID"] for row in table.rows] == expected
    assert "Device PIN" not in table.headers
    assert table.headers[:2] == ["Personnel ID", "First name"]
    cells = {value for row in table.rows for value in row.values.values()}
    assert "98765" not in cells
    assert 98765 not in cells


def test_an_export_holds_what_the_user_may_see_and_what_the_filters_leave(
    acme: Any, roster: Any, client_for: Any
) -> None:
    grant_member(acme, "people.view", "people.import")
    member = client_for("a-member")
    assert exported_ids(member, "employees", "xlsx") == ["E2"]
    assert exported_ids(member, "visitors", "xls") == ["V1"]
    admin = client_for("a-admin")
    assert exported_ids(admin, "employees", "xlsx", "&q=grace") == ["E2"]
    sibling = f"&group={acme.a_sibling_group.pk}"
    assert exported_ids(admin, "employees", "xls", sibling) == ["E1"]
    # a filter value the user may not use is ignored, never widening what is exported
    assert exported_ids(member, "employees", "xlsx", sibling) == ["E2"]


def test_an_export_is_written_to_the_system_log(acme: Any, roster: Any, client_for: Any) -> None:
    admin = client_for("a-admin")
    exported(admin, "employees", "xlsx")
    exported(admin, "blacklist", "xls")
    employees = LogEntry.objects.get(action="people.employee.exported")
    assert employees.message == "Employee Information.xlsx"
    assert employees.actor_user_id == acme.a_admin.pk
    assert employees.enterprise_id == acme.enterprise_a.pk
    assert LogEntry.objects.get(action="people.blacklist.exported").message == (
        "Blacklist information.xls"
    )


FORMULAS = {
    "first_name": '=HYPERLINK("http://evil.example","click")',
    "last_name": "+1+1",
    "address": "-2+3",
    "notes": "@SUM(A1:A9)",
}


def test_text_that_looks_like_a_formula_is_exported_neutralised(
    acme: Any, make_person: Any, client_for: Any
) -> None:
    make_person("1001", **FORMULAS)
    admin = client_for("a-admin")
    url = reverse("people:person_export", args=["employees"])
    xlsx_body = download(admin, f"{url}?format=xlsx")[1]
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_body)).worksheets[0]
    xlsx_cells = {cell.value: cell.data_type for cell in sheet[2]}
    xls_sheet = xlrd.open_workbook(
        file_contents=download(admin, f"{url}?format=xls")[1]
    ).sheet_by_index(0)
    xls_cells = {cell.value: cell.ctype for cell in xls_sheet.row(1)}
    for value in FORMULAS.values():
        assert xlsx_cells.get("'" + value) == "s", value  # text, never a formula
        assert xls_cells.get("'" + value) == xlrd.XL_CELL_TEXT, value
        assert value not in xlsx_cells
        assert value not in xls_cells


def test_an_export_imported_again_with_overwrite_changes_nothing(
    acme: Any, client_for: Any, make_person: Any, admin_actor: Actor
) -> None:
    department = services.create_department(
        actor=admin_actor, enterprise_id=acme.enterprise_a.pk, name="Security"
    )
    night = services.create_person_group(
        actor=admin_actor, group=acme.a_sub_group, category=Category.EMPLOYEE, name="Night shift"
    )
    moment = timezone.make_aware(wall_clock("2030-05-01T08:30"))
    make_person(
        "1001",
        first_name="=Ada",
        last_name="Lovelace",
        gender="female",
        department=department,
        email="ada@example.com",
        mobile_phone="+44 20 7946 0000",
        card_number="00A1B2",
        device_pin="4711",
        birth_date=date(1815, 12, 10),
        valid_from=moment,
        valid_until=moment.replace(year=2031),
        is_enabled=False,
    )
    make_person("1002", first_name="Grace", group=acme.a_sub_group)
    make_person("1003", first_name="Alan", person_group=night)
    before = {p.personnel_id: p for p in Person.objects.all()}
    admin = client_for("a-admin")
    body = download(admin, f"{reverse('people:person_export', args=['employees'])}?format=xlsx")[1]
    job = imported(admin, body, group=top_group_id(acme), mode="overwrite")
    assert job.summary["failures"] == []
    assert summary_counts(job)["Updated"] == 3
    fields = [*services.PERSON_FIELDS, "group"]
    for personnel_id, old in before.items():
        new = person(personnel_id)
        assert [getattr(new, name) for name in fields] == [getattr(old, name) for name in fields]
    assert not LogEntry.objects.filter(action="people.employee.changed").exists()


def test_a_template_downloaded_in_another_language_imports_in_any(
    acme: Any, client_for: Any
) -> None:
    from django.utils import translation

    with translation.override("pl"):
        enabled, yes, no = (
            str(workbooks.COLUMN_BY_KEY["is_enabled"].title),
            translation.gettext("Yes"),
            translation.gettext("No"),
        )
    assert (enabled, yes, no) != ("Enabled", "Yes", "No")  # the catalogue has them
    admin = client_for("a-admin")
    admin.defaults["HTTP_ACCEPT_LANGUAGE"] = "pl"
    body = download(admin, f"{reverse('people:import_template')}?format=xlsx")[1]
    book = openpyxl.load_workbook(io.BytesIO(body))
    sheet = book.worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    assert sheet.cell(2, headers.index(enabled) + 1).value == yes
    sheet.append(["1002", "Bea", *[None] * (headers.index(enabled) - 2), no])
    filled = io.BytesIO()
    book.save(filled)
    # the import job runs in the importing user's language (English here), not the page's
    admin.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    job = imported(admin, filled.getvalue(), group=top_group_id(acme))
    assert job.summary["failures"] == []
    assert person("1001").is_enabled
    assert not person("1002").is_enabled


def test_failure_reasons_are_in_the_language_of_the_user_who_imported(
    acme: Any, client_for: Any
) -> None:
    from django.utils import translation

    acme.a_admin.language = "pl"
    acme.a_admin.save(update_fields=["language"])
    rows = [{"personnel_id": "1001", "first_name": "Ada", "is_enabled": "maybe"}]
    job = imported(client_for("a-admin"), xlsx(rows), group=top_group_id(acme))
    with translation.override("pl"):
        enabled = str(workbooks.COLUMN_BY_KEY["is_enabled"].title)
        reason = translation.gettext("Write yes or no.")
        failed = translation.gettext("Failed")
    assert enabled != "Enabled"
    assert failed != "Failed"
    assert job.summary["failures"] == [["2", enabled, reason]]
    assert summary_counts(job)[failed] == 1


def test_a_user_who_may_import_but_not_see_jobs_follows_its_own_import(
    acme: Any, client_for: Any
) -> None:
    """The import form lands on the job page: its starter may open it and its result file
    without the Jobs permission; other users' jobs stay closed."""
    grant_member(acme, "people.view", "people.add", "people.import")
    member = client_for("a-member")
    response = import_file(
        member,
        xlsx(
            [{"personnel_id": "M1", "first_name": "Mia"}, {"personnel_id": "", "first_name": "x"}]
        ),
        group=acme.a_sub_group.pk,
    )
    assert response.status_code == 302
    job = run_job(response)
    assert member.get(reverse("core:job_detail", args=[job.pk])).status_code == 200
    status, body, _disposition = download(member, reverse("core:job_result", args=[job.pk]))
    assert status == 200
    assert body.startswith(b"PK")  # the failure workbook
    other = import_file(
        client_for("a-admin"),
        xlsx([{"personnel_id": "M2", "first_name": "Max"}]),
        group=acme.a_sub_group.pk,
    )
    other_job = run_job(other)
    assert member.get(reverse("core:job_detail", args=[other_job.pk])).status_code == 403
    assert member.get(reverse("core:job_list")).status_code == 403

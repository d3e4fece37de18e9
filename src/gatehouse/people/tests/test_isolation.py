"""Isolation of the people routes the leak matrix cannot walk by itself (tests/leak_samples.py,
UNCHECKED_ROUTES): the per-category console pages (`people/<category>/...`), the spreadsheet
downloads and the import uploads. Another enterprise, and a user beside or below a group, never
gets another's persons into a file, nor its own file into another's groups or persons."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import openpyxl
import pytest
from tests import face_images
from tests.support import login_client

from gatehouse.core.actors import Actor
from gatehouse.core.models import Job
from gatehouse.core.scoping import platform_scope, tenant_scope
from gatehouse.core.tests.test_api_conventions import (  # noqa: F401 - fixture
    _fresh_throttle_cache,
    assert_error,
    token_client,
)
from gatehouse.people import services, workbooks
from gatehouse.people.models import Person
from gatehouse.tenancy import services as tenancy_services
from gatehouse.tenancy.models import Group

API_EXPORT = "/api/v1/people/export/?category=employee"
CONSOLE_EXPORT = "/people/employees/export/"
API_IMPORT = "/api/v1/people/import/"
API_PORTRAITS = "/api/v1/people/import-portraits/"
CONSOLE_IMPORT = "/people/employees/import/"
CONSOLE_PORTRAITS = "/people/employees/import-portraits/"
CONSOLE_ADD = "/people/employees/add/"
# core.view: to follow the import jobs it starts
MEMBER_PERMISSIONS = ["people.view", "people.add", "people.import", "core.view"]


@pytest.fixture
def world(cast: Any) -> Any:
    """Employees 5101 (A's top group), 5201 (Branch), 5301 (Sibling) and 5901 (B); a-member
    (Branch) may view, add and import persons."""
    with tenant_scope(cast.enterprise_a.pk):
        top = Group.objects.get(pk=cast.a_admin.group_id)
        admin = Actor.for_user(cast.a_admin)
        for personnel_id, group in (
            ("5101", top),
            ("5201", cast.a_sub_group),
            ("5301", cast.a_sibling_group),
        ):
            services.create_person(
                actor=admin, personnel_id=personnel_id, first_name=f"A{personnel_id}", group=group
            )
        tenancy_services.update_role(
            cast.a_role,
            actor=Actor.system("test"),
            permissions=[*cast.a_role.permissions, *MEMBER_PERMISSIONS],
        )
    with tenant_scope(cast.enterprise_b.pk):
        b_top = Group.objects.get(pk=cast.b_admin.group_id)
        services.create_person(
            actor=Actor.for_user(cast.b_admin), personnel_id="5901", first_name="B5901", group=b_top
        )
    cast.a_top_group = top
    return cast


def users(cast: Any) -> dict[str, Any]:
    return {"a-admin": cast.a_admin, "a-member": cast.a_member, "b-admin": cast.b_admin}


def exported_ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.content[:500]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    return [str(row[0]) for row in sheet.iter_rows(min_row=2, values_only=True)]


def named_file(data: bytes, name: str) -> io.BytesIO:
    handle = io.BytesIO(data)
    handle.name = name
    return handle


def photo_ids(enterprise_id: int) -> set[str]:
    with tenant_scope(enterprise_id):
        return set(
            Person.objects.filter(photo__isnull=False).values_list("personnel_id", flat=True)
        )


def job_count() -> int:
    with platform_scope():
        return Job._base_manager.filter(kind__startswith="people.").count()


@pytest.mark.parametrize("route", ["api", "console"])
@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("a-admin", ["5101", "5201", "5301"]),  # the control: the file does list persons
        ("a-member", ["5201"]),
        ("b-admin", ["5901"]),
    ],
)
def test_an_export_holds_only_the_persons_its_user_sees(
    world: Any, route: str, username: str, expected: list[str]
) -> None:
    if route == "api":
        response = token_client(users(world)[username]).get(API_EXPORT)
    else:
        response = login_client(username).get(CONSOLE_EXPORT)
    assert exported_ids(response) == expected


def a_workbook() -> bytes:
    return workbooks.template("xlsx")


def test_the_api_refuses_an_import_into_a_group_its_user_cannot_see(world: Any) -> None:
    for user, group in (
        (world.b_admin, world.a_top_group),
        (world.a_member, world.a_sibling_group),
        (world.a_member, world.a_top_group),
    ):
        response = token_client(user).post(
            API_IMPORT,
            {"file": named_file(a_workbook(), "persons.xlsx"), "group": group.pk, "mode": "skip"},
        )
        error = assert_error(response, 400, "invalid")
        assert error["fields"] == {"group": [f'Invalid pk "{group.pk}" - object does not exist.']}
    assert job_count() == 0


def test_the_console_import_offers_and_accepts_only_visible_groups(world: Any) -> None:
    for username, group in (("b-admin", world.a_top_group), ("a-member", world.a_sibling_group)):
        client = login_client(username)
        offered = {
            pk for pk, _label in client.get(CONSOLE_IMPORT).context["form"].fields["group"].choices
        }
        assert group.pk not in offered
        response = client.post(
            CONSOLE_IMPORT,
            {"file": named_file(a_workbook(), "persons.xlsx"), "group": group.pk, "mode": "skip"},
        )
        assert response.status_code == 200  # the form again, with the error
        assert "group" in response.context["form"].errors
    assert job_count() == 0


def test_the_console_add_page_places_persons_only_in_visible_groups(world: Any) -> None:
    member = login_client("a-member")
    offered = [
        value
        for value, _label in member.get(CONSOLE_ADD).context["form"].fields["placement"].choices
    ]
    assert offered == [f"group:{world.a_sub_group.pk}"]
    b_offered = login_client("b-admin").get(CONSOLE_ADD).context["form"].fields["placement"].choices
    assert [value for value, _label in b_offered] == [f"group:{world.b_admin.group_id}"]

    for client, group in (
        (member, world.a_sibling_group),
        (login_client("b-admin"), world.a_top_group),
    ):
        response = client.post(
            CONSOLE_ADD,
            {"personnel_id": "5001", "first_name": "Eve", "placement": f"group:{group.pk}"},
        )
        assert response.status_code == 200
        assert "placement" in response.context["form"].errors
    with platform_scope():
        assert not Person.objects.filter(personnel_id="5001").exists()


def portrait_zip(*personnel_ids: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for personnel_id in personnel_ids:
            archive.writestr(f"{personnel_id}.jpg", face_images.portrait())
    return buffer.getvalue()


@pytest.mark.django_db(transaction=True)
def test_a_portrait_zip_reaches_only_the_persons_its_uploader_sees(world: Any) -> None:
    from gatehouse.core.jobs.worker import run_pending

    b_console = login_client("b-admin")
    response = b_console.post(
        CONSOLE_PORTRAITS, {"file": named_file(portrait_zip("5101", "5901"), "photos.zip")}
    )
    assert response.status_code == 302, response.content[:500]
    member_api = token_client(world.a_member)
    response = member_api.post(
        API_PORTRAITS,
        {"file": named_file(portrait_zip("5101", "5201", "5301"), "photos.zip")},
    )
    assert response.status_code == 202, response.content[:500]
    job_id = response.json()["id"]

    assert run_pending() == 2
    assert photo_ids(world.enterprise_b.pk) == {"5901"}
    assert photo_ids(world.enterprise_a.pk) == {"5201"}
    summary = member_api.get(f"/api/v1/jobs/{job_id}/").json()["summary"]
    assert sorted(name for name, _reason in summary["failures"]) == ["5101.jpg", "5301.jpg"]
    assert all("No employee has the personnel ID" in reason for _n, reason in summary["failures"])


def test_the_import_template_holds_no_tenant_data(world: Any) -> None:
    """The template is the same file for everyone: headers and the manual's example row."""
    answers = [
        token_client(world.b_admin).get("/api/v1/people/import-template/").content,
        token_client(world.a_admin).get("/api/v1/people/import-template/").content,
    ]
    rows = [
        list(openpyxl.load_workbook(io.BytesIO(answer), read_only=True).worksheets[0].values)
        for answer in answers
    ]
    assert rows[0] == rows[1]
    assert len(rows[0]) == 2  # headers and the example
    assert not {"5101", "5201", "5301", "5901"} & {str(cell) for row in rows[0] for cell in row}

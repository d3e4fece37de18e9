"""/api/v1/people/, /api/v1/departments/ and /api/v1/person-groups/: what a client of each
enterprise and each part of the group tree can do, and the words it gets when refused."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
import xlrd
from django.contrib.auth.hashers import check_password
from django.core.files.storage import default_storage
from django.test import Client
from tests import face_images

from gatehouse.core.actors import Actor
from gatehouse.core.scoping import tenant_scope
from gatehouse.core.tests.test_api_conventions import (  # noqa: F401 - fixture
    _fresh_throttle_cache,
    assert_error,
    token_client,
)
from gatehouse.people import services
from gatehouse.people.models import Category, Person, PersonGroup
from gatehouse.tenancy import services as tenancy_services
from gatehouse.tenancy.models import Group

PEOPLE = "/api/v1/people/"
DEPARTMENTS = "/api/v1/departments/"
GROUPINGS = "/api/v1/person-groups/"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLS = "application/vnd.ms-excel"
PEOPLE_PERMISSIONS = ["people.view", "people.add", "people.change", "people.delete"]


def post(client: Client, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, data, content_type="application/json")


def patch(client: Client, url: str, data: dict[str, Any]) -> Any:
    return client.patch(url, data, content_type="application/json")


def upload_photo(client: Client, person_id: int, data: bytes, name: str = "face.jpg") -> Any:
    return client.post(f"{PEOPLE}{person_id}/photo/", {"photo": named_file(data, name)})


def named_file(data: bytes, name: str) -> io.BytesIO:
    handle = io.BytesIO(data)
    handle.name = name
    return handle


def personnel_ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.content[:500]
    return [p["personnel_id"] for p in response.json()["results"]]


def body_of(response: Any) -> bytes:
    """A streamed answer (a photo) read to its end, which also closes it."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def reload(person_id: int, enterprise_id: int) -> Person:
    with tenant_scope(enterprise_id):
        person: Person = Person.objects.select_related("photo").get(pk=person_id)
    return person


@pytest.fixture
def admin(cast: Any) -> Client:
    return token_client(cast.a_admin)


@pytest.fixture
def top(cast: Any) -> Group:
    with tenant_scope(cast.enterprise_a.pk):
        group: Group = Group.objects.get(pk=cast.a_admin.group_id)
    return group


def give_photo(cast: Any, person_id: int) -> None:
    """A portrait set through the service, as A's administrator (setup, not under test)."""
    with tenant_scope(cast.enterprise_a.pk):
        person = Person.objects.get(pk=person_id)
        services.set_photo(person, actor=Actor.for_user(cast.a_admin), data=face_images.portrait())


def create(client: Client, personnel_id: str, placement: dict[str, Any], **values: Any) -> Any:
    response = post(
        client,
        PEOPLE,
        {
            "personnel_id": personnel_id,
            "first_name": f"Person {personnel_id}",
            **placement,
            **values,
        },
    )
    assert response.status_code == 201, response.content[:500]
    return response.json()


def set_member_permissions(cast: Any, permissions: list[str]) -> None:
    """What a-member's role ("A viewers") grants."""
    with tenant_scope(cast.enterprise_a.pk):
        tenancy_services.update_role(
            cast.a_role, actor=Actor.system("test"), permissions=permissions
        )


# --- persons -------------------------------------------------------------------------------


@pytest.mark.parametrize("category", Category.values)
def test_a_person_of_each_category_is_created_listed_changed_and_deleted(
    admin: Client, top: Group, category: str
) -> None:
    created = create(
        admin,
        "1001",
        {"group": top.pk},
        category=category,
        last_name="Lovelace",
        card_number="00a1b2",
        device_pin="4711",
        birth_date="1815-12-10",
    )
    assert created["category"] == category
    assert created["group"] == top.pk
    assert created["card_number"] == "00A1B2"
    assert created["has_device_pin"] is True
    assert "device_pin" not in created
    with tenant_scope(top.enterprise_id):
        grouping = PersonGroup.objects.get(pk=created["person_group"])
    assert (grouping.is_default, grouping.category, grouping.group_id) == (True, category, top.pk)

    url = f"{PEOPLE}{created['id']}/"
    assert personnel_ids(admin.get(PEOPLE)) == ["1001"]
    assert admin.get(url).json() == created

    changed = patch(admin, url, {"first_name": "Ada", "notes": "first programmer"})
    assert changed.status_code == 200, changed.content[:500]
    assert changed.json()["first_name"] == "Ada"
    assert admin.get(url).json()["notes"] == "first programmer"

    assert admin.delete(url).status_code == 204
    assert_error(admin.get(url), 404, "not_found")
    assert personnel_ids(admin.get(PEOPLE)) == []


def test_changing_the_category_moves_the_person_to_that_categorys_grouping(
    admin: Client, top: Group
) -> None:
    person = create(admin, "1001", {"group": top.pk})
    response = patch(admin, f"{PEOPLE}{person['id']}/", {"category": "blacklist"})
    assert response.status_code == 200, response.content[:500]
    assert response.json()["category"] == "blacklist"
    assert personnel_ids(admin.get(f"{PEOPLE}?category=blacklist")) == ["1001"]
    assert personnel_ids(admin.get(f"{PEOPLE}?category=employee")) == []


def test_list_filters(cast: Any, admin: Client, top: Group) -> None:
    ada = create(admin, "1001", {"group": top.pk}, first_name="Ada", last_name="Lovelace")
    create(admin, "2001", {"group": cast.a_sub_group.pk}, category="visitor", first_name="Bea")
    create(admin, "3001", {"group": cast.a_sibling_group.pk}, category="blacklist")
    give_photo(cast, ada["id"])

    assert personnel_ids(admin.get(f"{PEOPLE}?category=visitor")) == ["2001"]
    assert personnel_ids(admin.get(f"{PEOPLE}?search=lovel")) == ["1001"]
    assert personnel_ids(admin.get(f"{PEOPLE}?search=3001")) == ["3001"]
    assert personnel_ids(admin.get(f"{PEOPLE}?group={cast.a_sub_group.pk}")) == ["2001"]
    assert personnel_ids(admin.get(f"{PEOPLE}?group={top.pk}")) == ["1001", "2001", "3001"]
    assert personnel_ids(admin.get(f"{PEOPLE}?has_photo=true")) == ["1001"]
    assert personnel_ids(admin.get(f"{PEOPLE}?has_photo=false")) == ["2001", "3001"]

    error = assert_error(admin.get(f"{PEOPLE}?category=staff"), 400, "invalid")
    assert set(error["fields"]) == {"category"}
    error = assert_error(admin.get(f"{PEOPLE}?group={cast.b_admin.group_id}"), 400, "invalid")
    assert set(error["fields"]) == {"group"}  # another enterprise's group is no choice


def test_the_device_pin_is_write_only(cast: Any, admin: Client, top: Group) -> None:
    person = create(admin, "1001", {"group": top.pk})
    assert person["has_device_pin"] is False
    url = f"{PEOPLE}{person['id']}/"

    response = patch(admin, url, {"device_pin": "123456"})
    assert response.status_code == 200, response.content[:500]
    assert response.json()["has_device_pin"] is True
    for shown in (response.json(), admin.get(url).json(), admin.get(PEOPLE).json()["results"][0]):
        assert "device_pin" not in shown
        assert "123456" not in str(shown)
    assert reload(person["id"], cast.enterprise_a.pk).device_pin == "123456"

    response = patch(admin, url, {"device_pin": ""})
    assert response.json()["has_device_pin"] is False


@pytest.mark.parametrize(
    ("values", "refusal"),
    [
        ({"personnel_id": "1001"}, ("personnel_id", "duplicate", "1001 is already used")),
        ({"card_number": "abc123"}, ("card_number", "duplicate", "already belongs to 1001")),
        ({"device_pin": "12ab"}, ("device_pin", "invalid", "4 to 8 digits")),
        ({"device_pin": "12"}, ("device_pin", "invalid", "4 to 8 digits")),
        ({"personnel_id": "10 02"}, ("personnel_id", "invalid", "letters and digits")),
        ({"email": "nobody"}, ("email", "invalid", "valid email")),
    ],
)
def test_refused_values_name_the_field(
    admin: Client, top: Group, values: dict[str, Any], refusal: tuple[str, str, str]
) -> None:
    field, code, words = refusal
    create(admin, "1001", {"group": top.pk}, card_number="ABC123")
    payload = {"personnel_id": "1002", "first_name": "Bea", "group": top.pk, **values}
    error = assert_error(post(admin, PEOPLE, payload), 400, code)
    assert set(error["fields"]) == {field}
    assert words.lower() in " ".join(error["fields"][field]).lower()
    assert personnel_ids(admin.get(PEOPLE)) == ["1001"]


def test_a_grouping_of_another_category_or_no_placement_is_refused(
    admin: Client, top: Group
) -> None:
    visitors = post(
        admin, GROUPINGS, {"name": "Contractors", "category": "visitor", "group": top.pk}
    )
    assert visitors.status_code == 201, visitors.content[:500]
    response = post(
        admin,
        PEOPLE,
        {"personnel_id": "1001", "first_name": "Ada", "person_group": visitors.json()["id"]},
    )
    error = assert_error(response, 400, "invalid")
    assert list(error["fields"]) == ["person_group"]
    assert "Visitor" in error["message"]
    assert "Employee" in error["message"]

    error = assert_error(
        post(admin, PEOPLE, {"personnel_id": "1001", "first_name": "Ada"}), 400, "invalid"
    )
    assert list(error["fields"]) == ["person_group"]
    assert personnel_ids(admin.get(PEOPLE)) == []


def test_ids_of_another_enterprise_do_not_exist(cast: Any, admin: Client, top: Group) -> None:
    person = create(admin, "1001", {"group": top.pk})
    department = post(admin, DEPARTMENTS, {"name": "HQ"}).json()["id"]
    grouping = post(
        admin, GROUPINGS, {"name": "Night shift", "category": "employee", "group": top.pk}
    ).json()["id"]
    b_admin = token_client(cast.b_admin)
    b_top = cast.b_admin.group_id
    for field, foreign in (("person_group", grouping), ("department", department)):
        response = post(
            b_admin,
            PEOPLE,
            {"personnel_id": "9001", "first_name": "Spy", "group": b_top, field: foreign},
        )
        error = assert_error(response, 400, "invalid")
        assert error["fields"] == {field: [f'Invalid pk "{foreign}" - object does not exist.']}
    response = post(b_admin, PEOPLE, {"personnel_id": "9001", "first_name": "Spy", "group": top.pk})
    error = assert_error(response, 400, "invalid")
    assert error["fields"] == {"group": [f'Invalid pk "{top.pk}" - object does not exist.']}
    assert personnel_ids(b_admin.get(PEOPLE)) == []

    url = f"{PEOPLE}{person['id']}/"
    assert_error(b_admin.get(url), 404, "not_found")
    assert_error(patch(b_admin, url, {"first_name": "Changed"}), 404, "not_found")
    assert_error(b_admin.delete(url), 404, "not_found")
    assert_error(b_admin.get(f"{url}photo/"), 404, "not_found")
    assert_error(b_admin.delete(f"{url}photo/"), 404, "not_found")
    assert_error(b_admin.post(f"{url}app-login/"), 404, "not_found")
    assert_error(b_admin.delete(f"{url}app-login/"), 404, "not_found")
    response = b_admin.post(f"{url}photo/", {"photo": named_file(face_images.portrait(), "a.jpg")})
    assert_error(response, 404, "not_found")
    unchanged = reload(person["id"], cast.enterprise_a.pk)
    assert (unchanged.first_name, unchanged.photo_id) == ("Person 1001", None)
    assert not unchanged.app_login_enabled


def test_a_member_does_not_see_persons_beside_its_group(
    cast: Any, admin: Client, top: Group
) -> None:
    set_member_permissions(cast, PEOPLE_PERMISSIONS)
    create(admin, "1001", {"group": top.pk})
    sibling = create(admin, "2001", {"group": cast.a_sibling_group.pk})
    create(admin, "3001", {"group": cast.a_sub_group.pk})
    member = token_client(cast.a_member)

    assert personnel_ids(member.get(PEOPLE)) == ["3001"]
    url = f"{PEOPLE}{sibling['id']}/"
    assert_error(member.get(url), 404, "not_found")
    assert_error(patch(member, url, {"first_name": "Changed"}), 404, "not_found")
    assert_error(member.delete(url), 404, "not_found")
    assert_error(member.get(f"{url}photo/"), 404, "not_found")

    response = post(
        member,
        PEOPLE,
        {"personnel_id": "4001", "first_name": "Eve", "person_group": sibling["person_group"]},
    )
    error = assert_error(response, 400, "invalid")
    assert error["fields"] == {
        "person_group": [f'Invalid pk "{sibling["person_group"]}" - object does not exist.']
    }
    sibling_group = cast.a_sibling_group.pk
    response = post(
        member, PEOPLE, {"personnel_id": "4001", "first_name": "Eve", "group": sibling_group}
    )
    error = assert_error(response, 400, "invalid")
    assert error["fields"] == {"group": [f'Invalid pk "{sibling_group}" - object does not exist.']}
    response = post(
        member, PEOPLE, {"personnel_id": "4001", "first_name": "Eve", "group": cast.a_sub_group.pk}
    )
    assert response.status_code == 201, response.content[:500]
    assert personnel_ids(admin.get(PEOPLE)) == ["1001", "2001", "3001", "4001"]


def test_a_viewer_without_change_permission_reads_but_cannot_write(
    cast: Any, admin: Client
) -> None:
    set_member_permissions(cast, ["people.view"])
    person = create(admin, "1001", {"group": cast.a_sub_group.pk})
    give_photo(cast, person["id"])
    viewer = token_client(cast.a_member)
    url = f"{PEOPLE}{person['id']}/"

    assert viewer.get(url).json()["has_photo"] is True
    photo = viewer.get(f"{url}photo/")  # seeing a person includes seeing its face
    assert photo.status_code == 200
    body_of(photo)
    assert_error(viewer.delete(f"{url}photo/"), 403, "permission_denied")
    assert_error(viewer.post(f"{url}app-login/"), 403, "permission_denied")
    assert_error(patch(viewer, url, {"first_name": "X"}), 403, "permission_denied")
    assert_error(viewer.get(f"{PEOPLE}export/"), 403, "permission_denied")


# --- photos --------------------------------------------------------------------------------


def test_a_portrait_is_stored_served_and_removed(cast: Any, admin: Client, top: Group) -> None:
    person = create(admin, "1001", {"group": top.pk})
    portrait = face_images.portrait()
    response = upload_photo(admin, person["id"], portrait)
    assert response.status_code == 200, response.content[:500]
    assert response.json()["warnings"] == []
    assert response.json()["person"]["has_photo"] is True
    url = f"{PEOPLE}{person['id']}/"
    assert admin.get(url).json()["has_photo"] is True

    served = admin.get(f"{url}photo/")
    assert served.status_code == 200
    assert served["Content-Type"] == "image/jpeg"
    assert body_of(served) == portrait

    stored = reload(person["id"], cast.enterprise_a.pk).photo
    assert stored is not None
    default_storage.delete(str(stored.file.name))  # a file lost on disk is "no photo", not a 500
    assert_error(admin.get(f"{url}photo/"), 404, "not_found")

    assert admin.delete(f"{url}photo/").status_code == 204
    assert admin.get(url).json()["has_photo"] is False
    assert_error(admin.get(f"{url}photo/"), 404, "not_found")
    assert reload(person["id"], cast.enterprise_a.pk).photo is None


@pytest.mark.parametrize(
    ("photo", "words"),
    [
        (face_images.no_face, "No face was found"),
        (face_images.two_faces, "shows 2 faces"),
        (face_images.oversized_photo, "500 KB"),
    ],
    ids=["no face", "two faces", "over 500 KB"],
)
def test_an_unusable_photo_is_refused_on_the_photo_field(
    cast: Any, admin: Client, top: Group, photo: Any, words: str
) -> None:
    person = create(admin, "1001", {"group": top.pk})
    error = assert_error(upload_photo(admin, person["id"], photo()), 400, error_code(words))
    assert list(error["fields"]) == ["photo"]
    assert words in error["fields"]["photo"][0]
    assert error["message"] == error["fields"]["photo"][0]
    assert reload(person["id"], cast.enterprise_a.pk).photo is None


def error_code(words: str) -> str:
    return {
        "No face was found": "photo_no_face",
        "shows 2 faces": "photo_several_faces",
        "500 KB": "too_large",
    }[words]


def test_the_same_face_for_a_second_person_is_kept_with_a_warning(
    admin: Client, top: Group
) -> None:
    first = create(admin, "1001", {"group": top.pk}, first_name="Barack", last_name="Obama")
    second = create(admin, "1002", {"group": top.pk})
    assert upload_photo(admin, first["id"], face_images.portrait("obama.jpg")).status_code == 200

    response = upload_photo(admin, second["id"], face_images.portrait("obama2.jpg"))
    assert response.status_code == 200, response.content[:500]
    assert response.json()["person"]["has_photo"] is True
    warnings = response.json()["warnings"]
    assert len(warnings) == 1
    assert "Barack Obama (1001)" in warnings[0]

    other = upload_photo(admin, second["id"], face_images.portrait("biden.jpg"))
    assert other.json()["warnings"] == []


# --- app login -----------------------------------------------------------------------------


def test_app_login_without_a_mail_server_shows_a_random_password_once(
    cast: Any, admin: Client, top: Group, settings: Any
) -> None:
    settings.EMAIL_HOST = ""
    person = create(admin, "1001", {"group": top.pk}, email="ada@example.com")
    url = f"{PEOPLE}{person['id']}/app-login/"

    response = admin.post(url)
    assert response.status_code == 200, response.content[:500]
    answer = response.json()
    assert answer["app_login_enabled"] is True
    assert answer["mailed"] is False
    assert "No mail server" in answer["reason"]
    password = answer["one_time_password"]
    assert password != "123456"
    assert len(password) >= 12
    stored = reload(person["id"], cast.enterprise_a.pk)
    assert stored.app_login_enabled
    assert stored.app_must_change_password
    assert password not in stored.app_password
    assert check_password(password, stored.app_password)
    assert admin.get(f"{PEOPLE}{person['id']}/").json()["app_login_enabled"] is True

    again = admin.post(url).json()["one_time_password"]
    assert again != password  # each call issues a new one
    assert not check_password(password, reload(person["id"], cast.enterprise_a.pk).app_password)

    assert admin.delete(url).status_code == 204
    stored = reload(person["id"], cast.enterprise_a.pk)
    assert not stored.app_login_enabled
    assert stored.app_password == ""
    assert admin.get(f"{PEOPLE}{person['id']}/").json()["app_login_enabled"] is False


def test_app_login_for_a_person_without_an_address_is_not_mailed(
    admin: Client, top: Group, settings: Any
) -> None:
    settings.EMAIL_HOST = "mail.example.com"
    person = create(admin, "1001", {"group": top.pk}, first_name="Ada")
    answer = admin.post(f"{PEOPLE}{person['id']}/app-login/").json()
    assert answer["mailed"] is False
    assert "has no e-mail address" in answer["reason"]
    assert len(answer["one_time_password"]) >= 12


# --- departments ---------------------------------------------------------------------------


def test_departments_are_created_moved_renamed_and_deleted_only_when_empty(
    cast: Any, admin: Client, top: Group
) -> None:
    def add(name: str, parent: int | None = None) -> dict[str, Any]:
        response = post(admin, DEPARTMENTS, {"name": name, "parent": parent, "code": name[:2]})
        assert response.status_code == 201, response.content[:500]
        return dict(response.json())

    hq = add("HQ")
    it = add("IT", hq["id"])
    ops = add("Ops", it["id"])
    assert ops["path"] == f"/{hq['id']}/{it['id']}/{ops['id']}/"
    assert ops["depth"] == 2
    listed = admin.get(DEPARTMENTS).json()["results"]
    assert [d["name"] for d in listed] == ["HQ", "IT", "Ops"]

    error = assert_error(
        post(admin, DEPARTMENTS, {"name": "it", "parent": hq["id"]}), 400, "invalid"
    )
    assert list(error["fields"]) == ["name"]
    error = assert_error(
        patch(admin, f"{DEPARTMENTS}{hq['id']}/", {"parent": ops["id"]}), 400, "invalid"
    )
    assert list(error["fields"]) == ["parent"]

    moved = patch(admin, f"{DEPARTMENTS}{it['id']}/", {"parent": None})
    assert moved.status_code == 200, moved.content[:500]
    assert moved.json()["parent"] is None
    assert admin.get(f"{DEPARTMENTS}{ops['id']}/").json()["path"] == f"/{it['id']}/{ops['id']}/"
    renamed = patch(admin, f"{DEPARTMENTS}{ops['id']}/", {"name": "Operations"})
    assert renamed.json()["name"] == "Operations"
    assert renamed.json()["parent"] == it["id"]

    create(admin, "1001", {"group": top.pk}, department=ops["id"])
    refused = assert_error(admin.delete(f"{DEPARTMENTS}{it['id']}/"), 400, "invalid")
    assert "still has sub-departments" in refused["message"]
    refused = assert_error(admin.delete(f"{DEPARTMENTS}{ops['id']}/"), 400, "invalid")
    assert "still has persons" in refused["message"]
    assert admin.delete(f"{DEPARTMENTS}{hq['id']}/").status_code == 204
    assert [d["name"] for d in admin.get(DEPARTMENTS).json()["results"]] == ["IT", "Operations"]
    assert personnel_ids(admin.get(f"{PEOPLE}?department={it['id']}")) == ["1001"]

    b_admin = token_client(cast.b_admin)
    assert b_admin.get(DEPARTMENTS).json()["results"] == []
    assert_error(b_admin.get(f"{DEPARTMENTS}{it['id']}/"), 404, "not_found")
    error = assert_error(
        post(b_admin, DEPARTMENTS, {"name": "Spy", "parent": it["id"]}), 400, "invalid"
    )
    assert error["fields"] == {"parent": [f'Invalid pk "{it["id"]}" - object does not exist.']}


# --- person groupings ----------------------------------------------------------------------


def test_person_groupings_are_created_renamed_and_deleted_when_empty(
    cast: Any, admin: Client, top: Group
) -> None:
    response = post(
        admin, GROUPINGS, {"name": "Night shift", "category": "employee", "group": top.pk}
    )
    assert response.status_code == 201, response.content[:500]
    night = response.json()
    assert (night["name"], night["is_default"], night["group"]) == ("Night shift", False, top.pk)
    url = f"{GROUPINGS}{night['id']}/"

    error = assert_error(post(admin, GROUPINGS, {"name": "Nobody"}), 400, "invalid")
    assert set(error["fields"]) == {"group", "category"}
    error = assert_error(
        post(admin, GROUPINGS, {"name": "night SHIFT", "category": "employee", "group": top.pk}),
        400,
        "invalid",
    )
    assert list(error["fields"]) == ["name"]
    error = assert_error(patch(admin, url, {"category": "visitor"}), 400, "invalid")
    assert list(error["fields"]) == ["category"]

    person = create(admin, "1001", {"person_group": night["id"]})
    assert person["group"] == top.pk
    renamed = patch(admin, url, {"name": "Nights"})
    assert renamed.status_code == 200, renamed.content[:500]
    assert renamed.json()["name"] == "Nights"
    refused = assert_error(admin.delete(url), 400, "invalid")
    assert "still has persons" in refused["message"]

    # giving a user group moves the person to that group's default grouping (made on demand)
    assert patch(admin, f"{PEOPLE}{person['id']}/", {"group": top.pk}).status_code == 200
    employees = admin.get(f"{GROUPINGS}?category=employee").json()["results"]
    assert [(g["name"], g["display_name"], g["is_default"]) for g in employees] == [
        ("", "Default grouping", True),
        ("Nights", "Nights", False),
    ]
    assert admin.get(f"{GROUPINGS}?category=visitor").json()["results"] == []
    default = f"{GROUPINGS}{employees[0]['id']}/"
    assert (
        "cannot be renamed"
        in assert_error(patch(admin, default, {"name": "Mine"}), 400, "invalid")["message"]
    )
    assert "cannot be deleted" in assert_error(admin.delete(default), 400, "invalid")["message"]

    assert admin.delete(url).status_code == 204
    assert_error(admin.get(url), 404, "not_found")

    b_admin = token_client(cast.b_admin)
    assert b_admin.get(GROUPINGS).json()["results"] == []
    response = post(b_admin, GROUPINGS, {"name": "Spy", "category": "employee", "group": top.pk})
    error = assert_error(response, 400, "invalid")
    assert error["fields"] == {"group": [f'Invalid pk "{top.pk}" - object does not exist.']}


# --- spreadsheets --------------------------------------------------------------------------


@pytest.mark.parametrize(("file_format", "content_type"), [("xlsx", XLSX), ("xls", XLS)])
def test_the_import_template_downloads(admin: Client, file_format: str, content_type: str) -> None:
    response = admin.get(f"{PEOPLE}import-template/?format={file_format}")
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == content_type
    assert f'filename="Personnel_import_template.{file_format}"' in response["Content-Disposition"]
    assert "Personnel ID *" in sheet_rows(response.content, file_format)[0]


def test_a_spreadsheet_format_other_than_xlsx_or_xls_is_refused(admin: Client) -> None:
    for url in (f"{PEOPLE}import-template/?format=csv", f"{PEOPLE}export/?format=json"):
        error = assert_error(admin.get(url), 400, "invalid")
        assert list(error["fields"]) == ["format"]


def sheet_rows(content: bytes, file_format: str) -> list[list[Any]]:
    if file_format == "xls":
        sheet = xlrd.open_workbook(file_contents=content).sheet_by_index(0)
        return [sheet.row_values(i) for i in range(sheet.nrows)]
    workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]


def test_export_of_visitors_as_xls_holds_only_visitors(
    cast: Any, admin: Client, top: Group
) -> None:
    create(admin, "1001", {"group": top.pk}, device_pin="4711")
    create(admin, "2001", {"group": top.pk}, category="visitor", first_name="Vera")
    create(admin, "2002", {"group": cast.a_sub_group.pk}, category="visitor", device_pin="8642")
    create(admin, "3001", {"group": top.pk}, category="blacklist")

    response = admin.get(f"{PEOPLE}export/?category=visitor&format=xls")
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == XLS
    assert 'filename="Visitor information.xls"' in response["Content-Disposition"]
    header, *rows = sheet_rows(response.content, "xls")
    assert header[0] == "Personnel ID"
    assert "Device PIN" not in header
    assert [row[0] for row in rows] == ["2001", "2002"]
    assert rows[0][1] == "Vera"
    assert "8642" not in str(rows)

    response = admin.get(f"{PEOPLE}export/?category=visitor&search=vera")
    assert [row[0] for row in sheet_rows(response.content, "xlsx")[1:]] == ["2001"]


def test_import_refuses_a_file_that_is_not_a_workbook(admin: Client, top: Group) -> None:
    response = admin.post(
        f"{PEOPLE}import/",
        {
            "file": named_file(b"personnel_id,first_name\n1001,Ada\n", "persons.xlsx"),
            "group": top.pk,
            "mode": "skip",
        },
    )
    error = assert_error(response, 400, "invalid")
    assert list(error["fields"]) == ["file"]
    assert personnel_ids(admin.get(PEOPLE)) == []


@pytest.mark.django_db(transaction=True)
def test_an_imported_template_creates_its_persons_through_a_job(
    cast: Any, admin: Client, top: Group
) -> None:
    from gatehouse.core.jobs.worker import run_pending

    template = admin.get(f"{PEOPLE}import-template/").content
    workbook = openpyxl.load_workbook(io.BytesIO(template))
    sheet = workbook.worksheets[0]
    sheet.append(["1002", "Bea", "", "", "", "", "", "", "", "12-AB"])  # a bad card number
    filled = io.BytesIO()
    workbook.save(filled)

    response = admin.post(
        f"{PEOPLE}import/",
        {
            "file": named_file(filled.getvalue(), "filled.xlsx"),
            "group": cast.a_sub_group.pk,
            "category": "visitor",
            "mode": "skip",
        },
    )
    assert response.status_code == 202, response.content[:500]
    job_url = f"/api/v1/jobs/{response.json()['id']}/"
    assert run_pending() == 1
    job = admin.get(job_url).json()
    assert job["status"] == "succeeded", job
    [(row, field, reason)] = job["summary"]["failures"]
    assert (str(row), field) == ("3", "Card number")
    assert "card number may only hold digits" in reason
    assert personnel_ids(admin.get(f"{PEOPLE}?category=visitor")) == ["1001"]
    assert personnel_ids(admin.get(f"{PEOPLE}?group={cast.a_sub_group.pk}")) == ["1001"]


@pytest.mark.django_db(transaction=True)
def test_who_starts_an_import_may_follow_its_job_without_the_jobs_permission(
    cast: Any, admin: Client
) -> None:
    from gatehouse.core.jobs.worker import run_pending

    set_member_permissions(cast, ["people.view", "people.add", "people.import"])
    member = token_client(cast.a_member)
    template = admin.get(f"{PEOPLE}import-template/").content
    response = member.post(
        f"{PEOPLE}import/",
        {
            "file": named_file(template, "t.xlsx"),
            "group": cast.a_sub_group.pk,
            "category": "employee",
            "mode": "skip",
        },
    )
    assert response.status_code == 202, response.content[:300]
    assert run_pending() == 1
    own = member.get(f"/api/v1/jobs/{response.json()['id']}/")
    assert own.status_code == 200
    assert own.json()["status"] == "succeeded"
    assert member.get("/api/v1/jobs/").status_code == 403  # the list stays closed
    admins = admin.post(
        f"{PEOPLE}import/",
        {"file": named_file(template, "t.xlsx"), "group": cast.a_sub_group.pk, "mode": "skip"},
    )
    assert member.get(f"/api/v1/jobs/{admins.json()['id']}/").status_code == 403

"""/api/v1/audit-log/: read-only list and detail with the console's filters, scoped to the
caller's enterprise and group subtree."""

from __future__ import annotations

import datetime as dt

from django.test import Client

from gatehouse.audit.models import LogEntry
from gatehouse.audit.tests.helpers import write
from gatehouse.core.actors import Actor
from gatehouse.core.scoping import platform_scope
from gatehouse.tenancy.services import create_token

URL = "/api/v1/audit-log/"


def _api(user) -> Client:  # type: ignore[no-untyped-def]
    with platform_scope():
        _token, secret = create_token(user, actor=Actor.for_user(user), name="audit test")
    return Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Token {secret}")


def _seed(cast) -> dict[str, LogEntry]:  # type: ignore[no-untyped-def]
    top = cast.a_admin.group.path
    return {
        "opened": write(
            "access.door.opened",
            enterprise_id=cast.enterprise_a.pk,
            group_path=top,
            when=dt.datetime(2026, 5, 1, 9, tzinfo=dt.UTC),
            operator="guard-anna",
            after={"door": "Main"},
        ),
        "refused": write(
            "people.person.deleted",
            enterprise_id=cast.enterprise_a.pk,
            group_path=top,
            when=dt.datetime(2026, 5, 3, 9, tzinfo=dt.UTC),
            operator="clerk-carl",
            result=LogEntry.Result.FAILURE,
            message="still has cards",
        ),
        "branch": write(
            "people.person.created",
            enterprise_id=cast.enterprise_a.pk,
            group_path=cast.a_sub_group.path,
            when=dt.datetime(2026, 5, 5, 9, tzinfo=dt.UTC),
            operator="guard-anna",
        ),
        "bolt": write(
            "people.person.created",
            enterprise_id=cast.enterprise_b.pk,
            group_path=cast.b_admin.group.path,
            operator="bolt-op",
        ),
    }


def _actions(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content
    return [row["action"] for row in response.json()["results"]]


def test_list_and_detail(cast) -> None:  # type: ignore[no-untyped-def]
    entries = _seed(cast)
    client = _api(cast.a_admin)
    response = client.get(URL, {"module": "access"})
    assert _actions(response) == ["access.door.opened"]
    row = response.json()["results"][0]
    assert row["id"] == entries["opened"].pk
    assert row["actor_label"] == "guard-anna"
    assert row["after"] == {"door": "Main"}
    assert row["module_label"] == "access"
    assert row["entry_hash"] == entries["opened"].entry_hash
    detail = client.get(f"{URL}{entries['refused'].pk}/")
    assert detail.status_code == 200
    assert detail.json()["result"] == "failure"
    assert detail.json()["message"] == "still has cards"


def test_filters(cast) -> None:  # type: ignore[no-untyped-def]
    _seed(cast)
    client = _api(cast.a_admin)
    assert _actions(client.get(URL, {"date_from": "2026-05-02", "date_to": "2026-05-04"})) == [
        "people.person.deleted"
    ]
    assert _actions(client.get(URL, {"result": "failure"})) == ["people.person.deleted"]
    assert _actions(client.get(URL, {"operator": "ANNA"})) == [
        "people.person.created",
        "access.door.opened",
    ]
    assert _actions(client.get(URL, {"q": "door", "ordering": "created_at"})) == [
        "access.door.opened"
    ]
    bad = client.get(URL, {"date_from": "soon"})
    assert bad.status_code == 400
    assert "date_from" in bad.json()["error"]["fields"]


def test_scoping(cast) -> None:  # type: ignore[no-untyped-def]
    entries = _seed(cast)
    member = _api(cast.a_member)
    seen = _actions(member.get(URL, {"page_size": 100}))
    assert "people.person.created" in seen
    assert "access.door.opened" not in seen
    assert member.get(f"{URL}{entries['opened'].pk}/").status_code == 404
    assert member.get(f"{URL}{entries['branch'].pk}/").status_code == 200

    bolt = _api(cast.b_admin)
    response = bolt.get(f"{URL}{entries['opened'].pk}/")
    assert response.status_code == 404
    assert response.json()["error"]["code"]
    ids = [row["id"] for row in bolt.get(URL, {"page_size": 100}).json()["results"]]
    assert entries["bolt"].pk in ids
    assert not {entries["opened"].pk, entries["refused"].pk, entries["branch"].pk} & set(ids)

    root_ids = [
        row["id"] for row in _api(cast.superadmin).get(URL, {"page_size": 100}).json()["results"]
    ]
    assert {entries["opened"].pk, entries["bolt"].pk} <= set(root_ids)


def test_read_only_and_permission_checked(cast) -> None:  # type: ignore[no-untyped-def]
    entries = _seed(cast)
    admin = _api(cast.a_admin)  # no role can grant audit.add/change/delete: there are none
    assert admin.post(URL, {"action": "x"}, content_type="application/json").status_code == 403
    assert admin.delete(f"{URL}{entries['opened'].pk}/").status_code == 403
    root = _api(cast.superadmin)
    assert root.post(URL, {"action": "x"}, content_type="application/json").status_code == 405
    assert root.delete(f"{URL}{entries['opened'].pk}/").status_code == 405
    with platform_scope():
        assert LogEntry.objects.filter(pk=entries["opened"].pk).exists()
    assert Client(HTTP_HOST="localhost").get(URL).status_code == 401
    with platform_scope():
        cast.a_member.roles.clear()
    assert _api(cast.a_member).get(URL).status_code == 403

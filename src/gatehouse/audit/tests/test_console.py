"""The System log console page: menu entry, filters, who sees which entries, and the detail
page's field-by-field diff."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from gatehouse.audit.models import LogEntry
from gatehouse.audit.tests.helpers import write


def _at(day: int) -> dt.datetime:
    return dt.datetime(2026, 3, day, 10, 30, tzinfo=dt.UTC)


def _seed(cast) -> None:  # type: ignore[no-untyped-def]
    top = cast.a_admin.group.path
    write(
        "access.door.opened",
        enterprise_id=cast.enterprise_a.pk,
        group_path=top,
        when=_at(1),
        operator="guard-anna",
    )
    write(
        "access.door.closed",
        enterprise_id=cast.enterprise_a.pk,
        group_path=top,
        when=_at(5),
        operator="guard-bert",
    )
    write(
        "people.person.created",
        enterprise_id=cast.enterprise_a.pk,
        group_path=top,
        when=_at(9),
        operator="guard-anna",
    )
    write(
        "people.person.deleted",
        enterprise_id=cast.enterprise_a.pk,
        group_path=top,
        when=_at(9),
        operator="clerk-carl",
        result=LogEntry.Result.FAILURE,
        message="refused: still has cards",
    )


def _page(client, query: str = "") -> str:  # type: ignore[no-untyped-def]
    response = client.get(f"/audit/?per_page=100{query}")
    assert response.status_code == 200
    return str(response.content.decode())


def test_menu_entry_only_with_permission(cast, client_for) -> None:  # type: ignore[no-untyped-def]
    assert 'data-testid="nav-auditlog_list"' in client_for("a-member").get("/").content.decode()
    assert 'data-testid="nav-auditlog_list"' in client_for("a-admin").get("/").content.decode()
    from gatehouse.core.actors import Actor
    from gatehouse.core.scoping import tenant_scope
    from gatehouse.tenancy import services

    with tenant_scope(cast.enterprise_a.pk):
        people_only = services.create_role(
            actor=Actor.for_user(cast.a_admin),
            enterprise_id=cast.enterprise_a.pk,
            name="Group viewers",
            permissions=["tenancy.view"],
        )
        services.create_user(
            actor=Actor.for_user(cast.a_admin),
            group=cast.a_sub_group,
            username="no-log",
            password="Lantern-Orbit-771",
            roles=[people_only],
        )
        from gatehouse.tenancy.models import User

        User.objects.filter(username="no-log").update(must_change_password=False)
    client = client_for("no-log", "Lantern-Orbit-771")
    assert 'data-testid="nav-auditlog_list"' not in client.get("/").content.decode()
    assert client.get("/audit/").status_code == 403


def test_list_shows_columns_and_result_badges(cast, client_for) -> None:  # type: ignore[no-untyped-def]
    _seed(cast)
    page = _page(client_for("a-admin"))
    for header in ("Time", "Module", "Action", "Object", "Operator", "Result", "Source address"):
        assert f'class="text-reset">{header}' in page
    assert "2026-03-09 10:30:00" in page
    assert "192.0.2.7" in page
    assert '<span class="badge bg-red-lt" data-testid="result">Failure</span>' in page
    assert '<span class="badge bg-green-lt" data-testid="result">Success</span>' in page
    # newest first
    assert page.index("people.person.created") < page.index("access.door.opened")


def test_filters_change_the_rows(cast, client_for) -> None:  # type: ignore[no-untyped-def]
    _seed(cast)
    client = client_for("a-admin")
    ranged = _page(client, "&date_from=2026-03-02&date_to=2026-03-08")
    assert "access.door.closed" in ranged
    assert "access.door.opened" not in ranged
    assert "people.person.created" not in ranged
    assert "Showing 1 to 1 of 1 entries" in ranged

    only_to = _page(client, "&date_to=2026-03-05")
    assert "access.door.opened" in only_to
    assert "access.door.closed" in only_to
    assert "people.person" not in only_to.split("<tbody>")[1]

    people = _page(client, "&module=people")
    assert "people.person.created" in people
    assert "people.person.deleted" in people
    assert "access.door" not in people.split("<tbody>")[1]
    assert '<option value="access">' in people  # module choices are the modules present
    assert '<option value="tenancy">Permission management</option>' in people

    failures = _page(client, "&result=failure")
    assert "people.person.deleted" in failures
    assert "Showing 1 to 1 of 1 entries" in failures

    anna = _page(client, "&operator=ANNA")
    assert "access.door.opened" in anna
    assert "people.person.created" in anna
    assert "access.door.closed" not in anna
    assert "Showing 1 to 2 of 2 entries" in anna

    searched = _page(client, "&q=door.clo")
    assert "Showing 1 to 1 of 1 entries" in searched
    assert "access.door.closed" in searched


def test_bad_filter_value_is_a_form_error_not_a_500(cast, client_for) -> None:  # type: ignore[no-untyped-def]
    _seed(cast)
    page = _page(client_for("a-admin"), "&date_from=yesterday&result=maybe")
    assert "No records found." in page
    assert "access.door" not in page


def test_member_sees_only_its_subtree(cast, client_for) -> None:  # type: ignore[no-untyped-def]
    write(
        "tenancy.branch.audited",
        enterprise_id=cast.enterprise_a.pk,
        group_path=cast.a_sub_group.path,
    )
    write(
        "tenancy.sibling.audited",
        enterprise_id=cast.enterprise_a.pk,
        group_path=cast.a_sibling_group.path,
    )
    write(
        "tenancy.top.audited",
        enterprise_id=cast.enterprise_a.pk,
        group_path=cast.a_admin.group.path,
    )
    write(
        "tenancy.bolt.audited",
        enterprise_id=cast.enterprise_b.pk,
        group_path=cast.b_admin.group.path,
    )
    write("platform.settings.changed", enterprise_id=None)

    member = _page(client_for("a-member"))
    assert "tenancy.branch.audited" in member
    assert "a-member" in member  # its own creation entry, in Branch
    for hidden in (
        "tenancy.sibling.audited",
        "tenancy.top.audited",
        "tenancy.bolt.audited",
        "platform.settings.changed",
        "A viewers",
    ):
        assert hidden not in member

    admin = _page(client_for("a-admin"))
    for shown in ("tenancy.branch.audited", "tenancy.sibling.audited", "tenancy.top.audited"):
        assert shown in admin
    assert "tenancy.bolt.audited" not in admin
    assert "platform.settings.changed" not in admin

    root = _page(client_for("root"))
    for shown in ("tenancy.branch.audited", "tenancy.bolt.audited", "platform.settings.changed"):
        assert shown in root


def test_other_enterprise_entry_detail_is_404(cast, client_for) -> None:  # type: ignore[no-untyped-def]
    entry = write(
        "tenancy.top.audited",
        enterprise_id=cast.enterprise_a.pk,
        group_path=cast.a_admin.group.path,
    )
    assert client_for("b-admin").get(f"/audit/{entry.pk}/").status_code == 404
    assert client_for("a-member").get(f"/audit/{entry.pk}/").status_code == 404
    assert client_for("a-admin").get(f"/audit/{entry.pk}/").status_code == 200


def test_detail_shows_before_and_after_field_by_field(cast, client_for) -> None:  # type: ignore[no-untyped-def]
    entry = write(
        "tenancy.user.changed",
        enterprise_id=cast.enterprise_a.pk,
        group_path=cast.a_sub_group.path,
        before={"full_name": "Ann Old", "email": "ann@example.com", "roles": ["A viewers"]},
        after={"full_name": "Ann New", "email": "ann@example.com", "is_active": False},
        when=timezone.now(),
    )
    response = client_for("a-member").get(f"/audit/{entry.pk}/")
    page = response.content.decode()
    assert response.status_code == 200
    diff = page.split('data-testid="diff"')[1]
    rows = diff.split('data-testid="diff-row"')[1:]
    assert len(rows) == 4
    email, full_name, is_active, roles = rows  # by field name
    assert "Ann Old" in full_name
    assert "Ann New" in full_name
    assert 'data-testid="changed"' in full_name
    assert 'data-testid="changed"' not in email
    assert "A viewers" in roles
    assert 'data-testid="changed"' in roles
    assert "false" in is_active
    assert "Permission management" in page  # the module, by its console name
    assert entry.entry_hash in page


def test_detail_without_values_says_so(cast, client_for) -> None:  # type: ignore[no-untyped-def]
    entry = write(
        "tenancy.top.audited",
        enterprise_id=cast.enterprise_a.pk,
        group_path=cast.a_admin.group.path,
    )
    page = client_for("a-admin").get(f"/audit/{entry.pk}/").content.decode()
    assert "This entry records no field values." in page


def test_htmx_filter_response_updates_the_export_links(cast, client_for) -> None:  # type: ignore[no-untyped-def]
    _seed(cast)
    page = (
        client_for("a-admin")
        .get("/audit/?module=people&page=1", HTTP_HX_REQUEST="true")
        .content.decode()
    )
    assert "<html" not in page
    assert 'hx-swap-oob="true"' in page
    assert 'href="/audit/export/?module=people&amp;format=xlsx"' in page

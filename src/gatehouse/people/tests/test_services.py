"""Person, department and grouping rules, through the services as every entry point uses them."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from gatehouse.audit.models import LogEntry
from gatehouse.core.actors import Actor
from gatehouse.core.errors import PermissionDenied, ServiceError
from gatehouse.core.scoping import tenant_scope
from gatehouse.people import services
from gatehouse.people.models import Category, Department, Person, PersonGroup


def test_a_person_gets_every_manual_field_and_an_audit_entry(
    make_person: Any, admin_actor: Actor, top_group: Any
) -> None:
    department = services.create_department(
        actor=admin_actor, enterprise_id=top_group.enterprise_id, name="Security"
    )
    person = make_person(
        "1001",
        first_name="Ada",
        last_name="Lovelace",
        gender="female",
        department=department,
        email="ada@example.com",
        mobile_phone="+44 20 7946 0000",
        id_card_number="X123",
        card_number="00a1b2",
        device_pin="4711",
        nationality="British",
        ethnicity="English",
        birth_place="London",
        birth_date=date(1815, 12, 10),
        address="12 St James's Square",
        notes="first programmer",
    )
    person.refresh_from_db()
    assert person.full_name == "Ada Lovelace"
    assert person.card_number == "00A1B2"  # cards are stored upper-case
    assert person.person_group.is_default
    assert person.person_group.group == top_group
    assert person.group == top_group
    entry = LogEntry.objects.get(action="people.employee.created", object_id=str(person.pk))
    assert entry.after["personnel_id"] == "1001"
    assert entry.after["device_pin"] == "****"  # a PIN is a secret: never in the log
    assert "4711" not in str(entry.after)


def test_personnel_ids_are_unique_per_enterprise_across_categories(
    make_person: Any, cast: Any
) -> None:
    make_person("1001")
    with pytest.raises(ServiceError) as refused:
        make_person("1001", category=Category.VISITOR)
    assert refused.value.field == "personnel_id"
    assert "1001" in refused.value.message
    make_person("AB12")
    with pytest.raises(ServiceError):  # IDs differ by more than letter case
        make_person("ab12")
    # another enterprise may use the same personnel ID
    from gatehouse.tenancy.models import Group

    with tenant_scope(cast.enterprise_b.pk):
        b_top = Group.objects.get(pk=cast.b_admin.group_id)
        person = services.create_person(
            actor=Actor.for_user(cast.b_admin), personnel_id="1001", first_name="B", group=b_top
        )
    assert person.enterprise_id == cast.enterprise_b.pk


def test_one_card_per_person(make_person: Any) -> None:
    make_person("1001", card_number="123456")
    with pytest.raises(ServiceError) as refused:
        make_person("1002", card_number="123456")
    assert refused.value.field == "card_number"
    assert "1001" in refused.value.message
    assert not Person.objects.filter(personnel_id="1002").exists()


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"personnel_id": ""}, "personnel_id"),
        ({"personnel_id": "10 01"}, "personnel_id"),
        ({"personnel_id": "x" * 21}, "personnel_id"),
        ({"first_name": ""}, "first_name"),
        ({"device_pin": "12"}, "device_pin"),
        ({"device_pin": "12ab"}, "device_pin"),
        ({"card_number": "12-34"}, "card_number"),
        ({"email": "not-an-address"}, "email"),
        ({"gender": "unknown"}, "gender"),
        ({"birth_date": timezone.localdate() + timedelta(days=1)}, "birth_date"),
        ({"notes": "n" * 2001}, "notes"),
    ],
)
def test_bad_values_are_refused_with_the_field_named(
    admin_actor: Actor, top_group: Any, values: dict[str, Any], field: str
) -> None:
    arguments = {"personnel_id": "1001", "first_name": "Ada", "group": top_group, **values}
    with pytest.raises(ServiceError) as refused:
        services.create_person(actor=admin_actor, **arguments)
    assert refused.value.field == field
    assert refused.value.message
    assert not Person.objects.exists()


def test_validity_period_decides_whether_a_person_can_verify(make_person: Any) -> None:
    now = timezone.now()
    person = make_person(
        "1001", valid_from=now - timedelta(days=1), valid_until=now + timedelta(days=1)
    )
    assert person.can_verify(now)
    assert not person.can_verify(now + timedelta(days=2))  # expired
    assert not person.can_verify(now - timedelta(days=2))  # not yet valid
    with pytest.raises(ServiceError) as refused:
        make_person("1002", valid_from=now, valid_until=now - timedelta(hours=1))
    assert refused.value.field == "valid_until"
    services.update_person(person, actor=Actor.system(), is_enabled=False)
    assert not person.can_verify(now)


def test_a_member_cannot_place_or_change_persons_outside_its_subtree(
    make_person: Any, member_actor: Actor, acme: Any
) -> None:
    sibling_person = make_person("1001", group=acme.a_sibling_group)
    with pytest.raises(PermissionDenied):
        services.update_person(sibling_person, actor=member_actor, first_name="Changed")
    with pytest.raises(PermissionDenied):
        make_person("1002", group=acme.a_sibling_group, actor=member_actor)
    own = make_person("1003", group=acme.a_sub_group, actor=member_actor)
    assert own.group == acme.a_sub_group


def test_changing_category_moves_to_that_category_grouping(
    make_person: Any, top_group: Any
) -> None:
    person = make_person("1001")
    services.update_person(person, actor=Actor.system(), category=Category.BLACKLIST)
    person.refresh_from_db()
    assert person.person_group.category == Category.BLACKLIST
    assert person.person_group.group == top_group
    assert LogEntry.objects.filter(action="people.blacklist.changed").exists()


def test_a_grouping_of_another_category_is_refused(
    make_person: Any, admin_actor: Actor, top_group: Any
) -> None:
    visitors = services.create_person_group(
        actor=admin_actor, group=top_group, category=Category.VISITOR, name="Contractors"
    )
    with pytest.raises(ServiceError) as refused:
        make_person("1001", person_group=visitors)
    assert refused.value.field == "person_group"


def test_groupings_default_custom_rename_and_delete_when_empty(
    make_person: Any, admin_actor: Actor, top_group: Any
) -> None:
    default = services.default_person_group(top_group, Category.EMPLOYEE)
    assert services.default_person_group(top_group, Category.EMPLOYEE) == default
    assert str(default) == "Default grouping"
    night = services.create_person_group(
        actor=admin_actor, group=top_group, category=Category.EMPLOYEE, name="Night shift"
    )
    with pytest.raises(ServiceError):
        services.create_person_group(
            actor=admin_actor, group=top_group, category=Category.EMPLOYEE, name="night SHIFT"
        )
    with pytest.raises(ServiceError):
        services.rename_person_group(default, actor=admin_actor, name="Mine")
    with pytest.raises(ServiceError):
        services.delete_person_group(default, actor=admin_actor)
    person = make_person("1001", person_group=night)
    with pytest.raises(ServiceError) as refused:
        services.delete_person_group(night, actor=admin_actor)
    assert "still has persons" in refused.value.message
    services.update_person(person, actor=admin_actor, person_group=default)
    services.rename_person_group(night, actor=admin_actor, name="Nights")
    services.delete_person_group(night, actor=admin_actor)
    assert not PersonGroup.objects.filter(name="Nights").exists()


def test_department_tree_create_move_rename_delete_when_empty(
    make_person: Any, admin_actor: Actor, top_group: Any
) -> None:
    enterprise_id = top_group.enterprise_id
    hq = services.create_department(actor=admin_actor, enterprise_id=enterprise_id, name="HQ")
    it = services.create_department(
        actor=admin_actor, enterprise_id=enterprise_id, name="IT", parent=hq
    )
    ops = services.create_department(
        actor=admin_actor, enterprise_id=enterprise_id, name="Ops", parent=it, code="OPS"
    )
    assert ops.path == f"/{hq.pk}/{it.pk}/{ops.pk}/"
    with pytest.raises(ServiceError):
        services.create_department(
            actor=admin_actor, enterprise_id=enterprise_id, name="it", parent=hq
        )
    with pytest.raises(ServiceError):  # below itself
        services.update_department(hq, actor=admin_actor, parent=ops)
    services.update_department(it, actor=admin_actor, parent=None)  # IT becomes top-level
    ops.refresh_from_db()
    assert ops.path == f"/{it.pk}/{ops.pk}/"
    services.update_department(ops, actor=admin_actor, name="Operations")
    make_person("1001", department=ops)
    with pytest.raises(ServiceError) as refused:
        services.delete_department(it, actor=admin_actor)
    assert "sub-departments" in refused.value.message
    with pytest.raises(ServiceError) as refused:
        services.delete_department(ops, actor=admin_actor)
    assert "persons" in refused.value.message
    services.delete_department(hq, actor=admin_actor)
    assert list(Department.objects.values_list("name", flat=True).order_by("name")) == [
        "IT",
        "Operations",
    ]


def test_another_enterprise_cannot_use_our_department(
    cast: Any, admin_actor: Actor, top_group: Any
) -> None:
    department = services.create_department(
        actor=admin_actor, enterprise_id=top_group.enterprise_id, name="HQ"
    )
    with pytest.raises(PermissionDenied):
        services.create_department(
            actor=Actor.for_user(cast.b_admin),
            enterprise_id=top_group.enterprise_id,
            name="Intruder",
        )
    with pytest.raises(PermissionDenied):
        services.delete_department(department, actor=Actor.for_user(cast.b_admin))


def test_deleting_a_person_is_logged_and_leaves_others(
    make_person: Any, admin_actor: Actor
) -> None:
    first = make_person("1001")
    make_person("1002")
    services.delete_person(first, actor=admin_actor)
    assert list(Person.objects.values_list("personnel_id", flat=True)) == ["1002"]
    assert LogEntry.objects.filter(action="people.employee.deleted").count() == 1


def test_a_changed_device_pin_is_saved_and_logged_without_the_pin(
    make_person: Any, admin_actor: Actor
) -> None:
    person = make_person("1001", device_pin="1234")
    services.update_person(person, actor=admin_actor, device_pin="5678")
    assert Person.objects.get(pk=person.pk).device_pin == "5678"
    entry = LogEntry.objects.get(action="people.employee.changed")
    assert entry.message == "The device PIN was changed."
    assert "5678" not in str(entry.after)
    assert "1234" not in str(entry.before)


def test_an_enterprise_with_persons_and_departments_can_be_deleted(
    make_person: Any, acme: Any, admin_actor: Actor
) -> None:
    from gatehouse.core.scoping import platform_scope
    from gatehouse.tenancy import services as tenancy_services
    from gatehouse.tenancy.models import Enterprise

    enterprise_id = acme.enterprise_a.pk
    parent = services.create_department(
        actor=admin_actor, enterprise_id=enterprise_id, name="Operations"
    )
    child = services.create_department(
        actor=admin_actor, enterprise_id=enterprise_id, name="Night shift", parent=parent
    )
    make_person("1001", department=child)
    with platform_scope():
        tenancy_services.delete_enterprise(acme.enterprise_a, actor=Actor.for_user(acme.superadmin))
        assert not Enterprise.objects.filter(pk=acme.enterprise_a.pk).exists()
        assert not Person.objects.filter(enterprise_id=acme.enterprise_a.pk).exists()

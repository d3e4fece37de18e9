"""Fixtures of the people tests: actors of the standard cast, inside enterprise A's scope."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from gatehouse.core.actors import Actor
from gatehouse.core.scoping import tenant_scope


@pytest.fixture
def acme(cast: Any) -> Iterator[Any]:
    """Enterprise A's scope is open for the test; yields the cast."""
    with tenant_scope(cast.enterprise_a.pk):
        yield cast


@pytest.fixture
def admin_actor(acme: Any) -> Actor:
    return Actor.for_user(acme.a_admin)


@pytest.fixture
def member_actor(acme: Any) -> Actor:
    return Actor.for_user(acme.a_member)


@pytest.fixture
def top_group(acme: Any) -> Any:
    from gatehouse.tenancy.models import Group

    return Group.objects.get(pk=acme.a_admin.group_id)


@pytest.fixture
def make_person(admin_actor: Actor, top_group: Any) -> Any:
    """`make_person("1001", first_name=..., group=...)` through the service."""
    from gatehouse.people import services

    def make(personnel_id: str, **values: Any) -> Any:
        values.setdefault("first_name", f"Person {personnel_id}")
        values.setdefault("group", top_group)
        actor = values.pop("actor", admin_actor)
        return services.create_person(actor=actor, personnel_id=personnel_id, **values)

    return make

"""Shared pytest fixtures: the standard cast every test can use.

- enterprise A with an administrator at the top group and a member in a sub-group;
- enterprise B with its own administrator;
- the platform super administrator.
Fixture data is created outside any tenant scope (platform scope), as the app's own
bootstrap does; the code under test then runs in the scopes the middleware opens.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("GATEHOUSE_DATA_DIR", tempfile.mkdtemp(prefix="gatehouse-test-"))

import pytest
from tests.support import PASSWORD, login_client


@pytest.fixture(autouse=True)
def _fast_hashing_and_clean_cache(settings: Any, tmp_path: Path) -> Iterator[None]:
    """Argon2 is the production hasher (test_password_hashing checks it); tests use a fast one so
    that the cast is cheap. The cache holds throttle counters keyed by ids that repeat. Every
    test starts in English: a console request in another language (LocaleMiddleware) leaves
    that language active in the thread, and the next test in the worker would inherit it.
    Each test has its own media folder: clean-ups (housekeeping) in one test, or one xdist
    worker, must not remove the files another is looking at. Devices are cached by serial
    number per process; serial numbers and ids repeat between tests."""
    from django.core.cache import cache
    from django.utils import translation

    from gatehouse.devices import caches
    from gatehouse.devices.services import DEVICE_CACHE

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    DEVICE_CACHE.clear()
    caches.clear_all()
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()
    cache.clear()


@dataclass
class Cast:
    superadmin: object
    enterprise_a: object
    enterprise_b: object
    a_admin: object
    a_member: object
    a_sub_group: object
    a_sibling_group: object
    b_admin: object
    a_role: object
    b_role: object


@pytest.fixture
def cast(db: None) -> Cast:
    from gatehouse.core.actors import Actor
    from gatehouse.core.scoping import platform_scope
    from gatehouse.tenancy import services
    from gatehouse.tenancy.models import User

    system = Actor.system("test setup")
    with platform_scope():
        superadmin, _ = services.ensure_superadmin("root", PASSWORD)
        ent_a, a_admin, _ = services.create_enterprise(
            actor=system, code="acme", name="Acme", admin_username="a-admin"
        )
        ent_b, b_admin, _ = services.create_enterprise(
            actor=system, code="bolt", name="Bolt", admin_username="b-admin"
        )
        for user in (a_admin, b_admin):
            user.set_password(PASSWORD)
            user.must_change_password = False
            user.save()
        a_role = services.create_role(
            actor=system,
            enterprise_id=ent_a.pk,
            name="A viewers",
            permissions=["tenancy.view", "audit.view"],
        )
        b_role = services.create_role(
            actor=system,
            enterprise_id=ent_b.pk,
            name="B viewers",
            permissions=["tenancy.view", "audit.view"],
        )
        assert a_admin.group is not None
        sub = services.create_group(actor=system, parent=a_admin.group, name="Branch")
        sibling = services.create_group(actor=system, parent=a_admin.group, name="Sibling")
        a_member, _ = services.create_user(
            actor=system, group=sub, username="a-member", password=PASSWORD, roles=[a_role]
        )
        a_member = User.global_objects.get(pk=a_member.pk)
    return Cast(superadmin, ent_a, ent_b, a_admin, a_member, sub, sibling, b_admin, a_role, b_role)


@pytest.fixture
def client_for(cast: Cast) -> Iterator[object]:
    """`client_for("a-admin")` returns a console client logged in as that cast member."""
    yield login_client

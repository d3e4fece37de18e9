"""Tenant scoping on top of django-scopes: fail closed, never "no filter".

django-scopes treats a scope value of None as "no filter"; `tenant_scope` refuses that, so a
missing enterprise can never widen a query to every tenant.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django_scopes import scope, scopes_disabled

__all__ = ["platform_scope", "tenant_scope"]


@contextmanager
def tenant_scope(enterprise_id: int) -> Iterator[None]:
    if not isinstance(enterprise_id, int) or isinstance(enterprise_id, bool):
        raise TypeError("tenant_scope needs an enterprise id")
    with scope(enterprise=enterprise_id):
        yield


@contextmanager
def platform_scope() -> Iterator[None]:
    """For the platform super administrator, migrations, auth backends and test setup only."""
    with scopes_disabled():
        yield

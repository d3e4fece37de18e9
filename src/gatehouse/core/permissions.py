"""The permission registry: every `<app>.<action>` a role can grant is declared here by its app.

Roles store codenames; base views and viewsets ask `has_permission(user, codename)`. Keeping the
list in code (not in a table) means a permission cannot exist without the code that checks it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from gatehouse.tenancy.models import User

STANDARD_ACTIONS: dict[str, Promise] = {
    "view": _("View"),
    "add": _("Add"),
    "change": _("Edit"),
    "delete": _("Delete"),
}


@dataclass(frozen=True)
class PermissionArea:
    """One module of the role editor: an app label, its title and its actions."""

    app: str
    title: Promise
    actions: dict[str, Promise]

    def codenames(self) -> list[str]:
        return [f"{self.app}.{action}" for action in self.actions]


_REGISTRY: dict[str, PermissionArea] = {}
# Platform-only permissions: held by the super administrator alone, never grantable by a role.
PLATFORM_APPS = {"platform"}


def register(
    app: str,
    title: Promise,
    extra: dict[str, Promise] | None = None,
    standard: tuple[str, ...] = tuple(STANDARD_ACTIONS),
) -> PermissionArea:
    """Declare the permissions of an app: the standard actions it checks (all four unless
    `standard` says fewer) plus verbs such as `open_door`."""
    actions = {name: STANDARD_ACTIONS[name] for name in standard}
    area = PermissionArea(app=app, title=title, actions={**actions, **(extra or {})})
    _REGISTRY[app] = area
    return area


def areas() -> list[PermissionArea]:
    return [area for app, area in sorted(_REGISTRY.items()) if app not in PLATFORM_APPS]


def all_codenames() -> set[str]:
    return {code for area in areas() for code in area.codenames()}


def is_known(codename: str) -> bool:
    return codename in all_codenames()


def has_permission(user: User | AnonymousUser | None, codename: str) -> bool:
    """The one permission check. Super administrators hold everything; group administrators
    hold every tenant permission inside their subtree; others hold what their roles grant."""
    from gatehouse.tenancy.models import User

    if not isinstance(user, User) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    app = codename.split(".", 1)[0]
    if app in PLATFORM_APPS:
        return False
    if user.is_group_admin:
        return codename in all_codenames()
    return codename in user.granted_permissions()

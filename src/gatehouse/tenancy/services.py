"""Writes for enterprises, groups, users, roles and tokens. The only place these change."""

from __future__ import annotations

import hashlib
import secrets
import string
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pyotp
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gatehouse.audit.services import record, snapshot
from gatehouse.core.actors import Actor
from gatehouse.core.errors import PermissionDenied, ServiceError
from gatehouse.core.permissions import PLATFORM_APPS, all_codenames
from gatehouse.core.scoping import platform_scope, tenant_scope
from gatehouse.core.trees import move_subtree, node_path
from gatehouse.tenancy.models import ApiToken, Enterprise, Group, LoginFailure, Role, User

ENTERPRISE_FIELDS = (
    "code",
    "name",
    "contact_name",
    "contact_phone",
    "contact_email",
    "address",
    "is_active",
)
USER_FIELDS = (
    "username",
    "full_name",
    "email",
    "group",
    "is_group_admin",
    "is_active",
    "roles",
    "totp_enabled",
)
ROLE_FIELDS = ("name", "description", "permissions")
TOKEN_PREFIX = "gh_"  # noqa: S105 - a public marker, not a secret


def generate_password(length: int = 16) -> str:
    """A random password with letters and digits, for first logins and administrator resets."""
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if any(c.isdigit() for c in candidate) and any(c.isalpha() for c in candidate):
            return candidate


def _log(
    action: str,
    obj: Enterprise | Group | Role | User | ApiToken,
    *,
    actor: Actor,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Write the system log entry for a tenancy object, in its enterprise and group."""
    enterprise_id: int | None
    if isinstance(obj, Group):
        enterprise_id, group_path = obj.enterprise_id, obj.path
    elif isinstance(obj, User):
        enterprise_id, group_path = obj.enterprise_id, obj.group_path
    elif isinstance(obj, ApiToken):
        enterprise_id, group_path = obj.user.enterprise_id, obj.user.group_path
    elif isinstance(obj, Role):
        enterprise_id, group_path = obj.enterprise_id, _root_path(obj.enterprise_id)
    else:
        enterprise_id, group_path = None, ""
    record(
        action,
        actor=actor,
        enterprise_id=enterprise_id,
        obj=obj,
        before=before,
        after=after,
        group_path=group_path,
    )


def require_superuser(actor: Actor) -> None:
    if actor.kind.value != "system" and (actor.user is None or not actor.user.is_superuser):
        raise PermissionDenied(_("Only the platform super administrator can do this."))


def require_visible_group(actor: Actor, group: Group) -> None:
    """A user can only act inside its own subtree (Smart Pass 6.1.1)."""
    user = actor.user
    if user is None or user.is_superuser:
        return
    if user.enterprise_id != group.enterprise_id or not group.path.startswith(user.group_path):
        raise PermissionDenied(_("That group is outside your part of the organization."))


def _require_can_grant(actor: Actor, *, is_group_admin: bool, permissions: set[str]) -> None:
    """Nobody hands out more than they hold: only group administrators make group
    administrators, and others can only give roles whose permissions they hold themselves."""
    user = actor.user
    if user is None or user.is_superuser or user.is_group_admin:
        return
    if is_group_admin:
        raise PermissionDenied(
            _("Only a group administrator can make someone a group administrator.")
        )
    missing = sorted(permissions - user.granted_permissions())
    if missing:
        raise PermissionDenied(
            _("You cannot give permissions you do not hold yourself: %(codes)s")
            % {"codes": ", ".join(missing)}
        )


def _role_permissions(roles: list[Role]) -> set[str]:
    return {code for role in roles for code in role.permissions}


def _require_role_manager(actor: Actor, enterprise_id: int) -> None:
    """Roles apply to the whole enterprise, so only users of its top group may change them."""
    user = actor.user
    if user is None or user.is_superuser:
        return
    if user.enterprise_id != enterprise_id or user.group is None or user.group.parent_id:
        raise PermissionDenied(
            _("Roles apply to the whole enterprise; only users of its top group can change them.")
        )


# --- enterprises -------------------------------------------------------------------------


@transaction.atomic
def create_enterprise(
    *, actor: Actor, code: str, name: str, admin_username: str, **fields: Any
) -> tuple[Enterprise, User, str]:
    """Create an enterprise with its root group and its enterprise administrator.

    Returns the administrator's one-time password, which must be changed at first login."""
    require_superuser(actor)
    with platform_scope():
        if Enterprise.objects.filter(code__iexact=code).exists():
            raise ServiceError(_("An enterprise with this code already exists."), field="code")
        if User.global_objects.filter(username__iexact=admin_username).exists():
            raise ServiceError(_("This username is already taken."), field="admin_username")
        enterprise = Enterprise.objects.create(code=code, name=name, **fields)
        root = Group(enterprise=enterprise, name=name, parent=None)
        root.save()
        root.path = node_path(None, root.pk)
        root.save(update_fields=["path"])
        password = generate_password()
        admin = User(
            username=admin_username,
            enterprise=enterprise,
            group=root,
            is_group_admin=True,
            must_change_password=True,
        )
        admin.set_password(password)
        admin.save()
        record(
            "tenancy.enterprise.created",
            actor=actor,
            enterprise_id=None,
            obj=enterprise,
            after=snapshot(enterprise, ENTERPRISE_FIELDS),
        )
        _log("tenancy.user.created", admin, actor=actor, after=snapshot(admin, USER_FIELDS))
    return enterprise, admin, password


@transaction.atomic
def update_enterprise(enterprise: Enterprise, *, actor: Actor, **changes: Any) -> Enterprise:
    require_superuser(actor)
    before = snapshot(enterprise, ENTERPRISE_FIELDS)
    if "code" in changes:
        with platform_scope():
            clash = Enterprise.objects.filter(code__iexact=changes["code"]).exclude(
                pk=enterprise.pk
            )
            if clash.exists():
                raise ServiceError(_("An enterprise with this code already exists."), field="code")
    for name, value in changes.items():
        setattr(enterprise, name, value)
    enterprise.full_clean()
    enterprise.save()
    record(
        "tenancy.enterprise.changed",
        actor=actor,
        enterprise_id=None,
        obj=enterprise,
        before=before,
        after=snapshot(enterprise, ENTERPRISE_FIELDS),
    )
    return enterprise


# Run by delete_enterprise before the groups go: each removes its app's rows that protect
# groups or each other (registered in AppConfig.ready; tenancy cannot import those apps).
ENTERPRISE_DELETE_STEPS: list[Callable[[Enterprise], None]] = []


@transaction.atomic
def delete_enterprise(enterprise: Enterprise, *, actor: Actor) -> None:
    """Delete an enterprise and all its data. Tenant-owned rows cascade; devices point at the
    enterprise with SET_NULL and so fall back to the platform's unassigned pool."""
    require_superuser(actor)
    before = snapshot(enterprise, ENTERPRISE_FIELDS)
    with platform_scope():
        # Apps built on tenancy remove what protects the groups (persons, ...) first.
        for step in ENTERPRISE_DELETE_STEPS:
            step(enterprise)
        # Users PROTECT their group, groups PROTECT their parent: remove them leaf-first.
        User.global_objects.filter(enterprise=enterprise).delete()
        for group in Group.objects.filter(enterprise=enterprise).order_by("-path"):
            group.delete()
        record(
            "tenancy.enterprise.deleted",
            actor=actor,
            enterprise_id=None,
            obj=enterprise,
            before=before,
        )
        enterprise.delete()


# --- groups -------------------------------------------------------------------------------


def _check_group_name(
    enterprise_id: int, parent: Group | None, name: str, exclude: int | None
) -> None:
    name = name.strip()
    if not name:
        raise ServiceError(_("The group name cannot be empty."), field="name")
    siblings = Group.objects.filter(enterprise_id=enterprise_id, parent=parent, name__iexact=name)
    if exclude is not None:
        siblings = siblings.exclude(pk=exclude)
    if siblings.exists():
        raise ServiceError(_("A group with this name already exists here."), field="name")


@transaction.atomic
def create_group(*, actor: Actor, parent: Group, name: str) -> Group:
    require_visible_group(actor, parent)
    _check_group_name(parent.enterprise_id, parent, name, exclude=None)
    group = Group(enterprise_id=parent.enterprise_id, parent=parent, name=name.strip())
    group.save()
    group.path = node_path(parent, group.pk)
    group.save(update_fields=["path"])
    _log("tenancy.group.created", group, actor=actor, after=snapshot(group, ("name", "parent")))
    return group


@transaction.atomic
def rename_group(group: Group, *, actor: Actor, name: str) -> Group:
    require_visible_group(actor, group)
    _check_group_name(group.enterprise_id, group.parent, name, exclude=group.pk)
    before = snapshot(group, ("name", "parent"))
    group.name = name.strip()
    group.save(update_fields=["name"])
    _log(
        "tenancy.group.changed",
        group,
        actor=actor,
        before=before,
        after=snapshot(group, ("name", "parent")),
    )
    return group


@transaction.atomic
def move_group(group: Group, *, actor: Actor, parent: Group) -> Group:
    """Move a group (and its subtree) under another parent of the same enterprise."""
    require_visible_group(actor, group)
    require_visible_group(actor, parent)
    if group.parent_id is None:
        raise ServiceError(_("The enterprise's top group cannot be moved."), field="parent")
    if actor.user is not None and actor.user.group_id == group.pk:
        raise ServiceError(_("You cannot move your own group."), field="parent")
    if parent.path.startswith(group.path):
        raise ServiceError(_("A group cannot be moved below itself."), field="parent")
    _check_group_name(group.enterprise_id, parent, group.name, exclude=group.pk)
    before = snapshot(group, ("name", "parent"))
    move_subtree(Group.objects.filter(enterprise_id=group.enterprise_id), group, parent)
    group.refresh_from_db()
    group.parent = parent
    group.save(update_fields=["parent"])
    _log(
        "tenancy.group.moved",
        group,
        actor=actor,
        before=before,
        after=snapshot(group, ("name", "parent")),
    )
    return group


# Other apps say why a group cannot go (it still has devices, ...): each returns a message
# or None. Registered in AppConfig.ready; tenancy cannot import the apps built on it.
GROUP_DELETE_CHECKS: list[Callable[[Group], str | None]] = []


@transaction.atomic
def delete_group(group: Group, *, actor: Actor) -> None:
    require_visible_group(actor, group)
    if group.parent_id is None:
        raise ServiceError(_("The enterprise's top group cannot be deleted."))
    if group.children.exists():
        raise ServiceError(_("Only an empty group can be deleted: it still has sub-groups."))
    if User.objects.filter(group=group).exists():
        raise ServiceError(_("Only an empty group can be deleted: it still has users."))
    for check in GROUP_DELETE_CHECKS:
        problem = check(group)
        if problem:
            raise ServiceError(problem)
    before = snapshot(group, ("name", "parent"))
    _log("tenancy.group.deleted", group, actor=actor, before=before)
    group.delete()


# --- roles --------------------------------------------------------------------------------


def _clean_permissions(codes: list[str]) -> list[str]:
    platform_only = sorted(c for c in codes if c.split(".", 1)[0] in PLATFORM_APPS)
    if platform_only:
        raise ServiceError(
            _(
                "These permissions belong to the platform super administrator and cannot be "
                "given by a role: %(codes)s"
            )
            % {"codes": ", ".join(platform_only)},
            field="permissions",
        )
    known = all_codenames()
    unknown = sorted(set(codes) - known)
    if unknown:
        raise ServiceError(
            _("Unknown permissions: %(codes)s") % {"codes": ", ".join(unknown)},
            field="permissions",
        )
    return sorted(set(codes))


@transaction.atomic
def create_role(
    *, actor: Actor, enterprise_id: int, name: str, permissions: list[str], description: str = ""
) -> Role:
    _require_role_manager(actor, enterprise_id)
    _require_can_grant(actor, is_group_admin=False, permissions=set(permissions))
    if Role.objects.filter(enterprise_id=enterprise_id, name__iexact=name.strip()).exists():
        raise ServiceError(_("A role with this name already exists."), field="name")
    role = Role(
        enterprise_id=enterprise_id,
        name=name.strip(),
        description=description,
        permissions=_clean_permissions(permissions),
    )
    role.save()
    _log("tenancy.role.created", role, actor=actor, after=snapshot(role, ROLE_FIELDS))
    return role


@transaction.atomic
def update_role(role: Role, *, actor: Actor, **changes: Any) -> Role:
    _require_role_manager(actor, role.enterprise_id)
    if "permissions" in changes:
        _require_can_grant(actor, is_group_admin=False, permissions=set(changes["permissions"]))
    before = snapshot(role, ROLE_FIELDS)
    if "name" in changes:
        changes["name"] = changes["name"].strip()
        clash = Role.objects.filter(enterprise_id=role.enterprise_id, name__iexact=changes["name"])
        if clash.exclude(pk=role.pk).exists():
            raise ServiceError(_("A role with this name already exists."), field="name")
    if "permissions" in changes:
        changes["permissions"] = _clean_permissions(changes["permissions"])
    for name, value in changes.items():
        setattr(role, name, value)
    role.save()
    _log(
        "tenancy.role.changed", role, actor=actor, before=before, after=snapshot(role, ROLE_FIELDS)
    )
    return role


@transaction.atomic
def delete_role(role: Role, *, actor: Actor) -> None:
    _require_role_manager(actor, role.enterprise_id)
    if role.users.exists():
        raise ServiceError(_("This role is still given to users; take it away from them first."))
    _log("tenancy.role.deleted", role, actor=actor, before=snapshot(role, ROLE_FIELDS))
    role.delete()


def _root_path(enterprise_id: int) -> str:
    root = Group.objects.filter(enterprise_id=enterprise_id, parent__isnull=True).first()
    return root.path if root is not None else ""


# --- users --------------------------------------------------------------------------------


def _check_username(username: str, exclude: int | None = None) -> str:
    username = username.strip()
    if not username:
        raise ServiceError(_("The username cannot be empty."), field="username")
    clash = User.global_objects.filter(username__iexact=username)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise ServiceError(_("This username is already taken."), field="username")
    return username


def _check_roles(group: Group, roles: list[Role]) -> None:
    for role in roles:
        if role.enterprise_id != group.enterprise_id:
            raise ServiceError(_("That role belongs to another enterprise."), field="roles")


def _validate_new_password(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ServiceError(" ".join(exc.messages), field="password") from exc


@transaction.atomic
def create_user(
    *,
    actor: Actor,
    group: Group,
    username: str,
    password: str | None = None,
    is_group_admin: bool = False,
    roles: list[Role] | None = None,
    full_name: str = "",
    email: str = "",
) -> tuple[User, str | None]:
    """Create an enterprise user. Without a password, a random one-time password is generated
    and returned; it must be changed at first login."""
    require_visible_group(actor, group)
    username = _check_username(username)
    roles = roles or []
    _check_roles(group, roles)
    _require_can_grant(actor, is_group_admin=is_group_admin, permissions=_role_permissions(roles))
    if not is_group_admin and not roles:
        raise ServiceError(_("A normal user needs at least one role."), field="roles")
    user = User(
        username=username,
        enterprise_id=group.enterprise_id,
        group=group,
        is_group_admin=is_group_admin,
        full_name=full_name,
        email=email,
    )
    generated = None
    if password:
        _validate_new_password(password, user)
    else:
        generated = password = generate_password()
        user.must_change_password = True
    user.set_password(password)
    user.save()
    user.roles.set(roles)
    _log("tenancy.user.created", user, actor=actor, after=snapshot(user, USER_FIELDS))
    return user, generated


@transaction.atomic
def update_user(user: User, *, actor: Actor, **changes: Any) -> User:
    if user.group is None:
        raise PermissionDenied()
    require_visible_group(actor, user.group)
    before = snapshot(user, USER_FIELDS)
    if "username" in changes:
        changes["username"] = _check_username(changes["username"], exclude=user.pk)
    if "group" in changes:
        require_visible_group(actor, changes["group"])
        if changes["group"].enterprise_id != user.enterprise_id:
            raise ServiceError(_("That group belongs to another enterprise."), field="group")
    roles = changes.pop("roles", None)
    admin_change = "is_group_admin" in changes and changes["is_group_admin"] != user.is_group_admin
    roles_change = roles is not None and {r.pk for r in roles} != set(
        user.roles.values_list("pk", flat=True)
    )
    own_account = actor.user is not None and actor.user.pk == user.pk
    if own_account and (changes.get("is_active") is False or admin_change or roles_change):
        raise ServiceError(_("You cannot disable your own account or change your own roles."))
    if admin_change or roles_change:
        _require_can_grant(
            actor,
            is_group_admin=bool(changes.get("is_group_admin", user.is_group_admin)),
            permissions=_role_permissions(roles or []),
        )
    for name, value in changes.items():
        setattr(user, name, value)
    if roles is not None:
        _check_roles(user.group, roles)
        user.roles.set(roles)
    if not user.is_group_admin and not user.roles.exists():
        raise ServiceError(_("A normal user needs at least one role."), field="roles")
    user.save()
    _log(
        "tenancy.user.changed", user, actor=actor, before=before, after=snapshot(user, USER_FIELDS)
    )
    return user


@transaction.atomic
def delete_user(user: User, *, actor: Actor) -> None:
    if user.group is not None:
        require_visible_group(actor, user.group)
    if actor.user is not None and actor.user.pk == user.pk:
        raise ServiceError(_("You cannot delete your own account."))
    if user.is_superuser:
        raise PermissionDenied()
    _log("tenancy.user.deleted", user, actor=actor, before=snapshot(user, USER_FIELDS))
    user.delete()


@transaction.atomic
def reset_password(user: User, *, actor: Actor) -> str:
    """An administrator resets a user's password to a random one-time password (never 123456)."""
    if user.group is not None:
        require_visible_group(actor, user.group)
    password = generate_password()
    user.set_password(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    _log("tenancy.user.password_reset", user, actor=actor)
    return password


@transaction.atomic
def change_own_password(user: User, *, actor: Actor, current: str, new: str) -> User:
    if not user.check_password(current):
        raise ServiceError(_("The current password is not correct."), field="current_password")
    if current == new:
        raise ServiceError(
            _("The new password must differ from the current one."), field="password"
        )
    _validate_new_password(new, user)
    user.set_password(new)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    _log("tenancy.user.password_changed", user, actor=actor)
    return user


# --- two-factor login ---------------------------------------------------------------------


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_is_valid(secret: str, code: str) -> bool:
    code = code.strip().replace(" ", "")
    return bool(secret) and code.isdigit() and pyotp.TOTP(secret).verify(code, valid_window=1)


@transaction.atomic
def enable_totp(user: User, *, actor: Actor, secret: str, code: str) -> User:
    if not totp_is_valid(secret, code):
        raise ServiceError(
            _("That code is not valid. Check the time on your phone and try again."), field="code"
        )
    user.totp_secret = secret
    user.totp_enabled = True
    user.save(update_fields=["totp_secret", "totp_enabled"])
    _log("tenancy.user.totp_enabled", user, actor=actor)
    return user


@transaction.atomic
def disable_totp(user: User, *, actor: Actor) -> User:
    if user.group is not None and actor.user is not None and actor.user.pk != user.pk:
        require_visible_group(actor, user.group)
    user.totp_secret = ""
    user.totp_enabled = False
    user.save(update_fields=["totp_secret", "totp_enabled"])
    _log("tenancy.user.totp_disabled", user, actor=actor)
    return user


# --- login throttling ---------------------------------------------------------------------


def login_locked_until(username: str, address: str) -> datetime | None:
    row = LoginFailure.objects.filter(username=username.lower(), address=address).first()
    if row is None or row.locked_until is None or row.locked_until <= timezone.now():
        return None
    return row.locked_until


@transaction.atomic
def note_login_failure(username: str, address: str) -> datetime | None:
    """Count a failed login for this account and address; lock the pair at the limit."""
    now = timezone.now()
    row, _created = LoginFailure.objects.select_for_update().get_or_create(
        username=username.lower()[:150], address=address[:64]
    )
    window = timedelta(seconds=settings.LOGIN_LOCK_SECONDS)
    if row.last_failure_at < now - window:
        row.failures = 0
    row.failures += 1
    row.last_failure_at = now
    if row.failures >= settings.LOGIN_FAILURE_LIMIT:
        row.locked_until = now + window
        row.failures = 0
    row.save()
    return row.locked_until if row.locked_until and row.locked_until > now else None


def clear_login_failures(username: str, address: str) -> None:
    LoginFailure.objects.filter(username=username.lower(), address=address).delete()


# --- API tokens ---------------------------------------------------------------------------


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def create_token(
    user: User, *, actor: Actor, name: str, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a personal token; the returned secret is shown once and never stored."""
    if not name.strip():
        raise ServiceError(_("Give the token a name."), field="name")
    if expires_at is not None and expires_at <= timezone.now():
        raise ServiceError(_("The expiry must be in the future."), field="expires_at")
    prefix = secrets.token_hex(4)
    secret = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user,
        name=name.strip(),
        prefix=prefix,
        key_hash=hash_token(secret),
        expires_at=expires_at,
    )
    record(
        "tenancy.token.created",
        actor=actor,
        enterprise_id=user.enterprise_id,
        obj=token,
        after={
            "name": token.name,
            "user": user.username,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
        group_path=user.group_path,
    )
    return token, secret


@transaction.atomic
def revoke_token(token: ApiToken, *, actor: Actor) -> ApiToken:
    if token.revoked_at is not None:
        raise ServiceError(_("This token is already revoked."))
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    _log("tenancy.token.revoked", token, actor=actor)
    return token


def find_token(secret: str) -> ApiToken | None:
    """The token whose stored hash matches `secret` (constant-time compare), usable or not."""
    if not secret.startswith(TOKEN_PREFIX) or secret.count("_") < 2:
        return None
    prefix = secret[len(TOKEN_PREFIX) :].split("_", 1)[0]
    token = ApiToken.objects.select_related("user__enterprise").filter(prefix=prefix).first()
    if token is None or not secrets.compare_digest(token.key_hash, hash_token(secret)):
        return None
    return token


def resolve_token(secret: str) -> ApiToken | None:
    """A usable token for `secret`: not revoked, not expired, its user enabled."""
    token = find_token(secret)
    if token is None or not token.is_usable or not token.user.is_active:
        return None
    return token


def mark_token_used(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is None or token.last_used_at < now - timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)


# --- platform bootstrap -------------------------------------------------------------------


@transaction.atomic
def ensure_superadmin(username: str, password: str | None) -> tuple[User, str | None]:
    """Create the platform super administrator when none exists. Returns the generated
    password (to print once) or None when it already existed or a password was supplied."""
    with platform_scope():
        existing = User.global_objects.filter(is_superuser=True).order_by("pk").first()
        if existing is not None:
            return existing, None
        user = User(username=username, is_superuser=True)
        generated = None
        if not password:
            generated = password = generate_password(20)
        else:
            _validate_new_password(password, user)
        user.set_password(password)
        user.save()
        record(
            "tenancy.user.created",
            actor=Actor.system("first run"),
            enterprise_id=None,
            obj=user,
            after=snapshot(user, USER_FIELDS),
        )
        return user, generated


def scope_for(user: User) -> Any:
    """The query scope a user works in: its enterprise, or the whole platform for the super
    administrator."""
    if user.is_superuser:
        return platform_scope()
    if user.enterprise_id is None:
        raise PermissionDenied()
    return tenant_scope(user.enterprise_id)


def totp_uri(user: User, secret: str) -> str:
    issuer = "Gatehouse"
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=issuer)


MAX_TOKEN_DAYS = 3650


def parse_expiry_days(raw: str) -> datetime | None:
    """'' means no expiry; otherwise a whole number of days from now (1 to 3650)."""
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_TOKEN_DAYS:
        raise ServiceError(
            _("The expiry must be a number of days between 1 and %(max)d.")
            % {"max": MAX_TOKEN_DAYS},
            field="expires_days",
        )
    return timezone.now() + timedelta(days=int(raw))

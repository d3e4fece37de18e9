"""Writes for persons, departments, person groupings and face photos. The only place these
change: the console, the API, imports and (later) devices all call these functions."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from gatehouse.audit.services import record, record_for, snapshot
from gatehouse.core.actors import Actor
from gatehouse.core.errors import PermissionDenied, ServiceError
from gatehouse.core.mail import mail_configured, public_url
from gatehouse.core.trees import move_subtree, node_path
from gatehouse.people import photos
from gatehouse.people.models import (
    CARD_NUMBER_PATTERN,
    DEVICE_PIN_PATTERN,
    PERSONNEL_ID_PATTERN,
    Category,
    Department,
    Gender,
    Person,
    PersonGroup,
)
from gatehouse.tenancy.models import Group
from gatehouse.tenancy.services import generate_password, require_visible_group

# What a person's record holds that a user may set (the console form, the API, an import row).
PERSON_FIELDS = (
    "category",
    "personnel_id",
    "first_name",
    "last_name",
    "gender",
    "department",
    "person_group",
    "email",
    "mobile_phone",
    "id_card_number",
    "card_number",
    "device_pin",
    "nationality",
    "ethnicity",
    "birth_place",
    "birth_date",
    "address",
    "notes",
    "valid_from",
    "valid_until",
    "is_enabled",
)
AUDITED_PERSON_FIELDS = (*PERSON_FIELDS, "app_login_enabled", "photo")
PIN_MASK = "****"
TEXT_LIMITS: dict[str, int] = {
    f.name: int(f.max_length)
    for f in Person._meta.concrete_fields
    if f.max_length and f.name in PERSON_FIELDS
}


def _audited(person: Person) -> dict[str, Any]:
    """The person as the system log records it: a device PIN is a secret, so the log says
    only whether there is one (and, by a change of the mask, that it changed)."""
    values = snapshot(person, AUDITED_PERSON_FIELDS)
    if values.get("device_pin"):
        values["device_pin"] = PIN_MASK
    return values


def _require_same_enterprise(actor: Actor, enterprise_id: int) -> None:
    user = actor.user
    if user is not None and not user.is_superuser and user.enterprise_id != enterprise_id:
        raise PermissionDenied(_("That belongs to another enterprise."))


# --- person groupings (Smart Pass 4.1.7) ---------------------------------------------------


def default_person_group(group: Group, category: str) -> PersonGroup:
    """The grouping every user group has for each category, created when first needed."""
    person_group: PersonGroup
    person_group, _created = PersonGroup.objects.get_or_create(
        enterprise_id=group.enterprise_id,
        group=group,
        category=category,
        is_default=True,
        defaults={"name": ""},
    )
    return person_group


def _check_grouping_name(group: Group, category: str, name: str, exclude: int | None) -> str:
    name = name.strip()
    if not name:
        raise ServiceError(_("The grouping name cannot be empty."), field="name")
    same = PersonGroup.objects.filter(group=group, category=category, name__iexact=name)
    if exclude is not None:
        same = same.exclude(pk=exclude)
    if same.exists():
        raise ServiceError(_("A grouping with this name already exists here."), field="name")
    return name


@transaction.atomic
def create_person_group(*, actor: Actor, group: Group, category: str, name: str) -> PersonGroup:
    require_visible_group(actor, group)
    if category not in Category.values:
        raise ServiceError(_("Unknown category."), field="category")
    person_group: PersonGroup = PersonGroup.objects.create(
        enterprise_id=group.enterprise_id,
        group=group,
        category=category,
        name=_check_grouping_name(group, category, name, exclude=None),
    )
    record_for(
        "people.grouping.created",
        person_group,
        actor=actor,
        after=snapshot(person_group, ("group", "category", "name")),
    )
    return person_group


@transaction.atomic
def rename_person_group(person_group: PersonGroup, *, actor: Actor, name: str) -> PersonGroup:
    require_visible_group(actor, person_group.group)
    if person_group.is_default:
        raise ServiceError(_("The default grouping cannot be renamed."), field="name")
    before = snapshot(person_group, ("name",))
    person_group.name = _check_grouping_name(
        person_group.group, person_group.category, name, exclude=person_group.pk
    )
    person_group.save(update_fields=["name"])
    record_for(
        "people.grouping.changed",
        person_group,
        actor=actor,
        before=before,
        after=snapshot(person_group, ("name",)),
    )
    return person_group


@transaction.atomic
def delete_person_group(person_group: PersonGroup, *, actor: Actor) -> None:
    require_visible_group(actor, person_group.group)
    if person_group.is_default:
        raise ServiceError(_("The default grouping cannot be deleted."))
    if person_group.persons.exists():
        raise ServiceError(_("Only an empty grouping can be deleted: it still has persons."))
    record_for(
        "people.grouping.deleted",
        person_group,
        actor=actor,
        before=snapshot(person_group, ("group", "category", "name")),
    )
    person_group.delete()


# --- departments ---------------------------------------------------------------------------


def _check_department_name(
    enterprise_id: int, parent: Department | None, name: str, exclude: int | None
) -> str:
    name = name.strip()
    if not name:
        raise ServiceError(_("The department name cannot be empty."), field="name")
    siblings = Department.objects.filter(
        enterprise_id=enterprise_id, parent=parent, name__iexact=name
    )
    if exclude is not None:
        siblings = siblings.exclude(pk=exclude)
    if siblings.exists():
        raise ServiceError(_("A department with this name already exists here."), field="name")
    return name


DEPARTMENT_FIELDS = ("code", "name", "parent")


@transaction.atomic
def create_department(
    *,
    actor: Actor,
    enterprise_id: int,
    name: str,
    parent: Department | None = None,
    code: str = "",
) -> Department:
    _require_same_enterprise(actor, enterprise_id)
    if parent is not None and parent.enterprise_id != enterprise_id:
        raise ServiceError(_("The parent department belongs to another enterprise."))
    department = Department(
        enterprise_id=enterprise_id,
        parent=parent,
        name=_check_department_name(enterprise_id, parent, name, exclude=None),
        code=code.strip(),
    )
    department.save()
    department.path = node_path(parent, department.pk)
    department.save(update_fields=["path"])
    record_for(
        "people.department.created",
        department,
        actor=actor,
        after=snapshot(department, DEPARTMENT_FIELDS),
    )
    return department


@transaction.atomic
def update_department(
    department: Department,
    *,
    actor: Actor,
    name: str | None = None,
    code: str | None = None,
    parent: Department | Literal["keep"] | None = "keep",
) -> Department:
    """Rename, recode and/or move a department (its whole subtree moves with it). `parent`
    left out keeps it; None makes it a top-level department."""
    _require_same_enterprise(actor, department.enterprise_id)
    before = snapshot(department, DEPARTMENT_FIELDS)
    new_parent = department.parent if parent == "keep" else parent
    if new_parent is not None:
        if new_parent.enterprise_id != department.enterprise_id:
            raise ServiceError(_("The parent department belongs to another enterprise."))
        if new_parent.path.startswith(department.path):
            raise ServiceError(_("A department cannot be moved below itself."), field="parent")
    department.name = _check_department_name(
        department.enterprise_id,
        new_parent,
        department.name if name is None else name,
        exclude=department.pk,
    )
    if code is not None:
        department.code = code.strip()
    moved = (new_parent.pk if new_parent else None) != department.parent_id
    department.parent = new_parent
    department.save(update_fields=["name", "code", "parent"])
    if moved:
        tree = Department.objects.filter(enterprise_id=department.enterprise_id)
        move_subtree(tree, department, new_parent)
        department.refresh_from_db()
    record_for(
        "people.department.moved" if moved else "people.department.changed",
        department,
        actor=actor,
        before=before,
        after=snapshot(department, DEPARTMENT_FIELDS),
    )
    return department


@transaction.atomic
def delete_department(department: Department, *, actor: Actor) -> None:
    _require_same_enterprise(actor, department.enterprise_id)
    if department.children.exists():
        raise ServiceError(
            _("Only an empty department can be deleted: it still has sub-departments.")
        )
    if department.persons.exists():
        raise ServiceError(_("Only an empty department can be deleted: it still has persons."))
    record_for(
        "people.department.deleted",
        department,
        actor=actor,
        before=snapshot(department, DEPARTMENT_FIELDS),
    )
    department.delete()


# --- persons -------------------------------------------------------------------------------


def _clean_text(values: dict[str, Any]) -> None:
    for name, limit in TEXT_LIMITS.items():
        if name not in values:
            continue
        value = values[name]
        text = "" if value is None else str(value).strip()
        if limit and len(text) > limit:
            raise ServiceError(
                _("At most %(limit)d characters.") % {"limit": limit}, field=name, code="too_long"
            )
        values[name] = text


def _check_pattern(values: dict[str, Any], name: str, pattern: str, message: str) -> None:
    value = values.get(name)
    if value and not re.fullmatch(pattern, value):
        raise ServiceError(message, field=name)


def _check_person_values(
    person: Person, values: dict[str, Any], known: KnownKeys | None = None
) -> None:
    """Field rules shared by create, update and import; messages name the field. With
    `known`, uniqueness is checked against it instead of the database (bulk creation)."""
    _clean_text(values)
    if "personnel_id" in values and not values["personnel_id"]:
        raise ServiceError(_("The personnel ID is required."), field="personnel_id")
    _check_pattern(
        values,
        "personnel_id",
        PERSONNEL_ID_PATTERN,
        _("The personnel ID may only hold letters and digits (at most 20)."),
    )
    if "first_name" in values and not values["first_name"]:
        raise ServiceError(_("The first name is required."), field="first_name")
    if "category" in values and values["category"] not in Category.values:
        raise ServiceError(_("Unknown category."), field="category")
    if values.get("gender") and values["gender"] not in Gender.values:
        raise ServiceError(_("Gender must be male, female or other."), field="gender")
    if values.get("card_number"):
        values["card_number"] = values["card_number"].upper()
    _check_pattern(
        values,
        "card_number",
        CARD_NUMBER_PATTERN,
        _("The card number may only hold digits and the letters A to F (at most 20)."),
    )
    _check_pattern(
        values,
        "device_pin",
        DEVICE_PIN_PATTERN,
        _("The device PIN must be 4 to 8 digits."),
    )
    if values.get("email"):
        try:
            validate_email(values["email"])
        except ValidationError:
            raise ServiceError(_("Enter a valid e-mail address."), field="email") from None
    _check_dates(person, values)
    if known is None:
        _check_unique(person, values)
    else:
        known.check(values)


def _check_dates(person: Person, values: dict[str, Any]) -> None:
    birth_date = values.get("birth_date")
    if birth_date is not None:
        if not isinstance(birth_date, date) or isinstance(birth_date, datetime):
            raise ServiceError(_("Enter a valid date."), field="birth_date")
        if birth_date > timezone.localdate():
            raise ServiceError(_("The date of birth cannot be in the future."), field="birth_date")
    valid_from = values.get("valid_from", person.valid_from)
    valid_until = values.get("valid_until", person.valid_until)
    if valid_from and valid_until and valid_until <= valid_from:
        raise ServiceError(
            _("The end of the validity period must come after its start."), field="valid_until"
        )


def _check_unique(person: Person, values: dict[str, Any]) -> None:
    enterprise_id = person.enterprise_id
    if values.get("personnel_id"):
        # compared lower-cased, as the unique index on Lower(personnel_id) does (and uses)
        clash = (
            Person.objects.alias(folded=Lower("personnel_id"))
            .filter(enterprise_id=enterprise_id, folded=values["personnel_id"].lower())
            .exclude(pk=person.pk)
        )
        if clash.exists():
            raise ServiceError(
                _("The personnel ID %(id)s is already used.") % {"id": values["personnel_id"]},
                field="personnel_id",
                code="duplicate",
            )
    if values.get("card_number"):
        # unordered and one column: the unique card index answers it
        holder = (
            Person.objects.filter(enterprise_id=enterprise_id, card_number=values["card_number"])
            .exclude(pk=person.pk)
            .order_by()
            .values_list("personnel_id", flat=True)
            .first()
        )
        if holder is not None:
            raise ServiceError(
                _("The card %(card)s already belongs to %(person)s: one card per person.")
                % {"card": values["card_number"], "person": holder},
                field="card_number",
                code="duplicate",
            )
    department = values.get("department")
    if department is not None and department.enterprise_id != enterprise_id:
        raise ServiceError(_("That department belongs to another enterprise."), field="department")


def _resolve_grouping(actor: Actor, person: Person, values: dict[str, Any]) -> None:
    """Put the person in a grouping of its category the actor may see; keep `group` in step."""
    category = values.get("category", person.category)
    person_group: PersonGroup | None = values.get("person_group")
    if person_group is None and "group" in values:
        person_group = default_person_group(values.pop("group"), category)
    if person_group is None and person.person_group_id is not None:
        current = person.person_group
        if current.category != category:  # a change of category moves to its default grouping
            person_group = default_person_group(current.group, category)
    if person_group is None:
        if person.person_group_id is None:
            raise ServiceError(_("Choose a grouping."), field="person_group")
        return
    if person_group.enterprise_id != person.enterprise_id:
        raise ServiceError(_("That grouping belongs to another enterprise."), field="person_group")
    if person_group.category != category:
        raise ServiceError(
            _("That grouping is for %(category)s, not for %(wanted)s.")
            % {
                "category": Category(person_group.category).label,
                "wanted": Category(category).label,
            },
            field="person_group",
        )
    require_visible_group(actor, person_group.group)
    values["person_group"] = person_group
    values["group"] = person_group.group


@transaction.atomic
def create_person(*, actor: Actor, enterprise_id: int | None = None, **values: Any) -> Person:
    """Create a person. `person_group` or `group` (its default grouping) places it, and
    names the enterprise when `enterprise_id` is left out."""
    if enterprise_id is None:
        placement = values.get("person_group") or values.get("group")
        if placement is None:
            raise ServiceError(_("Choose a grouping."), field="person_group")
        enterprise_id = int(placement.enterprise_id)
    _require_same_enterprise(actor, enterprise_id)
    unknown = set(values) - {*PERSON_FIELDS, "group"}
    if unknown:
        raise ServiceError(_("Unknown fields: %(names)s") % {"names": ", ".join(sorted(unknown))})
    person = Person(enterprise_id=enterprise_id)
    values.setdefault("category", Category.EMPLOYEE)
    values.setdefault("personnel_id", "")
    values.setdefault("first_name", "")
    _check_person_values(person, values)
    _resolve_grouping(actor, person, values)
    for name, value in values.items():
        setattr(person, name, value)
    person.created_at = person.updated_at = timezone.now()
    person.save(force_insert=True)
    record_for(
        f"people.{person.category}.created",
        person,
        actor=actor,
        after=_audited(person),
    )
    return person


@dataclass
class KnownKeys:
    """The personnel IDs (lower-cased) and cards (-> personnel ID) an enterprise uses, read
    once for a bulk creation and kept up to date as it creates."""

    personnel_ids: set[str]
    cards: dict[str, str]

    @classmethod
    def load(cls, enterprise_id: int) -> KnownKeys:
        rows = Person.objects.filter(enterprise_id=enterprise_id).values_list(
            "personnel_id", "card_number"
        )
        known = cls(personnel_ids=set(), cards={})
        for personnel_id, card in rows.iterator(chunk_size=5000):
            known.add(personnel_id, card)
        return known

    def add(self, personnel_id: str, card: str) -> None:
        self.personnel_ids.add(personnel_id.lower())
        if card:
            self.cards[card] = personnel_id

    def check(self, values: dict[str, Any]) -> None:
        """The same refusals as the database check of `create_person`."""
        personnel_id = values.get("personnel_id") or ""
        if personnel_id.lower() in self.personnel_ids:
            raise ServiceError(
                _("The personnel ID %(id)s is already used.") % {"id": personnel_id},
                field="personnel_id",
                code="duplicate",
            )
        card = values.get("card_number") or ""
        if card in self.cards:
            raise ServiceError(
                _("The card %(card)s already belongs to %(person)s: one card per person.")
                % {"card": card, "person": self.cards[card]},
                field="card_number",
                code="duplicate",
            )


@transaction.atomic
def create_persons(
    *, actor: Actor, enterprise_id: int, rows: list[dict[str, Any]], known: KnownKeys
) -> list[Person | ServiceError]:
    """Create many persons with one insert (bulk imports): each row gets the rules of
    `create_person`, uniqueness checked against `known`; the answer has, per row, the new
    person or the refusal. A concurrent writer taking an ID meanwhile makes the insert raise
    IntegrityError; the caller retries those rows one by one."""
    _require_same_enterprise(actor, enterprise_id)
    results: list[Person | ServiceError] = []
    created: list[Person] = []
    now = timezone.now()
    for values in rows:
        person = Person(enterprise_id=enterprise_id)
        try:
            unknown = set(values) - {*PERSON_FIELDS, "group"}
            if unknown:
                raise ServiceError(
                    _("Unknown fields: %(names)s") % {"names": ", ".join(sorted(unknown))}
                )
            values.setdefault("category", Category.EMPLOYEE)
            values.setdefault("personnel_id", "")
            values.setdefault("first_name", "")
            _check_person_values(person, values, known)
            _resolve_grouping(actor, person, values)
        except ServiceError as exc:
            results.append(exc)
            continue
        for name, value in values.items():
            setattr(person, name, value)
        person.created_at = person.updated_at = now
        known.add(person.personnel_id, person.card_number)
        created.append(person)
        results.append(person)
    Person.objects.bulk_create(created, batch_size=500)
    for person in created:
        record_for(f"people.{person.category}.created", person, actor=actor, after=_audited(person))
    return results


@transaction.atomic
def update_person(person: Person, *, actor: Actor, **changes: Any) -> Person:
    require_visible_group(actor, person.group)
    unknown = set(changes) - {*PERSON_FIELDS, "group"}
    if unknown:
        raise ServiceError(_("Unknown fields: %(names)s") % {"names": ", ".join(sorted(unknown))})
    before, old_pin = _audited(person), person.device_pin
    _check_person_values(person, changes)
    _resolve_grouping(actor, person, changes)
    for name, value in changes.items():
        setattr(person, name, value)
    after = _audited(person)
    pin_changed = person.device_pin != old_pin
    if after == before and not pin_changed:
        return person
    person.updated_at = timezone.now()
    person.save()
    record_for(
        f"people.{person.category}.changed",
        person,
        actor=actor,
        before=before,
        after=after,
        message=_("The device PIN was changed.") if pin_changed else "",
    )
    return person


@transaction.atomic
def delete_person(person: Person, *, actor: Actor) -> None:
    require_visible_group(actor, person.group)
    photo = person.photo
    record_for(
        f"people.{person.category}.deleted",
        person,
        actor=actor,
        before=_audited(person),
    )
    person.delete()
    if photo is not None:
        photos.forget_if_unused(photo)


@transaction.atomic
def delete_persons(persons: Iterable[Person], *, actor: Actor) -> int:
    count = 0
    for person in persons:
        delete_person(person, actor=actor)
        count += 1
    return count


def export_persons(
    persons: QuerySet[Person], *, actor: Actor, category: str, file_format: str
) -> tuple[str, bytes]:
    """The category's file (Smart Pass 4.1.4), and the system log entry saying who took it."""
    from gatehouse.core.spreadsheets import SpreadsheetError
    from gatehouse.people import workbooks

    try:
        name, content = workbooks.export(persons, category, file_format)
    except SpreadsheetError as exc:
        raise ServiceError(str(exc)) from None
    user = actor.user
    record(
        f"people.{category}.exported",
        actor=actor,
        enterprise_id=getattr(user, "enterprise_id", None),
        message=name,
        group_path=getattr(user, "group_path", ""),
    )
    return name, content


# --- photos --------------------------------------------------------------------------------


@dataclass
class PhotoOutcome:
    person: Person
    # Faces of other persons this photo matches: shown as warnings, the photo is kept.
    warnings: list[str] = field(default_factory=list)


@transaction.atomic
def set_photo(
    person: Person,
    *,
    actor: Actor,
    data: bytes,
    gallery: photos.FaceGallery | None = None,
) -> PhotoOutcome:
    """Check and store a face photo for the person (ServiceError with the reason if refused).
    A face that matches another person of the enterprise is kept, with a warning naming that
    person (or saying it is someone the actor cannot see)."""
    require_visible_group(actor, person.group)
    checked = photos.check(data)
    if gallery is None:
        gallery = photos.FaceGallery.load(person.enterprise_id)
    warnings = gallery.warnings_for(checked.embedding, exclude_person=person.pk, actor=actor)
    photo = photos.store(person.enterprise_id, checked)
    before = snapshot(person, ("photo",))
    previous = person.photo
    if previous is not None and previous.pk == photo.pk:
        return PhotoOutcome(person, warnings)
    person.photo = photo
    person.updated_at = timezone.now()
    person.save(update_fields=["photo", "updated_at"])
    gallery.add(person, photo)
    if previous is not None:
        photos.forget_if_unused(previous)
    record_for(
        f"people.{person.category}.photo_changed",
        person,
        actor=actor,
        before=before,
        after=snapshot(person, ("photo",)),
        # the warnings may name persons of other groups: the log, read at this person's
        # group, says only how many faces matched
        message=ngettext(
            "The face looks like %(count)d other person.",
            "The face looks like %(count)d other persons.",
            len(warnings),
        )
        % {"count": len(warnings)}
        if warnings
        else "",
    )
    return PhotoOutcome(person, warnings)


@transaction.atomic
def remove_photo(person: Person, *, actor: Actor) -> Person:
    require_visible_group(actor, person.group)
    previous = person.photo
    if previous is None:
        return person
    before = snapshot(person, ("photo",))
    person.photo = None
    person.updated_at = timezone.now()
    person.save(update_fields=["photo", "updated_at"])
    photos.forget_if_unused(previous)
    record_for(
        f"people.{person.category}.photo_changed",
        person,
        actor=actor,
        before=before,
        after=snapshot(person, ("photo",)),
    )
    return person


# --- app login (Zexus FAQ Q3) --------------------------------------------------------------


@dataclass(frozen=True)
class AppLoginOutcome:
    """How the person learns the password: by mail (queued), or from the administrator
    because there is no mail server or no address (the password is then shown once)."""

    mailed: bool
    password: str = ""
    reason: str = ""


@transaction.atomic
def enable_app_login(person: Person, *, actor: Actor, server_url: str) -> AppLoginOutcome:
    """Turn on app login with a new random password the person must change at first login.
    With a mail server and an address, the password goes only into the mail (generated by
    the mail job, never stored in clear); otherwise it is returned to be shown once."""
    require_visible_group(actor, person.group)
    before = snapshot(person, ("app_login_enabled",))
    if mail_configured() and person.email:
        from gatehouse.core.jobs import enqueue
        from gatehouse.people.jobs import AppLoginMail

        _save_app_login(person, enabled=True, password_hash="")
        enqueue(
            AppLoginMail,
            actor=actor,
            enterprise_id=person.enterprise_id,
            group_path=person.group.path,
            title=_("App login e-mail to %(person)s") % {"person": person},
            person_id=person.pk,
            server_url=public_url(server_url),
        )
        outcome = AppLoginOutcome(mailed=True)
    else:
        password = set_app_password(person)
        reason = (
            _("No mail server is configured, so no e-mail was sent.")
            if not mail_configured()
            else _("%(person)s has no e-mail address, so no e-mail was sent.") % {"person": person}
        )
        outcome = AppLoginOutcome(mailed=False, password=password, reason=reason)
    record_for(
        f"people.{person.category}.app_login_enabled",
        person,
        actor=actor,
        before=before,
        after=snapshot(person, ("app_login_enabled",)),
        message=_("Sent by e-mail.") if outcome.mailed else outcome.reason,
    )
    return outcome


def _save_app_login(person: Person, *, enabled: bool, password_hash: str) -> None:
    """App login on or off; any new password must be changed at first login."""
    person.app_login_enabled = enabled
    person.app_password = password_hash
    person.app_must_change_password = enabled
    person.updated_at = timezone.now()
    person.save(
        update_fields=[
            "app_login_enabled",
            "app_password",
            "app_must_change_password",
            "updated_at",
        ]
    )


def set_app_password(person: Person) -> str:
    """A new random personnel password (never 123456), hashed; must be changed at first login."""
    password = generate_password(12)
    _save_app_login(person, enabled=True, password_hash=make_password(password))
    return password


@transaction.atomic
def disable_app_login(person: Person, *, actor: Actor) -> Person:
    require_visible_group(actor, person.group)
    before = snapshot(person, ("app_login_enabled",))
    _save_app_login(person, enabled=False, password_hash="")
    record_for(
        f"people.{person.category}.app_login_disabled",
        person,
        actor=actor,
        before=before,
        after=snapshot(person, ("app_login_enabled",)),
    )
    return person


def remove_enterprise_people(enterprise: Any) -> None:
    """Step of deleting an enterprise (tenancy.ENTERPRISE_DELETE_STEPS): persons protect
    their groups and departments, groupings protect their groups, departments their parents.
    Photo files nothing points at any more are removed by housekeeping."""
    Person.objects.filter(enterprise=enterprise).delete()
    PersonGroup.objects.filter(enterprise=enterprise).delete()
    for department in Department.objects.filter(enterprise=enterprise).order_by("-path"):
        department.delete()

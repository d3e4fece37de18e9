"""Reads for the people app, always through the user's visible querysets."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gatehouse.core.permissions import has_permission
from gatehouse.people.models import Category, Department, Person, PersonGroup
from gatehouse.tenancy import selectors as tenancy_selectors
from gatehouse.tenancy.models import Group, User


def visible_persons(user: User, category: str | None = None) -> QuerySet[Person]:
    persons: QuerySet[Person] = Person.objects.visible_to(user)
    return persons.filter(category=category) if category else persons


def visible_departments(user: User) -> QuerySet[Department]:
    return Department.objects.visible_to(user).order_by("path")


def department_choices(user: User) -> list[tuple[int, str]]:
    departments = list(visible_departments(user).select_related("enterprise"))
    labels = []
    for department in departments:
        prefix = f"{department.enterprise.name}: " if user.is_superuser else ""
        labels.append((department.pk, f"{prefix}{'— ' * department.depth}{department.name}"))
    return labels


def placement_choices(user: User, category: str) -> list[tuple[str, str]]:
    """Where a person of `category` can go: each visible user group's default grouping
    ("group:<id>", created on first use) and its own groupings ("pg:<id>")."""
    groupings: dict[int, list[PersonGroup]] = {}
    for grouping in PersonGroup.objects.visible_to(user).filter(
        category=category, is_default=False
    ):
        groupings.setdefault(grouping.group_id, []).append(grouping)
    choices: list[tuple[str, str]] = []
    for group_id, label in tenancy_selectors.group_choices(user):
        choices.append((f"group:{group_id}", f"{label} / {_('Default grouping')}"))
        choices.extend(
            (f"pg:{grouping.pk}", f"{label} / {grouping.name}")
            for grouping in sorted(groupings.get(group_id, []), key=lambda g: g.name.casefold())
        )
    return choices


def resolve_placement(user: User, category: str, value: str) -> dict[str, Any]:
    """A placement choice as service arguments: {"group": ...} or {"person_group": ...}."""
    kind, _sep, raw_id = value.partition(":")
    try:
        pk = int(raw_id)
        if kind == "group":
            return {"group": tenancy_selectors.visible_groups(user).get(pk=pk)}
        if kind == "pg":
            return {
                "person_group": PersonGroup.objects.visible_to(user).get(pk=pk, category=category)
            }
    except (ValueError, PersonGroup.DoesNotExist, Group.DoesNotExist):
        pass
    raise ValidationError(_("Choose a grouping from the list."))


CATEGORY_CARDS = (
    (Category.EMPLOYEE, gettext_lazy("Employees"), "id-badge-2", "people:employee_list"),
    (Category.VISITOR, gettext_lazy("Visitors"), "user-question", "people:visitor_list"),
    (Category.BLACKLIST, gettext_lazy("Blacklist"), "user-off", "people:blacklist_list"),
)


def dashboard_counts(user: User) -> list[dict[str, Any]]:
    if not has_permission(user, "people.view"):
        return []
    counts = {
        row["category"]: row["n"]
        for row in visible_persons(user).values("category").order_by().annotate(n=Count("pk"))
    }
    return [
        {"label": label, "value": counts.get(category, 0), "icon": icon, "url_name": url_name}
        for category, label, icon, url_name in CATEGORY_CARDS
    ]

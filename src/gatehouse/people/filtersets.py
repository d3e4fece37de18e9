from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from gatehouse.people import selectors
from gatehouse.people.models import Category, Department, Gender, Person, PersonGroup
from gatehouse.tenancy import selectors as tenancy_selectors
from gatehouse.tenancy.filtersets import SearchFilterSet, yes_no_filter


def _group_choices(request: Any) -> Any:
    return tenancy_selectors.visible_groups(request.user)


class PersonFilterSet(SearchFilterSet):
    search_fields = (
        "personnel_id",
        "first_name",
        "last_name",
        "card_number",
        "mobile_phone",
        "email",
        "id_card_number",
    )
    group = django_filters.ModelChoiceFilter(
        label=_("User group"),
        queryset=_group_choices,
        method="in_group",
        empty_label=_("All groups"),
    )
    department = django_filters.ModelChoiceFilter(
        label=_("Department"),
        queryset=lambda request: selectors.visible_departments(request.user),
        method="in_department",
        empty_label=_("All departments"),
    )
    gender = django_filters.ChoiceFilter(
        label=_("Gender"), choices=Gender.choices, empty_label=_("Any")
    )
    has_photo = yes_no_filter(_("Has a photo"), method="with_photo")
    is_enabled = yes_no_filter(_("Enabled"))

    class Meta:
        model = Person
        fields = ("q", "group", "department", "gender", "has_photo", "is_enabled")

    def in_group(self, queryset: QuerySet[Person], name: str, value: Any) -> QuerySet[Person]:
        """A group and the groups below it, as the group tree reads."""
        return queryset.filter(group__path__startswith=value.path)

    def in_department(
        self, queryset: QuerySet[Person], name: str, value: Department
    ) -> QuerySet[Person]:
        return queryset.filter(department__path__startswith=value.path)

    def with_photo(self, queryset: QuerySet[Person], name: str, value: bool) -> QuerySet[Person]:
        return queryset.filter(photo__isnull=not value)


class DepartmentFilterSet(SearchFilterSet):
    search_fields = ("name", "code")

    class Meta:
        model = Department
        fields = ("q",)


class PersonGroupFilterSet(SearchFilterSet):
    search_fields = ("name",)
    category = django_filters.ChoiceFilter(
        label=_("Category"), choices=Category.choices, empty_label=_("Any")
    )
    group = django_filters.ModelChoiceFilter(
        label=_("User group"),
        queryset=_group_choices,
        empty_label=_("All groups"),
    )

    class Meta:
        model = PersonGroup
        fields = ("q", "category", "group")

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from gatehouse.core.forms import ConsoleFilterMixin
from gatehouse.tenancy import selectors
from gatehouse.tenancy.models import Enterprise, Group, Role, User

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def yes_no_filter(label: StrOrPromise, **kwargs: Any) -> django_filters.BooleanFilter:
    """A boolean filter whose empty choice reads "Any" (django-filter's says "Unknown")."""
    choices = [("", _("Any")), ("true", _("Yes")), ("false", _("No"))]
    return django_filters.BooleanFilter(label=label, widget=forms.Select(choices=choices), **kwargs)


class SearchFilterSet(ConsoleFilterMixin, django_filters.FilterSet):
    """`q` searches the fields named in `search_fields`. Filters are declared explicitly: the
    automatic ones would query the scoped manager at import time, outside any scope."""

    q = django_filters.CharFilter(method="search", label=_("Search"))
    search_fields: tuple[str, ...] = ()

    def search(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{f"{field}__icontains": value.strip()})
        return queryset.filter(condition)


class EnterpriseFilterSet(SearchFilterSet):
    search_fields = ("name", "code", "contact_name")
    is_active = yes_no_filter(_("Enabled"))

    class Meta:
        model = Enterprise
        fields = ("q", "is_active")


class GroupFilterSet(SearchFilterSet):
    search_fields = ("name",)

    class Meta:
        model = Group
        fields = ("q",)


class VisibleGroupFilter(django_filters.ModelChoiceFilter):
    """Choices limited to the requesting user's subtree."""

    def get_queryset(self, request: Any) -> QuerySet[Group]:
        if request is None:
            return Group.objects.none()
        return selectors.visible_groups(request.user)


class UserFilterSet(SearchFilterSet):
    search_fields = ("username", "full_name", "email")
    group = VisibleGroupFilter(label=_("Group"), empty_label=_("All groups"))
    is_active = yes_no_filter(_("Enabled"))
    is_group_admin = yes_no_filter(_("Group administrator"))

    class Meta:
        model = User
        fields = ("q", "group", "is_active", "is_group_admin")


class RoleFilterSet(SearchFilterSet):
    search_fields = ("name", "description")

    class Meta:
        model = Role
        fields = ("q",)

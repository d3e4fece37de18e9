"""Filters of the system log, shared by the console list, the export and the API."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from gatehouse.audit.models import LogEntry, module_label
from gatehouse.tenancy.filtersets import SearchFilterSet


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class LogEntryFilterSet(SearchFilterSet):
    """Date range (inclusive, in the installation's time zone), module, operator, result and a
    search over action, object and details. The module choices are the modules present in
    the rows the user may see, so the list never offers a module that yields nothing."""

    search_fields = ("action", "object_repr", "message")
    date_from = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", label=_("From"), widget=DateInput()
    )
    date_to = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", label=_("To"), widget=DateInput()
    )
    module = django_filters.ChoiceFilter(label=_("Module"), choices=[], empty_label=_("Any"))
    operator = django_filters.CharFilter(
        field_name="actor_label", lookup_expr="icontains", label=_("Operator")
    )
    result = django_filters.ChoiceFilter(
        label=_("Result"), choices=LogEntry.Result.choices, empty_label=_("Any")
    )

    class Meta:
        model = LogEntry
        fields = ("q", "date_from", "date_to", "module", "operator", "result")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.queryset is not None and not isinstance(self.queryset, list):
            module = self.filters["module"]
            module.extra["choices"] = module_choices(self.queryset)
            module.__dict__.pop("_field", None)  # built lazily from `extra`; rebuild it

    def applied(self) -> dict[str, str]:
        """The filters in use, as submitted (for the export's own log entry)."""
        if not self.is_bound:
            return {}
        return {
            name: str(self.data.get(name))
            for name in self.filters
            if self.data.get(name) not in (None, "")
        }


def module_choices(queryset: QuerySet[LogEntry]) -> list[tuple[str, str]]:
    modules = queryset.order_by().values_list("module", flat=True).distinct()
    return sorted(((m, module_label(m)) for m in modules), key=lambda choice: choice[1].lower())

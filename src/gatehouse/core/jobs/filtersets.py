from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from gatehouse.core.models import Job
from gatehouse.tenancy.filtersets import SearchFilterSet


class JobFilterSet(SearchFilterSet):
    search_fields = ("title", "kind")
    status = django_filters.ChoiceFilter(choices=Job.Status.choices, label=_("Status"))

    class Meta:
        model = Job
        fields = ("q", "status")

"""The Jobs list: status badges and progress bars that jobs.js keeps live."""

from __future__ import annotations

import django_tables2 as tables
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from gatehouse.core.models import Job

ATTRS = {"class": "table card-table table-vcenter"}


class JobTable(tables.Table):
    title = tables.LinkColumn("core:job_detail", args=[tables.A("pk")])
    status = tables.Column(verbose_name=_("Status"))
    progress = tables.Column(
        verbose_name=_("Progress"), accessor="progress_done", orderable=False, empty_values=()
    )
    created_by = tables.Column(verbose_name=_("Created by"), default="—")

    class Meta:
        model = Job
        fields = ("title", "status", "progress", "created_by", "created_at", "finished_at")
        attrs = ATTRS
        order_by = ("-created_at",)

    def render_status(self, record: Job) -> SafeString:
        return render_to_string("core/jobs/status_badge.html", {"job": record})

    def render_progress(self, record: Job) -> SafeString:
        return render_to_string("core/jobs/progress.html", {"job": record})

from __future__ import annotations

import django_tables2 as tables
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from gatehouse.audit.models import LogEntry

ATTRS = {"class": "table card-table table-vcenter"}
RESULT_BADGES = {
    LogEntry.Result.SUCCESS: "bg-green-lt",
    LogEntry.Result.FAILURE: "bg-red-lt",
}


class LogEntryTable(tables.Table):
    """The system log list (Smart Pass 6.4): operation time, function module, log details,
    operation result, operator and where the request came from."""

    # Ties (entries of the same instant) keep their writing order.
    created_at = tables.Column(verbose_name=_("Time"), order_by=("created_at", "id"))
    module = tables.Column(verbose_name=_("Module"))
    action = tables.Column(verbose_name=_("Action"))
    object_repr = tables.Column(verbose_name=_("Object"))
    actor_label = tables.Column(verbose_name=_("Operator"))
    result = tables.Column(verbose_name=_("Result"))
    source_address = tables.Column(verbose_name=_("Source address"))

    class Meta:
        model = LogEntry
        fields = (
            "created_at",
            "module",
            "action",
            "object_repr",
            "actor_label",
            "result",
            "source_address",
        )
        order_by = ("-created_at",)
        attrs = ATTRS

    def render_created_at(self, record: LogEntry) -> SafeString:
        when = formats.date_format(timezone.localtime(record.created_at), "Y-m-d H:i:s")
        url = reverse("audit:log_detail", args=[record.pk])
        return format_html('<a href="{}" data-testid="log-entry-link">{}</a>', url, when)

    def render_module(self, record: LogEntry) -> str:
        return record.module_label

    def render_result(self, record: LogEntry) -> SafeString:
        css = RESULT_BADGES.get(record.result, "bg-secondary-lt")  # type: ignore[call-overload]
        return format_html(
            '<span class="badge {}" data-testid="result">{}</span>',
            css,
            record.get_result_display(),
        )

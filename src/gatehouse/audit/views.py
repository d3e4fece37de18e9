"""Console pages of the system log (Smart Pass 6.4): list, detail with a field-by-field diff,
and export of the filtered rows."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from gatehouse.audit import exports, filtersets, services, tables
from gatehouse.audit.models import LogEntry
from gatehouse.audit.services import record_failure
from gatehouse.core.permissions import has_permission
from gatehouse.core.spreadsheets import download
from gatehouse.core.views import ObjectDetailView, ObjectListView, VisibleQuerysetMixin


class LogEntryListView(ObjectListView):
    model = LogEntry
    permission_app = "audit"
    table_class = tables.LogEntryTable
    filterset_class = filtersets.LogEntryFilterSet
    template_name = "audit/logentry_list.html"
    title = gettext_lazy("System log")

    def get_template_names(self) -> list[str]:
        if getattr(self.request, "htmx", False) and not self.request.htmx.boosted:  # type: ignore[attr-defined]
            return ["audit/partials/logentry_table.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        params = self.request.GET.copy()
        params.pop("page", None)
        export_url = reverse("audit:log_export")
        links = []
        for file_format, label in (("xlsx", _("Excel (xlsx)")), ("csv", _("CSV"))):
            params["format"] = file_format
            links.append((file_format, label, f"{export_url}?{params.urlencode()}"))
        context.update(
            can_export=has_permission(self.request.user, "audit.export"),
            export_links=links,
        )
        return context


class LogEntryDetailView(ObjectDetailView):
    model = LogEntry
    permission_app = "audit"
    template_name = "audit/logentry_detail.html"
    detail_fields = (
        "created_at",
        "module",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "actor_label",
        "actor_kind",
        "result",
        "message",
        "source_address",
        "sequence",
        "entry_hash",
    )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        entry: LogEntry = self.object
        context["rows"] = [
            (label, entry.module_label if name == "module" else value)
            for name, (label, value) in zip(self.detail_fields, context["rows"], strict=True)
        ]
        context.update(
            title=str(entry),
            diff=diff_rows(entry.before, entry.after),
            can_change=False,
            can_delete=False,
        )
        return context


def _display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return ", ".join(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def diff_rows(before: Any, after: Any) -> list[dict[str, Any]]:
    """Field-by-field comparison of the before and after values, by field name (PostgreSQL's
    jsonb does not keep the recorded key order), each marked changed or not."""
    old = before if isinstance(before, dict) else ({} if before is None else {"value": before})
    new = after if isinstance(after, dict) else ({} if after is None else {"value": after})
    names = sorted(set(old) | set(new))
    return [
        {
            "field": name,
            "before": _display(old.get(name)),
            "after": _display(new.get(name)),
            "in_before": name in old,
            "in_after": name in new,
            "changed": (name in old) != (name in new) or old.get(name) != new.get(name),
        }
        for name in names
    ]


class LogEntryExportView(VisibleQuerysetMixin, View):
    """Download the rows of the current filters as xlsx or csv (`audit.export`)."""

    model = LogEntry
    permission_app: ClassVar[str | None] = "audit"
    permission_action: ClassVar[str] = "export"

    def get(self, request: HttpRequest) -> HttpResponse:
        file_format = request.GET.get("format", "xlsx")
        params = request.GET.copy()
        params.pop("format", None)
        back = f"{reverse('audit:log_list')}?{params.urlencode()}"
        if file_format not in exports.FORMATS:
            message = _("Unknown export format %(format)s.") % {"format": file_format}
            messages.error(request, message)
            return HttpResponseRedirect(back)
        filterset = filtersets.LogEntryFilterSet(
            request.GET, queryset=self.get_queryset(), request=request
        )
        if not filterset.is_valid():
            messages.error(request, _("Correct the filters before exporting."))
            return HttpResponseRedirect(back)
        queryset: QuerySet[LogEntry] = filterset.qs.order_by("-created_at", "-id")
        count = queryset.count()
        limit = exports.EXPORT_ROW_LIMIT
        if count > limit:
            message = _(
                "The filters select %(count)s entries; an export holds at most %(limit)s. "
                "Narrow the filters (for example a shorter date range) and export again."
            ) % {"count": f"{count:,}", "limit": f"{limit:,}"}
            user = request.user
            record_failure(
                "audit.log.exported",
                actor=self.actor,
                enterprise_id=getattr(user, "enterprise_id", None),
                message=message,
                group_path=getattr(user, "group_path", ""),
            )
            messages.error(request, message)
            return HttpResponseRedirect(back)
        content = (
            exports.build_xlsx(queryset) if file_format == "xlsx" else exports.build_csv(queryset)
        )
        services.log_export(
            actor=self.actor, row_count=count, file_format=file_format, filters=filterset.applied()
        )
        return download(content, exports.filename(file_format), file_format)

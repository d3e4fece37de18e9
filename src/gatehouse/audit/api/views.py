"""/api/v1/audit-log/: the system log, read-only, with the console's filters."""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.filters import OrderingFilter

from gatehouse.audit.api.serializers import LogEntrySerializer
from gatehouse.audit.filtersets import LogEntryFilterSet
from gatehouse.audit.models import LogEntry
from gatehouse.core.api.viewsets import TenantReadOnlyViewSet


@extend_schema_view(
    list=extend_schema(
        summary="List system log entries",
        description="Entries the caller may see (its group subtree), newest first. "
        "`date_from`/`date_to` are inclusive dates in the server's time zone.",
    ),
    retrieve=extend_schema(summary="Get one system log entry"),
)
class LogEntryViewSet(TenantReadOnlyViewSet):
    model = LogEntry
    # Empty and never queried: gives the schema generator the model; requests use
    # get_queryset(), which is scoped to the caller.
    queryset = LogEntry.objects.none()
    serializer_class = LogEntrySerializer
    permission_app = "audit"
    filter_backends = (DjangoFilterBackend, OrderingFilter)
    filterset_class = LogEntryFilterSet
    ordering_fields = ("created_at", "sequence", "module", "action", "actor_label", "result")
    ordering = ("-created_at", "-id")

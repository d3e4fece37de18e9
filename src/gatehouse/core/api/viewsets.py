"""Base viewset: queries through the visible queryset, writes through services."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import QuerySet
from rest_framework import viewsets

from gatehouse.core.actors import Actor


class TenantModelViewSet(viewsets.ModelViewSet):  # type: ignore[type-arg]
    """Subclasses set `model`, `serializer_class`, `permission_app` and implement
    `perform_create/update/destroy` by calling the app's services with `self.actor`."""

    model: ClassVar[Any]
    permission_app: ClassVar[str]
    permission_actions: ClassVar[dict[str, str]] = {}

    def get_queryset(self) -> QuerySet[Any]:
        return self.model.objects.visible_to(self.request.user)  # type: ignore[no-any-return]

    @property
    def actor(self) -> Actor:
        return Actor.from_request(self.request._request)


class TenantReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    model: ClassVar[Any]
    permission_app: ClassVar[str]
    permission_actions: ClassVar[dict[str, str]] = {}

    def get_queryset(self) -> QuerySet[Any]:
        return self.model.objects.visible_to(self.request.user)  # type: ignore[no-any-return]

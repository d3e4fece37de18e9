"""Base viewsets: read through the visible queryset, write through services.

Also the related field that resolves ids sent by a client through the same visible queryset
(so that another tenant's, or another branch's, id is "does not exist", never a leak), and the
schema class that documents what the base classes do (error bodies, separate input and output
serializers)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.db.models import QuerySet
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.schemas.inspectors import ViewInspector
from rest_framework.serializers import BaseSerializer

from gatehouse.core.actors import Actor
from gatehouse.core.api.errors import ErrorSerializer

WRITE_ACTIONS = frozenset({"create", "update", "partial_update"})


def input_action(view: Any) -> str | None:
    """The action whose input is validated. An OPTIONS request (action "metadata") describes
    the input of POST and PUT, which DRF asks for with a cloned request of that method."""
    action: str | None = getattr(view, "action", None)
    if action == "metadata":
        return {"POST": "create", "PUT": "update"}.get(view.request.method, action)
    return action


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's AutoSchema plus the standard error body for 400, 401, 403, 404 and 429
    on every operation, so clients (and schemathesis) know every status code the API answers
    with, and its shape."""

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        errors = {
            "400": "The input or a query parameter is not valid, or the operation was refused; "
            "see `fields`.",
            "401": "Not signed in, or the token is invalid, expired or revoked.",
            "403": "Missing permission, or the one-time password must be changed first.",
            "404": "No such object (or it is outside your part of the organization), or no "
            "such page.",
            "429": "Too many requests for this token or user; see the Retry-After header.",
        }
        for code, description in sorted(errors.items()):
            if code not in responses:
                response = self._get_response_for_code(  # type: ignore[no-untyped-call]
                    ErrorSerializer, code, direction=direction
                )
                response["description"] = description
                responses[code] = response
        return responses

    def get_response_serializers(self) -> Any:
        """Writes through a `write_serializer_class` answer with `serializer_class`."""
        view = self.view
        if getattr(view, "write_serializer_class", None) is not None and (
            getattr(view, "action", None) in WRITE_ACTIONS
        ):
            return view.serializer_class  # type: ignore[attr-defined]
        return super().get_response_serializers()


class ApiViewMixin:
    """What every Gatehouse API view has: the registry permission settings, the acting user
    for services, and the schema class that documents the error responses."""

    permission_app: ClassVar[str | None]
    permission_actions: ClassVar[dict[str, str]] = {}
    schema: ViewInspector | None = AutoSchema()
    request: Any

    @property
    def actor(self) -> Actor:
        return Actor.from_request(self.request._request)


class VisibleQuerysetMixin(ApiViewMixin):
    model: ClassVar[Any]

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            # schema generation: no request user and no tenant scope, only the model matters
            return models.QuerySet(self.model).none()
        return self.model.objects.visible_to(self.request.user)  # type: ignore[no-any-return]


class TenantModelViewSet(VisibleQuerysetMixin, viewsets.ModelViewSet):  # type: ignore[type-arg]
    """Subclasses set `model`, `serializer_class`, `permission_app` and implement
    `perform_create/update/destroy` by calling the app's services with `self.actor` and putting
    the result in `serializer.instance`. The defaults refuse, so a viewset can never write
    around its services by accident.

    With `write_serializer_class`, input (create, update) is validated with that serializer and
    the answer is rendered with `serializer_class`; the schema says the same."""

    write_serializer_class: ClassVar[type[BaseSerializer[Any]] | None] = None

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        if self.write_serializer_class is not None and input_action(self) in WRITE_ACTIONS:
            return self.write_serializer_class
        return super().get_serializer_class()

    def respond(self, instance: Any, status_code: int = status.HTTP_200_OK) -> Response:
        """`instance` rendered with the read serializer."""
        serializer_class: Any = self.serializer_class
        data = serializer_class(instance, context=self.get_serializer_context()).data
        return Response(data, status=status_code)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        return self.respond(serializer.instance, status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        self.perform_update(serializer)
        return self.respond(serializer.instance)

    def perform_create(self, serializer: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__}.perform_create must call a service")

    def perform_update(self, serializer: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__}.perform_update must call a service")

    def perform_destroy(self, instance: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__}.perform_destroy must call a service")


class TenantReadOnlyViewSet(VisibleQuerysetMixin, viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    """List and retrieve only."""


class VisiblePrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):  # type: ignore[type-arg]
    """A foreign key from the client, looked up in `model.objects.visible_to(request.user)`.

    An id outside that set (another enterprise, a branch above or beside the user) fails with
    the same "does not exist" message as an id that does not exist at all."""

    def __init__(self, model: type[models.Model], **kwargs: Any) -> None:
        self.model = model
        if not kwargs.get("read_only"):
            # only the model is read from this (by DRF and the schema generator): the real
            # queryset depends on the request and is built in get_queryset()
            kwargs["queryset"] = models.QuerySet(model).none()
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet[Any]:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None:
            return models.QuerySet(self.model).none()
        return self.model.objects.visible_to(user)  # type: ignore[attr-defined,no-any-return]

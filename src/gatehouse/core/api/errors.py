"""One error body for every API failure:
`{"error": {"code": "...", "message": "...", "fields": {"name": ["..."]}}}`.

`code` is stable and meant for programs (`invalid`, `not_found`, `not_authenticated`,
`permission_denied`, `password_change_required`, `throttled`, `parse_error`, …); `message` is
for people, in the request's language; `fields` maps field names to their problems (empty when
the error is not about a field)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django_scopes import ScopeError
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from gatehouse.core.errors import PermissionDenied, ServiceError

VERB_FOR_ACTION = {
    "create": "created",
    "update": "changed",
    "partial_update": "changed",
    "destroy": "deleted",
}


def log_refused_write(exc: ServiceError, context: dict[str, Any]) -> None:
    """A write the service refused goes into the system log as a failure, as on the console
    (`tenancy.user.created`, result failure). Read-only requests are not logged."""
    from gatehouse.audit.services import record_failure
    from gatehouse.core.actors import Actor

    view = context.get("view")
    request = context.get("request")
    model = getattr(view, "model", None)
    user = getattr(request, "user", None)
    if view is None or request is None or model is None or not getattr(user, "pk", None):
        return
    if request.method in {"GET", "HEAD", "OPTIONS"}:
        return
    drf_action = str(getattr(view, "action", "") or "")
    verb = VERB_FOR_ACTION.get(drf_action, drf_action or "changed")
    record_failure(
        f"{model._meta.app_label}.{model._meta.model_name}.{verb}",
        actor=Actor.from_request(request._request),
        enterprise_id=getattr(user, "enterprise_id", None),
        message=exc.message,
        group_path=getattr(user, "group_path", ""),
    )


def _messages(value: Any) -> list[str]:
    """Every message inside a (possibly nested) DRF error detail, as plain strings."""
    if isinstance(value, dict):
        return [m for item in value.values() for m in _messages(item)]
    if isinstance(value, list | tuple):
        return [m for item in value for m in _messages(item)]
    return [str(value)]


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Field errors keyed by field name; nested serializers give dotted names ("roles.0")."""
    if not isinstance(detail, dict):
        return {prefix: _messages(detail)} if prefix else {}
    fields: dict[str, list[str]] = {}
    for key, value in detail.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            fields.update(_flatten(value, name))
        else:
            fields[name] = _messages(value)
    return fields


def _code(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    return codes if isinstance(codes, str) else str(exc.default_code)


def error_response(
    code: str,
    message: str,
    fields: dict[str, list[str]] | None = None,
    status_code: int = status.HTTP_400_BAD_REQUEST,
) -> Response:
    return Response(
        {"error": {"code": code, "message": message, "fields": fields or {}}}, status=status_code
    )


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(exc.message)
    elif isinstance(exc, ServiceError):
        set_rollback()
        log_refused_write(exc, context)
        return error_response(
            exc.code, exc.message, {exc.field: [exc.message]} if exc.field else {}
        )
    elif isinstance(exc, DjangoValidationError):
        # a model's full_clean() inside a service: same shape as a serializer error
        detail: Any = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args[:1])
    elif isinstance(exc, ScopeError):
        exc = exceptions.NotFound()  # fail closed, and say nothing about scopes
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    detail = response.data
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(detail)
        if isinstance(detail, list):
            message = " ".join(_messages(detail))
        elif "non_field_errors" in fields:
            message = " ".join(fields.pop("non_field_errors"))
        else:  # e.g. "Some fields are not valid: name: This field is required."
            message = _("Some fields are not valid: %(problems)s") % {
                "problems": " ".join(
                    f"{name}: {' '.join(problems)}" for name, problems in fields.items()
                )
            }
        body = {"code": "invalid", "message": message, "fields": fields}
    else:
        message = " ".join(
            _messages(detail.get("detail", detail) if isinstance(detail, dict) else detail)
        )
        body = {"code": _code(exc), "message": message, "fields": {}}
    response.data = {"error": body}
    return response


class ErrorDetailSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Documents the error body in the OpenAPI schema (never used to parse input). Built in
    get_fields() because an attribute named `fields` would hide Serializer.fields."""

    def get_fields(self) -> dict[str, serializers.Field]:  # type: ignore[type-arg]
        return {
            "code": serializers.CharField(help_text="Stable, machine-readable error code."),
            "message": serializers.CharField(
                help_text="Explanation for people, in the request's language."
            ),
            "fields": serializers.DictField(
                child=serializers.ListField(child=serializers.CharField()),
                help_text="Problems per input field; empty when the error is not about a field.",
            ),
        }


class ErrorSerializer(serializers.Serializer):  # type: ignore[type-arg]
    error = ErrorDetailSerializer()

"""One error body for every API failure:
`{"error": {"code": "...", "message": "...", "fields": {"name": ["..."]}}}`."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django_scopes import ScopeError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from gatehouse.core.errors import PermissionDenied, ServiceError


def _flatten(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {
            str(key): [str(v) for v in (value if isinstance(value, list) else [value])]
            for key, value in detail.items()
        }
    return {}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(exc.message)
    elif isinstance(exc, ServiceError):
        fields = {exc.field: [exc.message]} if exc.field else {}
        return Response(
            {"error": {"code": exc.code, "message": exc.message, "fields": fields}},
            status=status.HTTP_400_BAD_REQUEST,
        )
    elif isinstance(exc, ScopeError):
        exc = exceptions.NotFound()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(detail)
        message = "Some fields are not valid."
        if isinstance(detail, list):
            message = " ".join(str(d) for d in detail)
        elif "non_field_errors" in fields:
            message = " ".join(fields.pop("non_field_errors"))
        body = {"code": "invalid", "message": message, "fields": fields}
    else:
        code = getattr(exc, "default_code", "error")
        message = str(detail.get("detail", detail)) if isinstance(detail, dict) else str(detail)
        body = {"code": code, "message": message, "fields": {}}
    response.data = {"error": body}
    return response

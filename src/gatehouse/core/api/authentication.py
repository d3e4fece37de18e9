"""API authentication: personal tokens (hashed at rest) and the console session (with CSRF).

Both open the tenant scope for the rest of the request, so viewsets query inside it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django_scopes import scope
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from gatehouse.core.scoping import platform_scope, tenant_scope
from gatehouse.tenancy.models import ApiToken, User


def enter_scope(request: HttpRequest, user: User) -> None:
    """Enter the user's scope until the response is sent (closed by ScopeExitMiddleware's
    counterpart: DRF requests are wrapped by the scope middleware already; a token request
    arrives anonymous there, so its scope is opened here and kept on the request)."""
    ctx = platform_scope() if user.is_superuser else (
        tenant_scope(user.enterprise_id) if user.enterprise_id is not None else scope()
    )
    ctx.__enter__()
    request._gatehouse_scope = ctx  # type: ignore[attr-defined]


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        from gatehouse.tenancy.services import mark_token_used, resolve_token

        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        parts = header.split()
        if len(parts) != 2 or parts[0] not in {self.keyword, "Bearer"}:
            return None
        with platform_scope():
            token = resolve_token(parts[1])
            if token is None:
                raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
            mark_token_used(token)
        user = token.user
        request._request.api_token_id = token.pk  # type: ignore[attr-defined]
        enter_scope(request._request, user)
        return user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class ScopedSessionAuthentication(authentication.SessionAuthentication):
    """The console session (the scope middleware has already opened its scope)."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        user = getattr(request._request, "user", None)
        if not user or not user.is_active or not user.is_authenticated:
            return None
        self.enforce_csrf(request)
        return user, None

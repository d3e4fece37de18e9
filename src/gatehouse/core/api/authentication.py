"""API authentication: personal tokens (hashed at rest) and the console session (with CSRF).

Both leave the request inside the right tenant scope, so viewsets query inside it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django_scopes.state import get_scope, state
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from gatehouse.core.scoping import platform_scope
from gatehouse.tenancy.models import ApiToken, User

TOKEN_KEYWORDS = ("Token", "Bearer")


def enter_scope(request: HttpRequest, user: User) -> None:
    """Switch the current tenant scope to the user's for the rest of this request.

    A token request reaches TenantScopeMiddleware anonymous, so the middleware opened an empty
    scope (`with scope():`); its exit restores the previous state once the response is built.
    The scope is set directly on django-scopes' context variable rather than by entering a
    context manager that is never exited: a dangling generator would reset the scope whenever
    it happened to be garbage-collected, possibly in the middle of a later request."""
    current = dict(get_scope())
    current.pop("enterprise", None)
    if user.is_superuser:
        current["_enabled"] = False
    else:
        current["_enabled"] = True
        if user.enterprise_id is not None:
            current["enterprise"] = user.enterprise_id
        # else: no enterprise dimension at all, so every tenant query raises (fail closed).
    state.set(current)
    request.gatehouse_scope = current  # type: ignore[attr-defined]


def _refusal_message(secret: str) -> str:
    """Why a token was refused, for the 401 body. Only a caller holding the real secret learns
    that the token exists (the stored hash must match), so this leaks nothing."""
    from gatehouse.tenancy.services import find_token

    invalid = _("Invalid token.")
    token = find_token(secret)
    if token is None:
        return invalid
    if token.revoked_at is not None:
        return _("This token was revoked on %(date)s.") % {
            "date": formats.date_format(timezone.localtime(token.revoked_at), "DATETIME_FORMAT")
        }
    if token.expires_at is not None and token.expires_at <= timezone.now():
        return _("This token expired on %(date)s.") % {
            "date": formats.date_format(timezone.localtime(token.expires_at), "DATETIME_FORMAT")
        }
    if not token.user.is_active:
        return _("The account of this token is disabled.")
    return invalid


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token gh_…` (or `Bearer gh_…`). Expired, revoked and unknown tokens
    are refused with 401 and a message saying which; token requests need no CSRF token."""

    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        from gatehouse.tenancy.services import mark_token_used, resolve_token

        header = authentication.get_authorization_header(request).decode("latin-1")
        parts = header.split()
        if not parts or parts[0] not in TOKEN_KEYWORDS:
            return None  # no token, or another scheme: let the next authenticator try
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("Invalid Authorization header: use “Token <token>”."), code="invalid_token"
            )
        with platform_scope():
            token = resolve_token(parts[1])
            if token is None:
                raise exceptions.AuthenticationFailed(
                    _refusal_message(parts[1]), code="invalid_token"
                )
            user = token.user
            if user.enterprise_id is not None and not user.enterprise.is_active:  # type: ignore[union-attr]
                raise exceptions.AuthenticationFailed(
                    _("The enterprise of this token is disabled."), code="invalid_token"
                )
            mark_token_used(token)
        request._request.api_token_id = token.pk  # type: ignore[attr-defined]
        enter_scope(request._request, user)
        return user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class ScopedSessionAuthentication(authentication.SessionAuthentication):
    """The console session (the scope middleware has already opened its scope). Unsafe methods
    need the CSRF token, as on the console."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        user = getattr(request._request, "user", None)
        if not user or not user.is_active or not user.is_authenticated:
            return None
        self.enforce_csrf(request)
        return user, None


class ApiTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """Describes the token header in the OpenAPI schema."""

    target_class = ApiTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": _(
                "A personal API token, sent as `Authorization: Token gh_…`. "
                "Create one on your console profile (My account). In the interactive docs, "
                "enter the whole value: `Token gh_…`."
            ),
        }


class ScopedSessionScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """The console's session cookie (unsafe methods also need the X-CSRFToken header)."""

    target_class = ScopedSessionAuthentication
    name = "cookieAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        from django.conf import settings

        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}

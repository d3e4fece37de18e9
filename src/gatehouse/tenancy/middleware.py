"""Open the tenant scope for every request, and hold users with a one-time password at the
password change page until they pick their own."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_scopes import scope

from gatehouse.core.scoping import platform_scope, tenant_scope


class TenantScopeMiddleware:
    """Anonymous requests get an empty scope: any tenant query then raises (fail closed).
    API token requests are authenticated later by DRF, which opens its own scope."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and user.is_superuser:
            with platform_scope():
                return self.get_response(request)
        enterprise_id = getattr(user, "enterprise_id", None)
        if user.is_authenticated and isinstance(enterprise_id, int):
            with tenant_scope(enterprise_id):
                return self.get_response(request)
        with scope():
            return self.get_response(request)


class PasswordChangeRequiredMiddleware:
    ALLOWED_PREFIXES = ("/static/", "/i18n/", "/healthz")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and getattr(user, "must_change_password", False)
            and not request.path.startswith(self.ALLOWED_PREFIXES)
            and not request.path.startswith("/api/")
        ):
            allowed = {reverse("console:password_change"), reverse("console:logout")}
            if request.path not in allowed:
                return redirect("console:password_change")
        return self.get_response(request)

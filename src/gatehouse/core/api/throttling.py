"""Rate limits per token (or per session user), so one integration cannot starve others."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from gatehouse.core.actors import client_address


class PrincipalRateThrottle(SimpleRateThrottle):
    """`REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["principal"]`, counted per token: two tokens
    of one user have separate budgets, all session requests of a user share one."""

    scope = "principal"

    def get_rate(self) -> str | None:
        """Read the rate when the throttle is built, not when DRF's module was imported
        (SimpleRateThrottle.THROTTLE_RATES is frozen at import, so a changed setting would be
        ignored)."""
        rates: dict[str, Any] = api_settings.DEFAULT_THROTTLE_RATES
        try:
            rate: str | None = rates[self.scope]
        except KeyError as exc:
            raise ImproperlyConfigured(
                f"REST_FRAMEWORK DEFAULT_THROTTLE_RATES has no {self.scope!r} rate"
            ) from exc
        return rate

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        token = request.auth
        if token is not None and hasattr(token, "pk"):
            ident = f"token:{token.pk}"
        elif request.user is not None and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            # Not DRF's get_ident(): it trusts any X-Forwarded-For unless NUM_PROXIES is set.
            ident = f"addr:{client_address(request._request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

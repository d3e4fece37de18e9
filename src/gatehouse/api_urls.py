"""/api/v1/: one router per app, collected here; the schema and interactive docs; and a JSON
404 for every other address below /api/v1/, so clients always get the standard error body."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import Resolver404, include, path, re_path, resolve
from django.utils.translation import gettext as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView


class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI under the console's Content-Security-Policy: the page and its start-up script
    are separate responses (no inline script), the template has no inline style, and the
    assets come from drf-spectacular-sidecar through our own static files (SPECTACULAR_SETTINGS
    SWAGGER_UI_DIST = "SIDECAR"; no CDN)."""

    template_name = "core/api_docs.html"


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Unknown API address: the standard error body, with a hint for a missing slash."""
    message = _("There is no API endpoint at this address.")
    if not request.path.endswith("/"):
        try:
            match = resolve(f"{request.path}/")
        except Resolver404:
            match = None
        if match is not None and match.func is not not_found:
            message = _("There is no API endpoint at this address. Did you mean %(path)s?") % {
                "path": f"{request.path}/"
            }
    body = {"error": {"code": "not_found", "message": message, "fields": {}}}
    return JsonResponse(body, status=404)


urlpatterns = [
    path("", include("gatehouse.tenancy.api.urls")),
    path("", include("gatehouse.audit.api.urls")),
    path("", include("gatehouse.people.api.urls")),
    path("", include("gatehouse.devices.api.urls")),
    path("", include("gatehouse.core.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", ApiDocsView.as_view(url_name="api-schema"), name="api-docs"),
    # keep last: everything not matched above
    re_path(r"^.*$", not_found, name="api-not-found"),
]

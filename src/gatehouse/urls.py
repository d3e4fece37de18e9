from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.http import require_GET


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness probe through the full middleware stack (also the bench's Django baseline)."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("gatehouse.api_urls")),
    path("tenancy/", include("gatehouse.tenancy.urls")),
    path("audit/", include("gatehouse.audit.urls")),
    path("people/", include("gatehouse.people.urls")),
    path("jobs/", include("gatehouse.core.urls")),
    path("devices/", include("gatehouse.devices.urls")),
    path("", include("gatehouse.console.urls")),
]

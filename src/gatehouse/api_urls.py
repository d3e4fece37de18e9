"""/api/v1/: one router per app, collected here; the schema and interactive docs."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("", include("gatehouse.tenancy.api.urls")),
    path("", include("gatehouse.audit.api.urls")),
    path("", include("gatehouse.core.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

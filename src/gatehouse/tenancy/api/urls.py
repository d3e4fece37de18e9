"""Tenancy endpoints under /api/v1/ (kebab-case plurals)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from gatehouse.tenancy.api import views

router = SimpleRouter()
router.register("enterprises", views.EnterpriseViewSet, basename="enterprise")
router.register("groups", views.GroupViewSet, basename="group")
router.register("users", views.UserViewSet, basename="user")
router.register("roles", views.RoleViewSet, basename="role")
router.register("permissions", views.PermissionViewSet, basename="permission")
router.register("tokens", views.TokenViewSet, basename="token")

urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    *router.urls,
]

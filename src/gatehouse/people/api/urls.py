"""People endpoints under /api/v1/ (kebab-case plurals)."""

from rest_framework.routers import SimpleRouter

from gatehouse.people.api import views

router = SimpleRouter()
router.register("people", views.PersonViewSet, basename="person")
router.register("departments", views.DepartmentViewSet, basename="department")
router.register("person-groups", views.PersonGroupViewSet, basename="person-group")

urlpatterns = router.urls

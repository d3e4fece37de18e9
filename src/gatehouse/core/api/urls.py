from rest_framework.routers import SimpleRouter

from gatehouse.core.api.jobs import JobViewSet

router = SimpleRouter()
router.register("jobs", JobViewSet, basename="job")
urlpatterns = router.urls

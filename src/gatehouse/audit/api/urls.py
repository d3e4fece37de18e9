from rest_framework.routers import SimpleRouter

from gatehouse.audit.api.views import LogEntryViewSet

router = SimpleRouter()
router.register("audit-log", LogEntryViewSet, basename="audit-log")
urlpatterns = router.urls

"""Devices endpoints under /api/v1/ (kebab-case plurals). The pending pool is registered
before the devices so that devices/pending/ is never read as a device id."""

from rest_framework.routers import SimpleRouter

from gatehouse.devices.api import views

router = SimpleRouter()
router.register("devices/pending", views.PendingDeviceViewSet, basename="pending-device")
router.register("devices", views.DeviceViewSet, basename="device")
router.register("device-groups", views.DeviceGroupViewSet, basename="device-group")
router.register("device-commands", views.DeviceCommandViewSet, basename="device-command")
router.register("device-events", views.DeviceEventViewSet, basename="device-event")
router.register("firmware-packages", views.FirmwarePackageViewSet, basename="firmware-package")

urlpatterns = router.urls

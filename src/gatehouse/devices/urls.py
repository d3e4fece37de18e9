from django.urls import path

from gatehouse.devices import views

app_name = "devices"

urlpatterns = [
    path("", views.DeviceListView.as_view(), name="device_list"),
    path("operate/", views.DeviceOperationView.as_view(), name="operate"),
    path("move/", views.BulkMoveView.as_view(), name="bulk_move"),
    path("delete/", views.BulkDeleteView.as_view(), name="bulk_delete"),
    path("<int:pk>/", views.DeviceDetailView.as_view(), name="device_detail"),
    path("<int:pk>/edit/", views.DeviceEditView.as_view(), name="device_edit"),
    path("<int:pk>/parameters/", views.DeviceParametersView.as_view(), name="device_parameters"),
    path(
        "<int:pk>/failures/export/", views.DeviceFailureExportView.as_view(), name="failure_export"
    ),
    path("<int:pk>/failures/repush/", views.DeviceRepushView.as_view(), name="failure_repush"),
    path("commands/", views.CommandListView.as_view(), name="command_list"),
    path("commands/<int:pk>/cancel/", views.CommandCancelView.as_view(), name="command_cancel"),
    path("events/", views.EventListView.as_view(), name="event_list"),
    path("logs/", views.OperationLogListView.as_view(), name="operationlog_list"),
    path("pending/", views.PendingDeviceListView.as_view(), name="pending_list"),
    path("pending/<int:pk>/approve/", views.PendingApproveView.as_view(), name="pending_approve"),
    path("groups/", views.DeviceGroupListView.as_view(), name="group_list"),
    path("groups/add/", views.DeviceGroupCreateView.as_view(), name="group_add"),
    path("groups/<int:pk>/edit/", views.DeviceGroupEditView.as_view(), name="group_edit"),
    path("groups/<int:pk>/delete/", views.DeviceGroupDeleteView.as_view(), name="group_delete"),
    path(
        "groups/<int:pk>/operate/", views.DeviceGroupOperationView.as_view(), name="group_operate"
    ),
    path("packages/", views.PackageListView.as_view(), name="package_list"),
    path("packages/add/", views.PackageUploadView.as_view(), name="package_add"),
    path("packages/<int:pk>/delete/", views.PackageDeleteView.as_view(), name="package_delete"),
]

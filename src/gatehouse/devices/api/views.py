"""/api/v1/ for the devices app: the device registry and its remote operations, the pending
pool (platform super administrator), device groups, the command queue, firmware packages and
the events devices report. Every write is a call to devices/services.py with the acting user,
as on the console; every id resolves through the caller's visible querysets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from gatehouse.core.actors import Actor
from gatehouse.core.api.viewsets import (
    TenantModelViewSet,
    TenantReadOnlyViewSet,
    VisibleQuerysetMixin,
)
from gatehouse.core.errors import ServiceError
from gatehouse.core.scoping import platform_scope
from gatehouse.devices import selectors, services
from gatehouse.devices.api import serializers as s
from gatehouse.devices.models import (
    Device,
    DeviceCommand,
    DeviceEvent,
    DeviceGroup,
    FirmwarePackage,
    OperationLog,
)
from gatehouse.tenancy.filtersets import VisibleGroupFilter
from gatehouse.tenancy.models import User

# --- filters -------------------------------------------------------------------------------


def _visible_devices(request: Any) -> QuerySet[Device]:
    if request is None:  # the schema generator
        return Device.objects.none()
    return selectors.visible_devices(request.user)


def _visible_device_groups(request: Any) -> QuerySet[DeviceGroup]:
    if request is None:
        return DeviceGroup.objects.none()
    return selectors.visible_device_groups(request.user)


def online_condition(devices: QuerySet[Device]) -> Q:
    """Devices online now, by the model's rule (Device.offline_after), in SQL: one term per
    poll interval in use, so it works the same on SQLite and PostgreSQL."""
    now = timezone.now()
    condition = Q(pk__in=[])
    intervals = devices.order_by().values_list("poll_interval", flat=True).distinct()
    for interval in intervals:
        threshold = now - Device(poll_interval=interval).offline_after()
        condition |= Q(poll_interval=interval, last_seen_at__gte=threshold)
    return condition


class DeviceApiFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=[
            (Device.Status.ONLINE, Device.Status.ONLINE.label),
            (Device.Status.OFFLINE, Device.Status.OFFLINE.label),
        ],
        method="with_status",
    )
    device_group = django_filters.ModelChoiceFilter(queryset=_visible_device_groups)
    group = VisibleGroupFilter(
        method="in_group", help_text=gettext_lazy("A user group and the groups below it.")
    )

    class Meta:
        model = Device
        fields = ("status", "device_group", "group")

    def with_status(self, devices: QuerySet[Device], name: str, value: str) -> QuerySet[Device]:
        online = online_condition(devices)
        return devices.filter(online) if value == Device.Status.ONLINE else devices.exclude(online)

    def in_group(self, devices: QuerySet[Device], name: str, value: Any) -> QuerySet[Device]:
        return devices.filter(group__path__startswith=value.path)


class DeviceGroupApiFilterSet(django_filters.FilterSet):
    group = VisibleGroupFilter()

    class Meta:
        model = DeviceGroup
        fields = ("group",)


class DeviceCommandApiFilterSet(django_filters.FilterSet):
    device = django_filters.ModelChoiceFilter(queryset=_visible_devices)
    state = django_filters.ChoiceFilter(choices=DeviceCommand.State.choices)

    class Meta:
        model = DeviceCommand
        fields = ("device", "state")


class DeviceEventApiFilterSet(django_filters.FilterSet):
    device = django_filters.ModelChoiceFilter(queryset=_visible_devices)
    date_from = django_filters.DateFilter(
        field_name="occurred_at",
        lookup_expr="date__gte",
        help_text=gettext_lazy("Inclusive, in the server's time zone."),
    )
    date_to = django_filters.DateFilter(
        field_name="occurred_at",
        lookup_expr="date__lte",
        help_text=gettext_lazy("Inclusive, in the server's time zone."),
    )
    pin = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = DeviceEvent
        fields = ("device", "date_from", "date_to", "pin")


# --- remote operations, shared by devices and device groups --------------------------------


def _visible_package(user: User, arguments: Mapping[str, Any]) -> FirmwarePackage:
    package_id = str(arguments.get("package_id", ""))
    package: FirmwarePackage | None = (
        FirmwarePackage.objects.visible_to(user).filter(pk=int(package_id)).first()
        if package_id.isdigit()
        else None
    )
    if package is None:
        raise ServiceError(
            _("Give the package_id of one of your firmware packages."), field="arguments"
        )
    return package


def queue_operation(
    devices: Sequence[Device], data: Mapping[str, Any], *, actor: Actor, user: User
) -> list[DeviceCommand]:
    """One operation on each device. Parameters go through their checks (set_parameters) and
    an upgrade through the caller's own packages (upgrade), never straight into the queue."""
    operation: str = data["operation"]
    arguments: Mapping[str, Any] = data.get("arguments") or {}
    if operation == "parameters.set":
        values = arguments.get("values")
        if not isinstance(values, dict):
            raise ServiceError(
                _('parameters.set needs the arguments {"values": {...}}.'), field="arguments"
            )
        return services.set_parameters(devices, values, actor=actor)
    if operation == "firmware.upgrade":
        return services.upgrade(devices, _visible_package(user, arguments), actor=actor)
    return services.run_operation(
        devices, operation, arguments, actor=actor, online_only=data.get("online_only", False)
    )


OPERATION_SCHEMA = extend_schema(
    request=s.DeviceOperationSerializer,
    responses={202: s.QueuedCommandsSerializer},
    description=gettext_lazy(
        "Queue a remote operation; the device collects it at its next poll. The answer lists "
        "the queued commands; follow them at /api/v1/device-commands/{id}/."
    ),
)


class DeviceApiMixin(VisibleQuerysetMixin):
    """Responses the devices endpoints share."""

    request: Any

    if TYPE_CHECKING:

        def get_serializer_context(self) -> dict[str, Any]: ...

    def queued(self, commands: list[DeviceCommand]) -> Response:
        data = {"commands": commands}
        body = s.QueuedCommandsSerializer(data, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_202_ACCEPTED)

    def page_of(
        self, queryset: QuerySet[Any], serializer_class: type[BaseSerializer[Any]]
    ) -> Response:
        """One page of a device's sub-list (commands, events, ...), paginated as every list."""
        view: Any = self
        page = view.paginate_queryset(queryset)
        data = serializer_class(page, many=True, context=self.get_serializer_context()).data
        response: Response = view.get_paginated_response(data)
        return response


# --- devices -------------------------------------------------------------------------------


class DeviceViewSet(
    DeviceApiMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """Approved devices of the caller's part of the organization. Devices are not created
    here: they connect by themselves and the platform super administrator approves them
    (/api/v1/devices/pending/)."""

    model = Device
    permission_app = "devices"
    permission_actions = {
        "operations": "control",
        "parameters": "control",
        "move": "change",
        "repush": "change",
    }
    lookup_value_regex = "[0-9]+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    serializer_class = s.DeviceSerializer
    filterset_class = DeviceApiFilterSet
    search_fields = ("name", "serial_number", "address", "ip_address", "model")
    ordering_fields = ("name", "serial_number", "last_seen_at", "approved_at")
    ordering = ("name", "serial_number")

    def get_queryset(self) -> QuerySet[Device]:
        if getattr(self, "swagger_fake_view", False):
            return super().get_queryset()
        return selectors.visible_devices(self.request.user)

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        if self.action == "retrieve":
            return s.DeviceDetailSerializer
        return s.DeviceSerializer

    def perform_destroy(self, instance: Device) -> None:
        services.delete_device(instance, actor=self.actor)

    @extend_schema(
        request=s.DeviceWriteSerializer,
        responses=s.DeviceDetailSerializer,
        description=gettext_lazy(
            "Change name, address, communication key, time zone offset, poll interval or "
            "device group. A new communication key is also sent to the device."
        ),
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        device = self.get_object()
        form = s.DeviceWriteSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        device = services.update_device(device, actor=self.actor, **form.validated_data)
        return Response(
            s.DeviceDetailSerializer(device, context=self.get_serializer_context()).data
        )

    @OPERATION_SCHEMA
    @action(detail=True, methods=["post"])
    def operations(self, request: Request, pk: str | None = None) -> Response:
        device = self.get_object()
        form = s.DeviceOperationSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        user: User = request.user  # type: ignore[assignment]
        return self.queued(
            queue_operation([device], form.validated_data, actor=self.actor, user=user)
        )

    @extend_schema(
        request=s.ParameterValuesSerializer,
        responses={202: s.QueuedCommandsSerializer},
        description=gettext_lazy(
            "Set parameters (names, kinds and ranges in the device's `parameters`); they are "
            "checked before anything is queued."
        ),
    )
    @action(detail=True, methods=["post"])
    def parameters(self, request: Request, pk: str | None = None) -> Response:
        device = self.get_object()
        form = s.ParameterValuesSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        values = form.validated_data["values"]
        return self.queued(services.set_parameters([device], values, actor=self.actor))

    @extend_schema(
        request=s.MoveDevicesSerializer,
        responses=s.MovedSerializer,
        description=gettext_lazy(
            "Move devices to a device group, and with it to its user group (3.1.14)."
        ),
    )
    @action(detail=False, methods=["post"])
    def move(self, request: Request) -> Response:
        form = s.MoveDevicesSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        moved = services.move_devices(
            form.validated_data["devices"],
            actor=self.actor,
            device_group=form.validated_data["device_group"],
        )
        return Response({"moved": moved})

    @extend_schema(
        request=None,
        responses=s.DeviceCommandSerializer(many=True),
        description=gettext_lazy("The device's command log, newest first."),
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def commands(self, request: Request, pk: str | None = None) -> Response:
        device = self.get_object()
        return self.page_of(
            DeviceCommand.objects.filter(device=device).order_by("-id"), s.DeviceCommandSerializer
        )

    @extend_schema(
        request=None,
        responses=s.FailureSerializer(many=True),
        description=gettext_lazy("Items the device could not take, with the reasons (5.2.1)."),
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def failures(self, request: Request, pk: str | None = None) -> Response:
        return self.page_of(selectors.failures(self.get_object()), s.FailureSerializer)

    @extend_schema(
        request=None,
        responses={202: s.QueuedCountSerializer},
        description=gettext_lazy("Send the failed items again."),
    )
    @action(detail=True, methods=["post"])
    def repush(self, request: Request, pk: str | None = None) -> Response:
        count = services.repush_failures(self.get_object(), actor=self.actor)
        return Response({"queued": count}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=None,
        responses=s.DeviceEventSerializer(many=True),
        description=gettext_lazy(
            "The device's records, newest first (filters: /api/v1/device-events/)."
        ),
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def events(self, request: Request, pk: str | None = None) -> Response:
        device = self.get_object()
        return self.page_of(DeviceEvent.objects.filter(device=device), s.DeviceEventSerializer)

    @extend_schema(
        request=None,
        responses=s.OperationLogSerializer(many=True),
        description=gettext_lazy("The device's own operation log, newest first (3.1.17)."),
    )
    @action(detail=True, methods=["get"], url_path="operation-logs", filter_backends=[])
    def operation_logs(self, request: Request, pk: str | None = None) -> Response:
        device = self.get_object()
        return self.page_of(OperationLog.objects.filter(device=device), s.OperationLogSerializer)


class PendingDeviceViewSet(DeviceApiMixin, mixins.ListModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Devices that connected and wait for approval: the platform's unassigned pool, seen and
    assigned by the platform super administrator only."""

    model = Device
    permission_app = "platform"
    permission_actions = {"approve": "change"}
    lookup_value_regex = "[0-9]+"
    serializer_class = s.DeviceSerializer
    search_fields = ("serial_number", "model", "ip_address")
    ordering_fields = ("first_seen_at", "last_seen_at", "serial_number")
    ordering = ("-first_seen_at",)

    def get_queryset(self) -> QuerySet[Device]:
        if getattr(self, "swagger_fake_view", False):
            return super().get_queryset()
        with platform_scope():
            return selectors.pending_devices()

    @extend_schema(
        request=s.ApprovalSerializer,
        responses=s.DeviceSerializer,
        description=gettext_lazy(
            "Assign the device to an enterprise and user group; from its next contact it is "
            "registered, gets its settings and is synced."
        ),
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        device = self.get_object()
        form = s.ApprovalSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        device = services.approve_device(device, actor=self.actor, **form.validated_data)
        return Response(s.DeviceSerializer(device, context=self.get_serializer_context()).data)


# --- device groups -------------------------------------------------------------------------


class DeviceGroupViewSet(DeviceApiMixin, TenantModelViewSet):
    """Device groups under the caller's user groups (3.1.19); bulk operations act on one."""

    model = DeviceGroup
    permission_app = "devices"
    permission_actions = {"operations": "control"}
    serializer_class = s.DeviceGroupSerializer
    write_serializer_class = s.DeviceGroupWriteSerializer
    filterset_class = DeviceGroupApiFilterSet
    search_fields = ("name",)
    ordering_fields = ("name", "created_at")
    ordering = ("group__path", "-is_default", "name")

    def get_queryset(self) -> QuerySet[DeviceGroup]:
        if getattr(self, "swagger_fake_view", False):
            return super().get_queryset()
        return selectors.visible_device_groups(self.request.user)

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        serializer.instance = services.create_device_group(
            actor=self.actor, group=data["group"], name=data["name"]
        )

    def perform_update(self, serializer: Any) -> None:
        device_group: DeviceGroup = serializer.instance
        name = serializer.validated_data.get("name", device_group.name)
        serializer.instance = services.rename_device_group(
            device_group, actor=self.actor, name=name
        )

    def perform_destroy(self, instance: DeviceGroup) -> None:
        services.delete_device_group(instance, actor=self.actor)

    @OPERATION_SCHEMA
    @action(detail=True, methods=["post"])
    def operations(self, request: Request, pk: str | None = None) -> Response:
        """The same operation on every device of the group (3.1.18); parameters set this way
        overwrite each device's own."""
        device_group = self.get_object()
        form = s.DeviceOperationSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        devices = services.devices_of_group(device_group, actor=self.actor)
        user: User = request.user  # type: ignore[assignment]
        return self.queued(
            queue_operation(devices, form.validated_data, actor=self.actor, user=user)
        )


# --- the command queue ---------------------------------------------------------------------


class DeviceCommandViewSet(DeviceApiMixin, TenantReadOnlyViewSet):
    """Remote operations queued for the caller's devices, with their state and result."""

    model = DeviceCommand
    permission_app = "devices"
    permission_actions = {"cancel": "control"}
    serializer_class = s.DeviceCommandSerializer
    filterset_class = DeviceCommandApiFilterSet
    search_fields = ("command_id", "operation", "summary")
    ordering_fields = ("id", "created_at", "finished_at", "state")
    ordering = ("-id",)

    def get_queryset(self) -> QuerySet[DeviceCommand]:
        if getattr(self, "swagger_fake_view", False):
            return super().get_queryset()
        return selectors.visible_commands(self.request.user)

    @extend_schema(
        request=None,
        responses=s.DeviceCommandSerializer,
        description=gettext_lazy("Withdraw a command the device has not collected yet."),
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        command: DeviceCommand = self.get_object()
        services.cancel_command(command, actor=self.actor)
        return Response(s.DeviceCommandSerializer(command).data)


# --- firmware packages ---------------------------------------------------------------------


class FirmwarePackageViewSet(
    DeviceApiMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """Client and firmware packages of the caller's enterprise (3.2), for upgrades
    (operation firmware.upgrade with arguments package_id)."""

    model = FirmwarePackage
    permission_app = "devices"
    parser_classes = (MultiPartParser, FormParser)
    serializer_class = s.FirmwarePackageSerializer
    search_fields = ("name", "version", "notes")
    ordering_fields = ("uploaded_at", "name", "version")
    ordering = ("-uploaded_at",)

    @extend_schema(
        request={"multipart/form-data": s.FirmwareUploadSerializer},
        responses={201: s.FirmwarePackageSerializer},
        description=gettext_lazy("Upload a package (at most 512 MB)."),
    )
    def create(self, request: Request) -> Response:
        form = s.FirmwareUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        enterprise_id = getattr(request.user, "enterprise_id", None)
        if enterprise_id is None:
            raise ServiceError(_("Packages belong to an enterprise; log in as its administrator."))
        data = form.validated_data
        package = services.upload_package(
            actor=self.actor,
            enterprise_id=enterprise_id,
            name=data["name"],
            version=data["version"],
            upload=data["file"],
            notes=data.get("notes", ""),
        )
        body = s.FirmwarePackageSerializer(package, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: FirmwarePackage) -> None:
        services.delete_package(instance, actor=self.actor)


# --- what devices report -------------------------------------------------------------------


class DeviceEventViewSet(TenantReadOnlyViewSet):
    """Records the caller's devices reported (access events, punches, alarms), newest first."""

    model = DeviceEvent
    permission_app = "devices"
    serializer_class = s.DeviceEventSerializer
    filterset_class = DeviceEventApiFilterSet
    search_fields = ("pin", "card_number")
    ordering_fields = ("occurred_at",)
    ordering = ("-occurred_at", "-id")

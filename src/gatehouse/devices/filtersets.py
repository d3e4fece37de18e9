from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters.fields import ModelChoiceField

from gatehouse.devices import selectors
from gatehouse.devices.models import (
    Device,
    DeviceCommand,
    DeviceEvent,
    DeviceGroup,
    FirmwarePackage,
    OperationLog,
)
from gatehouse.tenancy.filtersets import SearchFilterSet, VisibleGroupFilter


class DeviceGroupField(ModelChoiceField):
    def label_from_instance(self, obj: DeviceGroup) -> str:
        return selectors.device_group_label(obj)


class DeviceGroupFilter(django_filters.ModelChoiceFilter):
    """Device groups of the requesting user's subtree, named with their user group."""

    field_class = DeviceGroupField

    def get_queryset(self, request: Any) -> QuerySet[DeviceGroup]:
        if request is None:
            return DeviceGroup.objects.none()
        return selectors.visible_device_groups(request.user)


class DeviceFilter(django_filters.ModelChoiceFilter):
    def get_queryset(self, request: Any) -> QuerySet[Device]:
        if request is None:
            return Device.objects.none()
        return selectors.visible_devices(request.user)


class DeviceFilterSet(SearchFilterSet):
    search_fields = ("name", "serial_number", "ip_address")
    device_group = DeviceGroupFilter(label=_("Device group"), empty_label=_("All device groups"))
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[
            (selectors.ONLINE, Device.Status.ONLINE.label),
            (selectors.OFFLINE, Device.Status.OFFLINE.label),
        ],
        empty_label=_("Any"),
        method="with_status",
    )

    class Meta:
        model = Device
        fields = ("q", "device_group", "status")

    def with_status(self, queryset: QuerySet[Device], name: str, value: str) -> QuerySet[Device]:
        return selectors.with_status(queryset, value)


class PendingDeviceFilterSet(SearchFilterSet):
    search_fields = ("serial_number", "model", "ip_address")

    class Meta:
        model = Device
        fields = ("q",)


class DeviceGroupFilterSet(SearchFilterSet):
    search_fields = ("name",)
    group = VisibleGroupFilter(label=_("User group"), empty_label=_("All groups"))

    class Meta:
        model = DeviceGroup
        fields = ("q", "group")


class PackageFilterSet(SearchFilterSet):
    search_fields = ("name", "version", "md5")

    class Meta:
        model = FirmwarePackage
        fields = ("q",)


class CommandFilterSet(SearchFilterSet):
    search_fields = ("command_id", "summary", "operation")
    device = DeviceFilter(label=_("Device"), empty_label=_("All devices"))
    state = django_filters.ChoiceFilter(
        label=_("State"), choices=DeviceCommand.State.choices, empty_label=_("Any")
    )

    class Meta:
        model = DeviceCommand
        fields = ("q", "device", "state")


class EventFilterSet(SearchFilterSet):
    search_fields = ("pin", "card_number")
    device = DeviceFilter(label=_("Device"), empty_label=_("All devices"))

    class Meta:
        model = DeviceEvent
        fields = ("q", "device")


class OperationLogFilterSet(SearchFilterSet):
    search_fields = ("administrator", "objects_text")
    device = DeviceFilter(label=_("Device"), empty_label=_("All devices"))

    class Meta:
        model = OperationLog
        fields = ("q", "device")

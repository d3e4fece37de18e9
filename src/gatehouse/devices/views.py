"""Console pages of Smart Pass chapter 3 (device management): the device list with its bulk
operations, device details (parameters, remote operations, sync progress and failures,
command log, monitoring), pending devices, device groups and their bulk operations, and the
package list (3.2). Every write goes through `gatehouse.devices.services`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse, reverse_lazy
from django.utils.functional import Promise
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View

from gatehouse.core.actors import Actor
from gatehouse.core.errors import ServiceError
from gatehouse.core.permissions import has_permission
from gatehouse.core.spreadsheets import download
from gatehouse.core.views import (
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    PermissionRequiredMixin,
    ServiceFormView,
)
from gatehouse.devices import filtersets, forms, selectors, services, sync, tables
from gatehouse.devices.models import (
    Device,
    DeviceCommand,
    DeviceEvent,
    DeviceGroup,
    FirmwarePackage,
    OperationLog,
)

RECENT_ROWS = 10  # commands, operation logs and events shown on the device page
FAILURES_SHOWN = 50  # the export holds them all

# What a device holds, in the failure table's words (sync item kinds).
ITEM_KINDS: dict[str, Promise] = {
    "timezone": gettext_lazy("Time zone"),
    "user": gettext_lazy("Person"),
    "authorization": gettext_lazy("Access rights"),
    "face": gettext_lazy("Face photo"),
    "biodata": gettext_lazy("Biometric template"),
}


# --- remote operations -----------------------------------------------------------------------


def queue_operation(
    operation: forms.Operation, devices: Sequence[Device], values: dict[str, Any], *, actor: Actor
) -> list[DeviceCommand]:
    if operation.command == "parameters.set":
        return services.set_parameters(devices, values, actor=actor)
    if operation.command == "firmware.upgrade":
        return services.upgrade(devices, values["package"], actor=actor)
    return services.run_operation(devices, operation.command, values, actor=actor)


def queued_message(label: str, queued: Sequence[DeviceCommand]) -> str:
    """What was queued, per device with its command ids."""
    by_device: dict[Device, list[str]] = {}
    for command in queued:
        by_device.setdefault(command.device, []).append(command.command_id)
    details = "; ".join(
        _("%(device)s: command %(ids)s") % {"device": device, "ids": ", ".join(ids)}
        for device, ids in by_device.items()
    )
    return ngettext(
        "%(operation)s queued for %(count)d device — %(details)s.",
        "%(operation)s queued for %(count)d devices — %(details)s.",
        len(by_device),
    ) % {"operation": label, "count": len(by_device), "details": details}


def failure_table(device: Device) -> list[tuple[str, str, str, str]]:
    """The failure table with each kind in words."""
    return [
        (str(ITEM_KINDS.get(kind, kind)), personnel_id, person, reason)
        for kind, personnel_id, person, reason in selectors.failure_rows(device)
    ]


def form_errors(form: Any) -> str:
    return " ".join(
        f"{form.fields[name].label}: {error}" if name in form.fields else str(error)
        for name, errors in form.errors.items()
        for error in errors
    )


def safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return str(target)
    return default


class DeviceMixin:
    """Device pages read approved devices of the user's subtree (others: 404)."""

    model: Any = Device
    request: HttpRequest

    def get_queryset(self) -> QuerySet[Device]:
        return selectors.visible_devices(self.request.user)  # type: ignore[arg-type]


class BulkDeviceView(PermissionRequiredMixin, View):
    """A POST from the device list (or a device page) acting on the ticked devices. Any id
    the user may not see is a 404; a refusal of the service becomes a page message."""

    model = Device

    def post(self, request: HttpRequest) -> HttpResponse:
        target = safe_next(request, reverse("devices:device_list"))
        devices = self.selected_devices(request)
        try:
            if not devices:
                raise ServiceError(_("Select at least one device."))
            with transaction.atomic():
                self.act(devices)
        except ServiceError as exc:
            messages.error(request, exc.message)
        return HttpResponseRedirect(target)

    def selected_devices(self, request: HttpRequest) -> list[Device]:
        try:
            ids = {int(value) for value in request.POST.getlist("devices")}
        except ValueError:
            raise Http404 from None
        devices = list(selectors.visible_devices(request.user).filter(pk__in=ids))  # type: ignore[arg-type]
        if len(devices) != len(ids):
            raise Http404
        return devices

    def act(self, devices: list[Device]) -> None:
        raise NotImplementedError


class DeviceOperationView(BulkDeviceView):
    """Restart, reset, time sync, refresh, door opening, client upgrade, volume (3.1.2-3.1.12)."""

    permission_action = "control"

    def act(self, devices: list[Device]) -> None:
        operation = forms.OPERATIONS.get(self.request.POST.get("operation", ""))
        if operation is None or operation.form_class is forms.ParametersForm:
            raise ServiceError(_("Choose an operation."))
        form = operation.form_class(self.request.POST, user=self.request.user)
        if not form.is_valid():
            raise ServiceError(form_errors(form))
        queued = queue_operation(operation, devices, form.values(), actor=self.actor)
        messages.success(self.request, queued_message(operation.label, queued))


class BulkMoveView(BulkDeviceView):
    """Move group (3.1.14)."""

    permission_action = "change"

    def act(self, devices: list[Device]) -> None:
        form = forms.MoveForm(self.request.POST, user=self.request.user)
        if not form.is_valid():
            raise ServiceError(form_errors(form))
        device_group = form.cleaned_data["device_group"]
        count = services.move_devices(devices, actor=self.actor, device_group=device_group)
        messages.success(
            self.request,
            ngettext(
                "%(count)d device moved to %(group)s.",
                "%(count)d devices moved to %(group)s.",
                count,
            )
            % {"count": count, "group": selectors.device_group_label(device_group)},
        )


class BulkDeleteView(BulkDeviceView):
    """Delete (3.1.13): only offline devices; the others stay and are named with the reason."""

    permission_action = "delete"

    def act(self, devices: list[Device]) -> None:
        deleted: list[str] = []
        refused: list[str] = []
        for device in devices:
            try:
                services.delete_device(device, actor=self.actor)
            except ServiceError as exc:
                refused.append(f"{device}: {exc.message}")
            else:
                deleted.append(str(device))
        if deleted:
            messages.success(
                self.request, _("Deleted: %(devices)s.") % {"devices": ", ".join(deleted)}
            )
        if refused:
            messages.error(
                self.request, _("Not deleted — %(reasons)s") % {"reasons": " ".join(refused)}
            )


# --- device list and details -----------------------------------------------------------------


class DeviceListView(DeviceMixin, ObjectListView):
    table_class = tables.DeviceTable
    filterset_class = filtersets.DeviceFilterSet
    template_name = "devices/device_list.html"
    title = gettext_lazy("Device list")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            bulk_form_id=tables.BULK_FORM_ID,
            can_control=has_permission(user, "devices.control"),
            can_change=has_permission(user, "devices.change"),
            can_delete=has_permission(user, "devices.delete"),
            volume_form=forms.VolumeForm(user=user, auto_id="bulk_%s"),
            move_form=forms.MoveForm(user=user, auto_id="bulk_%s"),
            list_operations=[(key, forms.OPERATIONS[key]) for key in forms.LIST_OPERATIONS],
        )
        return context


CAPABILITY_LABELS: dict[str, Promise] = {
    "doors": gettext_lazy("Doors"),
    "readers": gettext_lazy("Readers"),
    "faces": gettext_lazy("Faces"),
    "fingerprints": gettext_lazy("Fingerprints"),
    "cards": gettext_lazy("Cards"),
    "temperature": gettext_lazy("Body temperature"),
    "mask": gettext_lazy("Mask detection"),
    "max_users": gettext_lazy("Person capacity"),
    "max_faces": gettext_lazy("Face capacity"),
}


@dataclass
class DevicePage:
    """What the device page shows besides its basic information."""

    capabilities: list[tuple[Promise, Any]]
    operations: list[tuple[str, forms.Operation]]
    door_form: forms.DoorOpenForm | None
    upgrade_form: forms.UpgradeForm | None
    parameters_form: forms.ParametersForm | None
    progress: dict[str, int]
    failures: list[tuple[str, str, str, str]] = field(default_factory=list)
    failure_count: int = 0


class DeviceDetailView(DeviceMixin, ObjectDetailView):
    """Device details (3.1.16) with device monitoring (3.1.17) and sync status (5.2.1)."""

    template_name = "devices/device_detail.html"
    detail_fields = (
        "name",
        "serial_number",
        "address",
        "group",
        "device_group",
        "model",
        "firmware",
        "dialect",
        "driver",
        "ip_address",
        "mac_address",
        "utc_offset_minutes",
        "poll_interval",
        "first_seen_at",
        "last_seen_at",
        "approved_at",
    )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        device: Device = self.object
        context["rows"] += [
            (_("Protocol version"), device.protocol_version),
            (_("Communication key"), _("Set") if device.comm_key else _("Not set")),
        ]
        can_control = has_permission(self.request.user, "devices.control")
        context.update(
            page=self.device_page(device),
            status_badge=tables.status_badge(device),
            can_control=can_control,
            command_form_id=tables.COMMAND_FORM_ID,
            commands_table=tables.CommandTable(
                list(device.commands.all()[:RECENT_ROWS]),
                exclude=("device",) if can_control else ("device", "cancel"),
            ),
            logs_table=tables.OperationLogTable(
                list(device.operation_logs.all()[:RECENT_ROWS]), exclude=("device",)
            ),
            events_table=tables.EventTable(
                list(device.events.select_related("person")[:RECENT_ROWS]),
                exclude=("device", "card_number"),
            ),
        )
        return context

    def device_page(self, device: Device) -> DevicePage:
        user = self.request.user
        capabilities = device.capabilities or {}
        supported = set(capabilities.get("operations", []))
        upgrade_form = door_form = parameters_form = None
        if "firmware.upgrade" in supported:
            upgrade_form = forms.UpgradeForm(
                user=user, enterprise_id=device.enterprise_id, auto_id="upgrade_%s"
            )
        if "door.open" in supported:
            door_form = forms.DoorOpenForm(user=user, auto_id="door_%s")
            door_form.fields["door"].widget.attrs["max"] = max(capabilities.get("doors", 1), 1)
        if "parameters.set" in supported:
            try:
                parameters_form = forms.ParametersForm(user=user, devices=[device])
            except LookupError:  # the device's driver is not installed here
                parameters_form = None
        failures = failure_table(device)
        return DevicePage(
            capabilities=[
                (label, capabilities[name])
                for name, label in CAPABILITY_LABELS.items()
                if capabilities.get(name) not in (None, "")
            ],
            operations=[
                (key, forms.OPERATIONS[key])
                for key in forms.DEVICE_PAGE_OPERATIONS
                if forms.OPERATIONS[key].command in supported
            ],
            door_form=door_form,
            upgrade_form=upgrade_form,
            parameters_form=parameters_form,
            progress=sync.progress(device),
            failures=failures[:FAILURES_SHOWN],
            failure_count=len(failures),
        )


class DeviceEditView(DeviceMixin, ObjectEditView):
    form_class = forms.DeviceForm
    title = gettext_lazy("Edit device")
    audit_action = "devices.device.changed"
    success_message = gettext_lazy("The device has been saved.")

    def perform(self, form: forms.DeviceForm) -> Device:
        return services.update_device(self.object, actor=self.actor, **form.service_values())

    def get_success_url_for(self, result: Device) -> str:
        return reverse("devices:device_detail", args=[result.pk])


class DeviceParametersView(DeviceMixin, ObjectEditView):
    """Parameter settings of one device (3.1.1, 3.1.5)."""

    permission_action = "control"
    form_class = forms.ParametersForm
    template_name = "devices/device_parameters.html"
    title = gettext_lazy("Parameter settings")
    audit_action = "devices.device.parameters_set"

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["devices"] = [self.object]
        return kwargs

    def perform(self, form: forms.ParametersForm) -> Device:
        queued = services.set_parameters([self.object], form.values(), actor=self.actor)
        messages.success(self.request, queued_message(forms.OPERATIONS["parameters"].label, queued))
        return self.object  # type: ignore[no-any-return]

    def get_success_url_for(self, result: Device) -> str:
        return reverse("devices:device_detail", args=[result.pk])


class DeviceActionView(DeviceMixin, PermissionRequiredMixin, View):
    """A POST button on the device page that calls one service."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        device: Device = get_object_or_404(self.get_queryset(), pk=pk)
        try:
            with transaction.atomic():
                messages.success(request, self.act(device))
        except ServiceError as exc:
            messages.error(request, exc.message)
        return HttpResponseRedirect(reverse("devices:device_detail", args=[device.pk]))

    def act(self, device: Device) -> str:
        raise NotImplementedError


class DeviceRepushView(DeviceActionView):
    """Re-push failures (5.2.1: fix the cause, then authorize again)."""

    permission_action = "control"

    def act(self, device: Device) -> str:
        count = services.repush_failures(device, actor=self.actor)
        return ngettext(
            "The failed items are sent again: %(count)d command queued.",
            "The failed items are sent again: %(count)d commands queued.",
            count,
        ) % {"count": count}


class DeviceFailureExportView(DeviceMixin, PermissionRequiredMixin, View):
    """ "Export the failure table" (5.2.1), as xlsx."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        device: Device = get_object_or_404(self.get_queryset(), pk=pk)
        name, content = services.export_failures(
            device, failure_table(device), actor=Actor.from_request(request)
        )
        return download(content, name, "xlsx")


# --- command log, operation logs, events ----------------------------------------------------


class CommandListView(ObjectListView):
    model = DeviceCommand
    table_class = tables.CommandTable
    filterset_class = filtersets.CommandFilterSet
    template_name = "devices/command_list.html"
    title = gettext_lazy("Command log")

    def get_queryset(self) -> QuerySet[DeviceCommand]:
        return selectors.visible_commands(self.request.user)  # type: ignore[arg-type]

    def get_table_kwargs(self) -> dict[str, Any]:
        if has_permission(self.request.user, "devices.control"):
            return {}
        return {"exclude": ("cancel",)}  # its buttons would be refused

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["command_form_id"] = tables.COMMAND_FORM_ID
        return context


class CommandCancelView(PermissionRequiredMixin, View):
    model = DeviceCommand
    permission_action = "control"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        command = get_object_or_404(selectors.visible_commands(request.user), pk=pk)  # type: ignore[arg-type]
        try:
            services.cancel_command(command, actor=self.actor)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, _("Command %(id)s has been cancelled.") % {"id": command.command_id}
            )
        default = reverse("devices:device_detail", args=[command.device_id])
        return HttpResponseRedirect(safe_next(request, default))


class EventListView(ObjectListView):
    model = DeviceEvent
    table_class = tables.EventTable
    filterset_class = filtersets.EventFilterSet
    title = gettext_lazy("Device events")

    def get_queryset(self) -> QuerySet[DeviceEvent]:
        return super().get_queryset().select_related("device", "person")


class OperationLogListView(ObjectListView):
    model = OperationLog
    table_class = tables.OperationLogTable
    filterset_class = filtersets.OperationLogFilterSet
    title = gettext_lazy("Device operation logs")

    def get_queryset(self) -> QuerySet[OperationLog]:
        return super().get_queryset().select_related("device")


# --- pending devices (platform super administrator) -----------------------------------------


class PendingDeviceListView(ObjectListView):
    """Devices that connected and wait for approval. No `model`: they belong to no enterprise,
    so the page shows no tenant's objects (and the leak matrix has no rows to compare)."""

    permission_app = "platform"
    table_class = tables.PendingDeviceTable
    filterset_class = filtersets.PendingDeviceFilterSet
    title = gettext_lazy("Pending devices")

    def get_queryset(self) -> QuerySet[Device]:
        return selectors.pending_devices()


class PendingApproveView(ServiceFormView):
    model = Device
    permission_app = "platform"
    permission_action = "change"
    form_class = forms.ApproveForm
    template_name = "devices/device_approve.html"
    title = gettext_lazy("Approve device")
    audit_action = "devices.device.approved"
    success_url = reverse_lazy("devices:pending_list")

    def get_object(self) -> Device | None:
        if not self.permits(self.request):
            return None  # the permission check answers 403
        device: Device = get_object_or_404(
            Device.objects.select_related("enterprise"), pk=self.kwargs["pk"]
        )
        return device

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs.pop("instance", None)
        return kwargs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["submit_label"] = _("Approve")
        return context

    def perform(self, form: forms.ApproveForm) -> Device:
        device = services.approve_device(
            self.object,
            actor=self.actor,
            enterprise=form.cleaned_data["enterprise"],
            group=form.cleaned_data["group"],
            name=form.cleaned_data["name"],
        )
        messages.success(
            self.request,
            _("%(device)s has been approved for %(enterprise)s.")
            % {"device": device, "enterprise": device.enterprise},
        )
        return device


# --- device groups (3.1.18, 3.1.19) -----------------------------------------------------------


class DeviceGroupMixin:
    model: Any = DeviceGroup
    success_url: Any = reverse_lazy("devices:group_list")
    request: HttpRequest

    def get_queryset(self) -> QuerySet[DeviceGroup]:
        return selectors.visible_device_groups(self.request.user)  # type: ignore[arg-type]


class DeviceGroupListView(DeviceGroupMixin, ObjectListView):
    table_class = tables.DeviceGroupTable
    filterset_class = filtersets.DeviceGroupFilterSet
    add_url_name = "devices:group_add"
    title = gettext_lazy("Device groups")

    def get_queryset(self) -> QuerySet[DeviceGroup]:
        return (
            super()
            .get_queryset()
            .annotate(device_count=Count("devices"))
            .order_by("group__path", "-is_default", "name")
        )


class DeviceGroupCreateView(DeviceGroupMixin, ServiceFormView):
    permission_action = "add"
    form_class = forms.DeviceGroupForm
    title = gettext_lazy("New device group")
    audit_action = "devices.group.created"
    success_message = gettext_lazy("The device group has been created.")

    def perform(self, form: forms.DeviceGroupForm) -> DeviceGroup:
        return services.create_device_group(
            actor=self.actor, group=form.cleaned_data["group"], name=form.cleaned_data["name"]
        )


class DeviceGroupEditView(DeviceGroupMixin, ObjectEditView):
    form_class = forms.DeviceGroupForm
    title = gettext_lazy("Rename device group")
    audit_action = "devices.group.changed"
    success_message = gettext_lazy("The device group has been saved.")

    def perform(self, form: forms.DeviceGroupForm) -> DeviceGroup:
        return services.rename_device_group(
            self.object, actor=self.actor, name=form.cleaned_data["name"]
        )


class DeviceGroupDeleteView(DeviceGroupMixin, ObjectDeleteView):
    audit_action = "devices.group.deleted"
    success_message = gettext_lazy("The device group has been deleted.")

    def perform(self, form: Any) -> None:
        services.delete_device_group(self.object, actor=self.actor)


class DeviceGroupOperationView(DeviceGroupMixin, ObjectEditView):
    """Grouping operation in bulk (3.1.18): `?operation=` picks one; the page says how many
    devices' settings it overwrites before it is confirmed. An empty group gets the manual's
    prompt instead of a form."""

    permission_action = "control"
    template_name = "devices/group_operation.html"

    @property
    def title(self) -> str:
        return _("Bulk operation: %(group)s") % {
            "group": selectors.device_group_label(self.object) if self.object else ""
        }

    @cached_property
    def operation_key(self) -> str | None:
        key = self.request.GET.get("operation", "")
        return key if key in forms.GROUP_OPERATIONS else None

    @cached_property
    def group_devices(self) -> tuple[list[Device], str]:
        """The group's devices, or the service's prompt when there are none."""
        try:
            return services.devices_of_group(self.object, actor=self.actor), ""
        except ServiceError as exc:
            return [], exc.message

    def get_form_class(self) -> type[Any]:
        devices, _prompt = self.group_devices
        if self.operation_key is None or not devices:
            return forms.NoArgumentsForm
        return forms.OPERATIONS[self.operation_key].form_class

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs.pop("instance", None)
        if self.get_form_class() is forms.ParametersForm:
            kwargs["devices"] = self.group_devices[0]
        return kwargs

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.operation_key is None:
            return HttpResponseRedirect(request.path)
        return super().post(request, *args, **kwargs)

    def perform(self, form: Any) -> DeviceGroup:
        assert self.operation_key is not None  # noqa: S101 - post() sends others back
        operation = forms.OPERATIONS[self.operation_key]
        devices = services.devices_of_group(self.object, actor=self.actor)
        queued = queue_operation(operation, devices, form.values(), actor=self.actor)
        messages.success(self.request, queued_message(operation.label, queued))
        return self.object  # type: ignore[no-any-return]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        devices, prompt = self.group_devices
        operation = forms.OPERATIONS[self.operation_key] if self.operation_key else None
        context.update(
            operation=operation,
            operation_key=self.operation_key,
            operations=[(key, forms.OPERATIONS[key]) for key in forms.GROUP_OPERATIONS],
            device_count=len(devices),
            prompt=prompt,
            submit_label=_("Confirm"),
        )
        return context


# --- packages (3.2 APK list) ------------------------------------------------------------------


class PackageListView(ObjectListView):
    model = FirmwarePackage
    table_class = tables.PackageTable
    filterset_class = filtersets.PackageFilterSet
    add_url_name = "devices:package_add"
    title = gettext_lazy("Packages")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["can_delete"] = has_permission(self.request.user, "devices.delete")
        return context


class PackageUploadView(ServiceFormView):
    model = FirmwarePackage
    permission_action = "add"
    form_class = forms.PackageForm
    title = gettext_lazy("Upload a package")
    audit_action = "devices.package.uploaded"
    success_message = gettext_lazy("The package has been uploaded.")
    success_url = reverse_lazy("devices:package_list")

    def perform(self, form: forms.PackageForm) -> FirmwarePackage:
        enterprise_id = getattr(self.request.user, "enterprise_id", None)
        if enterprise_id is None:
            raise ServiceError(_("Packages belong to an enterprise; log in as its administrator."))
        data = form.cleaned_data
        return services.upload_package(
            actor=self.actor,
            enterprise_id=enterprise_id,
            name=data["name"],
            version=data["version"],
            upload=data["file"],
            notes=data["notes"],
        )


class PackageDeleteView(ObjectDeleteView):
    model = FirmwarePackage
    audit_action = "devices.package.deleted"
    success_message = gettext_lazy("The package has been deleted.")
    success_url = reverse_lazy("devices:package_list")

    def perform(self, form: Any) -> None:
        services.delete_package(self.object, actor=self.actor)

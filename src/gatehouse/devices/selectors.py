"""Reads for the devices app, always through the user's visible querysets."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gatehouse.core.permissions import has_permission
from gatehouse.core.scoping import platform_scope
from gatehouse.devices.models import Device, DeviceCommand, DeviceGroup, FirmwarePackage, Holding
from gatehouse.tenancy.models import Group, User


def visible_devices(user: User) -> QuerySet[Device]:
    """Approved devices of the user's subtree (pending devices belong to the platform)."""
    devices: QuerySet[Device] = Device.objects.visible_to(user)
    return devices.filter(enterprise__isnull=False).select_related("group", "device_group")


def pending_devices() -> QuerySet[Device]:
    """The platform's unassigned pool (call inside platform_scope, superusers only)."""
    return Device.objects.filter(enterprise__isnull=True).order_by("-first_seen_at")


def visible_device_groups(user: User) -> QuerySet[DeviceGroup]:
    groups: QuerySet[DeviceGroup] = DeviceGroup.objects.visible_to(user)
    return groups.select_related("group")


def visible_commands(user: User) -> QuerySet[DeviceCommand]:
    commands: QuerySet[DeviceCommand] = DeviceCommand.objects.visible_to(user)
    return commands.select_related("device")


def failures(device: Device) -> QuerySet[Holding]:
    """The failure table of a device's sync (5.2.1), with the reasons."""
    return (
        Holding.objects.filter(device=device, state=Holding.State.FAILED)
        .select_related("person")
        .order_by("kind", "key")
    )


def group_has_devices(group: Group) -> str | None:
    """Refuses deleting a user group that still has devices (tenancy's delete check)."""
    with platform_scope():
        if Device.objects.filter(group=group).exists():
            return _("Only an empty group can be deleted: it still has devices.")
    return None


# --- console reads ---------------------------------------------------------------------------

ONLINE = Device.Status.ONLINE
OFFLINE = Device.Status.OFFLINE


def with_status(devices: QuerySet[Device], status: str) -> QuerySet[Device]:
    """Online or offline devices, by the rule of `Device.is_online` (the offline threshold
    depends on each device's poll interval: one condition per interval in use)."""
    now = timezone.now()
    intervals = set(devices.order_by().values_list("poll_interval", flat=True).distinct())
    online = Q(pk__in=[])
    for interval in intervals:
        threshold = now - Device(poll_interval=interval).offline_after()
        online |= Q(poll_interval=interval, last_seen_at__gte=threshold)
    return devices.filter(online) if status == ONLINE else devices.exclude(online)


def sync_counts(device_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """`sync.progress` of several devices in one query (a page of the device list)."""
    states: dict[int, dict[str, int]] = {}
    rows = (
        Holding.objects.filter(device_id__in=list(device_ids))
        .order_by()
        .values_list("device_id", "state")
        .annotate(count=Count("pk"))
    )
    for device_id, state, count in rows:
        states.setdefault(device_id, {})[state] = count
    progress: dict[int, dict[str, int]] = {}
    for device_id, counts in states.items():
        done = counts.get(Holding.State.CONFIRMED, 0)
        pending = counts.get(Holding.State.PENDING, 0)
        failed = counts.get(Holding.State.FAILED, 0)
        progress[device_id] = {
            "total": done + pending + failed,
            "done": done,
            "pending": pending + counts.get(Holding.State.REMOVING, 0),
            "failed": failed,
        }
    return progress


def device_group_label(device_group: DeviceGroup, *, with_enterprise: bool = False) -> str:
    """ "Branch / Default device group": device group names repeat across user groups."""
    prefix = f"{device_group.enterprise.name}: " if with_enterprise else ""
    return f"{prefix}{device_group.group.name} / {device_group}"


def device_group_choices(user: User, group: Group | None = None) -> list[tuple[int, str]]:
    """Device groups the user may pick, in group tree order (those of `group` only, if given)."""
    device_groups = visible_device_groups(user).select_related("enterprise")
    if group is not None:
        device_groups = device_groups.filter(group=group)
    ordered = sorted(
        device_groups,
        key=lambda g: (g.enterprise_id, g.group.path, not g.is_default, g.name.casefold()),
    )
    return [(g.pk, device_group_label(g, with_enterprise=user.is_superuser)) for g in ordered]


def visible_packages(user: User) -> QuerySet[FirmwarePackage]:
    packages: QuerySet[FirmwarePackage] = FirmwarePackage.objects.visible_to(user)
    return packages


def failure_rows(device: Device) -> list[tuple[str, str, str, str]]:
    """The failure table (5.2.1) as (kind, personnel ID, person, reason)."""
    rows = []
    for holding in failures(device):
        person = holding.person
        personnel_id = person.personnel_id if person is not None else holding.key.split(":")[0]
        rows.append(
            (holding.kind, personnel_id, person.full_name if person else "", holding.reason)
        )
    return rows


def dashboard_counts(user: User) -> list[dict[str, Any]]:
    """Dashboard cards (Smart Pass chapter 2: number of devices and online status)."""
    if not has_permission(user, "devices.view"):
        return []
    devices = visible_devices(user)
    online = with_status(devices, ONLINE).count()
    offline = devices.count() - online
    return [
        {
            "label": gettext_lazy("Devices online"),
            "value": online,
            "icon": "device-desktop",
            "url_name": "devices:device_list",
        },
        {
            "label": gettext_lazy("Devices offline"),
            "value": offline,
            "icon": "device-desktop-off",
            "url_name": "devices:device_list",
        },
    ]

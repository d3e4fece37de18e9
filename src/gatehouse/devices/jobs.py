"""Background work of the devices app: announcing devices that stopped polling (the alarm
module raises "device offline" from that event), settling commands nobody collected and
pruning old ones."""

from __future__ import annotations

from datetime import timedelta

from django.utils.translation import gettext_lazy, ngettext

from gatehouse.core.jobs import JobContext, JobRunner, periodic
from gatehouse.core.scoping import platform_scope
from gatehouse.devices import commands, services
from gatehouse.devices.models import Device, DeviceCommand


@periodic(every=timedelta(minutes=1))
class DeviceWatch(JobRunner):
    kind = "devices.watch"
    title = gettext_lazy("Device watch")

    def run(self, ctx: JobContext) -> None:
        offline = services.mark_offline_devices()
        settled = 0
        with platform_scope():
            # a device that stopped polling never collects its commands: expire them here
            stale = DeviceCommand.objects.filter(state__in=DeviceCommand.OPEN_STATES)
            for device in Device.objects.filter(pk__in=stale.values("device_id")):
                settled += commands.expire_overdue(device)
            pruned = commands.prune()
        ctx.log(
            ngettext("%(count)d device went offline.", "%(count)d devices went offline.", offline)
            % {"count": offline}
        )
        ctx.log(
            ngettext(
                "%(count)d command expired or was sent again.",
                "%(count)d commands expired or were sent again.",
                settled,
            )
            % {"count": settled}
        )
        if pruned:
            ctx.log(
                ngettext(
                    "%(count)d old finished command was removed from the command logs.",
                    "%(count)d old finished commands were removed from the command logs.",
                    pruned,
                )
                % {"count": pruned}
            )

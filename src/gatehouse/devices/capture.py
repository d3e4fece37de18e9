"""Register from device (Smart Pass 4.1.1): the devices app's `CaptureProvider`. The device
gets an enrolment command; the face photo it sends back goes through `people.services.set_photo`
with the actor who asked, so it passes the same face check as an upload."""

from __future__ import annotations

import base64
import binascii
import logging
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from gatehouse.core.actors import Actor
from gatehouse.core.errors import ServiceError
from gatehouse.devices import services
from gatehouse.devices.models import Device, DeviceCommand
from gatehouse.people import services as people_services
from gatehouse.people.models import Person
from gatehouse.tenancy.models import User

logger = logging.getLogger(__name__)
OPERATION = "face.capture"
# A photo that arrives later than this after the request is an ordinary enrolment.
CAPTURE_WINDOW = timedelta(minutes=10)


class DeviceCapture:
    def devices_for(self, user: User, person: Person) -> list[tuple[int, str]]:
        devices = Device.objects.visible_to(user).filter(enterprise_id=person.enterprise_id)
        return [
            (device.pk, str(device))
            for device in devices.select_related("group")
            if device.is_online() and OPERATION in device.capabilities.get("operations", [])
        ]

    def request_capture(self, person: Person, device_id: int, *, actor: Actor) -> str:
        device = Device.objects.select_related("group").get(pk=device_id)
        if not device.is_online():
            raise ServiceError(_("%(device)s is offline.") % {"device": device})
        services.run_operation(
            [device],
            OPERATION,
            {
                "pin": person.personnel_id,
                "person_id": person.pk,
                "user_id": actor.user.pk if actor.user is not None else None,
            },
            actor=actor,
        )
        return _("%(device)s is waiting for %(name)s to look into its camera.") % {
            "device": device,
            "name": person.full_name,
        }


PROVIDER = DeviceCapture()


def photo_arrived(device: Device, pin: str, content: str) -> None:
    """A face photo the device enrolled: if Gatehouse asked for it, it becomes the person's
    photo. A refused photo (no face, blurred) is recorded on the command, not raised: the
    device's upload itself was fine."""
    since = timezone.now() - CAPTURE_WINDOW
    command = (
        DeviceCommand.objects.filter(
            device=device, operation=OPERATION, arguments__pin=pin, created_at__gte=since
        )
        .exclude(result__has_key="photo")
        .order_by("-id")
        .first()
    )
    if command is None:
        return
    person = Person.objects.filter(pk=command.arguments.get("person_id")).first()
    requester = User.objects.filter(pk=command.arguments.get("user_id")).first()
    if person is None or requester is None:
        return
    try:
        data = base64.b64decode(content, validate=True)
        outcome = people_services.set_photo(person, actor=Actor.for_user(requester), data=data)
    except (binascii.Error, ValueError):
        command.result = {**command.result, "photo": _("The device sent an unreadable photo.")}
    except ServiceError as exc:
        command.result = {**command.result, "photo": exc.message}
    else:
        warnings = "; ".join(outcome.warnings)
        command.result = {**command.result, "photo": warnings or _("Photo saved.")}
    command.save(update_fields=["result"])

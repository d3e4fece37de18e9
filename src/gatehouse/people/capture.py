"""Register from device (Smart Pass 4.1.1): an online device takes the person's photo and sends
it back. Devices live in another app, so people only defines the hook: the devices app
registers a `CaptureProvider`; the photo a device returns goes through `services.set_photo`
(same face check, storage and warnings as an upload). With no provider registered, the console
does not offer "Register from device"."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from gatehouse.core.actors import Actor
    from gatehouse.people.models import Person
    from gatehouse.tenancy.models import User


class CaptureProvider(Protocol):
    def devices_for(self, user: User, person: Person) -> list[tuple[int, str]]:
        """(device id, label) of the online devices the user may use to photograph the
        person."""
        ...

    def request_capture(self, person: Person, device_id: int, *, actor: Actor) -> str:
        """Queue the capture on the device; returns what to tell the user. Raises ServiceError
        when the device cannot take it (offline, not the user's, no camera)."""
        ...


_PROVIDERS: list[CaptureProvider] = []


def register(provider: CaptureProvider) -> None:
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)


def unregister(provider: CaptureProvider) -> None:
    if provider in _PROVIDERS:
        _PROVIDERS.remove(provider)


def provider() -> CaptureProvider | None:
    """The registered provider (the devices app registers one), or None."""
    return _PROVIDERS[-1] if _PROVIDERS else None


def devices_for(user: User, person: Person) -> list[tuple[int, str]]:
    """The devices `user` may ask to photograph `person` (none without a provider)."""
    chosen = provider()
    return chosen.devices_for(user, person) if chosen is not None else []


def request_capture(person: Person, device_id: int, *, actor: Actor) -> str:
    """Ask one of the actor's offered devices to photograph the person; returns what to tell
    the user."""
    from django.utils.translation import gettext as _

    from gatehouse.core.errors import ServiceError

    chosen = provider()
    if chosen is None or actor.user is None:
        raise ServiceError(_("No device can take photos here yet."))
    if device_id not in {pk for pk, _label in chosen.devices_for(actor.user, person)}:
        raise ServiceError(_("That device is not online or not yours to use."))
    return chosen.request_capture(person, device_id, actor=actor)

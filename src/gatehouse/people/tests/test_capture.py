"""Register from device (Smart Pass 4.1.1): the hook the devices app plugs into. The provider
here is a test double standing in for the devices app (whose own provider is tested in
devices/tests); what is tested is the people side: the button appears only when a provider
offers devices, only the provider's devices are accepted, and the photo a device returns goes
through the same face check."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests import face_images
from tests.support import login_client

from gatehouse.core.actors import Actor
from gatehouse.core.errors import ServiceError
from gatehouse.people import capture, services
from gatehouse.people.models import Person
from gatehouse.people.tests.console import own_media_folder  # noqa: F401 - fixture


class DevicesDouble:
    """Two online devices; a capture request is recorded and answered by `deliver`."""

    def __init__(self) -> None:
        self.requests: list[tuple[int, int]] = []

    def devices_for(self, user: Any, person: Any) -> list[tuple[int, str]]:
        return [(7, "Front door terminal"), (8, "Lobby terminal")]

    def request_capture(self, person: Any, device_id: int, *, actor: Actor) -> str:
        self.requests.append((person.pk, device_id))
        return f"Device {device_id} is taking the photo."


@pytest.fixture
def devices() -> Iterator[DevicesDouble]:
    double = DevicesDouble()
    capture.register(double)
    yield double
    capture.unregister(double)


@pytest.fixture
def no_provider() -> Iterator[None]:
    registered = capture.provider()
    if registered is not None:
        capture.unregister(registered)
    yield
    if registered is not None:
        capture.register(registered)


def test_without_a_provider_the_console_offers_no_register_from_device(
    make_person: Any, acme: Any, no_provider: None
) -> None:
    person = make_person("1001")
    page = login_client("a-admin").get(f"/people/persons/{person.pk}/").content.decode()
    assert 'data-testid="capture-form"' not in page
    response = login_client("a-admin").post(
        f"/people/persons/{person.pk}/photo/capture/", {"device": "7"}, follow=True
    )
    assert "No device can take photos here yet." in response.content.decode()


def test_without_online_devices_the_console_offers_no_register_from_device(
    make_person: Any, acme: Any
) -> None:
    person = make_person("1001")
    page = login_client("a-admin").get(f"/people/persons/{person.pk}/").content.decode()
    assert 'data-testid="capture-form"' not in page
    response = login_client("a-admin").post(
        f"/people/persons/{person.pk}/photo/capture/", {"device": "7"}, follow=True
    )
    assert "That device is not online or not yours to use." in response.content.decode()


def test_register_from_device_asks_the_chosen_device_and_its_photo_is_checked(
    make_person: Any, acme: Any, devices: DevicesDouble
) -> None:
    person = make_person("1001")
    client = login_client("a-admin")
    page = client.get(f"/people/persons/{person.pk}/").content.decode()
    assert "Front door terminal" in page
    response = client.post(
        f"/people/persons/{person.pk}/photo/capture/", {"device": "8"}, follow=True
    )
    assert "Device 8 is taking the photo." in response.content.decode()
    assert devices.requests == [(person.pk, 8)]
    # a device that is not offered is refused
    response = client.post(
        f"/people/persons/{person.pk}/photo/capture/", {"device": "99"}, follow=True
    )
    assert "That device is not online or not yours to use." in response.content.decode()
    assert devices.requests == [(person.pk, 8)]
    # what the device sends back takes the upload's path: the face check applies
    device_actor = Actor.system("Lobby terminal")
    with pytest.raises(ServiceError):
        services.set_photo(person, actor=device_actor, data=face_images.no_face())
    services.set_photo(person, actor=device_actor, data=face_images.portrait())
    assert Person.objects.get(pk=person.pk).photo_id is not None

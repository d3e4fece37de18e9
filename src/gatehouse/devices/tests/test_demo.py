"""`gatehouse demo` prepares a demo enterprise with persons and approved simulated devices,
once: a second start keeps them and prints no new password."""

from __future__ import annotations

import pytest

from gatehouse.core.scoping import platform_scope
from gatehouse.devices import demo
from gatehouse.devices.models import Device
from gatehouse.people.models import Person

pytestmark = pytest.mark.django_db


def test_demo_setup_is_created_once() -> None:
    first = demo.prepare()
    assert first.admin_password
    assert len(first.pins) == demo.PERSONS
    second = demo.prepare()
    assert second.admin_password is None
    assert second.pins == first.pins
    with platform_scope():
        devices = Device.objects.filter(serial_number__startswith="DEMO-")
        assert sorted(d.serial_number for d in devices) == sorted(sn for sn, _d, _n in demo.DEVICES)
        assert not any(device.is_pending for device in devices)
        assert Person.objects.filter(enterprise__code=demo.DEMO_CODE).count() == demo.PERSONS

"""Fixtures of the devices console tests: devices that connected, reported themselves and were
approved through the services, as a real terminal's first contact would leave them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from tests.browser.conftest import (  # noqa: F401 - the screenshot test's browser fixtures
    asgi_server,
    browser,
    console_watch,
    context,
    page,
)

from gatehouse.core.actors import Actor
from gatehouse.core.scoping import platform_scope

# What an acc face terminal reports at registration (its ~ keys as on the wire).
ACC_REGISTRY = {
    "DeviceType": "acc",
    "~DeviceName": "SpeedFace-V5L",
    "FirmVer": "ZAM180-NF-Ver1.0",
    "LockCount": "2",
    "ReaderCount": "2",
    "MAC": "00:17:61:00:00:01",
    "FaceFunOn": "1",
    "BioPhotoFun": "1",
    "~MaxUserCount": "10000",
    "IRTempDetectionFunOn": "1",
    "MaskDetectionFunOn": "1",
}


@pytest.fixture
def make_device(cast: Any) -> Callable[..., Any]:
    """`make_device("SN1", group=..., name=..., online=True, dialect="acc")`: connected,
    registered and approved by the platform super administrator (into enterprise A's top
    group unless `enterprise`/`group` say otherwise)."""
    from gatehouse.devices import services
    from gatehouse.devices.models import Device

    def make(
        serial_number: str,
        *,
        name: str = "",
        group: Any = None,
        enterprise: Any = None,
        online: bool = True,
        dialect: str = "acc",
    ) -> Device:
        with platform_scope():
            device = services.note_contact(
                serial_number, driver="zkpush", dialect=dialect, address="192.0.2.50"
            )
            registry = dict(ACC_REGISTRY) if dialect == "acc" else {}
            services.record_identity(
                device,
                registry,
                registry=registry,
                model="SpeedFace-V5L",
                firmware="ZAM180-NF-Ver1.0",
                mac_address="00:17:61:00:00:01",
            )
            device = services.approve_device(
                device,
                actor=Actor.for_user(cast.superadmin),
                enterprise=enterprise or cast.enterprise_a,
                group=group,
                name=name,
            )
            if not online:
                Device.objects.filter(pk=device.pk).update(
                    last_seen_at=timezone.now() - timedelta(hours=1)
                )
            device.refresh_from_db()
        return device

    return make

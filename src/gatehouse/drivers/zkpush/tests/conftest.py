"""Fixtures for the /iclock endpoint tests: a raw device client and approved devices."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from gatehouse.core.actors import Actor
from gatehouse.core.scoping import platform_scope


class DeviceClient:
    """Speaks to /iclock/ the way firmware does: raw bodies, query-string identity."""

    def __init__(self, sn: str) -> None:
        self.sn = sn
        self.client = Client(HTTP_HOST="192.0.2.10:8000", REMOTE_ADDR="192.0.2.50")

    def get(self, endpoint: str, **query: str) -> Any:
        return self.client.get(f"/iclock/{endpoint}", {"SN": self.sn, **query})

    def post(self, endpoint: str, body: bytes | str, **query: str) -> Any:
        data = body.encode() if isinstance(body, str) else body
        params = "&".join(f"{k}={v}" for k, v in {"SN": self.sn, **query}.items())
        return self.client.post(
            f"/iclock/{endpoint}?{params}", data=data, content_type="application/push"
        )


@pytest.fixture
def device_client() -> Callable[[str], DeviceClient]:
    return DeviceClient


ACC_REGISTRY = (
    "DeviceType=acc,~DeviceName=SpeedFace-V5L,FirmVer=ZAM180-NF-Ver1.0,PushVersion=3.1.2,"
    "LockCount=1,ReaderCount=2,AuxInCount=1,AuxOutCount=1,MachineType=101,"
    "IPAddress=192.0.2.50,MAC=00:17:61:00:00:01,FaceFunOn=1,FingerFunOn=0,BioPhotoFun=1,"
    "BioDataFun=1,MultiBioPhotoSupport=0:0:0:0:0:0:0:0:0:1:0,~MaxUserCount=10000,"
    "IRTempDetectionFunOn=1,MaskDetectionFunOn=1,~OEMVendor=ZKTECO CO., LTD."
)


@pytest.fixture
def approve(cast: Any) -> Callable[..., Any]:
    """`approve(sn)`: the platform administrator assigns a pending device to Acme."""
    from gatehouse.devices import services
    from gatehouse.devices.models import Device

    def run(sn: str, **values: Any) -> Any:
        with platform_scope():
            device = Device.objects.get(serial_number=sn)
            return services.approve_device(
                device,
                actor=Actor.for_user(cast.superadmin),
                enterprise=cast.enterprise_a,
                **values,
            )

    return run


@pytest.fixture
def acc_device(device_client: Callable[[str], DeviceClient], approve: Callable[..., Any]) -> Any:
    """A face terminal that connected, was approved and registered (acc dialect)."""
    client = device_client("AJYS220160001")
    client.get("cdata", options="all", pushver="3.1.2", DeviceType="acc")
    client.post("registry", ACC_REGISTRY)
    approve("AJYS220160001")
    response = client.post("registry", ACC_REGISTRY)
    assert response.status_code == 200, response.content
    return client

"""`gatehouse demo`: the embedded server with a demo enterprise and a few simulated devices
(the `gatehouse_sim` package, talking HTTP to this server like real hardware) producing
events, so a newcomer sees a live system: devices online, persons synced, records arriving.

The demo enterprise's administrator gets a random password, printed once, like the platform
administrator's. Nothing here runs outside `gatehouse demo`."""

from __future__ import annotations

import asyncio
import random
import threading
from dataclasses import dataclass
from typing import Any

from gatehouse.core.actors import Actor

DEMO_CODE = "demo"
DEMO_ADMIN = "demo-admin"
FIRST_NAMES = ("Ana", "Ben", "Chen", "Dana", "Emil", "Fatima", "Goran", "Hana", "Ivan", "Jun")
LAST_NAMES = ("Diaz", "Keller", "Li", "Moreau", "Novak", "Okafor", "Petrov", "Quinn", "Rossi")
# (serial number, dialect, doors): two face terminals in access mode, one attendance terminal
DEVICES = (("DEMO-ACC-1", "acc", 1), ("DEMO-ACC-2", "acc", 2), ("DEMO-ATT-1", "att", 1))
PERSONS = 20


@dataclass(frozen=True)
class DemoSetup:
    enterprise_name: str
    admin_username: str
    admin_password: str | None  # only when it was created now
    pins: list[str]


def prepare() -> DemoSetup:
    """Create (once) the demo enterprise, its persons and its approved devices."""
    from gatehouse.core.scoping import platform_scope, tenant_scope
    from gatehouse.devices import services as device_services
    from gatehouse.people import services as people_services
    from gatehouse.people.models import Person
    from gatehouse.tenancy import services as tenancy
    from gatehouse.tenancy.models import Enterprise, Group

    system = Actor.system("demo")
    password: str | None = None
    with platform_scope():
        enterprise = Enterprise.objects.filter(code=DEMO_CODE).first()
        if enterprise is None:
            enterprise, _admin, password = tenancy.create_enterprise(
                actor=system, code=DEMO_CODE, name="Demo Company", admin_username=DEMO_ADMIN
            )
        top = Group.objects.get(enterprise=enterprise, parent__isnull=True)
    generator = random.Random(7)  # noqa: S311 - demo names, not secrets
    with tenant_scope(enterprise.pk):
        for number in range(PERSONS):
            pin = str(1001 + number)
            if not Person.objects.filter(personnel_id=pin).exists():
                people_services.create_person(
                    actor=system,
                    personnel_id=pin,
                    first_name=generator.choice(FIRST_NAMES),
                    last_name=generator.choice(LAST_NAMES),
                    group=top,
                )
        pins = sorted(Person.objects.values_list("personnel_id", flat=True))
    with platform_scope():
        for serial_number, dialect, _doors in DEVICES:
            device = device_services.note_contact(serial_number, driver="zkpush", dialect=dialect)
            if device.is_pending:
                device_services.approve_device(
                    device, actor=system, enterprise=enterprise, name=f"Demo {serial_number[5:]}"
                )
    return DemoSetup(enterprise.name, DEMO_ADMIN, password, pins)


async def _life(device: Any, pins: list[str], stop: asyncio.Event) -> None:
    """What happens at a door: mostly people passing, now and then a stranger, a door held
    open or a forced door."""
    generator = random.Random(device.sn)  # noqa: S311 - simulated behaviour
    while not device.registered and not stop.is_set():
        await asyncio.sleep(0.5)
    while not stop.is_set():
        roll = generator.random()
        if roll < 0.8:
            device.punch(
                generator.choice(pins), temperature=round(generator.uniform(36.0, 37.6), 1)
            )
        elif roll < 0.9 and device.dialect == "acc":
            device.stranger(temperature=36.6)
        elif roll < 0.97:
            device.door_event("open")
            device.door_event("close")
        elif device.dialect == "acc":
            device.alarm("forced")
        try:
            await asyncio.wait_for(stop.wait(), timeout=generator.uniform(3.0, 8.0))
        except TimeoutError:
            continue


async def _run_devices(server_url: str, pins: list[str], stop: asyncio.Event) -> None:
    from gatehouse_sim.client import SimDevice

    devices = [
        SimDevice(server_url, sn, dialect, doors=doors, temperature=True, mask=True)  # type: ignore[arg-type]
        for sn, dialect, doors in DEVICES
    ]
    try:
        await asyncio.gather(
            *(device.run(stop) for device in devices),
            *(_life(device, pins, stop) for device in devices),
        )
    finally:
        for device in devices:
            await device.aclose()


def start_devices(server_url: str, pins: list[str]) -> threading.Event:
    """Run the simulated devices in a background thread; set the returned event to stop."""
    stop_requested = threading.Event()

    def run() -> None:
        async def main() -> None:
            stop = asyncio.Event()
            waiter = asyncio.get_running_loop().run_in_executor(None, stop_requested.wait)
            waiter.add_done_callback(lambda _future: stop.set())
            await _run_devices(server_url, pins, stop)

        asyncio.run(main())

    threading.Thread(target=run, name="demo-devices", daemon=True).start()
    return stop_requested

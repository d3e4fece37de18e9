"""Things to make a device do while it runs: each scenario is a coroutine taking a device."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from gatehouse_sim.client import SimDevice


@dataclass
class ScenarioOptions:
    pins: list[str] = field(default_factory=lambda: ["1001"])
    events: int = 10
    interval: float = 0.2
    temperature: float | None = None
    mask: bool | None = None


Scenario = Callable[[SimDevice, ScenarioOptions], Awaitable[None]]


async def wait_registered(device: SimDevice, poll: float = 0.05) -> None:
    """Scenarios start once the device is in; a pending device keeps them waiting."""
    while not device.registered:
        await asyncio.sleep(poll)


async def punch(device: SimDevice, options: ScenarioOptions) -> None:
    """`events` verifications by the given pins in turn, `interval` seconds apart."""
    await wait_registered(device)
    for number in range(options.events):
        pin = options.pins[number % len(options.pins)]
        device.punch(pin, temperature=options.temperature, mask=options.mask)
        await asyncio.sleep(options.interval)


async def door(device: SimDevice, options: ScenarioOptions) -> None:
    """The door opens and closes `events` times."""
    await wait_registered(device)
    for _ in range(options.events):
        device.door_event("open")
        await asyncio.sleep(options.interval)
        device.door_event("close")
        await asyncio.sleep(options.interval)


async def alarm(device: SimDevice, options: ScenarioOptions) -> None:
    """The door is forced open, then the device is tampered with."""
    await wait_registered(device)
    device.alarm("forced")
    await asyncio.sleep(options.interval)
    device.alarm("tamper")


async def backlog(device: SimDevice, options: ScenarioOptions) -> None:
    """The network drops, `events` punches pile up, the network returns and they upload."""
    await wait_registered(device)
    device.go_offline()
    for number in range(options.events):
        pin = options.pins[number % len(options.pins)]
        device.punch(pin, temperature=options.temperature, mask=options.mask)
    device.go_online()
    await device.flush()


async def idle(device: SimDevice, options: ScenarioOptions) -> None:
    """Only the poll loop: the device answers the server's commands."""
    del device, options


SCENARIOS: dict[str, Scenario] = {
    "punch": punch,
    "door": door,
    "alarm": alarm,
    "backlog": backlog,
    "idle": idle,
}

"""Many simulated devices in one event loop, each with its own HTTP connection."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Literal

import httpx

from gatehouse_sim.client import SimDevice

MAX_STAGGER_SECONDS = 5.0
DRAIN_TIMEOUT_SECONDS = 30.0


@dataclass
class DeviceOptions:
    poll_interval: float = 1.0
    error_delay: float = 1.0
    doors: int = 1
    face: bool = True
    temperature: bool = False
    mask: bool = False
    string_pins: bool = False
    max_users: int = 10000


def serial_numbers(prefix: str, count: int) -> list[str]:
    """One device keeps the serial number as given; a fleet numbers it: PREFIX0001, ..."""
    if count == 1:
        return [prefix]
    width = max(4, len(str(count)))
    return [f"{prefix}{index:0{width}d}" for index in range(1, count + 1)]


class Fleet:
    """Devices start staggered (so they do not all handshake in the same millisecond), each
    with its own HTTP client, as real devices each have their own connection. One client
    pool shared by hundreds of devices would make the simulator the bottleneck: its pool
    looks at every connection for every request."""

    def __init__(
        self,
        server_url: str,
        serials: list[str],
        dialect: Literal["acc", "att"],
        *,
        options: DeviceOptions | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        stagger: float | None = None,
    ) -> None:
        settings = asdict(options or DeviceOptions())
        self.devices = [
            SimDevice(server_url, sn, dialect, transport=transport, **settings) for sn in serials
        ]
        spread = min(len(serials) * 0.02, MAX_STAGGER_SECONDS) if stagger is None else stagger
        self.stagger_step = spread / max(1, len(serials))

    async def aclose(self) -> None:
        await asyncio.gather(*(device.aclose() for device in self.devices))

    async def run(
        self,
        stop: asyncio.Event,
        scenario: Callable[[SimDevice], Awaitable[None]] | None = None,
        *,
        stop_when_done: bool = False,
    ) -> None:
        """Run every device until `stop`; with `stop_when_done`, set it once every scenario has
        finished and its records are uploaded (or could not be within the drain timeout)."""
        finished = 0

        async def one(position: int, device: SimDevice) -> None:
            nonlocal finished
            if await _stopped_within(stop, position * self.stagger_step):
                return
            async with asyncio.TaskGroup() as group:
                group.create_task(device.run(stop))
                if scenario is not None:
                    await scenario(device)
                    await _drain(device, stop)
                    finished += 1
                    if stop_when_done and finished == len(self.devices):
                        stop.set()

        async with asyncio.TaskGroup() as group:
            for position, device in enumerate(self.devices):
                group.create_task(one(position, device))


async def _stopped_within(stop: asyncio.Event, seconds: float) -> bool:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        return False
    return True


async def _drain(device: SimDevice, stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DRAIN_TIMEOUT_SECONDS
    while device.backlog and not stop.is_set() and loop.time() < deadline:
        await device.flush()
        if device.backlog:
            await asyncio.sleep(0.1)

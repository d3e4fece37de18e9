"""`gatehouse-sim`: run one or many simulated ZKTeco devices against a server."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence
from functools import partial

import httpx

from gatehouse_sim.client import SimDevice
from gatehouse_sim.fleet import DeviceOptions, Fleet, serial_numbers
from gatehouse_sim.scenarios import SCENARIOS, ScenarioOptions


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gatehouse-sim",
        description="Simulate ZKTeco PUSH devices (acc access control, att attendance).",
    )
    parser.add_argument(
        "--server", required=True, help="server base URL, e.g. http://127.0.0.1:8088"
    )
    parser.add_argument("--sn", required=True, help="serial number (a prefix with --count)")
    parser.add_argument("--dialect", choices=("acc", "att"), default="acc")
    parser.add_argument("--count", type=int, default=1, help="number of devices")
    parser.add_argument(
        "--poll", type=float, help="poll interval in seconds (default: the server's)"
    )
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="idle")
    parser.add_argument("--pins", default="1001", help="comma-separated PINs for punches")
    parser.add_argument("--events", type=int, default=10, help="events per device")
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between events")
    parser.add_argument("--duration", type=float, help="stop after this many seconds")
    parser.add_argument("--temperature", type=float, help="body temperature on punches")
    parser.add_argument("--mask", action="store_true", help="punches wear a mask")
    parser.add_argument("--doors", type=int, default=1)
    parser.add_argument(
        "--panel", action="store_true", help="an access panel instead of a face terminal"
    )
    parser.add_argument("--quiet", action="store_true", help="only the summary")
    return parser


def main(
    argv: Sequence[str] | None = None, *, transport: httpx.AsyncBaseTransport | None = None
) -> int:
    """Exit status 0 when every device registered and uploaded everything it made."""
    args = build_parser().parse_args(argv)
    if args.count < 1 or args.events < 0:
        build_parser().error("--count must be at least 1 and --events not negative")
    try:
        return asyncio.run(_run(args, transport))
    except KeyboardInterrupt:
        return 130


async def _run(args: argparse.Namespace, transport: httpx.AsyncBaseTransport | None) -> int:
    options = DeviceOptions(
        poll_interval=args.poll or 1.0,
        doors=args.doors,
        face=not args.panel,
        temperature=args.temperature is not None,
        mask=args.mask,
    )
    fleet = Fleet(
        args.server,
        serial_numbers(args.sn, args.count),
        args.dialect,
        options=options,
        transport=transport,
    )
    for device in fleet.devices:
        device.follow_server_delays = args.poll is None
        if not args.quiet:
            device.report = partial(_say, device.sn)
    scenario_options = ScenarioOptions(
        pins=[pin.strip() for pin in args.pins.split(",") if pin.strip()] or ["1001"],
        events=args.events,
        interval=args.interval,
        temperature=args.temperature,
        mask=True if args.mask else None,
    )
    chosen = SCENARIOS[args.scenario]
    stop = asyncio.Event()
    _stop_on_signals(stop)
    if args.duration is not None:
        asyncio.get_running_loop().call_later(args.duration, stop.set)

    async def scenario(device: SimDevice) -> None:
        await chosen(device, scenario_options)

    try:
        await fleet.run(
            stop,
            scenario,
            stop_when_done=args.duration is None and args.scenario != "idle",
        )
    finally:
        await fleet.aclose()
    return _summary(fleet.devices)


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop.set)
        except (NotImplementedError, RuntimeError):
            return


def _say(sn: str, message: str) -> None:
    sys.stdout.write(f"{sn} {message}\n")
    sys.stdout.flush()


def _summary(devices: list[SimDevice]) -> int:
    registered = sum(1 for device in devices if device.stats["registrations"])
    pending = sum(1 for device in devices if device.pending)
    rows = sum(device.stats["rows_acknowledged"] for device in devices)
    waiting = sum(len(device.backlog) for device in devices)
    commands = sum(device.stats["commands"] for device in devices)
    sys.stdout.write(
        f"{len(devices)} device(s): {registered} registered, {pending} pending, "
        f"{commands} commands, {rows} rows acknowledged, {waiting} rows not uploaded\n"
    )
    return 0 if registered == len(devices) and waiting == 0 else 1

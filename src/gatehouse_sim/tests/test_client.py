"""The client's handshake, command round trips, retries and acknowledgement logic.

`FakeServer` below stands in for a PUSH server only to test the simulator's own client logic;
it is not a model of Gatehouse. The real server's integration tests (simulator against the
Django ASGI app) are written separately, with the server.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import defaultdict
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from gatehouse_sim.cli import main
from gatehouse_sim.client import SimDevice
from gatehouse_sim.events import placeholder_jpeg
from gatehouse_sim.fleet import DeviceOptions, Fleet, serial_numbers
from gatehouse_sim.scenarios import ScenarioOptions, punch
from gatehouse_sim.wire import parse_pairs, session_token, split_lines

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


@dataclass
class Request:
    method: str
    route: str
    query: dict[str, str]
    body: bytes
    headers: dict[str, str]


class FakeServer:
    """A plain ASGI callable answering like a PUSH server, with switches for failures."""

    def __init__(self, *, approved: bool = True, attlog_stamp: str = "None") -> None:
        self.approved = approved
        self.attlog_stamp = attlog_stamp
        self.att_reply_ok_only = False
        self.registered: set[str] = set()
        self.queued: list[str] = []
        self.requests: list[Request] = []
        self.rows: dict[str, list[str]] = defaultdict(list)
        self.results: list[str] = []
        self.files: dict[str, bytes] = {}
        self.fail_next_uploads = 0
        self.fail_next_devicecmd = 0
        self.ack_short = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {key.decode().lower(): value.decode() for key, value in scope["headers"]}
        query = dict(parse_qsl(scope["query_string"].decode(), keep_blank_values=True))
        route = scope["path"].removeprefix("/iclock/")
        request = Request(scope["method"], route, query, body, headers)
        self.requests.append(request)
        status, reply = self.answer(request)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"text/plain"),
                    (b"date", formatdate(usegmt=True).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": reply})

    def answer(self, request: Request) -> tuple[int, bytes]:
        handlers: dict[tuple[str, str], Callable[[Request], tuple[int, str | bytes]]] = {
            ("GET", "cdata"): self.handshake,
            ("POST", "registry"): self.registry,
            ("POST", "push"): self.push,
            ("GET", "getrequest"): self.getrequest,
            ("POST", "devicecmd"): self.devicecmd,
            ("POST", "querydata"): self.querydata,
            ("POST", "cdata"): self.cdata,
            ("GET", "file"): lambda r: self.file(r.query.get("url", "")),
        }
        handler = handlers.get((request.method, request.route))
        status, reply = handler(request) if handler else self.file(request.route)
        return status, reply if isinstance(reply, bytes) else reply.encode()

    def handshake(self, request: Request) -> tuple[int, str]:
        sn = request.query["SN"]
        if request.query.get("pushver", "").startswith("2"):
            if self.att_reply_ok_only:
                return 200, "OK"
            return 200, (
                f"GET OPTION FROM: {sn}\nATTLOGStamp={self.attlog_stamp}\nOPERLOGStamp=9999\n"
                "ErrorDelay=30\nDelay=1\nTransFlag=TransData AttLog\tOpLog\nTimeZone=60\n"
                "Realtime=1\nEncrypt=None\nPushProtVer=2.4.1\nPushOptionsFlag=1\n"
                "PushOptions=FingerFunOn,FaceFunOn\n"
            )
        if sn in self.registered:
            return 200, f"registry=ok\nRegistryCode=RC-{sn}\nSessionID=SESSION-{sn}\nRequestDelay=1"
        return 200, "OK"

    def registry(self, request: Request) -> tuple[int, str]:
        if not self.approved:
            return 406, ""
        self.registered.add(request.query["SN"])
        return 200, f"RegistryCode=RC-{request.query['SN']}"

    def push(self, request: Request) -> tuple[int, str]:
        return 200, (
            "ServerVersion=3.1.2\nServerName=Fake\nPushVersion=3.1.2\nErrorDelay=1\n"
            f"RequestDelay=1\nTransTables=User Transaction\nRealtime=1\n"
            f"SessionID=SESSION-{request.query['SN']}\nTimeoutSec=10\n"
        )

    def getrequest(self, _request: Request) -> tuple[int, str]:
        commands, self.queued = self.queued, []
        return 200, "\n".join(commands) or "OK"

    def devicecmd(self, request: Request) -> tuple[int, str]:
        if self.fail_next_devicecmd:
            self.fail_next_devicecmd -= 1
            return 500, "busy"
        self.results += split_lines(request.body.decode())
        return 200, "OK"

    def querydata(self, request: Request) -> tuple[int, str]:
        table = request.query["tablename"]
        self.rows[f"querydata:{table}"] += split_lines(request.body.decode())
        if request.query["type"] == "options":
            return 200, "OK"
        count = int(request.query["count"]) - (1 if self.ack_short else 0)
        return 200, f"{table}={count}"

    def cdata(self, request: Request) -> tuple[int, str]:
        table = request.query["table"]
        if table == "options":
            self.rows["options"].append(request.body.decode())
            return 200, "OK"
        if not self.approved:
            return 403, "device not approved"
        if self.fail_next_uploads:
            self.fail_next_uploads -= 1
            return 500, "database busy"
        lines = split_lines(request.body.decode(errors="replace"))
        self.rows[request.query.get("tablename") or table] += lines
        count = len(lines) - (1 if self.ack_short else 0)
        if table in ("rtlog", "rtstate"):
            return 200, "ERROR" if self.ack_short else "OK"
        if table == "tabledata":
            return 200, f"{request.query['tablename']}={count}"
        return 200, f"OK: {count}"

    def file(self, name: str) -> tuple[int, bytes]:
        return (200, self.files[name]) if name in self.files else (404, b"")

    def routes(self) -> list[tuple[str, str]]:
        return [(request.method, request.route) for request in self.requests]

    def events(self) -> list[str]:
        return [parse_pairs(line)["event"] for line in self.rows["rtlog"]]


class Flaky(httpx.AsyncBaseTransport):
    """A transport whose network can be cut."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.down = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("network unreachable", request=request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def make_device(
    server: FakeServer,
    dialect: str = "acc",
    transport: httpx.AsyncBaseTransport | None = None,
) -> SimDevice:
    device = SimDevice(
        "http://testserver",
        "SIM0001",
        "acc" if dialect == "acc" else "att",
        poll_interval=0.02,
        error_delay=0.01,
        transport=transport or httpx.ASGITransport(app=server),
    )
    device.follow_server_delays = False
    device.restart_delay = 0.0
    return device


def test_acc_registers_then_sends_the_token() -> None:
    server = FakeServer()

    async def scenario() -> None:
        async with make_device(server) as device:
            assert await device.connect()
            again = await device.connect()
            assert again

    asyncio.run(scenario())
    assert server.routes() == [
        ("GET", "cdata"),
        ("POST", "registry"),
        ("POST", "push"),
        ("POST", "cdata"),
        ("GET", "cdata"),
        ("POST", "push"),
        ("POST", "cdata"),
    ]
    handshake, registry, push, options = server.requests[:4]
    assert handshake.query == {
        "SN": "SIM0001",
        "options": "all",
        "pushver": "3.1.2",
        "DeviceType": "acc",
        "language": "69",
    }
    assert handshake.headers["user-agent"] == "iClock Proxy/1.09"
    registration = parse_pairs(registry.body.decode(), ",", glue=True)
    assert registration["DeviceType"] == "acc"
    assert registration["~SerialNumber"] == "SIM0001"
    assert registration["MachineType"] == "101"
    assert registration["MultiBioPhotoSupport"] == "0:0:0:0:0:0:0:0:0:1:0"
    assert push.headers["cookie"] == f"token={session_token('RC-SIM0001', 'SIM0001', '')}"
    session = session_token("RC-SIM0001", "SIM0001", "SESSION-SIM0001")
    assert options.headers["cookie"] == f"token={session}"
    assert parse_pairs(options.body.decode(), ",", glue=True)["~SerialNumber"] == "SIM0001"


def test_a_refused_registration_is_pending_until_approved() -> None:
    server = FakeServer(approved=False)

    async def scenario() -> None:
        async with make_device(server) as device:
            assert not await device.connect()
            assert device.pending
            assert await device.poll_once() == 0
            server.approved = True
            assert await device.connect()
            assert not device.pending

    asyncio.run(scenario())
    assert ("POST", "push") in server.routes()
    assert server.routes().count(("POST", "registry")) == 3


def test_the_loop_retries_registration_every_error_delay() -> None:
    server = FakeServer(approved=False)

    async def scenario() -> None:
        async with make_device(server) as device:
            stop = asyncio.Event()
            loop_task = asyncio.create_task(device.run(stop))
            while server.routes().count(("POST", "registry")) < 3:
                await asyncio.sleep(0.005)
            server.approved = True
            while not device.registered:
                await asyncio.sleep(0.005)
            stop.set()
            await loop_task

    asyncio.run(asyncio.wait_for(scenario(), timeout=5))


def test_att_handshake_options_and_info_on_the_first_poll() -> None:
    server = FakeServer()

    async def scenario() -> SimDevice:
        async with make_device(server, "att") as device:
            assert await device.connect()
            await device.poll_once()
            await device.poll_once()
            return device

    device = asyncio.run(scenario())
    handshake = server.requests[0]
    assert handshake.query == {
        "SN": "SIM0001",
        "options": "all",
        "pushver": "2.4.1",
        "language": "69",
    }
    assert server.rows["options"] == ["FingerFunOn=1,FaceFunOn=1"]
    polls = [request for request in server.requests if request.route == "getrequest"]
    info = polls[0].query["INFO"].split(",")
    assert len(info) == 10
    assert info[0] == device.state.firmware
    assert "INFO" not in polls[1].query
    assert device.state.utc_offset is not None
    assert device.state.utc_offset.total_seconds() == 3600
    assert "cookie" not in handshake.headers


def test_att_refuses_a_server_without_an_option_block() -> None:
    server = FakeServer()
    server.att_reply_ok_only = True

    async def scenario() -> bool:
        async with make_device(server, "att") as device:
            return await device.connect()

    assert not asyncio.run(scenario())


def test_offline_records_pile_up_and_upload_in_batches() -> None:
    server = FakeServer()

    async def scenario() -> None:
        async with make_device(server) as device:
            device.batch_size = 2
            assert await device.connect()
            assert await device.flush() == 1  # the door state sent after connecting
            device.go_offline()
            for pin in ("1", "2", "3", "4", "5"):
                device.punch(pin)
            sent_before = len(server.requests)
            assert await device.flush() == 0
            assert await device.poll_once() == 0
            assert len(server.requests) == sent_before
            device.go_online()
            assert await device.flush() == 5
            assert not device.backlog

    asyncio.run(scenario())
    assert [parse_pairs(line)["pin"] for line in server.rows["rtlog"]] == ["1", "2", "3", "4", "5"]
    uploads = [r for r in server.requests if r.route == "cdata" and r.query.get("table") == "rtlog"]
    assert len(uploads) == 3


def test_a_server_error_keeps_the_rows() -> None:
    server = FakeServer()

    async def scenario() -> None:
        async with make_device(server) as device:
            assert await device.connect()
            device.punch("1")
            server.fail_next_uploads = 1
            assert await device.flush() == 0
            assert len(device.backlog) == 2
            assert await device.flush() == 2

    asyncio.run(scenario())


def test_a_short_acknowledgement_keeps_the_rows() -> None:
    """att firmware re-sends unless `OK: <n>` counts every row it sent."""
    server = FakeServer()

    async def scenario() -> None:
        async with make_device(server, "att") as device:
            assert await device.connect()
            for pin in ("1", "2", "3"):
                device.punch(pin)
            server.ack_short = True
            assert await device.flush() == 0
            assert len(device.backlog) == 3
            server.ack_short = False
            assert await device.flush() == 3

    asyncio.run(scenario())
    assert len(server.rows["ATTLOG"]) == 6


def test_a_connection_error_keeps_the_rows() -> None:
    server = FakeServer()
    flaky = Flaky(httpx.ASGITransport(app=server))

    async def scenario() -> None:
        async with make_device(server, transport=flaky) as device:
            assert await device.connect()
            device.punch("1")
            flaky.down = True
            assert await device.flush() == 0
            assert device.stats["connection_errors"] == 1
            flaky.down = False
            assert await device.flush() == 2

    asyncio.run(scenario())


def test_a_pending_device_keeps_its_rows_on_403() -> None:
    server = FakeServer()

    async def scenario() -> None:
        async with make_device(server) as device:
            assert await device.connect()
            server.approved = False
            device.punch("1")
            assert await device.flush() == 0
            assert device.pending
            assert len(device.backlog) == 2

    asyncio.run(scenario())


def test_poll_runs_commands_and_posts_results() -> None:
    server = FakeServer()
    server.queued = [
        "C:1:DATA UPDATE user Pin=1001\tName=Ana\nPin=1002\tName=Bo",
        "C:2:DATA QUERY tablename=user,fielddesc=*,filter=*",
        "C:3:DATA COUNT user",
        "C:4:GET OPTIONS Volume,FirmVer",
        "C:5:BOGUS",
    ]

    async def scenario() -> SimDevice:
        async with make_device(server) as device:
            assert await device.connect()
            assert await device.poll_once() == 5
            return device

    device = asyncio.run(scenario())
    assert server.results == [
        "ID=1&Return=0&CMD=DATA UPDATE",
        "ID=2&Return=2&CMD=DATA QUERY",
        "ID=3&Return=2&CMD=DATA COUNT",
        "ID=4&Return=0&CMD=GET OPTIONS",
        "ID=5&Return=-13&CMD=BOGUS",
    ]
    assert len(server.rows["querydata:user"]) == 3  # two rows, then the count
    assert server.rows["querydata:options"] == [f"Volume=67,FirmVer={device.state.firmware}"]
    assert [entry[2] for entry in device.command_log] == [0, 2, 2, 0, -13]
    getrequest = next(r for r in server.requests if r.route == "getrequest")
    assert getrequest.query == {"SN": "SIM0001"}


def test_an_unacknowledged_query_packet_fails_the_command() -> None:
    server = FakeServer()
    server.queued = ["C:9:DATA QUERY tablename=user,fielddesc=*,filter=*"]

    async def scenario() -> None:
        async with make_device(server) as device:
            device.state.apply("0", "DATA UPDATE user Pin=1")
            assert await device.connect()
            server.ack_short = True
            await device.poll_once()

    asyncio.run(scenario())
    assert server.results == ["ID=9&Return=-722&CMD=DATA QUERY"]


def test_results_are_sent_again_when_devicecmd_fails() -> None:
    server = FakeServer()
    server.queued = ["C:7:SET OPTIONS Volume=10"]
    server.fail_next_devicecmd = 1

    async def scenario() -> None:
        async with make_device(server) as device:
            assert await device.connect()
            await device.poll_once()
            assert server.results == []
            await device.poll_once()

    asyncio.run(scenario())
    assert server.results == ["ID=7&Return=0&CMD=SET OPTIONS"]


def test_remote_open_is_reported_as_event_8() -> None:
    server = FakeServer()
    server.queued = ["C:501:CONTROL DEVICE 01010105"]

    async def scenario() -> None:
        async with make_device(server) as device:
            assert await device.connect()
            await device.poll_once()
            assert device.state.doors[0].relay

    asyncio.run(scenario())
    assert server.results == ["ID=501&Return=0&CMD=CONTROL DEVICE"]
    assert server.events() == ["8"]
    assert parse_pairs(server.rows["rtstate"][-1])["relay"] == "01"


def test_upgrade_downloads_checks_and_registers_again() -> None:
    package = b"FirmVer=ZAM70-NF-Ver9.9.9\npayload"
    checksum = hashlib.md5(package, usedforsecurity=False).hexdigest()
    server = FakeServer()
    server.files["fw/emfw.cfg"] = package
    server.queued = [f"C:384:UPGRADE checksum={checksum},size={len(package)},url=fw/emfw.cfg"]

    async def scenario() -> SimDevice:
        async with make_device(server) as device:
            assert await device.connect()
            await device.poll_once()
            return device

    device = asyncio.run(scenario())
    assert server.results == ["ID=384&Return=0&CMD=UPGRADE"]
    assert device.state.firmware == "ZAM70-NF-Ver9.9.9"
    assert server.routes().count(("POST", "push")) == 2
    reported = parse_pairs(server.rows["options"][-1], ",", glue=True)
    assert reported["FirmVer"] == "ZAM70-NF-Ver9.9.9"
    assert "206" in server.events()


def test_photos_by_url_are_downloaded_from_the_server() -> None:
    server = FakeServer()
    jpeg = placeholder_jpeg("from-url")
    server.files["/media/faces/1001.jpg"] = jpeg
    server.queued = [
        "C:1:DATA UPDATE user Pin=1001",
        "C:2:DATA UPDATE biophoto PIN=1001\tType=9\tFormat=1\tUrl=/media/faces/1001.jpg",
        "C:3:DATA UPDATE biophoto PIN=1001\tType=9\tFormat=1\tUrl=/media/missing.jpg",
    ]

    async def scenario() -> SimDevice:
        async with make_device(server) as device:
            assert await device.connect()
            await device.poll_once()
            return device

    device = asyncio.run(scenario())
    assert server.results[1:] == [
        "ID=2&Return=0&CMD=DATA UPDATE",
        "ID=3&Return=-726&CMD=DATA UPDATE",
    ]
    assert device.state.photo("1001") == jpeg


def test_a_face_enrolled_on_the_device_is_uploaded() -> None:
    server = FakeServer()
    jpeg = placeholder_jpeg("42")

    async def scenario() -> None:
        async with make_device(server) as device:
            assert await device.connect()
            device.enroll_face("42", jpeg)
            assert await device.flush() == 4

    asyncio.run(scenario())
    assert server.rows["user"][0].startswith("user uid=1\tcardno=\tpin=42\t")
    assert parse_pairs(server.rows["biophoto"][0].removeprefix("biophoto "))["pin"] == "42"
    assert len(server.rows["biodata"]) == 1


def test_the_loop_uploads_punches_as_they_happen() -> None:
    server = FakeServer()

    async def scenario() -> None:
        async with make_device(server) as device:
            device.poll_interval = 5.0  # uploads must not wait for the next poll
            stop = asyncio.Event()
            loop_task = asyncio.create_task(device.run(stop))
            while not device.registered:
                await asyncio.sleep(0.005)
            device.punch("1001")
            while "1001" not in "".join(server.rows["rtlog"]):
                await asyncio.sleep(0.005)
            stop.set()
            await loop_task

    asyncio.run(asyncio.wait_for(scenario(), timeout=5))


def test_att_check_with_stamp_zero_sends_everything_again() -> None:
    server = FakeServer(attlog_stamp="0")
    server.queued = ["C:c1:CHECK"]

    async def scenario() -> None:
        async with make_device(server, "att") as device:
            device.state.apply("0", "DATA UPDATE USERINFO PIN=5")
            device.go_offline()
            device.punch("5")
            device.go_online()
            assert await device.connect()  # stamp 0: the stored punch is queued again
            await device.poll_once()

    asyncio.run(scenario())
    assert server.results == ["ID=c1&Return=0&CMD=CHECK"]
    # the punch made offline, then again after each handshake that said ATTLOGStamp=0
    assert server.rows["ATTLOG"] == [server.rows["ATTLOG"][0]] * 3


def test_a_fleet_runs_a_scenario_on_every_device() -> None:
    server = FakeServer()
    serials = serial_numbers("FLT", 25)
    assert serials[0] == "FLT0001"
    options = DeviceOptions(poll_interval=0.05, error_delay=0.01)

    async def scenario() -> Fleet:
        fleet = Fleet(
            "http://testserver",
            serials,
            "acc",
            options=options,
            transport=httpx.ASGITransport(app=server),
            stagger=0.1,
        )
        for device in fleet.devices:
            device.follow_server_delays = False
        settings = ScenarioOptions(pins=["1", "2"], events=2, interval=0.01)

        async def two_punches(device: SimDevice) -> None:
            await punch(device, settings)

        try:
            await fleet.run(asyncio.Event(), two_punches, stop_when_done=True)
        finally:
            await fleet.aclose()
        return fleet

    fleet = asyncio.run(asyncio.wait_for(scenario(), timeout=8))
    assert server.registered == set(serials)
    assert len(server.rows["rtlog"]) == 50
    assert all(not device.backlog for device in fleet.devices)


def test_cli_runs_a_scenario_and_reports(capsys: pytest.CaptureFixture[str]) -> None:
    server = FakeServer()
    argv = [
        "--server",
        "http://testserver",
        "--sn",
        "CLI",
        "--count",
        "2",
        "--poll",
        "0.05",
        "--scenario",
        "punch",
        "--events",
        "2",
        "--interval",
        "0.01",
        "--pins",
        "7,8",
        "--temperature",
        "36.6",
    ]
    assert main(argv, transport=httpx.ASGITransport(app=server)) == 0
    output = capsys.readouterr().out
    assert "CLI0001 registered" in output
    assert "2 device(s): 2 registered, 0 pending" in output
    temperatures = {parse_pairs(line)["temperature"] for line in server.rows["rtlog"]}
    assert temperatures == {"36.6"}


def test_cli_exits_non_zero_while_pending(capsys: pytest.CaptureFixture[str]) -> None:
    server = FakeServer(approved=False)
    argv = ["--server", "http://testserver", "--sn", "P1", "--duration", "0.2", "--poll", "0.05"]
    assert main(argv, transport=httpx.ASGITransport(app=server)) == 1
    output = capsys.readouterr().out
    assert "P1 pending: registration refused (406)" in output
    assert "1 device(s): 0 registered, 1 pending" in output


def test_one_device_across_several_event_loops() -> None:
    """Sync tests often call `asyncio.run` more than once on the same device."""
    server = FakeServer()
    device = make_device(server)
    assert asyncio.run(device.connect())
    device.punch("1")
    assert asyncio.run(device.flush()) == 2
    server.queued = ["C:1:SET OPTIONS Volume=5"]
    assert asyncio.run(device.poll_once()) == 1
    asyncio.run(device.aclose())
    assert device.state.options["Volume"] == "5"

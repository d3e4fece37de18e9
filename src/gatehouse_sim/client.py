"""One simulated device talking to a server over HTTP, as real PUSH firmware does.

acc: handshake → registry (406 = pending) → push → options → getrequest loop; att: handshake
(`GET OPTION FROM`) → getrequest loop with INFO. Records wait in a backlog until the server
acknowledges them; anything else (offline, connection error, non-200, wrong ack, 403 while
pending) keeps them for the next try.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import ssl
from collections import Counter, deque
from collections.abc import Callable
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Literal

import httpx

from gatehouse_sim import events
from gatehouse_sim.commands import CommandOutcome
from gatehouse_sim.events import AlarmKind, DoorKind
from gatehouse_sim.model import AccessRecord, Capabilities, Row
from gatehouse_sim.records import batch_request
from gatehouse_sim.state import PUSH_VERSION, DeviceState
from gatehouse_sim.wire import (
    ServerCommand,
    WireError,
    is_ok,
    parse_block,
    parse_commands,
    session_token,
    split_lines,
)

HEADERS = {
    "User-Agent": "iClock Proxy/1.09",
    "Accept": "application/push",
    "Accept-Charset": "UTF-8",
    "Accept-Language": "en-US",
    "Content-Type": "application/push;charset=UTF-8",
}
NORMAL_TEMPERATURE = 36.5
MAX_FETCH_ROUNDS = 8


def _silent(_message: str) -> None:
    return None


class SimDevice:
    """A ZKTeco PUSH device (acc access panel / face terminal, or att attendance terminal)."""

    def __init__(
        self,
        server_url: str,
        sn: str,
        dialect: Literal["acc", "att"],
        *,
        poll_interval: float = 1.0,
        error_delay: float = 1.0,
        client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        doors: int = 1,
        face: bool = True,
        temperature: bool = False,
        mask: bool = False,
        string_pins: bool = False,
        max_users: int = 10000,
    ) -> None:
        if client is not None and transport is not None:
            raise ValueError("pass either a shared client or a transport, not both")
        digest = hashlib.sha256(sn.encode()).digest()
        capabilities = Capabilities(
            dialect=dialect,
            serial_number=sn,
            doors=doors,
            face=face,
            temperature=temperature,
            mask=mask,
            string_pins=string_pins,
            max_users=max_users,
            ip_address=f"198.18.{digest[0]}.{digest[1] or 1}",
            mac="00:17:61:" + ":".join(f"{b:02x}" for b in digest[2:5]),
        )
        self.state = DeviceState(capabilities)
        self.server_url = server_url.rstrip("/")
        self.sn = sn
        self.dialect: Literal["acc", "att"] = dialect
        self.poll_interval = poll_interval
        self.error_delay = error_delay
        self.follow_server_delays = True
        """Use the server's RequestDelay/Delay and ErrorDelay, as devices do."""
        self.batch_size = 500
        self.restart_delay = 2.0
        self.online = True
        self.registered = False
        self.pending = False
        self.registry_code = ""
        self.session_id = ""
        self.server_options: dict[str, str] = {}
        self.command_log: list[tuple[str, str, int]] = []
        self.backlog: deque[Row] = deque()
        self.last_server_date: datetime | None = None
        self.stats: Counter[str] = Counter()
        self.report: Callable[[str], None] = _silent
        self._timeout = 10.0
        self._owns_http = client is None
        self._http = client or httpx.AsyncClient(
            transport=transport, timeout=self._timeout, verify=_tls_context()
        )
        self._rebooting = False
        self._network_failed = False
        self._send_info = True
        self._unsent_results: list[str] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake = asyncio.Event()
        self._poll_lock = asyncio.Lock()
        self._flush_lock = asyncio.Lock()

    def _bind_loop(self) -> None:
        """Events and locks belong to one event loop; a test may drive the same device from
        several `asyncio.run` calls."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop = loop
            self._wake = asyncio.Event()
            self._poll_lock = asyncio.Lock()
            self._flush_lock = asyncio.Lock()
            if self.backlog:
                self._wake.set()

    # --- life cycle -------------------------------------------------------------------------

    async def __aenter__(self) -> SimDevice:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    def go_offline(self) -> None:
        """The network is gone: nothing is sent, records pile up in the backlog."""
        self.online = False
        self.report("offline")

    def go_online(self) -> None:
        self.online = True
        self._wake.set()
        self.report("online")

    # --- records made at the device -----------------------------------------------------------

    def punch(
        self,
        pin: str,
        *,
        verify: int = 15,
        temperature: float | None = None,
        mask: bool | None = None,
        at: datetime | None = None,
        door: int = 1,
        inout: int = 0,
        status: int = 0,
    ) -> AccessRecord:
        """A person verifies; returns the stored record (acc: `event` 0 = let in)."""
        capabilities = self.state.capabilities
        if temperature is None and capabilities.temperature:
            temperature = NORMAL_TEMPERATURE
        if mask is None and capabilities.mask:
            mask = True
        record, rows = events.punch(
            self.state,
            pin,
            verify=verify,
            temperature=temperature,
            mask=mask,
            at=at,
            door=door,
            inout=inout,
            status=status,
        )
        self._queue(rows)
        return record

    def stranger(
        self,
        *,
        temperature: float | None = None,
        mask: bool | None = None,
        at: datetime | None = None,
        door: int = 1,
    ) -> AccessRecord | None:
        record, rows = events.stranger(
            self.state, temperature=temperature, mask=mask, at=at, door=door
        )
        self._queue(rows)
        return record

    def door_event(self, kind: DoorKind, door: int = 1) -> None:
        """`open`, `close`, `exit` (button) or `timeout` (held open too long)."""
        self._queue(events.door_event(self.state, kind, door))

    def alarm(self, kind: AlarmKind, door: int = 1) -> None:
        """`forced` (door forced open), `tamper` or `duress`."""
        self._queue(events.alarm(self.state, kind, door))

    def enroll_face(self, pin: str, jpeg: bytes) -> None:
        """A face enrolled at the device: stored, and queued for upload like the real thing."""
        self._queue(events.enroll_face(self.state, pin, jpeg))

    def _queue(self, rows: list[Row]) -> None:
        if rows:
            self.backlog.extend(rows)
            self._wake.set()

    # --- HTTP ---------------------------------------------------------------------------------

    async def _send(
        self, method: str, path: str, params: dict[str, str] | None, body: bytes | None = None
    ) -> httpx.Response | None:
        """One request; None when offline, rebooting or the connection failed."""
        if not self.online or self._rebooting:
            return None
        url = path if "://" in path else self.server_url + path
        headers = dict(HEADERS)
        if self.dialect == "acc" and self.registry_code:
            token = session_token(self.registry_code, self.sn, self.session_id)
            headers["Cookie"] = f"token={token}"
        query = None if params is None else {"SN": self.sn, **params}
        try:
            response = await self._http.request(
                method, url, params=query, content=body, headers=headers, timeout=self._timeout
            )
        except httpx.HTTPError as error:
            self._network_failed = True
            self.stats["connection_errors"] += 1
            self.report(f"connection error on {path}: {type(error).__name__}")
            return None
        self._http.cookies.clear()
        self._note_date(response)
        return response

    def _note_date(self, response: httpx.Response) -> None:
        date = response.headers.get("Date")
        if date:
            try:
                self.last_server_date = parsedate_to_datetime(date)
            except (TypeError, ValueError):
                self.last_server_date = None

    def _apply_server_options(self, block: dict[str, str]) -> None:
        self.server_options.update(block)
        self.session_id = block.get("SessionID", self.session_id)
        delay = block.get("RequestDelay", block.get("Delay"))
        if self.follow_server_delays:
            self.poll_interval = _seconds(delay, self.poll_interval)
            self.error_delay = _seconds(block.get("ErrorDelay"), self.error_delay)
        self._timeout = _seconds(block.get("TimeoutSec"), self._timeout) or 10.0
        zone = block.get("TimeZone")
        if zone and zone.lstrip("-").isdigit():
            value = int(zone)
            self.state.utc_offset = (
                timedelta(hours=value) if abs(value) <= 24 else timedelta(minutes=value)
            )

    # --- connecting -----------------------------------------------------------------------------

    async def connect(self) -> bool:
        """Handshake (and acc registration) once: True when the device may work."""
        self._bind_loop()
        if not self.online:
            return False
        self.registered = False
        accepted = await (self._connect_acc() if self.dialect == "acc" else self._connect_att())
        self.registered = accepted
        if accepted:
            self.stats["registrations"] += 1
            self.pending = False
            self._send_info = True
            self.report("registered" if self.dialect == "acc" else "handshake accepted")
            if self.dialect == "acc":
                self._queue([self.state.state_row()])
        return accepted

    async def _connect_acc(self) -> bool:
        handshake = {
            "options": "all",
            "pushver": PUSH_VERSION["acc"],
            "DeviceType": "acc",
            "language": "69",
        }
        response = await self._send("GET", "/iclock/cdata", handshake)
        if response is None or response.status_code != 200:
            return False
        block = parse_block(response.text)
        if block.get("registry") == "ok" and block.get("RegistryCode"):
            self.registry_code = block["RegistryCode"]
            self._apply_server_options(block)
        elif not await self._register():
            return False
        response = await self._send("POST", "/iclock/push", {})
        if response is None or response.status_code != 200:
            self._note_refusal(response, "push")
            return False
        self._apply_server_options(parse_block(response.text))
        return await self._upload_options(None)

    async def _upload_options(self, keys: list[str] | None) -> bool:
        body = self.state.options_body(keys).encode()
        response = await self._send("POST", "/iclock/cdata", {"table": "options"}, body)
        if response is not None and response.status_code == 200:
            return True
        self._note_refusal(response, "options upload")
        return False

    def _note_refusal(self, response: httpx.Response | None, what: str) -> None:
        """401/403/406 mean the server knows the device but has not approved it (yet)."""
        if response is not None and response.status_code in (401, 403, 406):
            self.pending = True
            self.report(f"pending: {what} refused (HTTP {response.status_code})")
        else:
            self.report(f"{what} failed ({_status(response)})")

    async def _register(self) -> bool:
        body = self.state.registry_body().encode()
        response = await self._send("POST", "/iclock/registry", {}, body)
        if response is None:
            return False
        if response.status_code == 406:
            self.pending = True
            self.report("pending: registration refused (406), waiting for approval")
            return False
        code = parse_block(response.text).get("RegistryCode", "")
        if response.status_code != 200 or not code:
            self.report(f"registry failed ({_status(response)})")
            return False
        self.registry_code = code
        return True

    async def _connect_att(self) -> bool:
        handshake = {"options": "all", "pushver": PUSH_VERSION["att"], "language": "69"}
        response = await self._send("GET", "/iclock/cdata", handshake)
        if response is None or response.status_code != 200:
            self._note_refusal(response, "handshake")
            return False
        lines = split_lines(response.text)
        if not lines or not lines[0].startswith("GET OPTION FROM"):
            self.report("handshake reply is not a GET OPTION FROM block")
            return False
        block = parse_block(response.text)
        self._apply_server_options(block)
        if block.get("PushOptionsFlag") == "1":
            wanted = [key for key in block.get("PushOptions", "").split(",") if key.strip()]
            if not await self._upload_options(wanted or None):
                return False
        if block.get("ATTLOGStamp") == "0":
            self._queue(events.stored_rows(self.state))
        return True

    # --- polling and commands ------------------------------------------------------------------

    async def poll_once(self) -> int:
        """One getrequest: run the commands, post their results and follow-up uploads, then
        upload what is queued. Returns the number of commands executed."""
        self._bind_loop()
        async with self._poll_lock:
            if not self.online or (not self.registered and not await self.connect()):
                return 0
            self._queue(self.state.tick())
            if self._unsent_results and not await self._post_results([]):
                return 0
            commands = await self._get_commands()
            outcomes = [await self._execute(command) for command in commands]
            if outcomes:
                await self._post_results([outcome.result_line() for outcome in outcomes])
            await self._after(outcomes)
        await self.flush()
        return len(commands)

    async def _get_commands(self) -> list[ServerCommand]:
        info = self.dialect == "att" and self._send_info
        params = {"INFO": self.state.info_value()} if info else {}
        response = await self._send("GET", "/iclock/getrequest", params)
        if response is not None and response.status_code in (401, 403, 406):
            self.registered = False
            self.pending = True
            self.report(f"getrequest refused ({response.status_code})")
        if response is None or response.status_code != 200:
            return []
        self._send_info = False
        try:
            return parse_commands(response.text)
        except WireError as error:
            self.report(f"unreadable getrequest reply: {error}")
            return []

    async def _execute(self, command: ServerCommand) -> CommandOutcome:
        outcome = self.state.apply(command.id, command.text)
        fetched: dict[str, bytes | None] = {}
        for _ in range(MAX_FETCH_ROUNDS):
            if outcome.fetch is None:
                break
            for url in outcome.fetch.urls:
                fetched[url] = await self._fetch(url)
            outcome = self.state.apply(command.id, command.text, fetched)
        for follow_up in outcome.follow_ups:
            path = f"/iclock/{follow_up.path}"
            response = await self._send("POST", path, follow_up.params, follow_up.body)
            if response is None or response.status_code != 200 or not follow_up.ack(response.text):
                self.report(f"C:{command.id} upload to {follow_up.path} not acknowledged")
                outcome.return_code = outcome.failure_code
                break
        self._queue(outcome.rows)
        self.command_log.append((command.id, command.text, outcome.return_code))
        self.stats["commands"] += 1
        first_line = command.text.split("\n", 1)[0]
        self.report(f"C:{command.id} {first_line[:60]} -> Return={outcome.return_code}")
        return outcome

    async def _fetch(self, url: str) -> bytes | None:
        response = await self._send("GET", url, None)
        if response is None or response.status_code != 200:
            return None
        return response.content

    async def _post_results(self, lines: list[str]) -> bool:
        """devicecmd; results the server did not take are sent again before the next poll."""
        self._unsent_results += lines
        body = "\n".join(self._unsent_results).encode()
        response = await self._send("POST", "/iclock/devicecmd", {}, body)
        if response is None or response.status_code != 200 or not is_ok(response.text):
            self.report(f"devicecmd not acknowledged ({_status(response)})")
            return False
        self._unsent_results = []
        return True

    async def _after(self, outcomes: list[CommandOutcome]) -> None:
        for outcome in outcomes:
            if outcome.restart:
                await self._restart()
            elif outcome.reconnect:
                await self.connect()

    async def _restart(self) -> None:
        """Off the network for `restart_delay` seconds, then a fresh handshake (acc reports event
        206, device started)."""
        self.report("restarting")
        self.registered = False
        self._rebooting = True
        try:
            await asyncio.sleep(self.restart_delay)
        finally:
            self._rebooting = False
        if self.dialect == "acc":
            self._queue(events.system_event(self.state, events.DEVICE_STARTED, 1))
        await self.connect()

    # --- uploads --------------------------------------------------------------------------------

    async def flush(self) -> int:
        """Upload the backlog in batches; returns the rows the server acknowledged now."""
        self._bind_loop()
        async with self._flush_lock:
            if not self.online or self._rebooting or not self.registered:
                return 0
            acknowledged = 0
            while self.backlog:
                batch = self._next_batch()
                params, body, ack = batch_request(batch, self.state.line_ending)
                response = await self._send("POST", "/iclock/cdata", params, body)
                if response is None:
                    break
                if response.status_code == 403:
                    self.pending = True
                    self.report("upload refused (403): device pending, keeping records")
                    break
                if response.status_code != 200 or not ack(response.text):
                    self.stats["unacknowledged_batches"] += 1
                    self.report(f"{params['table']} upload not acknowledged ({_status(response)})")
                    break
                for _ in batch:
                    self.backlog.popleft()
                acknowledged += len(batch)
            if acknowledged:
                self.stats["rows_acknowledged"] += acknowledged
                self.report(f"uploaded {acknowledged} rows")
            return acknowledged

    def _next_batch(self) -> list[Row]:
        first = self.backlog[0]
        if first.table == "ATTPHOTO":
            return [first]
        batch: list[Row] = []
        for row in self.backlog:
            if row.stream != first.stream or len(batch) >= self.batch_size:
                break
            batch.append(row)
        return batch

    # --- the loop -------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Connect (retrying every ErrorDelay), poll every interval, upload records as they come;
        returns when `stop` is set."""
        self._bind_loop()
        loop = asyncio.get_running_loop()
        next_poll = 0.0
        while not stop.is_set():
            self._wake.clear()
            self._network_failed = False
            if not self.online:
                await self._idle(stop, self.poll_interval)
                continue
            if not self.registered and not await self.connect():
                await self._idle(stop, self.error_delay)
                continue
            if loop.time() >= next_poll:
                await self.poll_once()
                next_poll = loop.time() + self.poll_interval
            else:
                self._queue(self.state.tick())
                await self.flush()
            pause = self.error_delay if self._network_failed else next_poll - loop.time()
            await self._idle(stop, max(0.0, pause))
        if self.online and self.registered:
            await self.flush()

    async def _idle(self, stop: asyncio.Event, seconds: float) -> None:
        """Sleep until the time is up, `stop` is set or a record is queued."""
        if self._wake.is_set() or stop.is_set():
            return
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
            await asyncio.gather(*waiters, return_exceptions=True)


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One for every simulated device: each client would otherwise load the CA bundle
    again, a second or more for a thousand devices."""
    return ssl.create_default_context()


def _seconds(value: str | None, default: float) -> float:
    try:
        return float(value) if value else default
    except ValueError:
        return default


def _status(response: httpx.Response | None) -> str:
    return "no connection" if response is None else f"HTTP {response.status_code}"

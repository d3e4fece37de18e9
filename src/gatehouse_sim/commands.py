"""The command interpreter: one `C:<id>:<text>` command in, one outcome out.

An outcome carries the Return code and CMD verb of the devicecmd result, the uploads the device
makes before answering (querydata packets, cdata re-uploads), records to queue, and requests the
client must act on (restart, re-handshake, files to fetch). Return codes follow SP-EN Appendix 1
(acc) and AP-EN Appendix 1 (att); where the documents name none, the choice is in `tables.Codes`.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from gatehouse_sim import events
from gatehouse_sim.model import FACE_VISIBLE, FINGERPRINT, Row
from gatehouse_sim.records import (
    Ack,
    att_template_row,
    att_user_row,
    attlog_row,
    batch_request,
    table_line,
)
from gatehouse_sim.tables import ACC_CODES, ATT_CODES, Batch, Codes, Table, find_table, matches
from gatehouse_sim.wire import (
    WireError,
    format_result,
    from_zk_seconds,
    is_ok,
    parse_pairs,
    parse_table_ack,
    parse_time,
)

if TYPE_CHECKING:
    from gatehouse_sim.state import DeviceState

QUERY_PACKET_ROWS = 100
QUERY_PACKET_BYTES = 1_000_000
REUPLOAD_BATCH = 500
_CONTROL_CODE = re.compile(r"[0-9A-Fa-f]{8}(?:[0-9A-Fa-f]{2})?")
_QUERY = re.compile(
    r"tablename=(?P<table>[^,\s]+)(?:,fielddesc=(?P<fields>.*?))?(?:,filter=(?P<filter>.*))?",
    re.DOTALL | re.IGNORECASE,
)
_CONDITION_SPLIT = re.compile(r"[\t ]+(?=[^\s=]+=)")


@dataclass
class Fetch:
    """Files a command needs from the server before it can finish (firmware, photo URLs): the
    client GETs each (a path on the server, or an absolute URL) and applies the command again
    with the bytes (None = failed)."""

    urls: list[str]


@dataclass
class FollowUp:
    """An upload the device makes before posting the command result."""

    path: str
    params: dict[str, str]
    body: bytes
    ack: Ack


@dataclass
class CommandOutcome:
    command_id: str
    cmd: str
    return_code: int
    follow_ups: list[FollowUp] = field(default_factory=list)
    failure_code: int = -1
    """Return code when a follow-up upload is not acknowledged."""
    rows: list[Row] = field(default_factory=list)
    result_suffix: str = ""
    extra_lines: list[str] = field(default_factory=list)
    restart: bool = False
    reconnect: bool = False
    flush_now: bool = False
    fetch: Fetch | None = None

    def result_line(self) -> str:
        line = format_result(self.command_id, self.return_code, self.cmd, self.result_suffix)
        return "\n".join([line, *self.extra_lines])


@dataclass
class Context:
    state: DeviceState
    command_id: str
    fetched: dict[str, bytes | None]

    @property
    def codes(self) -> Codes:
        return ACC_CODES if self.state.dialect == "acc" else ATT_CODES

    @property
    def acc(self) -> bool:
        return self.state.dialect == "acc"

    def outcome(
        self,
        cmd: str,
        return_code: int,
        *,
        follow_ups: list[FollowUp] | None = None,
        failure_code: int = -1,
        rows: list[Row] | None = None,
        result_suffix: str = "",
        extra_lines: list[str] | None = None,
        restart: bool = False,
        reconnect: bool = False,
        flush_now: bool = False,
        fetch: Fetch | None = None,
    ) -> CommandOutcome:
        return CommandOutcome(
            self.command_id,
            cmd,
            return_code,
            follow_ups=follow_ups or [],
            failure_code=failure_code,
            rows=rows or [],
            result_suffix=result_suffix,
            extra_lines=extra_lines or [],
            restart=restart,
            reconnect=reconnect,
            flush_now=flush_now,
            fetch=fetch,
        )

    def data_cmd(self, verb: str) -> str:
        """att reports every DATA command as `DATA`; acc names the sub-command."""
        if not self.acc or (self.state.short_data_cmd and verb in ("UPDATE", "DELETE")):
            return "DATA"
        return f"DATA {verb}"


Handler = Callable[[Context, str], CommandOutcome]


def apply(
    state: DeviceState, command_id: str, text: str, fetched: dict[str, bytes | None]
) -> CommandOutcome:
    context = Context(state, command_id, fetched)
    upper = text.upper()
    for verb, handler in _ACC_VERBS if context.acc else _ATT_VERBS:
        if upper == verb or upper.startswith((verb + " ", verb + "\t", verb + "\n")):
            return handler(context, text[len(verb) :].lstrip(" "))
    words = text.split()
    return context.outcome(words[0] if words else "", context.codes.unknown)


# --- DATA (both dialects) -----------------------------------------------------------------------


def _table_and_rest(context: Context, args: str) -> tuple[Table | None, str, str]:
    match = re.match(r"(\S+)[ \t]?(.*)", args, re.DOTALL)
    if not match:
        return None, "", ""
    name, rest = match.group(1), match.group(2)
    return find_table(context.state.dialect, name), name, rest


def _conditions(text: str) -> dict[str, str] | None:
    """HT-separated AND conditions (spaces tolerated between `key=value` pairs); None = all."""
    text = text.strip()
    if not text or text == "*":
        return None
    pairs = parse_pairs("\t".join(_CONDITION_SPLIT.split(text)))
    return {key.lower(): value.strip() for key, value in pairs.items()}


def _selected(table: Table, context: Context, conditions: dict[str, str] | None) -> list[object]:
    return [
        key
        for key, fields in table.items(context.state)
        if conditions is None or matches(fields, conditions)
    ]


def _unknown_condition(table: Table, conditions: dict[str, str] | None) -> bool:
    return bool(conditions and table.names is not None and set(conditions) - table.names)


def data_update(context: Context, args: str) -> CommandOutcome:
    codes, cmd = context.codes, context.data_cmd("UPDATE")
    table, name, rest = _table_and_rest(context, args)
    if table is None or table.update is None:
        return context.outcome(cmd, codes.bad_table)
    lines = rest.split("\n")
    records = [lines[0]] + [_without_table_name(line, name) for line in lines[1:]]
    batch = Batch(context.state, codes, context.fetched)
    for text in (line for line in records if line.strip()):
        try:
            record = {key.lower(): value for key, value in parse_pairs(text.strip("\r")).items()}
        except WireError:
            return context.outcome(cmd, codes.bad_format)
        code = table.update(batch, record) if record else codes.missing
        if code:
            return context.outcome(cmd, code)
    if not batch.changes and not batch.missing_urls:
        return context.outcome(cmd, codes.missing)
    if batch.missing_urls:
        return context.outcome(cmd, 0, fetch=Fetch(batch.missing_urls))
    return context.outcome(cmd, 0, rows=batch.commit())


def _without_table_name(line: str, name: str) -> str:
    head, _, rest = line.partition(" ")
    return rest if head.lower() == name.lower() and "=" not in head else line


def data_delete(context: Context, args: str) -> CommandOutcome:
    codes, cmd = context.codes, context.data_cmd("DELETE")
    table, _, rest = _table_and_rest(context, args)
    if table is None:
        return context.outcome(cmd, codes.bad_table)
    if not rest.strip():
        return context.outcome(cmd, codes.missing)
    try:
        conditions = _conditions(rest)
    except WireError:
        return context.outcome(cmd, codes.bad_format)
    if _unknown_condition(table, conditions):
        return context.outcome(cmd, codes.bad_field)
    table.remove(context.state, _selected(table, context, conditions))
    return context.outcome(cmd, 0)


def acc_count(context: Context, args: str) -> CommandOutcome:
    codes, cmd = context.codes, "DATA COUNT"
    table, _, rest = _table_and_rest(context, args)
    if table is None:
        return context.outcome(cmd, codes.bad_table)
    try:
        conditions = _conditions(rest)
    except WireError:
        return context.outcome(cmd, codes.bad_format)
    if _unknown_condition(table, conditions):
        return context.outcome(cmd, codes.bad_field)
    count = len(_selected(table, context, conditions))
    name = table.name
    follow_up = FollowUp(
        "querydata",
        _packet_params(context, "count", name),
        f"{name}={count}".encode(),
        lambda reply: is_ok(reply) or parse_table_ack(reply, name) is not None,
    )
    return context.outcome(cmd, count, follow_ups=[follow_up], failure_code=-728)


def _packet_params(
    context: Context, kind: str, table: str, *, count: int = 1, total: int = 1, index: int = 1
) -> dict[str, str]:
    return {
        "type": kind,
        "cmdid": context.command_id,
        "tablename": table,
        "count": str(count),
        "packcnt": str(total),
        "packidx": str(index),
    }


def acc_query(context: Context, args: str) -> CommandOutcome:
    """`DATA QUERY tablename=<t>,fielddesc=<*|names>,filter=<*|NewRecord|conditions>`: the rows go
    to querydata in packets, each acknowledged `<t>=<n>`; Return is the total."""
    codes, cmd = context.codes, "DATA QUERY"
    match = _QUERY.fullmatch(args.strip())
    table = find_table("acc", match.group("table")) if match else None
    if match is None or table is None:
        return context.outcome(cmd, codes.bad_table)
    try:
        items = _query_items(context, table, (match.group("filter") or "*").strip())
    except WireError:
        return context.outcome(cmd, codes.bad_format)
    if items is None:
        return context.outcome(cmd, codes.bad_field)
    wanted = (match.group("fields") or "*").strip()
    names = None if wanted == "*" else {name.strip().lower() for name in wanted.split(",")}
    lines = [
        table_line(table.name, [(k, v) for k, v in fields if names is None or k.lower() in names])
        for fields in items
    ]
    packets = _packets(lines)
    follow_ups = [
        FollowUp(
            "querydata",
            _packet_params(
                context,
                "tabledata",
                table.name,
                count=len(packet),
                total=len(packets),
                index=number,
            ),
            "\n".join(packet).encode() + b"\n",
            _table_ack(table.name, len(packet)),
        )
        for number, packet in enumerate(packets, start=1)
    ]
    return context.outcome(cmd, len(lines), follow_ups=follow_ups, failure_code=codes.upload_failed)


def _table_ack(name: str, count: int) -> Ack:
    return lambda reply: parse_table_ack(reply, name) == count


def _query_items(
    context: Context, table: Table, filter_text: str
) -> list[list[tuple[str, object]]] | None:
    """Rows matching a query filter; None when the filter names a field the table lacks."""
    state = context.state
    if table.name == "transaction" and filter_text.lower() == "newrecord":
        fresh = [record for record in state.logs if record.index > state.query_mark]
        state.query_mark = max([state.query_mark, *(record.index for record in fresh)])
        return [fields for key, fields in table.items(state) if key in {r.index for r in fresh}]
    conditions = _conditions(filter_text)
    if table.name == "transaction" and conditions and {"starttime", "endtime"} & set(conditions):
        start = _moment(conditions.get("starttime"))
        end = _moment(conditions.get("endtime"))
        keep = {r.index for r in state.logs if _between(r.time, start, end)}
        return [fields for key, fields in table.items(state) if key in keep]
    if _unknown_condition(table, conditions):
        return None
    return [
        fields
        for _, fields in table.items(state)
        if conditions is None or matches(fields, conditions)
    ]


def _moment(value: str | None) -> datetime | None:
    """A query bound: ZK seconds or `YYYY-MM-DD HH:MM:SS`."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    return from_zk_seconds(int(value)) if value.isdigit() else parse_time(value)


def _between(moment: datetime, start: datetime | None, end: datetime | None) -> bool:
    return (start is None or moment >= start) and (end is None or moment <= end)


def _packets(lines: list[str]) -> list[list[str]]:
    packets: list[list[str]] = []
    size = 0
    for line in lines:
        if not packets or len(packets[-1]) >= QUERY_PACKET_ROWS or size > QUERY_PACKET_BYTES:
            packets.append([])
            size = 0
        packets[-1].append(line)
        size += len(line)
    return packets


# --- options ------------------------------------------------------------------------------------


def acc_set_options(context: Context, args: str) -> CommandOutcome:
    """`SET OPTIONS k=v,k=v`; `DateTime` (ZK seconds) sets the clock."""
    cmd, code = "SET OPTIONS", context.codes.bad_options
    try:
        options = parse_pairs(args.strip(), ",", glue=True)
    except WireError:
        return context.outcome(cmd, code)
    if not options:
        return context.outcome(cmd, code)
    if "DateTime" in options:
        try:
            context.state.set_clock(from_zk_seconds(int(options["DateTime"])))
        except (ValueError, WireError):
            return context.outcome(cmd, code)
    context.state.options.update(options)
    return context.outcome(cmd, 0)


def acc_get_options(context: Context, args: str) -> CommandOutcome:
    """The values go to `querydata?type=options`; unknown names are left out."""
    names = [name.strip() for name in args.split(",") if name.strip()]
    if not names:
        return context.outcome("GET OPTIONS", context.codes.missing)
    options = context.state.options
    body = ",".join(f"{name}={options[name]}" for name in names if name in options)
    follow_up = FollowUp(
        "querydata",
        _packet_params(context, "options", "options"),
        body.encode(),
        lambda reply: is_ok(reply) or parse_table_ack(reply, "options") is not None,
    )
    return context.outcome(
        "GET OPTIONS", 0, follow_ups=[follow_up], failure_code=context.codes.upload_failed
    )


def att_set_option(context: Context, args: str) -> CommandOutcome:
    """`SET OPTION Key=Value`: one key; everything after the first `=` is the value."""
    key, separator, value = args.strip().partition("=")
    if not separator or not key.strip():
        return context.outcome("SET OPTION", context.codes.bad_options)
    context.state.options[key.strip()] = value
    return context.outcome("SET OPTION", 0)


def att_info(context: Context, _args: str) -> CommandOutcome:
    lines = [f"{key}={value}" for key, value in info_pairs(context.state)]
    return context.outcome("INFO", 0, extra_lines=lines)


def info_pairs(state: DeviceState) -> list[tuple[str, object]]:
    options = state.options
    templates = state.templates.values()
    return [
        ("~DeviceName", options["~DeviceName"]),
        ("MAC", options["MAC"]),
        ("TransactionCount", len(state.logs)),
        ("~MaxAttLogCount", options["~MaxAttLogCount"]),
        ("UserCount", len(state.users)),
        ("~MaxUserCount", options["~MaxUserCount"]),
        ("FingerFunOn", options["FingerFunOn"]),
        ("FPVersion", options["~ZKFPVersion"]),
        ("FPCount", sum(1 for t in templates if t.type == FINGERPRINT)),
        ("FaceFunOn", options["FaceFunOn"]),
        ("FaceVersion", options["FaceVersion"]),
        ("FaceCount", len(state.biophotos)),
        ("IPAddress", options["IPAddress"]),
        ("FWVersion", state.firmware),
        ("PushVersion", options["PushVersion"]),
        ("Language", options["Language"]),
    ]


# --- doors ---------------------------------------------------------------------------------------


def acc_control(context: Context, args: str) -> CommandOutcome:
    """`CONTROL DEVICE AABBCCDD[EE]` (SP-EN 9.3)."""
    cmd, codes = "CONTROL DEVICE", context.codes
    code = args.strip()
    if not _CONTROL_CODE.fullmatch(code):
        return context.outcome(cmd, codes.bad_format)
    operation, target, kind, value = bytes.fromhex(code)[:4]
    state = context.state
    if operation == 0x03:
        return context.outcome(cmd, 0, restart=True)
    if operation not in (0x01, 0x02, 0x04, 0x06):
        return context.outcome(cmd, codes.unsupported)
    if target > len(state.doors) or (operation == 0x01 and kind not in (0x01, 0x02)):
        return context.outcome(cmd, codes.bad_reference)
    doors = range(1, len(state.doors) + 1) if target == 0 else [target]
    rows: list[Row] = []
    for door in doors:
        rows += _control_door(state, operation, door, kind=kind, value=value)
    return context.outcome(cmd, 0, rows=rows)


def _control_door(  # noqa: PLR0911 - one case per operation reads best
    state: DeviceState, operation: int, number: int, *, kind: int, value: int
) -> list[Row]:
    door = state.door(number)
    if operation == 0x02:
        door.alarm = 0
        return events.system_event(state, events.ALARM_CANCELLED, number)
    if operation == 0x04:
        return events.system_event(state, 11 if kind else 10, number)
    if operation == 0x06:
        locked = kind == 0x01
        if locked:
            door.normally_open = door.relay = False
            door.relay_until = None
        return events.system_event(state, 233 if locked else 234, number)
    if kind == 0x02:
        return events.system_event(state, 12 if value else 13, number)
    if value == 0x00:
        door.normally_open = door.relay = False
        door.relay_until = None
        return events.system_event(state, events.REMOTE_CLOSE, number)
    if value == 0xFF:
        door.normally_open = door.relay = True
        door.relay_until = None
        return events.system_event(state, events.REMOTE_NORMAL_OPEN, number)
    door.relay = True
    door.relay_until = state.now() + timedelta(seconds=value)
    return events.system_event(state, events.REMOTE_OPEN, number)


def att_unlock(context: Context, _args: str) -> CommandOutcome:
    state = context.state
    door = state.door(1)
    door.relay = True
    door.relay_until = state.now() + timedelta(seconds=state.drive_time(1))
    return context.outcome("AC_UNLOCK", 0)


def att_unalarm(context: Context, _args: str) -> CommandOutcome:
    for door in context.state.doors:
        door.alarm = 0
    return context.outcome("AC_UNALARM", 0)


# --- firmware, enrolment, misc --------------------------------------------------------------


def upgrade(context: Context, args: str) -> CommandOutcome:
    """`UPGRADE checksum=<md5>,size=<n>,url=<url>[,type=1]`: fetch, check md5 and size (on the
    bytes as served or, for the base64 variant of AP-EN 12.8.2, decoded), then restart."""
    cmd, state = "UPGRADE", context.state
    failed = context.codes.upgrade_failed
    try:
        params = {k.lower(): v.strip() for k, v in parse_pairs(args.strip(), ",").items()}
    except WireError:
        return context.outcome(cmd, context.codes.bad_format)
    url, checksum, size = params.get("url", ""), params.get("checksum", ""), params.get("size", "")
    if not url or not checksum or not size.isdigit():
        return context.outcome(cmd, context.codes.bad_format)
    if context.acc and "://" in url:
        source = url
    else:
        source = f"/iclock/file?SN={quote(state.sn, safe='')}&url={quote(url, safe='')}"
    if source not in context.fetched:
        return context.outcome(cmd, 0, fetch=Fetch([source]))
    data = context.fetched[source]
    if data is None:
        return context.outcome(cmd, failed if context.acc else context.codes.fetch_failed)
    package = _verified_package(data, checksum.lower(), int(size))
    if package is None:
        return context.outcome(cmd, failed)
    state.firmware = firmware_version(package, url)
    state.options["FirmVer"] = state.firmware
    return context.outcome(cmd, 0, restart=True)


def _verified_package(data: bytes, checksum: str, size: int) -> bytes | None:
    candidates = [data]
    with contextlib.suppress(binascii.Error, ValueError):
        candidates.append(base64.b64decode(data, validate=True))
    for candidate in candidates:
        digest = hashlib.md5(candidate, usedforsecurity=False).hexdigest()
        if len(candidate) == size and digest == checksum:
            return candidate
    return None


def firmware_version(package: bytes, url: str) -> str:
    """The version a package installs: its first line when that reads `FirmVer=<version>`, else
    the file name without extension."""
    first_line = package.split(b"\n", 1)[0].strip()
    if first_line.startswith(b"FirmVer="):
        return first_line[len(b"FirmVer=") :].decode(errors="replace").strip()
    return PurePosixPath(urlsplit(url).path).stem or url


def enroll_bio(context: Context, args: str) -> CommandOutcome:
    """Remote enrolment (acc `type=..\\tno=..\\tpin=..`, att `TYPE=..\\tPIN=..`): the simulated
    person enrols at once and the device uploads the result as if it had been done on its screen."""
    cmd, codes, _state = "ENROLL_BIO", context.codes, context.state
    try:
        fields = {k.lower(): v.strip() for k, v in parse_pairs(args.strip()).items()}
        bio_type = int(fields.get("type", "9") or 9)
        number = int(fields.get("no", "0") or 0)
    except (WireError, ValueError):
        return context.outcome(cmd, codes.bad_format)
    return _enroll(context, cmd, fields, bio_type, number)


def att_enroll_fp(context: Context, args: str) -> CommandOutcome:
    try:
        fields = {k.lower(): v.strip() for k, v in parse_pairs(args.strip()).items()}
        finger = int(fields.get("fid", "0") or 0)
    except (WireError, ValueError):
        return context.outcome("ENROLL_FP", context.codes.bad_format)
    return _enroll(context, "ENROLL_FP", fields, FINGERPRINT, finger)


def _enroll(
    context: Context, cmd: str, fields: dict[str, str], bio_type: int, number: int
) -> CommandOutcome:
    codes, state = context.codes, context.state
    pin = fields.get("pin", "")
    if pin not in state.users:
        return context.outcome(cmd, codes.no_pin)
    overwrite = fields.get("overwrite", "1") != "0"
    if bio_type == FACE_VISIBLE and FACE_VISIBLE in state.capabilities.photo_types:
        if (pin, FACE_VISIBLE) in state.biophotos and not overwrite:
            return context.outcome(cmd, codes.already_enrolled)
        return context.outcome(cmd, 0, rows=events.enroll_face(state, pin, state.enroll_jpeg(pin)))
    if bio_type == FINGERPRINT and 0 <= number <= 9:
        if (pin, FINGERPRINT, number, 0) in state.templates and not overwrite:
            return context.outcome(cmd, codes.already_enrolled)
        return context.outcome(cmd, 0, rows=events.enroll_finger(state, pin, number))
    return context.outcome(cmd, codes.bio_type)


def att_enroll_card(context: Context, args: str) -> CommandOutcome:
    """`ENROLL_MF PIN=..`: a card is swiped; the device uploads the changed user."""
    try:
        pin = {k.lower(): v.strip() for k, v in parse_pairs(args.strip()).items()}.get("pin", "")
    except WireError:
        return context.outcome("ENROLL_MF", context.codes.bad_format)
    user = context.state.users.get(pin)
    if user is None:
        return context.outcome("ENROLL_MF", context.codes.no_pin)
    digest = hashlib.sha256(f"{context.state.sn}:{pin}".encode()).digest()
    user.card = str(int.from_bytes(digest[:4], "big"))
    return context.outcome("ENROLL_MF", 0, rows=[att_user_row(user)])


# --- att data queries and housekeeping ---------------------------------------------------------


def att_query(context: Context, args: str) -> CommandOutcome:
    """att `DATA QUERY <TABLE> <conditions>`: the device re-uploads the rows through cdata."""
    codes, state = context.codes, context.state
    name, _, rest = args.partition(" ")
    try:
        conditions = {k.lower(): v.strip() for k, v in parse_pairs(rest.strip()).items()}
    except WireError:
        return context.outcome("DATA", codes.bad_format)
    rows = _att_query_rows(state, name.upper(), conditions)
    if isinstance(rows, int):
        return context.outcome("DATA", rows if rows < 0 else codes.bad_table)
    return context.outcome(
        "DATA", 0, follow_ups=_cdata_follow_ups(state, rows), failure_code=codes.upload_failed
    )


def _att_query_rows(  # noqa: PLR0911 - one case per table
    state: DeviceState, table: str, conditions: dict[str, str]
) -> list[Row] | int:
    """Rows to re-upload, or an error code (0 means: not a queryable table)."""
    capabilities = state.capabilities
    if table == "ATTLOG":
        try:
            start = _moment(conditions.get("starttime"))
            end = _moment(conditions.get("endtime"))
        except WireError:
            return ATT_CODES.bad_format
        return [
            attlog_row(r, with_mask=capabilities.mask, with_temperature=capabilities.temperature)
            for r in state.logs
            if _between(r.time, start, end)
        ]
    if table == "USERINFO":
        pin = conditions.get("pin")
        if pin and pin not in state.users:
            return ATT_CODES.no_pin
        users = [state.users[pin]] if pin else list(state.users.values())
        return [att_user_row(user) for user in users]
    if table in ("FINGERTMP", "BIODATA"):
        wanted = {
            "pin": conditions.get("pin"),
            "no": conditions.get("fingerid", conditions.get("no")),
        }
        bio_type = conditions.get("type", "1" if table == "FINGERTMP" else None)
        return [
            att_template_row(t)
            for t in state.templates.values()
            if (bio_type is None or str(t.type) == bio_type)
            and (wanted["pin"] is None or t.pin == wanted["pin"])
            and (wanted["no"] is None or str(t.no) == wanted["no"])
        ]
    if table == "ATTPHOTO":
        return []
    return 0


def _cdata_follow_ups(state: DeviceState, rows: list[Row]) -> list[FollowUp]:
    follow_ups: list[FollowUp] = []
    start = 0
    while start < len(rows):
        stream = rows[start].stream
        end = start
        while end < len(rows) and rows[end].stream == stream and end - start < REUPLOAD_BATCH:
            end += 1
        params, body, ack = batch_request(rows[start:end], state.line_ending)
        follow_ups.append(FollowUp("cdata", params, body, ack))
        start = end
    return follow_ups


def att_verify_sum(context: Context, args: str) -> CommandOutcome:
    """`VERIFY SUM ATTLOG StartTime=..\\tEndTime=..`: the count rides on the result line."""
    _, _, rest = args.partition(" ")
    try:
        bounds = {k.lower(): v.strip() for k, v in parse_pairs(rest.strip()).items()}
        start, end = _moment(bounds.get("starttime")), _moment(bounds.get("endtime"))
    except WireError:
        return context.outcome("VERIFY SUM", context.codes.bad_format)
    total = sum(1 for r in context.state.logs if _between(r.time, start, end))
    suffix = (
        f"&StartTime={bounds.get('starttime', '')}&EndTime={bounds.get('endtime', '')}"
        f"&AttlogSum={total}"
    )
    return context.outcome("VERIFY SUM", 0, result_suffix=suffix)


def _clear(what: str) -> Handler:
    def handler(context: Context, _args: str) -> CommandOutcome:
        state = context.state
        if what in ("LOG", "DATA"):
            state.logs.clear()
        if what in ("BIODATA", "DATA"):
            state.templates.clear()
        if what == "DATA":
            state.users.clear()
            state.biophotos.clear()
            state.userpics.clear()
        return context.outcome(f"CLEAR_{what}", 0)

    return handler


def _fixed(
    cmd: str, *, restart: bool = False, reconnect: bool = False, flush_now: bool = False
) -> Handler:
    """Commands that succeed whatever their arguments, possibly asking the client to act."""

    def handler(context: Context, _args: str) -> CommandOutcome:
        return context.outcome(cmd, 0, restart=restart, reconnect=reconnect, flush_now=flush_now)

    return handler


def _unsupported(cmd: str) -> Handler:
    def handler(context: Context, _args: str) -> CommandOutcome:
        return context.outcome(cmd, context.codes.unsupported)

    return handler


_ACC_VERBS: list[tuple[str, Handler]] = [
    ("DATA UPDATE", data_update),
    ("DATA DELETE", data_delete),
    ("DATA COUNT", acc_count),
    ("DATA QUERY", acc_query),
    ("SET OPTIONS", acc_set_options),
    ("GET OPTIONS", acc_get_options),
    ("CONTROL DEVICE", acc_control),
    ("UPGRADE", upgrade),
    ("ENROLL_BIO", enroll_bio),
    ("TEST HOST", _fixed("Test Host")),
]
_ATT_VERBS: list[tuple[str, Handler]] = [
    ("DATA UPDATE", data_update),
    ("DATA DELETE", data_delete),
    ("DATA QUERY", att_query),
    ("SET OPTION", att_set_option),
    ("RELOAD OPTIONS", _fixed("RELOAD OPTIONS")),
    ("INFO", att_info),
    ("CHECK", _fixed("CHECK", reconnect=True)),
    ("LOG", _fixed("LOG", flush_now=True)),
    ("VERIFY SUM", att_verify_sum),
    ("REBOOT", _fixed("REBOOT", restart=True)),
    ("AC_UNLOCK", att_unlock),
    ("AC_UNALARM", att_unalarm),
    ("CLEAR LOG", _clear("LOG")),
    ("CLEAR PHOTO", _clear("PHOTO")),
    ("CLEAR DATA", _clear("DATA")),
    ("CLEAR BIODATA", _clear("BIODATA")),
    ("ENROLL_FP", att_enroll_fp),
    ("ENROLL_MF", att_enroll_card),
    ("ENROLL_BIO", enroll_bio),
    ("UPGRADE", upgrade),
    ("SHELL", _unsupported("Shell")),
    ("GETFILE", _unsupported("GetFile")),
    ("PUTFILE", _unsupported("PutFile")),
    ("USER ADD", _unsupported("USER ADD")),
    ("USER DEL", _unsupported("USER DEL")),
    ("DATA DEL", _unsupported("DATA")),
]

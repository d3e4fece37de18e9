"""Attendance PUSH / ADMS ("att", PUSH 2.x): device requests and server replies (reference §3)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from gatehouse.drivers.zkpush.protocol.errors import ProtocolError
from gatehouse.drivers.zkpush.protocol.kv import (
    WireValue,
    check_name,
    check_value,
    decode_body,
    format_line_pairs,
    format_tab_pairs,
    lower_keys,
    parse_int,
    parse_line_pairs,
    parse_tab_pairs,
    split_lines,
)
from gatehouse.drivers.zkpush.protocol.timecodes import (
    format_att_timezone,
    format_local_time,
    parse_local_time,
)

UPLOAD_TABLES_WITH_COUNT_ACK = frozenset({"ATTLOG", "OPERLOG", "BIODATA", "IDCARD"})
DEFAULT_TRANS_FLAGS = (
    "AttLog", "OpLog", "AttPhoto", "EnrollUser", "ChgUser", "EnrollFP", "ChgFP", "UserPic",
    "BioPhoto",
)  # fmt: skip
_CARD_HEX = re.compile(r"\[([0-9A-Fa-f]{8})\]", re.ASCII)

# --- server replies ----------------------------------------------------------------------------


@dataclass(frozen=True)
class HandshakeOptions:
    """The option lines of the att handshake reply (§3.2); stamps ``None`` = send what is new."""

    timezone: timedelta
    attlog_stamp: str = "None"
    operlog_stamp: str = "None"
    attphoto_stamp: str = "None"
    error_delay: int = 30
    delay: int = 5
    trans_times: tuple[str, ...] = ("00:00", "14:05")
    trans_interval: int = 1
    trans_flags: tuple[str, ...] = DEFAULT_TRANS_FLAGS
    realtime: bool = True
    encrypt: str = "None"
    server_ver: str | None = "2.4.1"
    push_prot_ver: str | None = "2.4.1"
    timezone_in_minutes: bool = False
    extra: Mapping[str, WireValue] = field(default_factory=dict)


def _timezone_option(options: HandshakeOptions) -> str:
    """Whole hours go out as hours (what every firmware knows) unless minutes are asked for;
    +-60 minutes would be read as neither, so one-hour offsets always go out as hours."""
    text = format_att_timezone(options.timezone)
    minutes = int(options.timezone.total_seconds()) // 60
    if options.timezone_in_minutes and abs(minutes) > 60:
        return str(minutes)
    return text


def build_handshake_reply(sn: str, options: HandshakeOptions) -> str:
    """``GET OPTION FROM: <SN>`` then LF-separated options; ``TransFlag`` uses format II."""
    check_value(sn, " ")
    for flag in options.trans_flags:
        check_name(flag)
    lines: list[tuple[str, WireValue]] = [
        ("ATTLOGStamp", options.attlog_stamp),
        ("OPERLOGStamp", options.operlog_stamp),
        ("ATTPHOTOStamp", options.attphoto_stamp),
        ("ErrorDelay", options.error_delay),
        ("Delay", options.delay),
        ("TransTimes", ";".join(options.trans_times)),
        ("TransInterval", options.trans_interval),
        ("TransFlag", "TransData " + "\t".join(options.trans_flags)),
        ("TimeZone", _timezone_option(options)),
        ("Realtime", int(options.realtime)),
        ("Encrypt", options.encrypt),
    ]
    if options.server_ver is not None:
        lines.append(("ServerVer", options.server_ver))
    if options.push_prot_ver is not None:
        lines.append(("PushProtVer", options.push_prot_ver))
    lines.extend(options.extra.items())
    return f"GET OPTION FROM: {sn}\n{format_line_pairs(lines)}"


def parse_handshake_reply(text: str) -> tuple[str, dict[str, str]]:
    """Read a handshake reply back (simulator, tests): the SN and the option lines."""
    first, _, rest = text.partition("\n")
    prefix = "GET OPTION FROM:"
    if not first.startswith(prefix):
        raise ProtocolError(f"att handshake reply must start with {prefix!r}")
    return first[len(prefix) :].strip(), parse_line_pairs(rest)


def build_upload_ack(count: int) -> str:
    """``OK: <n>``; a bare ``OK`` makes some firmware re-send the same punches forever."""
    if count < 0:
        raise ProtocolError(f"negative record count: {count}")
    return f"OK: {count}"


def parse_upload_ack(text: str) -> int:
    match = re.fullmatch(r"OK: ?([0-9]+)", text.strip(), re.ASCII)
    if match is None:
        raise ProtocolError(f"not an OK: <n> ack: {text!r}")
    return int(match.group(1))


# --- device requests ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Punch:
    """One ATTLOG line; ``extra`` keeps the columns newer firmware appends (mask, temperature)."""

    pin: str
    time: datetime
    raw_time: str
    status: int
    verify: int
    workcode: str = "0"
    extra: tuple[str, ...] = ()


def _optional_column(columns: Sequence[str], index: int, default: str) -> str:
    return columns[index].strip() if len(columns) > index and columns[index].strip() else default


def parse_attlog_body(body: bytes) -> list[Punch]:
    punches = []
    for line in split_lines(decode_body(body)):
        columns = line.split("\t")
        if len(columns) < 2 or not columns[0].strip():
            raise ProtocolError(f"ATTLOG line needs at least PIN and time: {line!r}")
        raw_time = columns[1].strip()
        punches.append(
            Punch(
                pin=columns[0].strip(),
                time=parse_local_time(raw_time),
                raw_time=raw_time,
                status=parse_int(_optional_column(columns, 2, "0"), "Status"),
                verify=parse_int(_optional_column(columns, 3, "0"), "Verify"),
                workcode=_optional_column(columns, 4, "0"),
                extra=tuple(column.strip() for column in columns[5:]),
            )
        )
    return punches


def format_attlog_line(punch: Punch) -> str:
    columns = [punch.pin, format_local_time(punch.time), str(punch.status), str(punch.verify)]
    columns += [punch.workcode, *punch.extra]
    return "\t".join(check_value(column, "\t") for column in columns)


@dataclass(frozen=True)
class OperationLog:
    """An ``OPLOG`` line: operation code, administrator, time and up to three objects."""

    operation: int
    admin: str
    time: datetime
    raw_time: str
    objects: tuple[str, ...]


@dataclass(frozen=True)
class TaggedRecord:
    """A ``USER``/``FP``/``FACE``/``BIODATA``/... line: its tag and its keyed fields."""

    tag: str
    fields: Mapping[str, str]

    def get(self, key: str) -> str | None:
        return lower_keys(self.fields).get(key.lower())


def _parse_oplog(rest: str) -> OperationLog:
    columns = rest.split("\t")
    if len(columns) < 3:
        raise ProtocolError(f"OPLOG line needs operation, admin and time: {rest!r}")
    raw_time = columns[2].strip()
    return OperationLog(
        operation=parse_int(columns[0], "OPLOG operation"),
        admin=columns[1].strip(),
        time=parse_local_time(raw_time),
        raw_time=raw_time,
        objects=tuple(column.strip() for column in columns[3:]),
    )


def parse_operlog_body(body: bytes) -> list[OperationLog | TaggedRecord]:
    """OPERLOG (and BIODATA/IDCARD/ERRORLOG) lines start with a tag and a space (§3.3)."""
    records: list[OperationLog | TaggedRecord] = []
    for line in split_lines(decode_body(body)):
        tag, sep, rest = line.partition(" ")
        if not sep or not tag.isascii() or not tag.isalpha():
            raise ProtocolError(f"expected '<TAG> fields', got {line!r}")
        if tag.upper() == "OPLOG":
            records.append(_parse_oplog(rest))
        else:
            records.append(TaggedRecord(tag.upper(), parse_tab_pairs(rest)))
    return records


def parse_biodata_body(body: bytes) -> list[TaggedRecord]:
    records = parse_operlog_body(body)
    tagged = [record for record in records if isinstance(record, TaggedRecord)]
    if len(tagged) != len(records):
        raise ProtocolError("BIODATA upload contains OPLOG lines")
    return tagged


@dataclass(frozen=True)
class AttPhoto:
    """An ATTPHOTO upload: text header, a NUL, then the raw JPEG bytes (§3.3)."""

    filename: str
    sn: str | None
    size: int | None
    jpeg: bytes


def parse_attphoto_body(body: bytes) -> AttPhoto:
    header_bytes, nul, jpeg = body.partition(b"\0")
    if not nul:
        raise ProtocolError("ATTPHOTO body has no NUL before the image")
    header = lower_keys(parse_line_pairs(decode_body(header_bytes)))
    filename = header.get("pin")
    if not filename:
        raise ProtocolError("ATTPHOTO header has no PIN (file name)")
    size = header.get("size")
    return AttPhoto(
        filename=filename,
        sn=header.get("sn"),
        size=parse_int(size, "size") if size else None,
        jpeg=jpeg,
    )


def build_attphoto_body(photo: AttPhoto) -> bytes:
    lines = [f"PIN={check_value(photo.filename, '')}"]
    if photo.sn is not None:
        lines.append(f"SN={check_value(photo.sn, '')}")
    lines += [f"size={len(photo.jpeg)}", "CMD=uploadphoto"]
    return "\n".join(lines).encode() + b"\0" + photo.jpeg


@dataclass(frozen=True)
class DeviceInfo:
    """``getrequest?INFO=...``: firmware, counts, address, algorithm versions, feature bits."""

    firmware: str
    user_count: int
    fingerprint_count: int
    log_count: int
    ip_address: str
    fingerprint_algorithm: str
    face_algorithm: str
    faces_needed: int | None
    face_count: int | None
    feature_bits: str


def parse_info(value: str) -> DeviceInfo:
    columns = [column.strip() for column in value.split(",")]
    if len(columns) < 5:
        raise ProtocolError(f"INFO needs at least five fields: {value!r}")
    columns += [""] * (10 - len(columns))

    def count(index: int, what: str) -> int | None:
        return parse_int(columns[index], what) if columns[index] else None

    return DeviceInfo(
        firmware=columns[0],
        user_count=count(1, "user count") or 0,
        fingerprint_count=count(2, "fingerprint count") or 0,
        log_count=count(3, "log count") or 0,
        ip_address=columns[4],
        fingerprint_algorithm=columns[5],
        face_algorithm=columns[6],
        faces_needed=count(7, "faces needed"),
        face_count=count(8, "face count"),
        feature_bits=columns[9],
    )


# --- commands (the text after ``C:<id>:``) -----------------------------------------------------


def format_card(card_number: int) -> str:
    """``[15CD5B07]`` form of ``Card``: the number's four bytes little-endian, in hex."""
    if not 0 <= card_number < 1 << 32:
        raise ProtocolError(f"card number out of range: {card_number}")
    return "[" + card_number.to_bytes(4, "little").hex().upper() + "]"


def parse_card(value: str) -> int | None:
    """Either form devices send; empty or ``0`` means no card."""
    text = value.strip()
    if not text or text == "0":
        return None
    match = _CARD_HEX.fullmatch(text)
    if match:
        return int.from_bytes(bytes.fromhex(match.group(1)), "little")
    return parse_int(text, "Card")


@dataclass(frozen=True)
class UserInfo:
    """att ``USERINFO``; ``verify=None`` sends -1 (use the group's verify mode)."""

    pin: str
    name: str = ""
    privilege: int = 0
    password: str = ""
    card_number: int | None = None
    group: int = 1
    timezones: str = "0000000000000000"
    verify: int | None = None

    def fields(self) -> dict[str, WireValue]:
        if not self.pin:
            raise ProtocolError("USERINFO needs a PIN")
        return {
            "PIN": self.pin,
            "Name": self.name,
            "Pri": self.privilege,
            "Passwd": self.password,
            "Card": format_card(self.card_number) if self.card_number is not None else "",
            "Grp": self.group,
            "TZ": self.timezones,
            "Verify": -1 if self.verify is None else self.verify,
        }


def data_update(table: str, fields: Mapping[str, WireValue]) -> str:
    return f"DATA UPDATE {check_name(table)} {format_tab_pairs(fields)}"


def data_delete(table: str, conditions: Mapping[str, WireValue]) -> str:
    if not conditions:
        raise ProtocolError("att DATA DELETE needs a condition")
    return f"DATA DELETE {check_name(table)} {format_tab_pairs(conditions)}"


def update_user(user: UserInfo) -> str:
    return data_update("USERINFO", user.fields())


def delete_user(pin: str) -> str:
    """Also removes the user's templates and photos on the device."""
    return data_delete("USERINFO", {"PIN": pin})


def query_attlog(start: datetime, end: datetime) -> str:
    """The device answers by re-uploading the punches through ``cdata?table=ATTLOG``."""
    window = {"StartTime": format_local_time(start), "EndTime": format_local_time(end)}
    return f"DATA QUERY ATTLOG {format_tab_pairs(window)}"


def set_option(key: str, value: WireValue) -> str:
    """``SET OPTION`` takes exactly one key per command in this dialect."""
    return f"SET OPTION {check_name(key)}={check_value(value, ',')}"


SIMPLE_COMMANDS = frozenset(
    {"INFO", "CHECK", "LOG", "REBOOT", "AC_UNLOCK", "AC_UNALARM", "RELOAD OPTIONS",
     "CLEAR LOG", "CLEAR PHOTO", "CLEAR DATA", "CLEAR BIODATA"}
)  # fmt: skip


def simple_command(verb: str) -> str:
    if verb not in SIMPLE_COMMANDS:
        raise ProtocolError(f"not a parameterless att command: {verb!r}")
    return verb

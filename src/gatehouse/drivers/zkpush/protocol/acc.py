"""Security PUSH ("acc", PUSH 3.x): device requests and server replies (reference §2)."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from gatehouse.drivers.zkpush.protocol.errors import ProtocolError
from gatehouse.drivers.zkpush.protocol.kv import (
    WireValue,
    check_name,
    decode_body,
    format_comma_pairs,
    format_line_pairs,
    format_tab_pairs,
    lower_keys,
    optional_int,
    parse_comma_pairs,
    parse_int,
    parse_tab_pairs,
    query_value,
    require_query,
    split_lines,
)
from gatehouse.drivers.zkpush.protocol.timecodes import (
    format_server_tz,
    format_yyyymmdd,
    pack_interval,
    parse_local_time,
)

MAX_REGISTRY_CODE_LENGTH = 32
MAX_DOORS = 16

# --- device requests ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    """The ``/iclock/registry`` body; optional capability keys start with ``~`` on the wire."""

    values: Mapping[str, str]

    def get(self, key: str) -> str | None:
        """Look a key up with or without its ``~`` and in any case."""
        wanted = key.lstrip("~").lower()
        for name, value in self.values.items():
            if name.lstrip("~").lower() == wanted:
                return value
        return None

    def get_int(self, key: str) -> int | None:
        value = self.get(key)
        return parse_int(value, key) if value else None

    @property
    def device_type(self) -> str | None:
        return self.get("DeviceType")

    @property
    def device_name(self) -> str | None:
        return self.get("DeviceName")

    @property
    def firmware(self) -> str | None:
        return self.get("FirmVer")

    def flag(self, key: str) -> bool:
        """Feature flags (``FaceFunOn=1``); absent means off."""
        return (self.get(key) or "0").strip() == "1"

    def multi_bio(self, key: str) -> tuple[bool, ...]:
        """``MultiBioDataSupport=0:1:0:...``: one flag per biometric type index (§2.14.5)."""
        value = self.get(key)
        if not value:
            return ()
        parts = value.split(":")
        if set(parts) - {"0", "1"}:
            raise ProtocolError(f"{key} is not a colon-separated 0/1 list: {value!r}")
        return tuple(part == "1" for part in parts)


def parse_registry_body(body: bytes) -> Registration:
    values = parse_comma_pairs(decode_body(body))
    if not values:
        raise ProtocolError("empty registry body")
    return Registration(values)


def parse_options_body(body: bytes) -> dict[str, str]:
    """``cdata?table=options`` and ``querydata?type=options``: comma-separated ``k=v``."""
    return parse_comma_pairs(decode_body(body))


@dataclass(frozen=True)
class AccessEvent:
    """An rtlog event row; ``index`` is the device's sequence number used for de-duplication."""

    time: datetime
    raw_time: str
    pin: str
    card_no: str
    event: int
    event_addr: int
    in_out_status: int | None
    verify_type: str
    index: int | None
    site_code: str | None = None
    link_id: str | None = None
    mask_flag: int | None = None
    temperature: Decimal | None = None
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DoorState:
    """A door-state row (``rtstate``, or ``rtlog`` on some firmware): hex strings as sent."""

    time: datetime
    raw_time: str
    sensor: str
    relay: str
    alarm: str
    door: str | None
    extra: Mapping[str, str] = field(default_factory=dict)


_EVENT_KEYS = {
    "time", "pin", "cardno", "event", "eventaddr", "inoutstatus", "verifytype", "index",
    "sitecode", "linkid", "maskflag", "temperature",
}  # fmt: skip
_STATE_KEYS = {"time", "sensor", "relay", "alarm", "door"}


def _temperature(value: str | None) -> Decimal | None:
    if value is None or not value.strip():
        return None
    try:
        result = Decimal(value.strip())
    except InvalidOperation as exc:
        raise ProtocolError(f"temperature is not a number: {value!r}") from exc
    if not result.is_finite():
        raise ProtocolError(f"temperature is not a number: {value!r}")
    return result


def _require(pairs: Mapping[str, str], key: str) -> str:
    if key not in pairs:
        raise ProtocolError(f"record has no {key}")
    return pairs[key]


def _event_from(pairs: Mapping[str, str]) -> AccessEvent:
    keyed = lower_keys(pairs)
    raw_time = _require(keyed, "time")
    in_out = optional_int(keyed, "inoutstatus")
    return AccessEvent(
        time=parse_local_time(raw_time),
        raw_time=raw_time,
        pin=keyed.get("pin", "0"),
        card_no=keyed.get("cardno", "0"),
        event=parse_int(_require(keyed, "event"), "event"),
        event_addr=optional_int(keyed, "eventaddr") or 0,
        in_out_status=in_out,
        verify_type=keyed.get("verifytype", ""),
        index=optional_int(keyed, "index"),
        site_code=keyed.get("sitecode"),
        link_id=keyed.get("linkid"),
        mask_flag=optional_int(keyed, "maskflag"),
        temperature=_temperature(keyed.get("temperature")),
        extra={k: v for k, v in pairs.items() if k.lower() not in _EVENT_KEYS},
    )


def _state_from(pairs: Mapping[str, str]) -> DoorState:
    keyed = lower_keys(pairs)
    raw_time = _require(keyed, "time")
    return DoorState(
        time=parse_local_time(raw_time),
        raw_time=raw_time,
        sensor=keyed.get("sensor", ""),
        relay=keyed.get("relay", ""),
        alarm=keyed.get("alarm", ""),
        door=keyed.get("door"),
        extra={k: v for k, v in pairs.items() if k.lower() not in _STATE_KEYS},
    )


def parse_rtlog_body(body: bytes) -> list[AccessEvent | DoorState]:
    """Rows are classified by their keys: some firmware sends door state in ``rtlog`` (§2.9.1)."""
    rows: list[AccessEvent | DoorState] = []
    for line in split_lines(decode_body(body)):
        pairs = parse_tab_pairs(line)
        keys = {key.lower() for key in pairs}
        if "event" in keys:
            rows.append(_event_from(pairs))
        elif keys & {"sensor", "relay", "alarm"}:
            rows.append(_state_from(pairs))
        else:
            raise ProtocolError(f"rtlog row is neither an event nor a door state: {line!r}")
    return rows


def parse_rtstate_body(body: bytes) -> list[DoorState]:
    return [_state_from(parse_tab_pairs(line)) for line in split_lines(decode_body(body))]


@dataclass(frozen=True)
class TableUpload:
    """Query of ``cdata?table=tabledata`` and ``querydata``: which table, how many records."""

    tablename: str
    count: int | None
    kind: str | None = None
    command_id: str | None = None
    pack_count: int | None = None
    pack_index: int | None = None


def _query_int(query: Mapping[str, str], key: str) -> int | None:
    value = query_value(query, key)
    return parse_int(value, key) if value is not None and value.strip() else None


def parse_tabledata_query(query: Mapping[str, str]) -> TableUpload:
    return TableUpload(
        tablename=check_name(require_query(query, "tablename")),
        count=_query_int(query, "count"),
        kind=query_value(query, "type"),
    )


def parse_querydata_query(query: Mapping[str, str]) -> TableUpload:
    """``querydata?type=count|tabledata|options&cmdid=&tablename=&count=&packcnt=&packidx=``."""
    return TableUpload(
        tablename=check_name(require_query(query, "tablename")),
        count=_query_int(query, "count"),
        kind=require_query(query, "type"),
        command_id=query_value(query, "cmdid"),
        pack_count=_query_int(query, "packcnt"),
        pack_index=_query_int(query, "packidx"),
    )


@dataclass(frozen=True)
class TableRecord:
    """One uploaded record of a device table, keyed as the device sent it."""

    table: str
    fields: Mapping[str, str]

    def get(self, key: str) -> str | None:
        return lower_keys(self.fields).get(key.lower())


def parse_tabledata_body(tablename: str, body: bytes) -> list[TableRecord]:
    """Lines start with ``<tablename> `` then TAB-separated pairs; ``ATTPHOTO`` lines have no
    prefix, so the prefix is optional."""
    prefix = tablename.lower() + " "
    records = []
    for line in split_lines(decode_body(body)):
        content = line[len(prefix) :] if line.lower().startswith(prefix) else line
        records.append(TableRecord(tablename, parse_tab_pairs(content)))
    return records


def parse_count_body(tablename: str, body: bytes) -> int:
    """``querydata?type=count`` body: ``<table>=<n>``."""
    pairs = parse_comma_pairs(decode_body(body))
    value = lower_keys(pairs).get(tablename.lower())
    if value is None:
        raise ProtocolError(f"count body does not name table {tablename}")
    return parse_int(value, "count")


# --- server replies ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerConfig:
    """What the server tells a device in the handshake and ``push`` replies (§2.4, §2.6).

    ``PushProtVer`` defaults to 3.0.1: advertising 3.1.1+ may start the unimplemented key
    exchange on encryption-capable firmware (§2.1).
    """

    session_id: str
    server_version: str = "3.1.2"
    server_name: str = "Gatehouse"
    push_prot_ver: str = "3.0.1"
    error_delay: int = 60
    request_delay: int = 2
    trans_times: tuple[str, ...] = ("00:00", "14:00")
    trans_interval: int = 1
    trans_tables: str = "User Transaction"
    realtime: bool = True
    timeout_sec: int = 10
    extra: Mapping[str, WireValue] = field(default_factory=dict)

    def timing_lines(self) -> list[tuple[str, WireValue]]:
        return [
            ("ErrorDelay", self.error_delay),
            ("RequestDelay", self.request_delay),
            ("TransTimes", ";".join(self.trans_times)),
            ("TransInterval", self.trans_interval),
            ("TransTables", self.trans_tables),
            ("Realtime", int(self.realtime)),
            ("SessionID", self.session_id),
            ("TimeoutSec", self.timeout_sec),
        ]


def check_registry_code(code: str) -> str:
    if not code or len(code) > MAX_REGISTRY_CODE_LENGTH or not code.isascii() or not code.isalnum():
        raise ProtocolError(f"RegistryCode must be 1-32 ASCII letters or digits: {code!r}")
    return code


def build_registry_reply(registry_code: str) -> str:
    return f"RegistryCode={check_registry_code(registry_code)}"


def build_handshake_reply(registry_code: str | None, config: ServerConfig) -> str:
    """``OK`` for a device without a code yet, else the ``registry=ok`` block the spec demands."""
    if registry_code is None:
        return "OK"
    return format_line_pairs(
        [
            ("registry", "ok"),
            ("RegistryCode", check_registry_code(registry_code)),
            ("ServerVersion", config.server_version),
            ("ServerName", config.server_name),
            ("PushProtVer", config.push_prot_ver),
            *config.timing_lines(),
            *config.extra.items(),
        ]
    )


def build_push_reply(config: ServerConfig) -> str:
    return format_line_pairs(
        [
            ("ServerVersion", config.server_version),
            ("ServerName", config.server_name),
            ("PushVersion", config.push_prot_ver),
            *config.timing_lines(),
            *config.extra.items(),
        ]
    )


def build_table_ack(tablename: str, count: int) -> str:
    """``<table>=<n>`` for tabledata and querydata uploads; the device retries otherwise."""
    if count < 0:
        raise ProtocolError(f"negative record count: {count}")
    return f"{check_name(tablename)}={count}"


def build_time_reply(zk_seconds_gmt: int, offset: timedelta) -> str:
    """``rtdata?type=time``: ``DateTime=<ZK seconds, GMT>,ServerTZ=+hhmm``."""
    return f"DateTime={zk_seconds_gmt},ServerTZ={format_server_tz(offset)}"


# --- commands (the text after ``C:<id>:``) -----------------------------------------------------


def data_update(table: str, records: Sequence[Mapping[str, WireValue]]) -> str:
    """``DATA UPDATE <table> k=v\\tk=v``; further records go on following lines."""
    if not records:
        raise ProtocolError("DATA UPDATE needs at least one record")
    body = "\n".join(format_tab_pairs(record) for record in records)
    return f"DATA UPDATE {check_name(table)} {body}"


def data_delete(table: str, conditions: Mapping[str, WireValue] | None = None) -> str:
    """Conditions are AND-ed and TAB-separated; None deletes every record (``*``)."""
    condition = format_tab_pairs(conditions) if conditions else "*"
    return f"DATA DELETE {check_name(table)} {condition}"


def data_count(table: str) -> str:
    return f"DATA COUNT {check_name(table)}"


def data_query(table: str, filter_: str = "*", fielddesc: str = "*") -> str:
    if any(char in filter_ + fielddesc for char in ",\r\n"):
        raise ProtocolError("DATA QUERY filter and fielddesc cannot contain commas or newlines")
    return f"DATA QUERY tablename={check_name(table)},fielddesc={fielddesc},filter={filter_}"


def set_options(options: Mapping[str, WireValue]) -> str:
    if not options:
        raise ProtocolError("SET OPTIONS needs at least one option")
    return f"SET OPTIONS {format_comma_pairs(options)}"


def get_options(names: Sequence[str]) -> str:
    if not names:
        raise ProtocolError("GET OPTIONS needs at least one name")
    return "GET OPTIONS " + ",".join(check_name(name) for name in names)


def control_device(*octets: int) -> str:
    """``CONTROL DEVICE AABBCCDD[EE]``: four or five bytes as upper-case hex."""
    if len(octets) not in {4, 5} or any(not 0 <= octet <= 0xFF for octet in octets):
        raise ProtocolError(f"CONTROL DEVICE takes 4 or 5 bytes: {octets}")
    return "CONTROL DEVICE " + "".join(f"{octet:02X}" for octet in octets)


def _check_door(door: int) -> int:
    if not 0 <= door <= MAX_DOORS:
        raise ProtocolError(f"door must be 0 (all) to {MAX_DOORS}: {door}")
    return door


def open_door(door: int, seconds: int) -> str:
    """Open a door's lock for 1-254 s (``01 <door> 01 <seconds>``)."""
    if not 1 <= seconds <= 0xFE:
        raise ProtocolError(f"open time must be 1-254 s: {seconds}")
    return control_device(0x01, _check_door(door), 0x01, seconds)


def hold_door_open(door: int) -> str:
    return control_device(0x01, _check_door(door), 0x01, 0xFF)


def close_door(door: int) -> str:
    return control_device(0x01, _check_door(door), 0x01, 0x00)


def cancel_alarm() -> str:
    return control_device(0x02, 0x01, 0x00, 0x00)


def restart_device() -> str:
    return control_device(0x03, 0x00, 0x00, 0x00)


# --- typed table records -----------------------------------------------------------------------


@dataclass(frozen=True)
class User:
    """acc ``user`` record; dates are ``YYYYMMDD`` (``DateFmtFunOn`` ZK seconds not used)."""

    pin: str
    name: str = ""
    card_no: str = ""
    password: str = ""
    group: int = 0
    privilege: int = 0
    start: datetime | None = None
    end: datetime | None = None
    disabled: bool = False
    verify: int | None = None

    def fields(self, *, string_pins: bool = False) -> dict[str, WireValue]:
        if not self.pin or (not string_pins and not self.pin.isdigit()) or not self.pin.isascii():
            raise ProtocolError(f"PIN must be numeric unless StringPinFunOn=1: {self.pin!r}")
        fields: dict[str, WireValue] = {
            "CardNo": self.card_no,
            "Pin": self.pin,
            "Password": self.password,
            "Group": self.group,
            "StartTime": format_yyyymmdd(self.start) if self.start else 0,
            "EndTime": format_yyyymmdd(self.end) if self.end else 0,
            "Name": self.name,
            "Privilege": self.privilege,
            "Disable": int(self.disabled),
        }
        if self.verify is not None:
            fields["Verify"] = self.verify
        return fields


def door_mask(doors: Sequence[int]) -> int:
    """``AuthorizeDoorId``: door n is bit ``1 << (n - 1)``; all four doors = 15."""
    mask = 0
    for door in doors:
        if not 1 <= door <= MAX_DOORS:
            raise ProtocolError(f"door must be 1-{MAX_DOORS}: {door}")
        mask |= 1 << (door - 1)
    return mask


def doors_from_mask(mask: int) -> tuple[int, ...]:
    return tuple(door for door in range(1, MAX_DOORS + 1) if mask & (1 << (door - 1)))


def user_authorize_fields(pin: str, timezone_id: int, doors: Sequence[int]) -> dict[str, WireValue]:
    return {"Pin": pin, "AuthorizeTimezoneId": timezone_id, "AuthorizeDoorId": door_mask(doors)}


WEEKDAY_PREFIXES = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
Interval = tuple[time, time]


def timezone_fields(
    timezone_id: int, days: Mapping[str, Sequence[Interval]]
) -> dict[str, WireValue]:
    """acc ``timezone`` record: up to three packed intervals per day (``Sun``..``Sat``,
    ``Hol1``..``Hol3``); days not given get 0 (no access)."""
    prefixes = (*WEEKDAY_PREFIXES, "Hol1", "Hol2", "Hol3")
    unknown = set(days) - set(prefixes)
    if unknown:
        raise ProtocolError(f"unknown timezone days: {sorted(unknown)}")
    fields: dict[str, WireValue] = {"TimezoneId": timezone_id}
    for prefix in prefixes:
        intervals = list(days.get(prefix, ()))
        if len(intervals) > 3:
            raise ProtocolError(f"{prefix} has more than three intervals")
        for slot in range(3):
            packed = pack_interval(*intervals[slot]) if slot < len(intervals) else 0
            fields[f"{prefix}Time{slot + 1}"] = packed
    return fields


VISIBLE_LIGHT_FACE = 9


def biophoto_fields(
    pin: str, jpeg: bytes, bio_type: int = VISIBLE_LIGHT_FACE, *, post_back_template: bool = False
) -> dict[str, WireValue]:
    """Comparison photo sent inline (``Format=0``); ``Size`` is the base64 text length [U].
    ``PostBackTmpFlag=1`` would make the device upload the template it extracts: only worth
    it to a server that keeps face templates rather than the photo."""
    content = base64.b64encode(jpeg).decode("ascii")
    return {
        "PIN": pin,
        "Type": bio_type,
        "Size": len(content),
        "Content": content,
        "Format": 0,
        "PostBackTmpFlag": int(post_back_template),
    }

"""The simulator's own small parsers and formatters for the ZKTeco PUSH wire format.

Written from the protocol reference, never shared with the server, so that a mistake on one
side shows up as a failing exchange instead of being silently agreed on. Every parser raises
only `WireError` on bad input.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
ZK_YEAR_BASE = 2000
_LINE_SPLIT = re.compile(r"\r?\n|\r")
_COMMAND_LINE = re.compile(r"^C:([^:\s]{1,64}):(.*)$", re.DOTALL)
_OK_COUNT = re.compile(r"^OK:\s*(\d{1,12})$")
_FORBIDDEN_IN_VALUES = ("\t", "\n", "\r")


class WireError(ValueError):
    """Input that does not follow the wire format."""


def split_lines(text: str) -> list[str]:
    """Records are LF-separated; devices and servers also use CRLF. Blank lines carry nothing."""
    return [line for line in _LINE_SPLIT.split(text) if line.strip()]


def parse_pairs(text: str, sep: str = "\t", *, glue: bool = False) -> dict[str, str]:
    """`k=v<sep>k=v` into a dict (keys stripped, values kept as sent).

    With `glue`, a token without `=` belongs to the previous value: registration bodies carry
    values such as `~OEMVendor=ZKTECO CO., LTD.` that contain the separator.
    """
    pairs: dict[str, str] = {}
    last_key: str | None = None
    for token in text.split(sep):
        if "=" not in token:
            if not token.strip():
                continue
            if glue and last_key is not None:
                pairs[last_key] += sep + token
                continue
            raise WireError(f"token without '=': {token[:40]!r}")
        key, value = token.split("=", 1)
        key = key.strip()
        if not key:
            raise WireError(f"empty key in {token[:40]!r}")
        pairs[key] = value
        last_key = key
    return pairs


def format_pairs(pairs: Iterable[tuple[str, object]], sep: str = "\t") -> str:
    """The inverse of `parse_pairs`; refuses values that would break the record apart."""
    parts: list[str] = []
    for key, value in pairs:
        text = str(value)
        if any(bad in text for bad in _FORBIDDEN_IN_VALUES) or "=" in key:
            raise WireError(f"value of {key!r} cannot travel in a record")
        parts.append(f"{key}={text}")
    return sep.join(parts)


def parse_block(text: str) -> dict[str, str]:
    """One `key=value` per line (handshake and push replies); other lines are ignored."""
    block: dict[str, str] = {}
    for line in split_lines(text):
        if "=" in line:
            key, value = line.split("=", 1)
            if key.strip():
                block[key.strip()] = value.strip()
    return block


@dataclass(frozen=True)
class ServerCommand:
    """One `C:<id>:<text>` command; `text` may span several lines (multi-record DATA)."""

    id: str
    text: str


def parse_commands(body: str) -> list[ServerCommand]:
    """A getrequest reply: `OK` (nothing queued) or command lines with continuation lines."""
    lines = split_lines(body)
    if not lines or (len(lines) == 1 and lines[0].strip() == "OK"):
        return []
    commands: list[tuple[str, list[str]]] = []
    for line in lines:
        match = _COMMAND_LINE.match(line)
        if match:
            commands.append((match.group(1), [match.group(2)]))
        elif commands:
            commands[-1][1].append(line)
        else:
            raise WireError(f"not a command line: {line[:60]!r}")
    return [ServerCommand(command_id, "\n".join(text)) for command_id, text in commands]


def format_result(command_id: str, return_code: int, cmd: str, suffix: str = "") -> str:
    """One devicecmd line: `ID=<id>&Return=<code>&CMD=<verb>`."""
    return f"ID={command_id}&Return={return_code}&CMD={cmd}{suffix}"


def format_time(moment: datetime) -> str:
    """Record time: device-local wall clock, no zone."""
    return moment.strftime(TIME_FORMAT)


def parse_time(text: str) -> datetime:
    """`YYYY-MM-DD HH:MM:SS` (device-local, naive)."""
    try:
        return datetime.strptime(text.strip(), TIME_FORMAT)  # noqa: DTZ007 - device wall clock
    except ValueError as error:
        raise WireError(f"bad time {text[:30]!r}") from error


def zk_seconds(moment: datetime) -> int:
    """ZKTeco "encoded seconds": a 372-day year of twelve 31-day months, counted from 2000."""
    days = (moment.year - ZK_YEAR_BASE) * 12 * 31 + (moment.month - 1) * 31 + (moment.day - 1)
    return days * 86400 + (moment.hour * 60 + moment.minute) * 60 + moment.second


def from_zk_seconds(value: int) -> datetime:
    """Inverse of `zk_seconds`; refuses values that name no calendar day (e.g. 31 February)."""
    if value < 0:
        raise WireError("negative ZK seconds")
    rest, second = divmod(value, 60)
    rest, minute = divmod(rest, 60)
    rest, hour = divmod(rest, 24)
    rest, day = divmod(rest, 31)
    year, month = divmod(rest, 12)
    try:
        return datetime(year + ZK_YEAR_BASE, month + 1, day + 1, hour, minute, second)  # noqa: DTZ001
    except (ValueError, OverflowError) as error:
        raise WireError(f"ZK seconds {value} name no date") from error


def pack_interval(start_hhmm: int, end_hhmm: int) -> int:
    """Timezone interval: `(HHMM_start << 16) + HHMM_end`."""
    return (start_hhmm << 16) + end_hhmm


def unpack_interval(value: int) -> tuple[int, int]:
    return value >> 16, value & 0xFFFF


def session_token(registry_code: str, serial_number: str, session_id: str) -> str:
    """The acc cookie token: hex md5 of RegistryCode + SN + SessionID (an identifier, not a secret
    protection: md5 is what the devices use)."""
    material = (registry_code + serial_number + session_id).encode()
    return hashlib.md5(material, usedforsecurity=False).hexdigest()


def parse_table_ack(body: str, table: str) -> int | None:
    """acc table-upload ack `<table>=<n>` (case-insensitive name); None when it is not one."""
    match = re.fullmatch(rf"\s*{re.escape(table)}\s*[=:]\s*(\d{{1,12}})\s*", body, re.IGNORECASE)
    return int(match.group(1)) if match else None


def parse_ok_count(body: str) -> int | None:
    """att ack `OK: <n>` (some servers omit the space); None when it is not one."""
    match = _OK_COUNT.match(body.strip())
    return int(match.group(1)) if match else None


def is_ok(body: str) -> bool:
    return body.strip() == "OK"

"""Requests and replies that are the same in both dialects (reference §1, §2.8, §3.4)."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from gatehouse.drivers.zkpush.protocol.errors import ProtocolError
from gatehouse.drivers.zkpush.protocol.kv import (
    decode_body,
    lower_keys,
    parse_ampersand_pairs,
    parse_int,
    parse_line_pairs,
    query_value,
    require_query,
    split_lines,
)

OK = "OK"
_COMMAND_ID = re.compile(r"[A-Za-z0-9]{1,16}", re.ASCII)
_SERIAL = re.compile(r"[A-Za-z0-9_-]{1,64}", re.ASCII)


class Dialect(enum.StrEnum):
    ACC = "acc"
    ATT = "att"


@dataclass(frozen=True)
class DeviceQuery:
    """The query string every device request carries; ``SN`` is the device identity."""

    sn: str
    table: str | None = None
    pushver: str | None = None
    device_type: str | None = None
    options: str | None = None
    language: str | None = None
    raw: Mapping[str, str] = field(default_factory=dict)


def parse_serial(value: str) -> str:
    if not _SERIAL.fullmatch(value):
        raise ProtocolError(f"not a device serial number: {value!r}")
    return value


def parse_device_query(query: Mapping[str, str]) -> DeviceQuery:
    def optional(key: str) -> str | None:
        value = query_value(query, key)
        return value.strip() if value is not None and value.strip() else None

    return DeviceQuery(
        sn=parse_serial(require_query(query, "SN")),
        table=optional("table"),
        pushver=optional("pushver"),
        device_type=optional("DeviceType"),
        options=optional("options"),
        language=optional("language"),
        raw=dict(query),
    )


def detect_dialect(query: DeviceQuery) -> Dialect | None:
    """Best guess from one handshake (§2.4): ``DeviceType`` first, then the push major version.

    None means "cannot tell yet"; a later ``/registry`` call or a lower-case table decides.
    """
    if query.device_type is not None and query.device_type.lower() in {"acc", "att"}:
        return Dialect(query.device_type.lower())
    if query.pushver:
        major = query.pushver.strip().split(".", 1)[0]
        if major == "3":
            return Dialect.ACC
        if major == "2":
            return Dialect.ATT
    return None


@dataclass(frozen=True)
class CommandResult:
    """One ``ID=..&Return=..&CMD=..`` line plus any ``key=value`` lines that follow it
    (att ``INFO`` and ``GetFile`` results carry their payload that way)."""

    command_id: str
    return_code: int
    command: str
    extra: Mapping[str, str] = field(default_factory=dict)
    details: Mapping[str, str] = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        return self.return_code >= 0


def parse_devicecmd_body(body: bytes) -> list[CommandResult]:
    results: list[CommandResult] = []
    for line in split_lines(decode_body(body)):
        if line.upper().startswith("ID=") and "&" in line:
            pairs = parse_ampersand_pairs(line)
            keyed = lower_keys(pairs)
            if "return" not in keyed:
                raise ProtocolError(f"command result without Return: {line!r}")
            extra = {k: v for k, v in pairs.items() if k.lower() not in {"id", "return", "cmd"}}
            results.append(
                CommandResult(
                    command_id=keyed["id"],
                    return_code=parse_int(keyed["return"], "Return"),
                    command=keyed.get("cmd", ""),
                    extra=extra,
                )
            )
        elif results:
            previous = results[-1]
            details = {**previous.details, **parse_line_pairs(line)}
            results[-1] = CommandResult(
                previous.command_id, previous.return_code, previous.command, previous.extra, details
            )
        else:
            raise ProtocolError(f"expected ID=..&Return=..&CMD=.., got {line!r}")
    if not results:
        raise ProtocolError("empty command result body")
    return results


def check_command_id(command_id: str) -> str:
    """CmdID: letters and digits, at most 16 characters (§3.4)."""
    if not _COMMAND_ID.fullmatch(command_id):
        raise ProtocolError(f"command id must be 1-16 letters or digits: {command_id!r}")
    return command_id


def build_command(command_id: str, text: str) -> str:
    """``C:<id>:<command>``; multi-record DATA UPDATE bodies continue on the following lines."""
    if not text or text != text.strip() or "\r" in text:
        raise ProtocolError(f"bad command text: {text!r}")
    return f"C:{check_command_id(command_id)}:{text}"


def build_getrequest_reply(commands: Iterable[tuple[str, str]]) -> str:
    """``OK`` when nothing is queued, otherwise one command after the other, LF-separated."""
    lines = [build_command(command_id, text) for command_id, text in commands]
    return "\n".join(lines) if lines else OK


@dataclass(frozen=True)
class ServerCommand:
    """A command read back from a getrequest reply (what the simulator and tests see)."""

    command_id: str
    text: str


def parse_getrequest_reply(text: str) -> list[ServerCommand]:
    """Inverse of build_getrequest_reply; lines without ``C:`` continue the previous command."""
    lines = [line for line in re.split(r"\r?\n", text) if line.strip()]
    if [line.strip() for line in lines] == [OK]:
        return []
    commands: list[ServerCommand] = []
    for line in lines:
        if line.startswith("C:"):
            command_id, sep, command_text = line[2:].partition(":")
            if not sep:
                raise ProtocolError(f"command line without id: {line!r}")
            commands.append(ServerCommand(check_command_id(command_id), command_text))
        elif commands:
            last = commands[-1]
            commands[-1] = ServerCommand(last.command_id, f"{last.text}\n{line}")
        else:
            raise ProtocolError(f"expected C:<id>:<command>, got {line!r}")
    return commands

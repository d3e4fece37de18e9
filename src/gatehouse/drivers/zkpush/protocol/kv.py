"""The separator grammar both dialects share (reference §1, §2.5, §2.8, §2.10).

- records: one per line, LF on the wire, devices often send CRLF;
- keyed records: ``key=value`` fields separated by TAB; the value is everything after the first
  ``=`` (values such as base64 templates contain ``=``);
- registry and options bodies: ``key=value`` pairs separated by commas, where a token without
  ``=`` belongs to the previous value (``~OEMVendor=ZKTECO CO., LTD.``);
- configuration replies: one ``key=value`` per line;
- command results: ``ID=..&Return=..&CMD=..``.

There is no escaping on this wire: a value simply must not contain its separators, so builders
refuse such values instead of sending a record the device would split differently.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping

from gatehouse.drivers.zkpush.protocol.errors import ProtocolError

WireValue = str | int
_NAME = re.compile(r"[~A-Za-z0-9_.]+", re.ASCII)
_LINE_BREAK = re.compile(r"\r?\n|\r")


def decode_body(body: bytes) -> str:
    """UTF-8 with replacement: one legacy-encoded name must not cost the whole upload."""
    return body.decode("utf-8", errors="replace")


def split_lines(text: str) -> list[str]:
    """Records of a body: split on CRLF/LF, strip surrounding blanks, drop empty lines."""
    return [stripped for line in _LINE_BREAK.split(text) if (stripped := line.strip())]


def _split_pair(field: str) -> tuple[str, str]:
    key, sep, value = field.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ProtocolError(f"expected key=value, got {field!r}")
    return key, value.strip(" ")


def parse_tab_pairs(line: str) -> dict[str, str]:
    """One keyed record (``pin=1\\tname=Ana``); keys keep the case the device sent."""
    return dict(_split_pair(field) for field in line.split("\t") if field.strip())


def parse_comma_pairs(text: str) -> dict[str, str]:
    """Registry and options bodies; a token without ``=`` is glued to the previous value."""
    pairs: dict[str, str] = {}
    last_key: str | None = None
    for token in text.strip().split(","):
        if "=" not in token:
            if last_key is None:
                if token.strip():
                    raise ProtocolError(f"value without a key: {token!r}")
                continue
            pairs[last_key] += "," + token
            continue
        last_key, value = _split_pair(token)
        pairs[last_key] = value
    return pairs


def parse_line_pairs(text: str) -> dict[str, str]:
    """Configuration blocks: one ``key=value`` per line."""
    return dict(_split_pair(line) for line in split_lines(text))


def parse_ampersand_pairs(line: str) -> dict[str, str]:
    return dict(_split_pair(field) for field in line.split("&") if field.strip())


def lower_keys(pairs: Mapping[str, str]) -> dict[str, str]:
    """Devices treat field names case-insensitively (``Pin``/``PIN``/``pin``); so do parsers."""
    return {key.lower(): value for key, value in pairs.items()}


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise ProtocolError(f"not a field or table name: {name!r}")
    return name


@functools.cache
def _separators(forbidden: str) -> re.Pattern[str]:
    return re.compile(f"[{re.escape(forbidden)}\r\n\t]")


def check_value(value: WireValue, forbidden: str) -> str:
    text = str(value)
    if _separators(forbidden).search(text):  # a face photo is 50 KB of text: no char loop
        bad = sorted({char for char in text if char in forbidden or char in "\r\n\t"})
        raise ProtocolError(f"value {text!r} contains separator(s) {bad!r}")
    return text


def format_pairs(pairs: Mapping[str, WireValue], separator: str) -> str:
    """Join ``key=value`` pairs, refusing values that contain any separator of the wire."""
    return separator.join(
        f"{check_name(key)}={check_value(value, separator)}" for key, value in pairs.items()
    )


def format_tab_pairs(pairs: Mapping[str, WireValue]) -> str:
    return format_pairs(pairs, "\t")


def format_comma_pairs(pairs: Mapping[str, WireValue]) -> str:
    return format_pairs(pairs, ",")


def format_line_pairs(pairs: Iterable[tuple[str, WireValue]]) -> str:
    """Configuration blocks; values may contain TAB (att ``TransFlag``), never a line break."""
    return "\n".join(f"{check_name(key)}={_no_line_break(value)}" for key, value in pairs)


def _no_line_break(value: WireValue) -> str:
    text = str(value)
    if "\n" in text or "\r" in text:
        raise ProtocolError(f"value {text!r} contains a line break")
    return text


def parse_int(value: str, what: str) -> int:
    """Decimal integer field; ``int()`` alone would accept ``1_000`` and non-ASCII digits."""
    text = value.strip()
    if not re.fullmatch(r"-?[0-9]+", text, re.ASCII):
        raise ProtocolError(f"{what} is not an integer: {value!r}")
    return int(text)


def optional_int(pairs: Mapping[str, str], key: str) -> int | None:
    value = pairs.get(key, "").strip()
    return parse_int(value, key) if value else None


def query_value(query: Mapping[str, str], key: str) -> str | None:
    """Query keys are matched case-insensitively (``SN``/``sn``, ``table``/``Table``)."""
    wanted = key.lower()
    for name, value in query.items():
        if name.lower() == wanted:
            return value
    return None


def require_query(query: Mapping[str, str], key: str) -> str:
    value = query_value(query, key)
    if value is None or not value.strip():
        raise ProtocolError(f"query parameter {key} is missing")
    return value.strip()

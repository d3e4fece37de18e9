"""Time on the ZKTeco wire: ZK encoded seconds, packed intervals, zone offsets, local stamps.

Records carry device-local wall-clock time without a zone (reference §1), so every datetime here
is naive on purpose; the driver attaches the device's zone.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from gatehouse.drivers.zkpush.protocol.errors import ProtocolError

_DAY_SECONDS = 86400
_LOCAL_TIME = re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})", re.ASCII)
_SERVER_TZ = re.compile(r"([+-])(\d{2})(\d{2})", re.ASCII)
_MAX_ZK_YEAR = 9999


def encode_zk_seconds(moment: datetime) -> int:
    """ZK "encoded seconds": a 372-day year of twelve 31-day months counted from 2000."""
    if moment.year < 2000:
        raise ProtocolError(f"ZK time cannot express years before 2000: {moment.year}")
    days = (moment.year - 2000) * 12 * 31 + (moment.month - 1) * 31 + (moment.day - 1)
    return days * _DAY_SECONDS + (moment.hour * 60 + moment.minute) * 60 + moment.second


def decode_zk_seconds(value: int) -> datetime:
    """Inverse of encode_zk_seconds; a day that does not exist (Feb 30) is a ProtocolError."""
    if value < 0:
        raise ProtocolError(f"negative ZK time: {value}")
    rest, second = divmod(value, 60)
    rest, minute = divmod(rest, 60)
    rest, hour = divmod(rest, 24)
    rest, day_index = divmod(rest, 31)
    year_index, month_index = divmod(rest, 12)
    year = year_index + 2000
    if year > _MAX_ZK_YEAR:
        raise ProtocolError(f"ZK time out of range: {value}")
    try:
        return datetime(year, month_index + 1, day_index + 1, hour, minute, second)  # noqa: DTZ001
    except ValueError as exc:
        raise ProtocolError(f"ZK time {value} names no real day: {exc}") from exc


def parse_local_time(text: str) -> datetime:
    """Parse the ``YYYY-MM-DD HH:MM:SS`` device-local stamp of rtlog and ATTLOG records."""
    match = _LOCAL_TIME.fullmatch(text.strip())
    if match is None:
        raise ProtocolError(f"not a YYYY-MM-DD HH:MM:SS time: {text!r}")
    try:
        year, month, day, hour, minute, second = (int(part) for part in match.groups())
        return datetime(year, month, day, hour, minute, second)  # noqa: DTZ001
    except ValueError as exc:
        raise ProtocolError(f"impossible time {text!r}: {exc}") from exc


def format_local_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def format_yyyymmdd(moment: datetime) -> str:
    """The ``StartTime``/``EndTime`` form of acc ``user`` records without ``DateFmtFunOn``."""
    return f"{moment.year:04d}{moment.month:02d}{moment.day:02d}"


def _hhmm(moment: time) -> int:
    return moment.hour * 100 + moment.minute


def _time_from_hhmm(value: int) -> time:
    hour, minute = divmod(value, 100)
    if hour > 23 or minute > 59:
        raise ProtocolError(f"not an HHMM time: {value}")
    return time(hour, minute)


def pack_interval(start: time, end: time) -> int:
    """acc ``timezone`` interval: ``(HHMM_start << 16) + HHMM_end`` (10:00-11:00 = 65537100)."""
    return (_hhmm(start) << 16) + _hhmm(end)


def unpack_interval(value: int) -> tuple[time, time]:
    if value < 0 or value >= 1 << 32:
        raise ProtocolError(f"interval out of range: {value}")
    return _time_from_hhmm(value >> 16), _time_from_hhmm(value & 0xFFFF)


def format_att_timezone(offset: timedelta) -> str:
    """att ``TimeZone`` option: whole hours as hours, anything else as minutes (330 = +05:30)."""
    minutes, remainder = divmod(int(offset.total_seconds()), 60)
    if remainder or abs(minutes) > 14 * 60:
        raise ProtocolError(f"not a zone offset in whole minutes: {offset}")
    hours, odd_minutes = divmod(minutes, 60)
    if odd_minutes == 0 and -12 <= hours <= 12:
        return str(hours)
    if abs(minutes) <= 60:
        raise ProtocolError(f"TimeZone cannot express {offset}: minutes must exceed 60")
    return str(minutes)


def parse_att_timezone(text: str) -> timedelta:
    """Values from -12 to 12 are hours; |value| > 60 are minutes; 13..60 mean nothing."""
    try:
        value = int(text.strip())
    except ValueError as exc:
        raise ProtocolError(f"TimeZone is not an integer: {text!r}") from exc
    if -12 <= value <= 12:
        return timedelta(hours=value)
    if 60 < abs(value) <= 14 * 60:
        return timedelta(minutes=value)
    raise ProtocolError(f"TimeZone neither hours nor minutes: {value}")


def format_server_tz(offset: timedelta) -> str:
    """``ServerTZ=+0800`` of the acc ``rtdata?type=time`` reply."""
    minutes, remainder = divmod(int(offset.total_seconds()), 60)
    if remainder or abs(minutes) > 14 * 60:
        raise ProtocolError(f"not a zone offset in whole minutes: {offset}")
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}{mins:02d}"


def parse_server_tz(text: str) -> timedelta:
    match = _SERVER_TZ.fullmatch(text.strip())
    if match is None:
        raise ProtocolError(f"not a +hhmm offset: {text!r}")
    sign, hours, minutes = match.groups()
    if int(minutes) > 59:
        raise ProtocolError(f"not a +hhmm offset: {text!r}")
    offset = timedelta(hours=int(hours), minutes=int(minutes))
    return -offset if sign == "-" else offset

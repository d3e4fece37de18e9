"""ZK time encoding, interval packing and zone offsets (reference §1, §2.10, §2.11, §3.2)."""

from __future__ import annotations

import contextlib
from datetime import datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatehouse.drivers.zkpush.protocol.errors import ProtocolError
from gatehouse.drivers.zkpush.protocol.timecodes import (
    decode_zk_seconds,
    encode_zk_seconds,
    format_att_timezone,
    format_server_tz,
    pack_interval,
    parse_att_timezone,
    parse_local_time,
    parse_server_tz,
    unpack_interval,
)


def test_zk_seconds_match_the_reference_check_value() -> None:
    assert decode_zk_seconds(583080894) == datetime(2018, 2, 22, 14, 54, 54)  # noqa: DTZ001
    assert encode_zk_seconds(datetime(2018, 2, 22, 14, 54, 54)) == 583080894  # noqa: DTZ001


def test_zk_seconds_are_not_unix_time() -> None:
    # 2000-02-01 is 31 days after 2000-01-01 in both calendars, but 2000-03-01 is 62 ZK days.
    assert encode_zk_seconds(datetime(2000, 3, 1)) == 62 * 86400  # noqa: DTZ001


@pytest.mark.parametrize("value", [-1, (31 + 29) * 86400])
def test_decoding_impossible_zk_days_is_a_protocol_error(value: int) -> None:
    # The second value is day index 29 of the second 31-day month: 30 February 2000.
    with pytest.raises(ProtocolError):
        decode_zk_seconds(value)


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)))  # noqa: DTZ001
def test_zk_seconds_round_trip(moment: datetime) -> None:
    moment = moment.replace(microsecond=0)
    assert decode_zk_seconds(encode_zk_seconds(moment)) == moment


@given(st.integers())
def test_decoding_any_integer_returns_a_time_or_protocol_error(value: int) -> None:
    with contextlib.suppress(ProtocolError):
        decode_zk_seconds(value)


def test_intervals_pack_as_the_reference_examples() -> None:
    assert pack_interval(time(10, 0), time(11, 0)) == 65537100
    assert pack_interval(time(0, 1), time(0, 3)) == 65539
    assert unpack_interval(65537100) == (time(10, 0), time(11, 0))
    assert pack_interval(time(8, 0), time(18, 0)) == (800 << 16) + 1800


@given(st.integers())
def test_unpacking_any_integer_returns_times_or_protocol_error(value: int) -> None:
    try:
        start, end = unpack_interval(value)
    except ProtocolError:
        return
    assert pack_interval(start, end) == value


def test_local_time_parses_device_wall_clock() -> None:
    assert parse_local_time("2025-01-10 09:12:44") == datetime(2025, 1, 10, 9, 12, 44)  # noqa: DTZ001
    for bad in ["2025-02-30 00:00:00", "2025-01-10T09:12:44", "٢٠٢٥-01-10 09:12:44", ""]:
        with pytest.raises(ProtocolError):
            parse_local_time(bad)


@pytest.mark.parametrize(
    ("text", "offset"),
    [("8", timedelta(hours=8)), ("-5", timedelta(hours=-5)), ("330", timedelta(minutes=330)),
     ("-300", timedelta(hours=-5))],
)  # fmt: skip
def test_att_timezone_reads_hours_and_minutes(text: str, offset: timedelta) -> None:
    assert parse_att_timezone(text) == offset


def test_att_timezone_between_hours_and_minutes_is_rejected() -> None:
    with pytest.raises(ProtocolError):
        parse_att_timezone("30")


@given(st.integers(min_value=-14 * 60, max_value=14 * 60))
def test_att_timezone_round_trip(minutes: int) -> None:
    offset = timedelta(minutes=minutes)
    try:
        text = format_att_timezone(offset)
    except ProtocolError:
        assert 0 < abs(minutes) < 60  # hours cannot say it, and minutes must exceed 60
        return
    assert parse_att_timezone(text) == offset


def test_server_tz_matches_the_rtdata_example() -> None:
    assert format_server_tz(timedelta(hours=8)) == "+0800"
    assert format_server_tz(timedelta(hours=-3, minutes=-30)) == "-0330"
    assert parse_server_tz("+0800") == timedelta(hours=8)
    assert parse_server_tz("-0330") == timedelta(hours=-3, minutes=-30)


@given(st.text())
def test_text_parsers_raise_only_protocol_error(text: str) -> None:
    for parser in (parse_local_time, parse_att_timezone, parse_server_tz):
        with contextlib.suppress(ProtocolError):
            parser(text)

"""The simulator's own wire helpers: spec examples, round trips, and that bad input only ever
raises `WireError`."""

from __future__ import annotations

import contextlib
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatehouse_sim.wire import (
    ServerCommand,
    WireError,
    format_pairs,
    format_result,
    from_zk_seconds,
    is_ok,
    pack_interval,
    parse_block,
    parse_commands,
    parse_ok_count,
    parse_pairs,
    parse_table_ack,
    parse_time,
    session_token,
    split_lines,
    unpack_interval,
    zk_seconds,
)


def test_zk_seconds_matches_the_spec_example() -> None:
    # SP-EN Appendix 5/6: 583080894 is 2018-02-22 14:54:54.
    assert from_zk_seconds(583080894) == datetime(2018, 2, 22, 14, 54, 54)  # noqa: DTZ001
    assert zk_seconds(datetime(2018, 2, 22, 14, 54, 54)) == 583080894  # noqa: DTZ001


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)))  # noqa: DTZ001
def test_zk_seconds_round_trip(moment: datetime) -> None:
    moment = moment.replace(microsecond=0)
    assert from_zk_seconds(zk_seconds(moment)) == moment


def test_zk_seconds_refuse_days_no_calendar_has() -> None:
    thirty_first_of_february = ((18 * 12 + 1) * 31 + 30) * 86400
    with pytest.raises(WireError):
        from_zk_seconds(thirty_first_of_february)
    with pytest.raises(WireError):
        from_zk_seconds(-1)


def test_timezone_intervals_pack_as_the_reference_shows() -> None:
    assert pack_interval(1000, 1100) == 65537100
    assert pack_interval(1, 3) == 65539
    # The reference's §2.10 example says 08:00-18:00 is 52429200; (800 << 16) + 1800 is 52430600.
    assert pack_interval(800, 1800) == 52430600
    assert unpack_interval(52430600) == (800, 1800)


def test_pairs_parse_tabs_and_glue_commas_inside_values() -> None:
    assert parse_pairs("Pin=1\tName=Ana Diaz\tCardNo=") == {
        "Pin": "1",
        "Name": "Ana Diaz",
        "CardNo": "",
    }
    registration = "DeviceType=acc,~OEMVendor=ZKTECO CO., LTD.,LockCount=1"
    assert parse_pairs(registration, ",", glue=True)["~OEMVendor"] == "ZKTECO CO., LTD."
    with pytest.raises(WireError):
        parse_pairs("Pin=1\tgarbage")


def test_format_refuses_values_that_would_split_a_record() -> None:
    assert format_pairs([("pin", 1), ("name", "Ana")]) == "pin=1\tname=Ana"
    for bad in ("a\tb", "a\nb", "a\rb"):
        with pytest.raises(WireError):
            format_pairs([("name", bad)])


def test_commands_with_continuation_lines_and_crlf() -> None:
    body = (
        "C:101:DATA UPDATE user Pin=1\tName=A\r\nPin=2\tName=B\r\nC:102:CONTROL DEVICE 01010105\r\n"
    )
    assert parse_commands(body) == [
        ServerCommand("101", "DATA UPDATE user Pin=1\tName=A\nPin=2\tName=B"),
        ServerCommand("102", "CONTROL DEVICE 01010105"),
    ]
    assert parse_commands("OK") == []
    assert parse_commands("") == []
    with pytest.raises(WireError):
        parse_commands("Pin=1\tName=A")


def test_result_line_and_acks() -> None:
    assert format_result("384", 0, "UPGRADE") == "ID=384&Return=0&CMD=UPGRADE"
    assert parse_table_ack("biophoto=2", "biophoto") == 2
    assert parse_table_ack("user=3\n", "biophoto") is None
    assert parse_ok_count("OK: 9") == 9
    assert parse_ok_count("OK:1") == 1
    assert parse_ok_count("OK") is None
    assert is_ok("OK\r\n")
    assert not is_ok("OK: 1")


def test_block_keeps_key_value_lines_only() -> None:
    block = parse_block("GET OPTION FROM: X1\nDelay=5\r\nTransFlag=TransData AttLog\tOpLog\n\n")
    assert block == {"Delay": "5", "TransFlag": "TransData AttLog\tOpLog"}


def test_session_token_is_md5_of_code_serial_and_session() -> None:
    assert session_token("a", "b", "c") == "900150983cd24fb0d6963f7d28e17f72"  # md5("abc")


def test_time_format() -> None:
    assert parse_time("2015-07-30 15:16:28") == datetime(2015, 7, 30, 15, 16, 28)  # noqa: DTZ001
    with pytest.raises(WireError):
        parse_time("2015-07-30 15: 16: 28")


@given(st.text())
def test_parsers_raise_only_wire_errors(text: str) -> None:
    for parse in (
        lambda: parse_pairs(text),
        lambda: parse_pairs(text, ",", glue=True),
        lambda: parse_commands(text),
        lambda: parse_time(text),
    ):
        with contextlib.suppress(WireError):
            parse()
    parse_block(text)
    split_lines(text)
    parse_table_ack(text, "user")
    parse_ok_count(text)


@given(st.integers())
def test_zk_seconds_parser_raises_only_wire_errors(value: int) -> None:
    with contextlib.suppress(WireError):
        from_zk_seconds(value)


@given(
    st.lists(
        st.tuples(
            st.text(alphabet=st.characters(blacklist_characters="=\t\r\n"), min_size=1).filter(
                lambda key: key.strip() == key
            ),
            st.text(alphabet=st.characters(blacklist_characters="\t\r\n")),
        ),
        max_size=8,
        unique_by=lambda pair: pair[0],
    )
)
def test_pairs_round_trip(pairs: list[tuple[str, str]]) -> None:
    assert parse_pairs(format_pairs(pairs)) == dict(pairs)

"""Separator grammar shared by both dialects (reference §1, §2.5, §2.10)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatehouse.drivers.zkpush.protocol.errors import ProtocolError
from gatehouse.drivers.zkpush.protocol.kv import (
    format_comma_pairs,
    format_tab_pairs,
    parse_ampersand_pairs,
    parse_comma_pairs,
    parse_line_pairs,
    parse_tab_pairs,
    split_lines,
)


def test_lines_split_on_lf_and_crlf_and_skip_blanks() -> None:
    assert split_lines("a=1\r\nb=2\n\n c=3 \r\n") == ["a=1", "b=2", "c=3"]


def test_tab_pairs_keep_equals_signs_inside_values() -> None:
    assert parse_tab_pairs("pin=1\ttmp=AAE=\tname=") == {"pin": "1", "tmp": "AAE=", "name": ""}


def test_comma_pairs_glue_a_comma_inside_a_value() -> None:
    body = "DeviceType=acc,~OEMVendor=ZKTECO CO., LTD.,LockCount=1"
    assert parse_comma_pairs(body) == {
        "DeviceType": "acc",
        "~OEMVendor": "ZKTECO CO., LTD.",
        "LockCount": "1",
    }


def test_a_field_without_key_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError):
        parse_tab_pairs("pin=1\tgarbage")
    with pytest.raises(ProtocolError):
        parse_comma_pairs("garbage,pin=1")


@pytest.mark.parametrize("value", ["Ana\tDiaz", "Ana\nDiaz", "Ana\rDiaz"])
def test_tab_builder_refuses_separators_in_values(value: str) -> None:
    with pytest.raises(ProtocolError):
        format_tab_pairs({"Name": value})


def test_comma_builder_refuses_commas_in_values() -> None:
    with pytest.raises(ProtocolError):
        format_comma_pairs({"ServerName": "a,b"})


_KEYS = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,11}", fullmatch=True)
_VALUES = st.text(alphabet=st.characters(blacklist_characters="\t\r\n,&=", codec="utf-8")).map(
    str.strip
)


@given(st.dictionaries(_KEYS, _VALUES, min_size=1))
def test_tab_pairs_round_trip(pairs: dict[str, str]) -> None:
    assert parse_tab_pairs(format_tab_pairs(pairs)) == pairs


@given(st.dictionaries(_KEYS, _VALUES, min_size=1))
def test_comma_pairs_round_trip(pairs: dict[str, str]) -> None:
    assert parse_comma_pairs(format_comma_pairs(pairs)) == pairs


@given(st.text())
def test_pair_parsers_raise_only_protocol_error(text: str) -> None:
    for parser in (parse_tab_pairs, parse_comma_pairs, parse_line_pairs, parse_ampersand_pairs):
        with contextlib.suppress(ProtocolError):
            parser(text)

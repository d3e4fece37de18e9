"""Event, verify-mode and return-code tables (reference §2.8, §2.14, §3.4)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatehouse.drivers.zkpush.protocol import tables
from gatehouse.drivers.zkpush.protocol.errors import ProtocolError


@pytest.mark.parametrize(
    ("code", "category"),
    [(0, "normal"), (19, "normal"), (20, "error"), (102, "alarm"), (201, "normal"),
     (255, "door_status"), (4009, "extended")],
)  # fmt: skip
def test_event_categories_follow_appendix_2_ranges(code: int, category: str) -> None:
    assert tables.event_category(code) == category


def test_event_and_verify_names() -> None:
    assert tables.event_name(8) == "remote_open"
    assert tables.event_name(102) == "door_forced_open"
    assert tables.event_name(4011) == "event_4011"
    assert tables.verify_mode_name(15) == "face"
    assert tables.verify_mode_name(99) == "verify_99"


def test_return_messages_per_dialect() -> None:
    assert tables.return_message(-629) == "Bad table name"
    assert tables.return_message(-1002, attendance=True) == "Not supported"
    assert tables.return_message(12) == "OK"
    assert tables.return_message(-4242) == "Device error"


def test_new_verify_styles_of_the_reference_examples() -> None:
    card_and_password_and_face = tables.parse_new_verify_style("0000101000000011")
    assert card_and_password_and_face.require_all
    assert card_and_password_and_face.factors == {"card", "password", "face"}
    either = tables.parse_new_verify_style("0000101000000010")
    assert not either.require_all
    assert tables.format_new_verify_style(either) == "0000101000000010"


def test_stable_names_are_unique() -> None:
    names = list(tables.ACC_EVENT_NAMES.values())
    assert len(names) == len(set(names))


@given(st.text())
def test_verify_style_parser_raises_only_protocol_error(text: str) -> None:
    try:
        style = tables.parse_new_verify_style(text)
    except ProtocolError:
        return
    assert tables.parse_new_verify_style(tables.format_new_verify_style(style)) == style

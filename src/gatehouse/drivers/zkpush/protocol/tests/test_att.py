"""Attendance PUSH / ADMS ("att"): golden exchanges from reference §3.2-§3.7 and §9."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatehouse.drivers.zkpush.protocol import att
from gatehouse.drivers.zkpush.protocol.common import (
    Dialect,
    build_command,
    detect_dialect,
    parse_device_query,
    parse_devicecmd_body,
)
from gatehouse.drivers.zkpush.protocol.errors import ProtocolError

SN = "CQZ7232460123"
# §3.7, exactly.
SESSION_HANDSHAKE_REPLY = (
    "GET OPTION FROM: CQZ7232460123\nATTLOGStamp=None\nOPERLOGStamp=None\nATTPHOTOStamp=None\n"
    "ErrorDelay=30\nDelay=5\nTransTimes=00:00;14:05\nTransInterval=1\n"
    "TransFlag=TransData AttLog\tOpLog\tEnrollUser\tChgUser\tEnrollFP\tChgFP\tUserPic\tBioPhoto\n"
    "TimeZone=-300\nRealtime=1\nEncrypt=None\nServerVer=2.4.1\nPushProtVer=2.4.1"
)
# §3.2 (AP-EN §5 example), exactly.
SPEC_HANDSHAKE_REPLY = (
    "GET OPTION FROM: 0316144680030\nATTLOGStamp=None\nOPERLOGStamp=9999\nATTPHOTOStamp=None\n"
    "ErrorDelay=30\nDelay=10\nTransTimes=00:00;14:05\nTransInterval=1\n"
    "TransFlag=TransData AttLog\tOpLog\tAttPhoto\tEnrollUser\tChgUser\tEnrollFP\tChgFP\tUserPic\n"
    "TimeZone=8\nRealtime=1\nEncrypt=None"
)
# §3.3 (AP-EN §11.2).
ATTLOG_BODY = (
    b"1452\t2015-07-30 15:16:28\t0\t1\t0\t0\t0\n8965\t2015-07-30 15:16:36\t0\t1\t0\t0\t0\n"
)


def test_handshake_query_of_the_example_session_is_an_att_device() -> None:
    query = parse_device_query({"SN": SN, "options": "all", "pushver": "2.4.1", "language": "69"})
    assert (query.sn, query.language) == (SN, "69")
    assert detect_dialect(query) is Dialect.ATT


def test_handshake_reply_of_the_example_session() -> None:
    options = att.HandshakeOptions(
        timezone=timedelta(hours=-5),
        timezone_in_minutes=True,
        trans_flags=(
            "AttLog", "OpLog", "EnrollUser", "ChgUser", "EnrollFP", "ChgFP", "UserPic", "BioPhoto",
        ),
    )  # fmt: skip
    assert att.build_handshake_reply(SN, options) == SESSION_HANDSHAKE_REPLY


def test_handshake_reply_of_the_spec_example() -> None:
    options = att.HandshakeOptions(
        timezone=timedelta(hours=8),
        operlog_stamp="9999",
        delay=10,
        trans_flags=att.DEFAULT_TRANS_FLAGS[:-1],
        server_ver=None,
        push_prot_ver=None,
    )
    reply = att.build_handshake_reply("0316144680030", options)
    assert reply == SPEC_HANDSHAKE_REPLY
    sn, values = att.parse_handshake_reply(reply)
    assert sn == "0316144680030"
    assert values["TransFlag"].split("\t")[0] == "TransData AttLog"


def test_attlog_example_parses_and_is_acked_with_its_count() -> None:
    punches = att.parse_attlog_body(ATTLOG_BODY)
    assert [(p.pin, p.time, p.status, p.verify) for p in punches] == [
        ("1452", datetime(2015, 7, 30, 15, 16, 28), 0, 1),  # noqa: DTZ001
        ("8965", datetime(2015, 7, 30, 15, 16, 36), 0, 1),  # noqa: DTZ001
    ]
    assert att.build_upload_ack(len(punches)) == "OK: 2"
    assert att.parse_upload_ack("OK: 2") == 2


def test_attlog_line_round_trips() -> None:
    [punch] = att.parse_attlog_body(b"1001\t2025-03-01 08:01:02\t0\t15\t0\t0\t0\t1\t36.5\r\n")
    assert punch.extra == ("0", "0", "1", "36.5")
    assert att.parse_attlog_body(att.format_attlog_line(punch).encode()) == [punch]


def test_attlog_without_time_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError):
        att.parse_attlog_body(b"1001")


def test_userinfo_command_of_the_example_session() -> None:
    command = att.update_user(att.UserInfo(pin="1001", name="Ana Diaz"))
    assert build_command("u1", command) == (
        "C:u1:DATA UPDATE USERINFO PIN=1001\tName=Ana Diaz\tPri=0\tPasswd=\tCard=\tGrp=1"
        "\tTZ=0000000000000000\tVerify=-1"
    )
    [result] = parse_devicecmd_body(b"ID=u1&Return=0&CMD=DATA")
    assert (result.command_id, result.return_code, result.command) == ("u1", 0, "DATA")


def test_card_numbers_in_both_forms() -> None:
    assert att.format_card(123456789) == "[15CD5B07]"
    assert att.parse_card("[15CD5B07]") == 123456789
    assert att.parse_card("123456789") == 123456789
    assert att.parse_card("") is None


def test_info_result_keeps_the_following_key_value_lines() -> None:
    [result] = parse_devicecmd_body(b"ID=info8487&Return=0&CMD=INFO\n~DeviceName=F22\nUserCount=12")
    assert result.command == "INFO"
    assert result.details == {"~DeviceName": "F22", "UserCount": "12"}


def test_getrequest_info_statistics() -> None:
    info = att.parse_info("Ver 2.0.12-20150625,0,0,0,192.168.16.27,10,7,15,0,111")
    assert info.firmware == "Ver 2.0.12-20150625"
    assert info.ip_address == "192.168.16.27"
    assert (info.fingerprint_algorithm, info.face_algorithm) == ("10", "7")
    assert (info.faces_needed, info.face_count, info.feature_bits) == (15, 0, "111")


def test_operlog_mixes_operations_and_tagged_records() -> None:
    body = (
        b"OPLOG 4\t0\t2025-03-01 08:00:00\t0\t0\t0\t0\n"
        b"USER PIN=1001\tName=Ana\tPri=0\tPasswd=\tCard=[15CD5B07]\tGrp=1\t"
        b"TZ=0000000000000000\tVerify=-1\tViceCard=\r\n"
        b"FP PIN=1001\tFID=6\tSize=4\tValid=1\tTMP=AAE="
    )
    oplog, user, finger = att.parse_operlog_body(body)
    assert isinstance(oplog, att.OperationLog)
    assert (oplog.operation, oplog.admin, oplog.objects) == (4, "0", ("0", "0", "0", "0"))
    assert isinstance(user, att.TaggedRecord)
    assert (user.tag, user.get("pin"), user.get("ViceCard")) == ("USER", "1001", "")
    assert isinstance(finger, att.TaggedRecord)
    assert finger.get("TMP") == "AAE="


def test_biodata_upload() -> None:
    body = b"BIODATA Pin=1001\tNo=0\tIndex=0\tValid=1\tDuress=0\tType=9\tMajorVer=58\t"
    body += b"MinorVer=0\tFormat=0\tTmp=QUJD"
    [record] = att.parse_biodata_body(body)
    assert (record.tag, record.get("type"), record.get("tmp")) == ("BIODATA", "9", "QUJD")


def test_attphoto_header_then_raw_jpeg() -> None:
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\xff\xd9"
    body = (
        b"PIN=20250301080102-1001.jpg\nSN=" + SN.encode() + b"\nsize=13\nCMD=uploadphoto\0" + jpeg
    )
    photo = att.parse_attphoto_body(body)
    assert (photo.filename, photo.sn, photo.size, photo.jpeg) == (
        "20250301080102-1001.jpg",
        SN,
        13,
        jpeg,
    )
    assert att.parse_attphoto_body(att.build_attphoto_body(photo)) == photo


def test_att_commands() -> None:
    assert att.delete_user("1001") == "DATA DELETE USERINFO PIN=1001"
    assert att.set_option("Delay", 5) == "SET OPTION Delay=5"
    assert att.simple_command("AC_UNLOCK") == "AC_UNLOCK"
    assert att.query_attlog(datetime(2025, 3, 1), datetime(2025, 3, 2)) == (  # noqa: DTZ001
        "DATA QUERY ATTLOG StartTime=2025-03-01 00:00:00\tEndTime=2025-03-02 00:00:00"
    )
    with pytest.raises(ProtocolError):
        att.simple_command("SHELL rm -rf /")


_BODY_PARSERS: list[Callable[[bytes], object]] = [
    att.parse_attlog_body,
    att.parse_operlog_body,
    att.parse_biodata_body,
    att.parse_attphoto_body,
]
_WIRE_ALPHABET = st.sampled_from(
    [b"\t", b"\r\n", b"\n", b"\0", b"=", b"OPLOG ", b"USER ", b"BIODATA ", b"PIN=", b"size=",
     b"2015-07-30 15:16:28", b"1452", b"-", b"\xff", b"x"]
)  # fmt: skip


@given(st.one_of(st.binary(), st.lists(_WIRE_ALPHABET).map(b"".join)))
def test_body_parsers_raise_only_protocol_error(body: bytes) -> None:
    for parser in _BODY_PARSERS:
        with contextlib.suppress(ProtocolError):
            parser(body)


@given(st.text())
def test_text_parsers_raise_only_protocol_error(text: str) -> None:
    for parser in (att.parse_info, att.parse_card, att.parse_upload_ack, att.parse_handshake_reply):
        with contextlib.suppress(ProtocolError):
            parser(text)

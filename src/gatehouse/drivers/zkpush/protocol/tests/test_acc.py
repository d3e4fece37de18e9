"""Security PUSH ("acc"): golden exchanges from reference §2.4-§2.15 and §9, plus properties."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatehouse.drivers.zkpush.protocol import acc
from gatehouse.drivers.zkpush.protocol.common import (
    Dialect,
    build_command,
    build_getrequest_reply,
    detect_dialect,
    parse_device_query,
    parse_devicecmd_body,
    parse_getrequest_reply,
)
from gatehouse.drivers.zkpush.protocol.errors import ProtocolError

SN = "AJYS220160001"

# §2.15: registry body (the "..." of the reference left out).
REGISTRY_BODY = (
    b"DeviceType=acc,~DeviceName=SpeedFace-V5L,FirmVer=ZAM70-NF24HA-Ver3.0.15,PushVersion=3.1.2,"
    b"LockCount=1,ReaderCount=2,AuxInCount=1,AuxOutCount=1,MachineType=101,"
    b"IPAddress=192.168.1.201,~OEMVendor=ZKTECO CO., LTD.,"
    b"MultiBioDataSupport=0:1:0:0:0:0:0:0:0:1:0,FaceFunOn=1"
)
# §2.9.1: capture from a SenseFace 2A.
RTLOG_CAPTURE = (
    b"time=2025-01-10 09:12:44\tpin=445966\tcardno=0\teventaddr=1\tevent=3\tinoutstatus=0\t"
    b"verifytype=1\tindex=40\tsitecode=0\tlinkid=0\tmaskflag=0\ttemperature=0\t"
    b"convtemperature=0\r\n"
)
RTLOG_DOOR_STATE = b"time=2025-01-10 09:12:45\tsensor=02\trelay=00\talarm=0100000000000000\tdoor=01"
# §2.4: the registered-device handshake block, exactly.
HANDSHAKE_BLOCK = (
    "registry=ok\nRegistryCode=Uy47fxftP3\nServerVersion=3.1.2\nServerName=ADMS\n"
    "PushProtVer=3.0.1\nErrorDelay=60\nRequestDelay=2\nTransTimes=00:00;14:00\nTransInterval=1\n"
    "TransTables=User Transaction\nRealtime=1\nSessionID=30BFB04B2C8AECC72C01C03BFD549D15\n"
    "TimeoutSec=10"
)
SPEC_CONFIG = acc.ServerConfig(
    session_id="30BFB04B2C8AECC72C01C03BFD549D15", server_version="3.1.2", server_name="ADMS"
)


def test_handshake_query_of_the_example_session_is_an_acc_device() -> None:
    query = parse_device_query(
        {"SN": SN, "options": "all", "pushver": "3.1.2", "DeviceType": "acc"}
    )
    assert query.sn == SN
    assert query.pushver == "3.1.2"
    assert detect_dialect(query) is Dialect.ACC
    assert detect_dialect(parse_device_query({"sn": SN, "pushver": "3.0.1"})) is Dialect.ACC
    assert detect_dialect(parse_device_query({"SN": SN})) is None


def test_handshake_without_sn_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError):
        parse_device_query({"options": "all"})


def test_unregistered_device_gets_ok_and_registered_device_gets_the_block() -> None:
    assert acc.build_handshake_reply(None, SPEC_CONFIG) == "OK"
    assert acc.build_handshake_reply("Uy47fxftP3", SPEC_CONFIG) == HANDSHAKE_BLOCK


def test_registry_body_is_read_by_key_with_or_without_tilde() -> None:
    registration = acc.parse_registry_body(REGISTRY_BODY)
    assert registration.device_type == "acc"
    assert registration.device_name == "SpeedFace-V5L"
    assert registration.get("~LockCount") == "1"
    assert registration.get_int("ReaderCount") == 2
    assert registration.get("OEMVendor") == "ZKTECO CO., LTD."
    assert registration.flag("FaceFunOn")
    assert not registration.flag("FingerFunOn")
    support = registration.multi_bio("MultiBioDataSupport")
    assert [index for index, on in enumerate(support) if on] == [1, 9]


def test_registry_reply_is_exact_and_refuses_long_codes() -> None:
    assert acc.build_registry_reply("a7Hq29xKb3") == "RegistryCode=a7Hq29xKb3"
    with pytest.raises(ProtocolError):
        acc.build_registry_reply("x" * 33)


def test_push_reply_matches_the_example_session() -> None:
    config = acc.ServerConfig(
        session_id="6E1D",
        server_name="OpenSec",
        extra={
            "BioDataFun": 1,
            "MultiBioDataSupport": "0:1:0:0:0:0:0:0:0:1:0",
            "MultiBioPhotoSupport": "0:0:0:0:0:0:0:0:0:1:0",
        },
    )
    assert acc.build_push_reply(config) == (
        "ServerVersion=3.1.2\nServerName=OpenSec\nPushVersion=3.0.1\nErrorDelay=60\n"
        "RequestDelay=2\nTransTimes=00:00;14:00\nTransInterval=1\nTransTables=User Transaction\n"
        "Realtime=1\nSessionID=6E1D\nTimeoutSec=10\nBioDataFun=1\n"
        "MultiBioDataSupport=0:1:0:0:0:0:0:0:0:1:0\nMultiBioPhotoSupport=0:0:0:0:0:0:0:0:0:1:0"
    )


def test_options_upload_is_comma_separated() -> None:
    options = acc.parse_options_body(b"~DeviceName=SpeedFace-V5L,FaceFunOn=1")
    assert options == {"~DeviceName": "SpeedFace-V5L", "FaceFunOn": "1"}


def test_rtlog_capture_parses_to_an_access_event() -> None:
    [event] = acc.parse_rtlog_body(RTLOG_CAPTURE)
    assert isinstance(event, acc.AccessEvent)
    assert event.time == datetime(2025, 1, 10, 9, 12, 44)  # noqa: DTZ001
    assert (event.pin, event.event, event.event_addr, event.index) == ("445966", 3, 1, 40)
    assert event.verify_type == "1"
    assert event.temperature == Decimal(0)
    assert event.extra == {"convtemperature": "0"}


def test_rtlog_rows_are_classified_by_their_keys() -> None:
    remote_open = b"time=2025-03-01 08:00:05\tpin=0\tcardno=0\teventaddr=1\tevent=8\t"
    remote_open += b"inoutstatus=0\tverifytype=200\tindex=41"
    rows = acc.parse_rtlog_body(remote_open + b"\n" + RTLOG_DOOR_STATE)
    assert [type(row) for row in rows] == [acc.AccessEvent, acc.DoorState]
    state = rows[1]
    assert isinstance(state, acc.DoorState)
    assert (state.sensor, state.relay, state.alarm, state.door) == (
        "02",
        "00",
        "0100000000000000",
        "01",
    )


def test_rtstate_and_unknown_rtlog_rows() -> None:
    [state] = acc.parse_rtstate_body(RTLOG_DOOR_STATE)
    assert state.time == datetime(2025, 1, 10, 9, 12, 45)  # noqa: DTZ001
    with pytest.raises(ProtocolError):
        acc.parse_rtlog_body(b"time=2025-01-10 09:12:45\tfoo=1")


def test_tabledata_upload_and_its_ack() -> None:
    upload = acc.parse_tabledata_query(
        {"SN": SN, "table": "tabledata", "tablename": "biodata", "count": "1"}
    )
    assert (upload.tablename, upload.count) == ("biodata", 1)
    body = b"biodata pin=1001\tno=0\tindex=0\tvalid=1\tduress=0\ttype=9\tmajorver=58\t"
    body += b"minorver=0\tformat=0\ttmp=AAEC+/=="
    [record] = acc.parse_tabledata_body(upload.tablename, body)
    assert record.get("PIN") == "1001"
    assert record.get("tmp") == "AAEC+/=="
    assert acc.build_table_ack(upload.tablename, 1) == "biodata=1"


def test_attphoto_table_lines_have_no_prefix() -> None:
    [record] = acc.parse_tabledata_body("ATTPHOTO", b"pin=20250110.jpg\tsn=X\tsize=3\tphoto=AAA")
    assert record.fields == {"pin": "20250110.jpg", "sn": "X", "size": "3", "photo": "AAA"}


def test_querydata_count_and_packets() -> None:
    query = {
        "SN": SN, "type": "count", "cmdid": "7", "tablename": "user", "count": "1",
        "packcnt": "1", "packidx": "1",
    }  # fmt: skip
    upload = acc.parse_querydata_query(query)
    assert (upload.kind, upload.command_id, upload.pack_count, upload.pack_index) == (
        "count",
        "7",
        1,
        1,
    )
    assert acc.parse_count_body("user", b"user=25") == 25


def test_command_results_from_devicecmd() -> None:
    body = b"ID=501&Return=0&CMD=CONTROL DEVICE\r\nID=1002&Return=-629&CMD=DATA UPDATE"
    first, second = parse_devicecmd_body(body)
    assert (first.command_id, first.return_code, first.command) == ("501", 0, "CONTROL DEVICE")
    assert first.succeeded
    assert (second.return_code, second.succeeded) == (-629, False)


def test_getrequest_reply_golden_and_round_trip() -> None:
    assert build_getrequest_reply([]) == "OK"
    reply = build_getrequest_reply([("501", acc.open_door(1, 5))])
    assert reply == "C:501:CONTROL DEVICE 01010105"
    [command] = parse_getrequest_reply(reply)
    assert (command.command_id, command.text) == ("501", "CONTROL DEVICE 01010105")


def test_data_commands_match_the_reference_examples() -> None:
    user = acc.User(pin="1001", name="Ana Diaz")
    fields = user.fields()
    del fields["Disable"]  # the reference example stops at Privilege
    assert build_command("1002", acc.data_update("user", [fields])) == (
        "C:1002:DATA UPDATE user CardNo=\tPin=1001\tPassword=\tGroup=0\tStartTime=0\tEndTime=0"
        "\tName=Ana Diaz\tPrivilege=0"
    )
    authorize = acc.user_authorize_fields("1001", 1, [1, 2])
    assert build_command("1003", acc.data_update("userauthorize", [authorize])) == (
        "C:1003:DATA UPDATE userauthorize Pin=1001\tAuthorizeTimezoneId=1\tAuthorizeDoorId=3"
    )
    assert acc.data_query("user") == "DATA QUERY tablename=user,fielddesc=*,filter=*"
    assert acc.data_delete("user") == "DATA DELETE user *"
    assert acc.data_delete("userauthorize", {"Pin": "1001"}) == "DATA DELETE userauthorize Pin=1001"
    assert acc.data_count("user") == "DATA COUNT user"


def test_multi_record_update_round_trips_through_getrequest() -> None:
    records = [{"Pin": "1", "Name": "A"}, {"Pin": "2", "Name": "B"}]
    reply = build_getrequest_reply(
        [("9", acc.data_update("user", records)), ("10", "DATA COUNT user")]
    )
    commands = parse_getrequest_reply(reply)
    assert [c.command_id for c in commands] == ["9", "10"]
    assert commands[0].text == "DATA UPDATE user Pin=1\tName=A\nPin=2\tName=B"


def test_user_with_non_numeric_pin_needs_string_pins() -> None:
    with pytest.raises(ProtocolError):
        acc.User(pin="A-7").fields()
    assert acc.User(pin="A7").fields(string_pins=True)["Pin"] == "A7"


def test_user_name_with_tab_is_refused() -> None:
    with pytest.raises(ProtocolError):
        acc.data_update("user", [acc.User(pin="1", name="Ana\tDiaz").fields()])


def test_timezone_record_packs_intervals() -> None:
    fields = acc.timezone_fields(2, {"Mon": [(time(10, 0), time(11, 0))]})
    assert fields["TimezoneId"] == 2
    assert fields["MonTime1"] == 65537100
    assert fields["SunTime1"] == 0
    assert len(fields) == 1 + 10 * 3


def test_door_masks() -> None:
    assert acc.door_mask([1, 2, 3, 4]) == 15
    assert acc.doors_from_mask(5) == (1, 3)
    with pytest.raises(ProtocolError):
        acc.door_mask([0])


def test_control_and_options_commands() -> None:
    assert acc.hold_door_open(1) == "CONTROL DEVICE 010101FF"
    assert acc.close_door(1) == "CONTROL DEVICE 01010100"
    assert acc.restart_device() == "CONTROL DEVICE 03000000"
    assert acc.cancel_alarm() == "CONTROL DEVICE 02010000"
    assert acc.set_options({"Door1Drivertime": 5, "DateTime": 583080894}) == (
        "SET OPTIONS Door1Drivertime=5,DateTime=583080894"
    )
    assert acc.get_options(["~SerialNumber", "FirmVer", "LockCount"]) == (
        "GET OPTIONS ~SerialNumber,FirmVer,LockCount"
    )
    with pytest.raises(ProtocolError):
        acc.open_door(1, 255)


def test_biophoto_command_carries_base64_content() -> None:
    fields = acc.biophoto_fields("1001", b"\xff\xd8\xff")
    assert fields == {
        "PIN": "1001", "Type": 9, "Size": 4, "Content": "/9j/", "Format": 0, "PostBackTmpFlag": 0,
    }  # fmt: skip


def test_time_reply_matches_the_rtdata_example() -> None:
    assert acc.build_time_reply(583050990, timedelta(hours=8)) == (
        "DateTime=583050990,ServerTZ=+0800"
    )


_BODY_PARSERS: list[Callable[[bytes], object]] = [
    acc.parse_registry_body,
    acc.parse_options_body,
    acc.parse_rtlog_body,
    acc.parse_rtstate_body,
    parse_devicecmd_body,
    lambda body: acc.parse_tabledata_body("user", body),
    lambda body: acc.parse_count_body("user", body),
]
_WIRE_ALPHABET = st.sampled_from(
    [b"\t", b"\r\n", b"\n", b"=", b",", b"&", b"~", b"time=2025-01-10 09:12:44", b"event=",
     b"sensor=", b"ID=1", b"Return=", b"user ", b"user=", b"0", b"-", b"\xff", b"x"]
)  # fmt: skip
_WIRE_BYTES = st.one_of(st.binary(), st.lists(_WIRE_ALPHABET).map(b"".join))


@given(_WIRE_BYTES)
def test_body_parsers_raise_only_protocol_error(body: bytes) -> None:
    for parser in _BODY_PARSERS:
        with contextlib.suppress(ProtocolError):
            parser(body)


@given(st.dictionaries(st.sampled_from(["SN", "sn", "tablename", "count", "type", "cmdid",
                                        "packcnt", "packidx", "pushver"]), st.text()))  # fmt: skip
def test_query_parsers_raise_only_protocol_error(query: dict[str, str]) -> None:
    for parser in (parse_device_query, acc.parse_tabledata_query, acc.parse_querydata_query):
        with contextlib.suppress(ProtocolError):
            parser(query)


@given(st.text())
def test_getrequest_reply_parser_raises_only_protocol_error(text: str) -> None:
    with contextlib.suppress(ProtocolError):
        parse_getrequest_reply(text)

"""The att (Attendance PUSH / ADMS) interpreter: state after each command, Return codes, CMD
names, refusals."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta

import pytest

from gatehouse_sim.commands import CommandOutcome
from gatehouse_sim.events import placeholder_jpeg, punch
from gatehouse_sim.model import FACE_NIR, FACE_VISIBLE, FINGERPRINT, Capabilities
from gatehouse_sim.state import DeviceState
from gatehouse_sim.wire import parse_ok_count

NOON = datetime(2025, 3, 3, 12, 0, 0)  # noqa: DTZ001 - device wall clock
TEMPLATE = base64.b64encode(b"\x07" * 60).decode()


def make_state(*, max_users: int = 10000, temperature: bool = False) -> DeviceState:
    capabilities = Capabilities(
        dialect="att", serial_number="ATT0001", max_users=max_users, temperature=temperature
    )
    return DeviceState(capabilities, clock=lambda: NOON)


def run(state: DeviceState, text: str, command_id: str = "u1") -> CommandOutcome:
    return state.apply(command_id, text)


def code(state: DeviceState, text: str) -> int:
    return run(state, text).return_code


@pytest.fixture
def state() -> DeviceState:
    device = make_state()
    fields = "PIN=1001\tName=Ana Diaz\tPri=0\tPasswd=\tCard=[15CD5B07]\tGrp=1"
    text = f"DATA UPDATE USERINFO {fields}\tTZ=0000000000000000\tVerify=-1\tViceCard="
    assert run(device, text).result_line() == "ID=u1&Return=0&CMD=DATA"
    return device


def test_userinfo_update(state: DeviceState) -> None:
    user = state.users["1001"]
    assert (user.name, user.card, user.group, user.verify) == ("Ana Diaz", "[15CD5B07]", "1", "-1")
    assert code(state, "DATA UPDATE USERINFO PIN=1001\tName=Ana D.") == 0
    assert state.users["1001"].name == "Ana D."
    assert code(state, "DATA UPDATE USERINFO PIN=1002\tName=B\nPIN=1003\tName=C") == 0
    assert {"1002", "1003"} <= set(state.users)


def test_userinfo_refusals(state: DeviceState) -> None:
    assert code(state, "DATA UPDATE USERINFO PIN=abc\tName=x") == -1
    assert code(state, "DATA UPDATE USERINFO PIN=7\tPri=5") == -1
    assert code(state, "DATA UPDATE USERINFO PIN=7\tTZ=12") == -1
    small = make_state(max_users=1)
    assert code(small, "DATA UPDATE USERINFO PIN=1\nPIN=2") == -1001
    assert small.users == {}


def test_acc_syntax_and_legacy_verbs_are_refused(state: DeviceState) -> None:
    assert code(state, "DATA UPDATE user Pin=1\tName=x") == -1004
    assert run(state, "USER ADD PIN=1").result_line() == "ID=u1&Return=-1002&CMD=USER ADD"
    assert code(state, "DATA DEL USERINFO PIN=1") == -1002
    assert run(state, "SET OPTIONS Volume=1").result_line() == "ID=u1&Return=-1&CMD=SET"
    assert code(state, "CONTROL DEVICE 01010105") == -1
    assert run(state, "SHELL ls").result_line() == "ID=u1&Return=-1002&CMD=Shell"


def test_templates_and_photos(state: DeviceState) -> None:
    size = len(TEMPLATE)
    assert code(state, f"DATA UPDATE FINGERTMP PIN=1001\tFID=3\tSize={size}\tTMP={TEMPLATE}") == 0
    assert state.templates[("1001", FINGERPRINT, 3, 0)].data == TEMPLATE
    assert code(state, f"DATA UPDATE FINGERTMP PIN=1001\tFID=4\tSize=5\tTMP={TEMPLATE}") == -9
    assert code(state, f"DATA UPDATE FINGERTMP PIN=4242\tFID=1\tTMP={TEMPLATE}") == -10
    assert code(state, "DATA UPDATE FINGERTMP PIN=1001\tFID=1\tTMP=***") == -11
    assert code(state, f"DATA UPDATE FACE PIN=1001\tFID=0\tValid=1\tTMP={TEMPLATE}") == 0
    assert ("1001", FACE_NIR, 0, 0) in state.templates
    unified = "Pin=1001\tNo=0\tIndex=0\tValid=1\tDuress=0\tType=9\tMajorVer=58\tMinorVer=0"
    assert code(state, f"DATA UPDATE BIODATA {unified}\tFormat=0\tTmp={TEMPLATE}") == 0
    assert code(state, f"DATA UPDATE FVEIN Pin=1001\tFID=1\tIndex=0\tTmp={TEMPLATE}") == -1004
    photo = base64.b64encode(placeholder_jpeg("1001")).decode()
    assert code(state, f"DATA UPDATE BIOPHOTO PIN=1001\tType=9\tSize=3\tContent={photo}") == -2
    biophoto = f"PIN=1001\tType=9\tSize={len(photo)}\tContent={photo}\tFormat=0"
    assert code(state, f"DATA UPDATE BIOPHOTO {biophoto}") == 0
    assert code(state, f"DATA UPDATE USERPIC PIN=1001\tSize={len(photo)}\tContent={photo}") == 0
    assert state.photo("1001") == placeholder_jpeg("1001")
    assert state.userpics["1001"].content == placeholder_jpeg("1001")


def test_deleting_a_user_removes_its_templates_and_photos(state: DeviceState) -> None:
    photo = base64.b64encode(placeholder_jpeg("1001")).decode()
    run(state, f"DATA UPDATE FINGERTMP PIN=1001\tFID=3\tTMP={TEMPLATE}")
    run(state, f"DATA UPDATE BIOPHOTO PIN=1001\tType=9\tContent={photo}")
    run(state, f"DATA UPDATE USERPIC PIN=1001\tContent={photo}")
    assert run(state, "DATA DELETE USERINFO PIN=1001").result_line() == "ID=u1&Return=0&CMD=DATA"
    assert state.users == {}
    assert (state.templates, state.biophotos, state.userpics) == ({}, {}, {})


def test_delete_credentials_selectively(state: DeviceState) -> None:
    for finger in (1, 2):
        run(state, f"DATA UPDATE FINGERTMP PIN=1001\tFID={finger}\tTMP={TEMPLATE}")
    run(state, f"DATA UPDATE BIODATA Pin=1001\tType=9\tNo=0\tTmp={TEMPLATE}")
    assert code(state, "DATA DELETE FINGERTMP PIN=1001\tFID=2") == 0
    assert sorted((t.type, t.no) for t in state.templates_of("1001")) == [(1, 1), (9, 0)]
    assert code(state, "DATA DELETE BIODATA Pin=1001\tType=9") == 0
    assert [(t.type, t.no) for t in state.templates_of("1001")] == [(1, 1)]
    assert "1001" in state.users


def test_query_attlog_reuploads_through_cdata(state: DeviceState) -> None:
    for minute in (0, 10, 20):
        punch(state, "1001", at=NOON + timedelta(minutes=minute))
    outcome = run(
        state, "DATA QUERY ATTLOG StartTime=2025-03-03 12:05:00\tEndTime=2025-03-03 12:30:00"
    )
    assert outcome.result_line() == "ID=u1&Return=0&CMD=DATA"
    [post] = outcome.follow_ups
    assert post.path == "cdata"
    assert post.params == {"table": "ATTLOG", "Stamp": "9999"}
    assert post.body.decode().split("\n") == [
        "1001\t2025-03-03 12:10:00\t0\t15\t0\t0\t0",
        "1001\t2025-03-03 12:20:00\t0\t15\t0\t0\t0",
        "",
    ]
    assert post.ack("OK: 2")
    assert not post.ack("OK")


def test_query_userinfo_and_templates(state: DeviceState) -> None:
    outcome = run(state, "DATA QUERY USERINFO PIN=1001")
    [post] = outcome.follow_ups
    assert post.params["table"] == "OPERLOG"
    assert post.body.startswith(b"USER PIN=1001\tName=Ana Diaz\tPri=0\t")
    assert code(state, "DATA QUERY USERINFO PIN=4242") == -10
    run(state, f"DATA UPDATE BIODATA Pin=1001\tType=9\tNo=0\tTmp={TEMPLATE}")
    biodata = run(state, "DATA QUERY BIODATA Type=9")
    assert biodata.follow_ups[0].params["table"] == "BIODATA"
    assert code(state, "DATA QUERY SMS UID=1") == -1004


def test_options_info_and_housekeeping(state: DeviceState) -> None:
    assert run(state, "SET OPTION Volume=30").result_line() == "ID=u1&Return=0&CMD=SET OPTION"
    assert code(state, "SET OPTION IPAddress=192.0.2.9,NetMask=255.0.0.0") == 0
    assert state.options["IPAddress"] == "192.0.2.9,NetMask=255.0.0.0"
    assert code(state, "SET OPTION novalue") == -1
    info = run(state, "INFO").result_line().split("\n")
    assert info[0] == "ID=u1&Return=0&CMD=INFO"
    assert "UserCount=1" in info
    assert run(state, "RELOAD OPTIONS").cmd == "RELOAD OPTIONS"
    assert run(state, "CHECK").reconnect
    assert run(state, "LOG").flush_now
    assert run(state, "REBOOT").restart


def test_clear_commands(state: DeviceState) -> None:
    punch(state, "1001")
    run(state, f"DATA UPDATE FINGERTMP PIN=1001\tFID=3\tTMP={TEMPLATE}")
    assert run(state, "CLEAR LOG").result_line() == "ID=u1&Return=0&CMD=CLEAR_LOG"
    assert state.logs == []
    assert run(state, "CLEAR PHOTO").cmd == "CLEAR_PHOTO"
    assert run(state, "CLEAR BIODATA").cmd == "CLEAR_BIODATA"
    assert state.templates == {}
    assert run(state, "CLEAR DATA").cmd == "CLEAR_DATA"
    assert state.users == {}


def test_verify_sum_reports_the_count(state: DeviceState) -> None:
    punch(state, "1001", at=NOON)
    punch(state, "1001", at=NOON + timedelta(days=1))
    outcome = run(
        state, "VERIFY SUM ATTLOG StartTime=2025-03-03 00:00:00\tEndTime=2025-03-03 23:59:59"
    )
    assert outcome.result_line() == (
        "ID=u1&Return=0&CMD=VERIFY SUM&StartTime=2025-03-03 00:00:00"
        "&EndTime=2025-03-03 23:59:59&AttlogSum=1"
    )


def test_door_commands(state: DeviceState) -> None:
    assert run(state, "AC_UNLOCK").result_line() == "ID=u1&Return=0&CMD=AC_UNLOCK"
    assert state.doors[0].relay
    state.doors[0].alarm = 0x02
    assert run(state, "AC_UNALARM").cmd == "AC_UNALARM"
    assert state.doors[0].alarm == 0


def test_remote_enrolment(state: DeviceState) -> None:
    face = run(state, "ENROLL_BIO TYPE=9\tPIN=1001\tCardNo=\tRETRY=3\tOVERWRITE=1")
    assert face.result_line() == "ID=u1&Return=0&CMD=ENROLL_BIO"
    assert [(row.table, row.tablename) for row in face.rows] == [
        ("OPERLOG", "BIOPHOTO"),
        ("BIODATA", ""),
    ]
    assert ("1001", FACE_VISIBLE) in state.biophotos
    finger = run(state, "ENROLL_FP PIN=1001\tFID=2\tRETRY=3\tOVERWRITE=0")
    assert (finger.cmd, finger.return_code) == ("ENROLL_FP", 0)
    assert code(state, "ENROLL_FP PIN=1001\tFID=2\tRETRY=3\tOVERWRITE=0") == 2
    card = run(state, "ENROLL_MF PIN=1001\tRETRY=3")
    assert card.rows[0].text.startswith("USER PIN=1001\t")
    assert state.users["1001"].card.isdigit()
    assert code(state, "ENROLL_MF PIN=4242\tRETRY=3") == -10


def test_upgrade_always_goes_through_iclock_file(state: DeviceState) -> None:
    package = b"fw"
    checksum = hashlib.md5(package, usedforsecurity=False).hexdigest()
    text = f"UPGRADE type=1,checksum={checksum},size=2,url=http://192.0.2.5/data/emfw.cfg"
    fetch = run(state, text).fetch
    assert fetch is not None
    assert fetch.urls == ["/iclock/file?SN=ATT0001&url=http%3A%2F%2F192.0.2.5%2Fdata%2Femfw.cfg"]
    assert state.apply("u1", text, {fetch.urls[0]: None}).return_code == -1008
    assert state.apply("u1", text, {fetch.urls[0]: b"xx"}).return_code == -1
    assert state.apply("u1", text, {fetch.urls[0]: package}).return_code == 0


def test_attlog_columns_grow_with_temperature() -> None:
    device = make_state(temperature=True)
    _, [row] = punch(device, "7", temperature=36.6, mask=True, at=NOON)
    assert row.text == "7\t2025-03-03 12:00:00\t0\t15\t0\t0\t0\t1\t36.6"
    assert parse_ok_count("OK: 1") == 1

"""The acc (Security PUSH) interpreter: state after each command, Return codes, refusals."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta

import pytest

from gatehouse_sim.commands import CommandOutcome
from gatehouse_sim.events import placeholder_jpeg
from gatehouse_sim.model import FACE_VISIBLE, FINGERPRINT, Capabilities
from gatehouse_sim.state import DeviceState
from gatehouse_sim.wire import parse_pairs, zk_seconds

MONDAY_9AM = datetime(2025, 3, 3, 9, 0, 0)  # noqa: DTZ001 - device wall clock
ALL_DAY = "\t".join(f"{day}Time1=2359" for day in ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"))


class Clock:
    def __init__(self) -> None:
        self.now = MONDAY_9AM

    def __call__(self) -> datetime:
        return self.now


def make_state(
    clock: Clock | None = None,
    *,
    doors: int = 1,
    face: bool = True,
    string_pins: bool = False,
    max_users: int = 10000,
) -> DeviceState:
    capabilities = Capabilities(
        "acc", "ACC0001", doors=doors, face=face, string_pins=string_pins, max_users=max_users
    )
    return DeviceState(capabilities, clock=clock or Clock())


def run(state: DeviceState, text: str, command_id: str = "1") -> CommandOutcome:
    return state.apply(command_id, text)


def code(state: DeviceState, text: str) -> int:
    return run(state, text).return_code


def photo_b64(pin: str = "1001") -> str:
    return base64.b64encode(placeholder_jpeg(pin)).decode()


@pytest.fixture
def state() -> DeviceState:
    device = make_state()
    assert code(device, f"DATA UPDATE timezone TimezoneId=1\t{ALL_DAY}") == 0
    assert code(device, "DATA UPDATE user Pin=1001\tName=Ana Diaz\tCardNo=123456\tPrivilege=0") == 0
    return device


def test_user_update_merges_fields_case_insensitively(state: DeviceState) -> None:
    outcome = run(state, "DATA UPDATE user PIN=1001\tNAME=Ana María\tDisable=1")
    assert outcome.result_line() == "ID=1&Return=0&CMD=DATA UPDATE"
    user = state.users["1001"]
    assert (user.name, user.card, user.disabled) == ("Ana María", "123456", True)


def test_several_records_in_one_command(state: DeviceState) -> None:
    text = "DATA UPDATE user Pin=2001\tName=B\nPin=2002\tName=C\r\nuser Pin=2003\tName=D"
    assert code(state, text) == 0
    assert {"2001", "2002", "2003"} <= set(state.users)
    assert state.users["2003"].name == "D"


def test_pins_must_be_numeric_unless_the_device_says_otherwise(state: DeviceState) -> None:
    assert code(state, "DATA UPDATE user Pin=A-17\tName=X") == -620
    assert "A-17" not in state.users
    strings = make_state(string_pins=True)
    assert code(strings, "DATA UPDATE user Pin=A-17\tName=X") == 0
    assert strings.options["StringPinFunOn"] == "1"


def test_bad_user_fields_are_refused(state: DeviceState) -> None:
    assert code(state, "DATA UPDATE user Pin=1\tPrivilege=3") == -620
    assert code(state, "DATA UPDATE user Pin=1\tCardNo=12AB") == -620
    assert code(state, "DATA UPDATE user Pin=1\tCardNo=[15CD5B07]") == 0
    assert code(state, "DATA UPDATE user Name=nobody") == -619
    assert code(state, "DATA UPDATE user Pin=1\tbroken") == -620


def test_capacity_is_checked_and_a_refused_batch_changes_nothing() -> None:
    device = make_state(max_users=2)
    assert code(device, "DATA UPDATE user Pin=1\nPin=2\nPin=3") == -18
    assert device.users == {}
    assert code(device, "DATA UPDATE user Pin=1\nPin=2") == 0
    assert code(device, "DATA UPDATE user Pin=1\tName=again") == 0
    assert code(device, "DATA UPDATE user Pin=3") == -18


def authorize(state: DeviceState, pin: str, timezone_id: int, doors: int) -> int:
    fields = f"Pin={pin}\tAuthorizeTimezoneId={timezone_id}\tAuthorizeDoorId={doors}"
    return code(state, f"DATA UPDATE userauthorize {fields}")


def test_userauthorize_needs_the_user_and_the_timezone(state: DeviceState) -> None:
    assert authorize(state, "1001", 7, 1) == -12
    assert authorize(state, "4242", 1, 1) == -27
    assert authorize(state, "1001", 1, 2) == -620  # a one-door device has no door 2
    assert state.authorizations_of("1001") == []
    assert authorize(state, "1001", 1, 1) == 0
    [grant] = state.authorizations_of("1001")
    assert (grant.timezone_id, grant.doors) == (1, 1)


def test_userauthorize_without_delete_adds_a_second_timezone(state: DeviceState) -> None:
    run(state, f"DATA UPDATE timezone TimezoneId=2\t{ALL_DAY}")
    authorize(state, "1001", 1, 1)
    authorize(state, "1001", 2, 1)
    assert sorted(grant.timezone_id for grant in state.authorizations_of("1001")) == [1, 2]
    assert code(state, "DATA DELETE userauthorize Pin=1001") == 0
    assert state.authorizations_of("1001") == []


def test_biophoto_is_stored_as_sent(state: DeviceState) -> None:
    content = photo_b64()
    text = (
        f"DATA UPDATE biophoto PIN=1001\tType=9\tSize={len(content)}\tContent={content}\tFormat=0"
    )
    outcome = run(state, text)
    assert outcome.return_code == 0
    assert outcome.rows == []
    assert state.photo("1001") == placeholder_jpeg("1001")


def test_biophoto_refusals(state: DeviceState) -> None:
    content = photo_b64()
    assert code(state, f"DATA UPDATE biophoto PIN=4242\tType=9\tContent={content}") == -27
    assert code(state, "DATA UPDATE biophoto PIN=1001\tType=9\tContent=@@notbase64@@") == -631
    assert code(state, f"DATA UPDATE biophoto PIN=1001\tType=9\tSize=12\tContent={content}") == -10
    not_jpeg = base64.b64encode(b"GIF89a....").decode()
    assert code(state, f"DATA UPDATE biophoto PIN=1001\tType=9\tContent={not_jpeg}") == -620
    assert code(state, f"DATA UPDATE biophoto PIN=1001\tType=2\tContent={content}") == -30
    assert state.biophotos == {}


def test_a_panel_without_face_refuses_photos() -> None:
    panel = make_state(face=False, doors=4)
    assert panel.options["MachineType"] == "2"
    run(panel, "DATA UPDATE user Pin=1")
    assert code(panel, f"DATA UPDATE biophoto PIN=1\tType=9\tContent={photo_b64()}") == -30


def test_biophoto_post_back_uploads_the_extracted_template(state: DeviceState) -> None:
    content = photo_b64()
    outcome = run(
        state, f"DATA UPDATE biophoto PIN=1001\tType=9\tContent={content}\tPostBackTmpFlag=1"
    )
    [row] = outcome.rows
    assert (row.table, row.tablename) == ("tabledata", "biodata")
    fields = parse_pairs(row.text.removeprefix("biodata "))
    assert (fields["pin"], fields["type"]) == ("1001", "9")


def test_biophoto_by_url_is_fetched_first(state: DeviceState) -> None:
    text = "DATA UPDATE biophoto PIN=1001\tType=9\tFormat=1\tUrl=media/faces/1001.jpg"
    first = run(state, text)
    assert first.fetch is not None
    assert first.fetch.urls == ["/media/faces/1001.jpg"]
    assert state.biophotos == {}
    jpeg = placeholder_jpeg("url")
    assert state.apply("1", text, {"/media/faces/1001.jpg": jpeg}).return_code == 0
    assert state.photo("1001") == jpeg
    assert state.apply("2", text, {"/media/faces/1001.jpg": None}).return_code == -726


def test_templates(state: DeviceState) -> None:
    template = base64.b64encode(b"\x01" * 48).decode()
    face = "Pin=1001\tNo=0\tIndex=0\tValid=1\tDuress=0\tType=9\tMajorVer=58\tMinorVer=0"
    assert code(state, f"DATA UPDATE biodata {face}\tFormat=0\tTmp={template}") == 0
    assert state.templates[("1001", FACE_VISIBLE, 0, 0)].data == template
    assert code(state, f"DATA UPDATE biodata Pin=1001\tType=7\tTmp={template}") == -30
    finger = f"Pin=1001\tFingerID=22\tValid=1\tSize={len(template)}\tTemplate={template}"
    assert code(state, f"DATA UPDATE templatev10 {finger}") == 0
    stored = state.templates[("1001", FINGERPRINT, 6, 0)]
    assert stored.duress == 1
    bad_finger = f"Pin=1001\tFingerID=30\tTemplate={template}"
    assert code(state, f"DATA UPDATE templatev10 {bad_finger}") == -620


def test_unknown_tables_and_commands(state: DeviceState) -> None:
    assert code(state, "DATA UPDATE nosuchtable a=1") == -629
    assert code(state, "DATA UPDATE USERINFO PIN=1\tName=x") == -629
    assert code(state, "DATA QUERY USERINFO PIN=1") == -629
    assert run(state, "REBOOT").result_line() == "ID=1&Return=-13&CMD=REBOOT"
    assert code(state, "SET OPTION Volume=1") == -13
    assert run(state, "DATA UPDATE firstcard DoorID=1\tPin=1001\tTimezoneID=1").return_code == 0


def test_delete_with_conditions(state: DeviceState) -> None:
    template = base64.b64encode(b"\x02" * 32).decode()
    for finger in (5, 6):
        run(state, f"DATA UPDATE templatev10 Pin=1001\tFingerID={finger}\tTemplate={template}")
    assert code(state, "DATA DELETE templatev10 Pin=1001 FingerID=6") == 0
    assert [t.no for t in state.templates_of("1001")] == [5]
    assert code(state, "DATA DELETE templatev10 Pin=1001\tColour=red") == -621
    assert code(state, "DATA DELETE user") == -619
    assert code(state, "DATA DELETE nosuch *") == -629


def test_deleting_a_user_leaves_its_credentials(state: DeviceState) -> None:
    """acc devices do what they are told: the server deletes authorizations and photos itself."""
    run(state, f"DATA UPDATE biophoto PIN=1001\tType=9\tContent={photo_b64()}")
    authorize(state, "1001", 1, 1)
    assert code(state, "DATA DELETE user Pin=1001") == 0
    assert "1001" not in state.users
    assert state.photo("1001") is not None
    assert state.authorizations_of("1001")
    assert code(state, "DATA DELETE user *") == 0


def test_count_posts_the_count_then_returns_it(state: DeviceState) -> None:
    run(state, f"DATA UPDATE biophoto PIN=1001\tType=9\tContent={photo_b64()}")
    outcome = run(state, "DATA COUNT biophoto Type=9", command_id="80")
    assert outcome.result_line() == "ID=80&Return=1&CMD=DATA COUNT"
    [post] = outcome.follow_ups
    assert post.path == "querydata"
    assert post.params == {
        "type": "count",
        "cmdid": "80",
        "tablename": "biophoto",
        "count": "1",
        "packcnt": "1",
        "packidx": "1",
    }
    assert post.body == b"biophoto=1"
    assert post.ack("biophoto=1")
    assert not post.ack("ERROR")


def test_query_sends_packets_and_returns_the_total() -> None:
    device = make_state()
    users = "\n".join(f"Pin={pin}\tName=P{pin}" for pin in range(1, 251))
    assert code(device, f"DATA UPDATE user {users}") == 0
    outcome = run(device, "DATA QUERY tablename=user,fielddesc=*,filter=*", command_id="415")
    assert outcome.return_code == 250
    assert outcome.cmd == "DATA QUERY"
    assert [p.params["count"] for p in outcome.follow_ups] == ["100", "100", "50"]
    assert {p.params["packcnt"] for p in outcome.follow_ups} == {"3"}
    assert [p.params["packidx"] for p in outcome.follow_ups] == ["1", "2", "3"]
    first_line = outcome.follow_ups[0].body.decode().split("\n")[0]
    assert first_line.startswith("user uid=1\tcardno=\tpin=1\t")
    assert outcome.follow_ups[2].ack("user=50")
    assert not outcome.follow_ups[2].ack("user=49")


def test_query_filters_and_field_lists(state: DeviceState) -> None:
    run(state, f"DATA UPDATE biophoto PIN=1001\tType=9\tContent={photo_b64()}")
    outcome = run(state, "DATA QUERY tablename=biophoto,fielddesc=pin,type,filter=Type=9\tPin=1001")
    assert outcome.return_code == 1
    assert outcome.follow_ups[0].body == b"biophoto pin=1001\ttype=9\n"
    assert code(state, "DATA QUERY tablename=biophoto,fielddesc=*,filter=Type=2") == 0
    assert code(state, "DATA QUERY tablename=user,fielddesc=*,filter=Colour=red") == -621


def test_transaction_backfill_new_records_and_time_range() -> None:
    clock = Clock()
    device = make_state(clock)
    from gatehouse_sim.events import punch

    for minute in range(3):
        punch(device, "1", at=MONDAY_9AM + timedelta(minutes=minute))
    first = run(device, "DATA QUERY tablename=transaction,fielddesc=*,filter=NewRecord")
    assert first.return_code == 3
    assert b"time_second=" in first.follow_ups[0].body
    assert code(device, "DATA QUERY tablename=transaction,fielddesc=*,filter=NewRecord") == 0
    start = zk_seconds(MONDAY_9AM + timedelta(minutes=1))
    ranged = (
        f"DATA QUERY tablename=transaction,fielddesc=*,filter=starttime={start}\tendtime={start}"
    )
    assert code(device, ranged) == 1
    assert code(device, "DATA DELETE transaction *") == 0
    assert device.logs == []


def test_set_options_and_the_clock() -> None:
    clock = Clock()
    device = make_state(clock)
    server_time = datetime(2025, 6, 1, 12, 30, 0)  # noqa: DTZ001
    options = f"Volume=30,Door1Drivertime=7,DateTime={zk_seconds(server_time)}"
    assert code(device, f"SET OPTIONS {options}") == 0
    assert device.options["Volume"] == "30"
    assert device.drive_time(1) == 7
    assert device.now() == server_time
    clock.now += timedelta(seconds=5)
    assert device.now() == server_time + timedelta(seconds=5)
    assert code(device, "SET OPTIONS DateTime=notanumber") == -108
    assert code(device, "SET OPTIONS ") == -108


def test_get_options_reports_known_names(state: DeviceState) -> None:
    state.options["Volume"] = "42"
    outcome = run(state, "GET OPTIONS Volume,FirmVer,NoSuchOption", command_id="408")
    [post] = outcome.follow_ups
    assert post.params["type"] == "options"
    assert post.params["tablename"] == "options"
    assert post.body.decode() == f"Volume=42,FirmVer={state.firmware}"
    assert outcome.result_line() == "ID=408&Return=0&CMD=GET OPTIONS"


def test_control_device_opens_closes_and_reports() -> None:
    clock = Clock()
    device = make_state(clock)
    outcome = run(device, "CONTROL DEVICE 01010105")
    assert outcome.result_line() == "ID=1&Return=0&CMD=CONTROL DEVICE"
    event, state_row = outcome.rows
    assert parse_pairs(event.text)["event"] == "8"
    assert parse_pairs(state_row.text)["relay"] == "01"
    assert device.doors[0].relay
    clock.now += timedelta(seconds=4)
    assert device.tick() == []
    clock.now += timedelta(seconds=2)
    [released] = device.tick()
    assert parse_pairs(released.text)["relay"] == "00"
    assert not device.doors[0].relay


def test_control_device_other_operations() -> None:
    device = make_state(doors=2)
    assert parse_pairs(run(device, "CONTROL DEVICE 010101FF").rows[0].text)["event"] == "205"
    assert device.doors[0].normally_open
    assert parse_pairs(run(device, "CONTROL DEVICE 01010100").rows[0].text)["event"] == "9"
    assert not device.doors[0].relay
    device.doors[1].alarm = 0x03
    cancel = run(device, "CONTROL DEVICE 02000000")
    assert [parse_pairs(r.text).get("event") for r in cancel.rows if r.table == "rtlog"] == [
        "7",
        "7",
    ]
    assert device.doors[1].alarm == 0
    assert run(device, "CONTROL DEVICE 03000000").restart
    assert code(device, "CONTROL DEVICE 01050105") == -12
    assert code(device, "CONTROL DEVICE 0101") == -620
    assert code(device, "CONTROL DEVICE 0F000000") == -708


def test_upgrade_fetches_checks_and_restarts(state: DeviceState) -> None:
    package = b"FirmVer=ZAM70-NF-Ver2.0.0\nbinary..."
    checksum = hashlib.md5(package, usedforsecurity=False).hexdigest()
    text = f"UPGRADE checksum={checksum},size={len(package)},url=fw/emfw.cfg"
    first = run(state, text)
    assert first.fetch is not None
    [source] = first.fetch.urls
    assert source == "/iclock/file?SN=ACC0001&url=fw%2Femfw.cfg"
    done = state.apply("1", text, {source: package})
    assert (done.return_code, done.restart) == (0, True)
    assert state.firmware == state.options["FirmVer"] == "ZAM70-NF-Ver2.0.0"
    assert state.apply("1", text, {source: package + b"x"}).return_code == -720
    assert state.apply("1", text, {source: None}).return_code == -720
    encoded = base64.b64encode(package)
    assert state.apply("1", text, {source: encoded}).return_code == 0


def test_upgrade_from_an_absolute_url(state: DeviceState) -> None:
    package = b"firmware"
    checksum = hashlib.md5(package, usedforsecurity=False).hexdigest()
    text = f"UPGRADE checksum={checksum},size=8,url=http://files.example/fw/v3.bin"
    fetch = run(state, text).fetch
    assert fetch is not None
    assert fetch.urls == ["http://files.example/fw/v3.bin"]
    assert state.apply("1", text, {fetch.urls[0]: package}).return_code == 0
    assert state.firmware == "v3"
    assert code(state, "UPGRADE checksum=abc,url=x") == -620


def test_remote_enrolment(state: DeviceState) -> None:
    outcome = run(state, "ENROLL_BIO type=9\tno=0\tpin=1001\tcardno=\tretry=3\toverwrite=0")
    assert outcome.result_line() == "ID=1&Return=0&CMD=ENROLL_BIO"
    assert [(r.table, r.tablename) for r in outcome.rows] == [
        ("tabledata", "biophoto"),
        ("tabledata", "biodata"),
    ]
    assert state.photo("1001") == placeholder_jpeg("1001")
    assert code(state, "ENROLL_BIO type=9\tno=0\tpin=1001\toverwrite=0") == 2
    assert code(state, "ENROLL_BIO type=9\tno=0\tpin=4242") == -27
    assert code(state, "ENROLL_BIO type=4\tno=0\tpin=1001") == -30
    assert code(state, "ENROLL_BIO type=1\tno=3\tpin=1001") == 0
    assert ("1001", FINGERPRINT, 3, 0) in state.templates


def test_test_host_and_short_data_cmd(state: DeviceState) -> None:
    assert run(state, "Test Host Address=192.0.2.7:8088").result_line() == (
        "ID=1&Return=0&CMD=Test Host"
    )
    state.short_data_cmd = True
    assert run(state, "DATA UPDATE user Pin=5").cmd == "DATA"
    assert run(state, "DATA COUNT user").cmd == "DATA COUNT"

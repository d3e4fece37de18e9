"""Record formats against the example lines of the protocol reference, and the access decisions
an acc device makes from what the server made it store."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from gatehouse_sim import events
from gatehouse_sim.events import placeholder_jpeg
from gatehouse_sim.model import AccessRecord, Capabilities, Dialect, Door, Template, User
from gatehouse_sim.records import (
    att_template_row,
    att_user_row,
    attlog_row,
    attphoto_row,
    batch_request,
    oplog_row,
    rtlog_row,
    rtstate_row,
    table_line,
    transaction_fields,
)
from gatehouse_sim.state import DeviceState
from gatehouse_sim.wire import from_zk_seconds, parse_pairs

MONDAY_9AM = datetime(2025, 3, 3, 9, 0, 0)  # noqa: DTZ001 - device wall clock


def make_state(dialect: Dialect = "acc", *, doors: int = 1, face: bool = True) -> DeviceState:
    capabilities = Capabilities(dialect, f"{dialect.upper()}1", doors=doors, face=face)
    return DeviceState(capabilities, clock=lambda: MONDAY_9AM)


def test_rtlog_has_the_keys_and_order_of_the_specification() -> None:
    # Reference §2.9.1 capture (SenseFace 2A), keys compared as a set; order per SP-EN §7.2.
    capture = (
        "time=2025-01-10 09:12:44\tpin=445966\tcardno=0\teventaddr=1\tevent=3\tinoutstatus=0"
        "\tverifytype=1\tindex=40\tsitecode=0\tlinkid=0\tmaskflag=0\ttemperature=0"
        "\tconvtemperature=0"
    )
    record = AccessRecord(40, datetime(2025, 1, 10, 9, 12, 44), "445966", 3, 1)  # noqa: DTZ001
    row = rtlog_row(record)
    assert row.table == "rtlog"
    assert parse_pairs(row.text) == parse_pairs(capture)
    assert [pair.split("=")[0] for pair in row.text.split("\t")] == [
        "time",
        "pin",
        "cardno",
        "sitecode",
        "linkid",
        "eventaddr",
        "event",
        "inoutstatus",
        "verifytype",
        "index",
        "maskflag",
        "temperature",
        "convtemperature",
    ]


def test_rtstate_matches_the_spec_example() -> None:
    # SP-EN §7.3: time=2017-01-10 15:42:40 sensor=00 relay=00 alarm=0200000000000000
    door = Door(1, has_sensor=False, alarm=0x02)
    row = rtstate_row("2017-01-10 15:42:40", [door])
    assert row.text == (
        "time=2017-01-10 15:42:40\tsensor=00\trelay=00\talarm=0200000000000000\tdoor=00"
    )


def test_rtstate_bits_for_several_doors() -> None:
    doors = [Door(1, is_open=True, relay=True), Door(2), Door(3, has_sensor=False), Door(4)]
    fields = parse_pairs(rtstate_row("2025-03-03 09:00:00", doors).text)
    assert fields["sensor"] == "46"  # door 1 open (10), door 2 closed (01 << 2), door 4 (01 << 6)
    assert fields["relay"] == "01"
    assert fields["door"] == "01"


def test_attlog_matches_the_spec_example() -> None:
    # AP-EN §11.2: 1452<HT>2015-07-30 15:16:28<HT>0<HT>1<HT>0<HT>0<HT>0
    record = AccessRecord(1, datetime(2015, 7, 30, 15, 16, 28), "1452", 0, 1)  # noqa: DTZ001
    row = attlog_row(record, with_mask=False, with_temperature=False)
    assert row.text == "1452\t2015-07-30 15:16:28\t0\t1\t0\t0\t0"


def test_operlog_lines_match_the_spec_examples() -> None:
    # AP-EN §11.5: USER PIN=36234 Name=36234 Pri=0 Passwd= Card=133440 Grp=1 TZ=0001000000000000
    user = User("36234", 1, name="36234", card="133440", group="1", timezones="0001000000000000")
    assert att_user_row(user).text.startswith(
        "USER PIN=36234\tName=36234\tPri=0\tPasswd=\tCard=133440\tGrp=1\tTZ=0001000000000000\t"
    )
    # AP-EN §11.4: OPLOG 4 14 2015-07-30 10:22:34 0 0 0 0
    assert oplog_row(4, "14", "2015-07-30 10:22:34").text == (
        "OPLOG 4\t14\t2015-07-30 10:22:34\t0\t0\t0\t0"
    )


def test_transaction_line_matches_the_spec_example() -> None:
    # SP-EN §9.1.4: transaction cardno=0 pin=0 verified=200 doorid=1 eventtype=100
    #               inoutstate=2 time_second=548003688 index=92 sitecode=0 devid=1
    moment = from_zk_seconds(548003688)
    record = AccessRecord(92, moment, "0", 100, 200, inout=2)
    line = table_line("transaction", transaction_fields(record))
    assert line.startswith(
        "transaction cardno=0\tpin=0\tverified=200\tdoorid=1\teventtype=100\tinoutstate=2"
        "\ttime_second=548003688\tindex=92\tsitecode=0\tdevid=1\t"
    )


def test_template_rows_by_type() -> None:
    finger = att_template_row(Template("1", 1, 3, 0, "QUJD", duress=1))
    assert (finger.table, finger.text) == ("OPERLOG", "FP PIN=1\tFID=3\tSize=4\tValid=3\tTMP=QUJD")
    palm = att_template_row(Template("306", 8, 0, 2, "QUJD", major="1"))
    assert palm.text == (
        "BIODATA Pin=306\tNo=0\tIndex=2\tValid=1\tDuress=0\tType=8\tMajorVer=1\tMinorVer=0"
        "\tFormat=0\tTmp=QUJD"
    )


def test_attphoto_body_is_header_nul_jpeg() -> None:
    jpeg = placeholder_jpeg("5")
    row = attphoto_row("20150731103012-123.jpg", "0316144680030", jpeg)
    params, body, ack = batch_request([row])
    assert params == {"table": "ATTPHOTO", "Stamp": "9999"}
    header, _, picture = body.partition(b"\0")
    assert header == (
        b"PIN=20150731103012-123.jpg\nSN=0316144680030\nsize="
        + str(len(jpeg)).encode()
        + b"\nCMD=uploadphoto"
    )
    assert picture == jpeg
    assert ack("OK")


def test_placeholder_jpeg_is_a_jpeg_that_differs_per_pin() -> None:
    first, second = placeholder_jpeg("1"), placeholder_jpeg("2")
    assert first.startswith(b"\xff\xd8\xff")
    assert first.endswith(b"\xff\xd9")
    assert first != second


def test_acks_per_stream() -> None:
    rtlog = rtlog_row(AccessRecord(1, MONDAY_9AM, "1", 0, 15))
    params, body, ack = batch_request([rtlog, rtlog], "\r\n")
    assert params == {"table": "rtlog"}
    assert body.count(b"\r\n") == 2
    assert ack("OK")
    assert not ack("OK: 2")
    att = attlog_row(
        AccessRecord(1, MONDAY_9AM, "1", 0, 15), with_mask=False, with_temperature=False
    )
    params, _, ack = batch_request([att] * 3)
    assert params == {"table": "ATTLOG", "Stamp": "9999"}
    assert ack("OK: 3")
    assert not ack("OK: 2")
    assert not ack("OK")


# --- acc access decisions -------------------------------------------------------------------


@pytest.fixture
def device() -> DeviceState:
    state = make_state(doors=2)
    state.users["1001"] = User("1001", 1)
    state.timezones[1] = {"montime1": str((800 << 16) + 1800)}
    return state


def test_punch_needs_user_authorization_and_time(device: DeviceState) -> None:
    from gatehouse_sim.model import Authorization

    assert events.punch(device, "1001")[0].event == events.ACCESS_DENIED
    device.authorizations[("1001", 1, "")] = Authorization("1001", 1, 0b01)
    granted, [row] = events.punch(device, "1001")
    assert granted.event == events.GRANTED
    assert parse_pairs(row.text)["event"] == "0"
    assert events.punch(device, "1001", door=2)[0].event == events.ACCESS_DENIED
    evening = MONDAY_9AM + timedelta(hours=10)
    assert events.punch(device, "1001", at=evening)[0].event == events.INVALID_TIME
    assert events.punch(device, "9999")[0].event == events.NOT_REGISTERED
    assert events.punch(device, "1001", temperature=38.1)[0].event == events.HIGH_TEMPERATURE


def test_holidays_validity_and_disabled_users(device: DeviceState) -> None:
    from gatehouse_sim.model import Authorization

    device.authorizations[("1001", 1, "")] = Authorization("1001", 1, 0b11)
    device.holidays["20250303"] = {"holiday": "20250303", "holidaytype": "1", "loop": "1"}
    assert events.punch(device, "1001")[0].event == events.INVALID_TIME
    device.timezones[1]["hol1time1"] = str(2359)
    assert events.punch(device, "1001")[0].event == events.GRANTED
    device.users["1001"].end = "20250302"
    assert events.punch(device, "1001")[0].event == events.EXPIRED
    device.users["1001"].end = "0"
    device.users["1001"].disabled = True
    assert events.punch(device, "1001")[0].event == events.PROHIBITED_USER


def test_every_event_is_stored_with_a_growing_index(device: DeviceState) -> None:
    events.punch(device, "1001")
    events.stranger(device)
    events.door_event(device, "open", door=2)
    assert [record.index for record in device.logs] == [1, 2, 3]
    assert [record.event for record in device.logs] == [23, 27, 200]
    assert device.doors[1].is_open


def test_door_and_alarm_rows(device: DeviceState) -> None:
    rows = events.alarm(device, "forced", door=1)
    assert [row.table for row in rows] == ["rtlog", "rtstate"]
    assert parse_pairs(rows[0].text)["event"] == "102"
    assert parse_pairs(rows[1].text)["alarm"].startswith("01")
    rows = events.alarm(device, "tamper", door=1)
    assert parse_pairs(rows[1].text)["alarm"].startswith("03")
    with pytest.raises(ValueError, match="unknown alarm"):
        events.alarm(device, "fire")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no door 3"):
        events.door_event(device, "open", door=3)


def test_att_door_and_alarm_become_oplog_rows() -> None:
    att = make_state("att")
    assert events.door_event(att, "open")[0].text == "OPLOG 3\t0\t2025-03-03 09:00:00\t0\t51\t0\t0"
    assert events.alarm(att, "forced")[0].text == "OPLOG 3\t0\t2025-03-03 09:00:00\t0\t54\t0\t0"
    assert events.alarm(att, "duress")[0].text.startswith("OPLOG 32\t")
    assert events.stranger(att) == (None, [])


def test_enrolling_a_face_on_the_device() -> None:
    acc = make_state()
    jpeg = placeholder_jpeg("77")
    rows = events.enroll_face(acc, "77", jpeg)
    assert [(row.table, row.tablename) for row in rows] == [
        ("tabledata", "user"),
        ("tabledata", "biophoto"),
        ("tabledata", "biodata"),
    ]
    photo_fields = parse_pairs(rows[1].text.removeprefix("biophoto "))
    assert photo_fields["type"] == "9"
    assert photo_fields["size"] == str(len(photo_fields["content"]))
    att = make_state("att")
    rows = events.enroll_face(att, "77", jpeg)
    assert [row.text.split(" ")[0] for row in rows] == ["USER", "OPLOG", "BIOPHOTO", "BIODATA"]
    panel = make_state(face=False)
    with pytest.raises(ValueError, match="no face reader"):
        events.enroll_face(panel, "77", jpeg)

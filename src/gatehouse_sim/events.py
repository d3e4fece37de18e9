"""Things that happen at the device, as the records it would upload.

Each function updates the device state (stored records, door and alarm bits, enrolled photos)
and returns the rows to queue. acc devices decide access themselves from what the server made
them store (users, validity, userauthorize, timezones, holidays), so a missing sync shows up as
a refused punch.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import date, datetime
from typing import TYPE_CHECKING, Literal

from gatehouse_sim.model import (
    ALARM_DURESS_PASSWORD,
    ALARM_FORCED,
    ALARM_OPEN_TIMEOUT,
    ALARM_TAMPER,
    FACE_VISIBLE,
    FINGERPRINT,
    AccessRecord,
    Photo,
    Row,
    Template,
    User,
)
from gatehouse_sim.records import (
    acc_user_fields,
    att_biophoto_row,
    att_template_row,
    att_user_row,
    attlog_row,
    biodata_fields,
    biophoto_fields,
    oplog_row,
    rtlog_row,
    tabledata_row,
)
from gatehouse_sim.wire import WireError, format_time, from_zk_seconds, unpack_interval

if TYPE_CHECKING:
    from gatehouse_sim.state import DeviceState

DoorKind = Literal["open", "close", "exit", "timeout"]
AlarmKind = Literal["forced", "tamper", "duress"]

# acc event codes (SP-EN Appendix 2)
GRANTED = 0
ALARM_CANCELLED = 7
REMOTE_OPEN = 8
REMOTE_CLOSE = 9
INVALID_TIME = 22
ACCESS_DENIED = 23
NOT_REGISTERED = 27
DOOR_OPEN_TIMEOUT = 28
EXPIRED = 29
PROHIBITED_USER = 62
HIGH_TEMPERATURE = 68
TAMPER = 100
DURESS_PASSWORD = 101
FORCED_OPEN = 102
DOOR_OPENED = 200
DOOR_CLOSED = 201
EXIT_BUTTON = 202
REMOTE_NORMAL_OPEN = 205
DEVICE_STARTED = 206

VERIFY_OTHER = 200
INOUT_NONE = 2
# att OPERLOG operation codes and alarm reasons (AP-EN Appendix 3 and 5)
OP_ALARM = 3
OP_ENROLL_USER = 30
OP_DURESS = 32
ATT_DOOR_REASONS = {"open": 51, "close": 50, "exit": 53}
ATT_ALARM_REASONS = {"forced": 54, "tamper": 55}

_DOOR_EVENTS: dict[str, int] = {
    "open": DOOR_OPENED,
    "close": DOOR_CLOSED,
    "exit": EXIT_BUTTON,
    "timeout": DOOR_OPEN_TIMEOUT,
}
_ALARMS: dict[str, tuple[int, int]] = {
    "forced": (FORCED_OPEN, ALARM_FORCED),
    "tamper": (TAMPER, ALARM_TAMPER),
    "duress": (DURESS_PASSWORD, ALARM_DURESS_PASSWORD),
}
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def punch(
    state: DeviceState,
    pin: str,
    *,
    verify: int = 15,
    temperature: float | None = None,
    mask: bool | None = None,
    at: datetime | None = None,
    door: int = 1,
    inout: int = 0,
    status: int = 0,
) -> tuple[AccessRecord, list[Row]]:
    """A person verifies at the device (face by default: verify mode 15)."""
    when = state.local_time(at)
    state.door(door)
    user = state.users.get(pin)
    event = access_decision(state, user, door, when, temperature) if state.dialect == "acc" else 0
    record = AccessRecord(
        index=state.take_index(),
        time=when,
        pin=pin,
        event=event,
        verify=verify,
        door=door,
        inout=inout,
        card=(user.card if user and user.card else "0"),
        status=status,
        mask=None if mask is None else int(mask),
        temperature=temperature,
    )
    state.store_record(record)
    return record, [_record_row(state, record)]


def stranger(
    state: DeviceState,
    *,
    temperature: float | None = None,
    mask: bool | None = None,
    at: datetime | None = None,
    door: int = 1,
) -> tuple[AccessRecord | None, list[Row]]:
    """An unknown face: acc event 27 with no pin; attendance devices log nothing."""
    if state.dialect == "att":
        return None, []
    state.door(door)
    record = AccessRecord(
        index=state.take_index(),
        time=state.local_time(at),
        pin="0",
        event=NOT_REGISTERED,
        verify=15,
        door=door,
        mask=None if mask is None else int(mask),
        temperature=temperature,
    )
    state.store_record(record)
    return record, [rtlog_row(record)]


def door_event(
    state: DeviceState, kind: DoorKind, door: int = 1, at: datetime | None = None
) -> list[Row]:
    """The door sensor or exit button: acc event plus the new door state; att an alarm OPLOG."""
    if kind not in _DOOR_EVENTS:
        raise ValueError(f"unknown door event {kind!r}")
    target = state.door(door)
    if kind in ("open", "close"):
        target.is_open = kind == "open"
    if kind == "timeout":
        target.alarm |= ALARM_OPEN_TIMEOUT
    if state.dialect == "att":
        reason = ATT_DOOR_REASONS.get(kind)
        when = format_time(state.local_time(at))
        return [] if reason is None else [oplog_row(OP_ALARM, "0", when, 0, reason)]
    return system_event(state, _DOOR_EVENTS[kind], door, at)


def alarm(
    state: DeviceState, kind: AlarmKind, door: int = 1, at: datetime | None = None
) -> list[Row]:
    """An alarm at a door: acc alarm event plus the alarm bit in rtstate; att an OPLOG."""
    if kind not in _ALARMS:
        raise ValueError(f"unknown alarm {kind!r}")
    event, bit = _ALARMS[kind]
    state.door(door).alarm |= bit
    if state.dialect == "att":
        when = format_time(state.local_time(at))
        if kind == "duress":
            return [oplog_row(OP_DURESS, "0", when)]
        return [oplog_row(OP_ALARM, "0", when, 0, ATT_ALARM_REASONS[kind])]
    return system_event(state, event, door, at)


def system_event(
    state: DeviceState, event: int, door: int, at: datetime | None = None
) -> list[Row]:
    """A door or device event (no person): stored, uploaded, followed by the door state."""
    record = AccessRecord(
        index=state.take_index(),
        time=state.local_time(at),
        pin="0",
        event=event,
        verify=VERIFY_OTHER,
        door=door,
        inout=INOUT_NONE,
    )
    state.store_record(record)
    return [rtlog_row(record), state.state_row()]


def enroll_face(state: DeviceState, pin: str, jpeg: bytes) -> list[Row]:
    """A face enrolled at the device: the user (created when new), the comparison photo and
    the template the device extracted from it, as the device uploads them."""
    if FACE_VISIBLE not in state.capabilities.photo_types:
        raise ValueError("this device has no face reader")
    rows = _ensure_user(state, pin)
    photo = Photo(pin, FACE_VISIBLE, jpeg, f"{pin}.jpg")
    template = Template(pin, FACE_VISIBLE, 0, 0, extracted_template(jpeg), major="58")
    state.biophotos[(pin, FACE_VISIBLE)] = photo
    state.templates[(pin, FACE_VISIBLE, 0, 0)] = template
    if state.dialect == "acc":
        rows += [
            tabledata_row("biophoto", biophoto_fields(photo)),
            tabledata_row("biodata", biodata_fields(template)),
        ]
    else:
        rows += [att_biophoto_row(photo), att_template_row(template)]
    return rows


def enroll_finger(state: DeviceState, pin: str, finger: int) -> list[Row]:
    """A fingerprint enrolled at the device (remote ENROLL_BIO type 1 / ENROLL_FP)."""
    rows = _ensure_user(state, pin)
    material = f"{state.sn}:{pin}:{finger}:{state.next_index}".encode()
    template = Template(pin, FINGERPRINT, finger, 0, extracted_template(material), major="10")
    state.templates[(pin, FINGERPRINT, finger, 0)] = template
    if state.dialect == "acc":
        rows.append(tabledata_row("biodata", biodata_fields(template)))
    else:
        rows.append(att_template_row(template))
    return rows


def _ensure_user(state: DeviceState, pin: str) -> list[Row]:
    if pin in state.users:
        return []
    user = User(pin=pin, uid=state.take_uid(), verify="0" if state.dialect == "acc" else "-1")
    state.users[pin] = user
    if state.dialect == "acc":
        return [tabledata_row("user", acc_user_fields(user))]
    when = format_time(state.now())
    return [att_user_row(user), oplog_row(OP_ENROLL_USER, "0", when, pin)]


def stored_rows(state: DeviceState) -> list[Row]:
    """Every stored record as uploaded (att CHECK with `ATTLOGStamp=0` re-sends them all)."""
    return [_record_row(state, record) for record in state.logs]


def _record_row(state: DeviceState, record: AccessRecord) -> Row:
    if state.dialect == "acc":
        return rtlog_row(record)
    capabilities = state.capabilities
    return attlog_row(
        record, with_mask=capabilities.mask, with_temperature=capabilities.temperature
    )


def access_decision(  # noqa: PLR0911 - one return per reason to refuse
    state: DeviceState,
    user: User | None,
    door: int,
    when: datetime,
    temperature: float | None = None,
) -> int:
    """The acc event code for a verification: granted (0) or why not."""
    if user is None:
        return NOT_REGISTERED
    if temperature is not None and temperature > _threshold(state):
        return HIGH_TEMPERATURE
    if user.disabled:
        return PROHIBITED_USER
    if not _within_validity(user, when):
        return EXPIRED
    door_bit = 1 << (door - 1)
    grants = [item for item in state.authorizations_of(user.pin) if item.doors & door_bit]
    if not grants:
        return ACCESS_DENIED
    if not any(timezone_allows(state, grant.timezone_id, when) for grant in grants):
        return INVALID_TIME
    return GRANTED


def timezone_allows(state: DeviceState, timezone_id: int, when: datetime) -> bool:
    """Whether `when` falls in one of the day's three intervals (holiday rows win)."""
    timezone = state.timezones.get(timezone_id)
    if timezone is None:
        return False
    prefix = _day_prefix(state, when.date())
    hhmm = when.hour * 100 + when.minute
    for slot in (1, 2, 3):
        try:
            start, end = unpack_interval(int(timezone.get(f"{prefix}{slot}", "0")))
        except ValueError:
            continue
        if (start or end) and start <= hhmm <= end:
            return True
    return False


def _day_prefix(state: DeviceState, day: date) -> str:
    for holiday_date, holiday in state.holidays.items():
        yearly = holiday.get("loop") == "2"
        if holiday_date == day.strftime("%Y%m%d") or (
            yearly and holiday_date[4:] == day.strftime("%m%d")
        ):
            return f"hol{holiday.get('holidaytype', '1')}time"
    return f"{_WEEKDAYS[day.weekday()]}time"


def _within_validity(user: User, when: datetime) -> bool:
    start = _validity_bound(user.start)
    end = _validity_bound(user.end, end_of_day=True)
    return (start is None or when >= start) and (end is None or when <= end)


def _validity_bound(value: str, *, end_of_day: bool = False) -> datetime | None:
    """`YYYYMMDD`, ZK seconds (DateFmtFunOn=1) or 0/empty for no limit."""
    text = value.strip()
    if not text.isdigit() or int(text) == 0:
        return None
    if len(text) == 8 and text[:2] in ("19", "20"):
        moment = datetime.strptime(text, "%Y%m%d")  # noqa: DTZ007 - device wall clock
        return moment.replace(hour=23, minute=59, second=59) if end_of_day else moment
    try:
        return from_zk_seconds(int(text))
    except WireError:
        return None


def _threshold(state: DeviceState) -> float:
    try:
        return float(state.options.get("IRTempThreshold", "37.3"))
    except ValueError:
        return 37.3


def extracted_template(material: bytes) -> str:
    """A stand-in for the template a device extracts: stable for equal input."""
    return base64.b64encode(hashlib.sha256(material).digest() * 8).decode()


_TINY_JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300100b0c0e0c0a100e0d0e1211101318281a1816"
    "16183123251d283a333d3c3933383740485c4e404457453738506d51575f626768673e4d71797064785c6567"
    "63ffc0000b080008000801011100ffc4001f0000010501010101010100000000000000000102030405060708"
    "090a0bffc400b5100002010303020403050504040000017d01020300041105122131410613516107227114"
    "328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748"
    "494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2"
    "a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9"
    "eaf1f2f3f4f5f6f7f8f9faffda0008010100003f002bffd9"
)


def placeholder_jpeg(pin: str) -> bytes:
    """A valid 8x8 grey JPEG with a comment naming the pin, so that each enrolment differs.

    It decodes but holds no face: set `DeviceState.enroll_jpeg` to return a real face photo
    when the server checks faces.
    """
    comment = f"gatehouse-sim enrolment pin={pin}".encode()
    segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    return _TINY_JPEG[:2] + segment + _TINY_JPEG[2:]

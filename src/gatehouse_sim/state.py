"""Everything one simulated device holds, and the entry point of its command interpreter.

Pure: no I/O. The client feeds it commands and uploads what it asks for; tests drive it directly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

from gatehouse_sim import commands
from gatehouse_sim.commands import CommandOutcome, Fetch, FollowUp
from gatehouse_sim.events import placeholder_jpeg
from gatehouse_sim.model import (
    FACE_VISIBLE,
    AccessRecord,
    Authorization,
    Capabilities,
    Dialect,
    Door,
    Photo,
    Row,
    Template,
    User,
)
from gatehouse_sim.records import rtstate_row
from gatehouse_sim.wire import format_time

__all__ = ["CommandOutcome", "DeviceState", "Fetch", "FollowUp", "default_options"]

PUSH_VERSION = {"acc": "3.1.2", "att": "2.4.1"}
DEFAULT_FIRMWARE = {"acc": "ZAM70-NF-Ver1.0.0-sim", "att": "Ver 8.0.4-sim"}


def _local_now() -> datetime:
    return datetime.now(tz=UTC).astimezone().replace(tzinfo=None)


class DeviceState:
    """Tables, options, doors and stored records of one device."""

    def __init__(
        self,
        capabilities: Capabilities,
        *,
        firmware: str | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.capabilities = capabilities
        self.firmware = firmware or DEFAULT_FIRMWARE[capabilities.dialect]
        self._clock = clock
        self.utc_offset: timedelta | None = None
        self.clock_offset = timedelta(0)
        self.users: dict[str, User] = {}
        self.authorizations: dict[tuple[str, int, str], Authorization] = {}
        self.timezones: dict[int, dict[str, str]] = {}
        self.holidays: dict[str, dict[str, str]] = {}
        self.biophotos: dict[tuple[str, int], Photo] = {}
        self.userpics: dict[str, Photo] = {}
        self.templates: dict[tuple[str, int, int, int], Template] = {}
        self.extra_tables: dict[str, dict[str, dict[str, str]]] = {}
        """Tables kept as plain records by name: mulcarduser, extuser, panel settings, ..."""
        self.logs: list[AccessRecord] = []
        self.doors = [Door(number) for number in range(1, capabilities.doors + 1)]
        self.options: dict[str, str] = default_options(capabilities, self.firmware)
        self.next_index = 1
        self.next_uid = 1
        self.query_mark = 0
        """Last record index a `filter=NewRecord` query returned."""
        self.line_ending = "\n"
        """Between uploaded records; set "\r\n" to send CRLF as many devices do."""
        self.short_data_cmd = False
        """acc only: report `CMD=DATA` for UPDATE/DELETE as SP-EN's format sections write it,
        instead of `CMD=DATA UPDATE` as its result example (and the reference) do."""
        self.enroll_jpeg: Callable[[str], bytes] = placeholder_jpeg

    @property
    def dialect(self) -> Dialect:
        return self.capabilities.dialect

    @property
    def sn(self) -> str:
        return self.capabilities.serial_number

    # --- clock ----------------------------------------------------------------------------

    def now(self) -> datetime:
        """Device wall clock: the machine's local time unless the server set a zone (att
        TimeZone) or the clock (acc `SET OPTIONS DateTime`)."""
        if self._clock is not None:
            base = self._clock()
        elif self.utc_offset is not None:
            base = datetime.now(tz=UTC).replace(tzinfo=None) + self.utc_offset
        else:
            base = _local_now()
        return base + self.clock_offset

    def set_clock(self, moment: datetime) -> None:
        self.clock_offset += moment - self.now()

    def local_time(self, at: datetime | None) -> datetime:
        """An explicit moment as the device would write it: aware values move to its zone."""
        if at is None:
            return self.now().replace(microsecond=0)
        if at.tzinfo is None:
            return at.replace(microsecond=0)
        if self.utc_offset is not None:
            return (at.astimezone(UTC).replace(tzinfo=None) + self.utc_offset).replace(
                microsecond=0
            )
        return at.astimezone().replace(tzinfo=None, microsecond=0)

    # --- commands -------------------------------------------------------------------------

    def apply(
        self, command_id: str, text: str, fetched: Mapping[str, bytes | None] | None = None
    ) -> CommandOutcome:
        """Execute one server command; `fetched` answers an earlier `Fetch`."""
        return commands.apply(self, command_id, text, dict(fetched or {}))

    # --- bookkeeping the interpreter and the events share -----------------------------------

    def take_index(self) -> int:
        index = self.next_index
        self.next_index += 1
        return index

    def take_uid(self) -> int:
        uid = self.next_uid
        self.next_uid += 1
        return uid

    def store_record(self, record: AccessRecord) -> None:
        """The transaction table / attendance log: the oldest records go when it is full."""
        self.logs.append(record)
        excess = len(self.logs) - self.capabilities.max_logs
        if excess > 0:
            del self.logs[:excess]

    def door(self, number: int) -> Door:
        if not 1 <= number <= len(self.doors):
            raise ValueError(f"the device has no door {number}")
        return self.doors[number - 1]

    def drive_time(self, door: int) -> int:
        """Lock pulse length in seconds (`Door<n>Drivertime`, default 5)."""
        try:
            return max(1, int(self.options.get(f"Door{door}Drivertime", "5")))
        except ValueError:
            return 5

    def state_row(self) -> Row:
        return rtstate_row(format_time(self.now()), self.doors)

    def tick(self) -> list[Row]:
        """Release lock relays whose pulse has ended; each change is reported as door state."""
        now = self.now()
        released = False
        for door in self.doors:
            if door.relay_until is not None and door.relay_until <= now:
                door.relay_until = None
                door.relay = door.normally_open
                released = True
        return [self.state_row()] if released and self.dialect == "acc" else []

    # --- what the device reports ---------------------------------------------------------------

    def registry_body(self) -> str:
        """acc `POST /iclock/registry`: one comma-separated line of capabilities."""
        pairs = [("DeviceType", "acc")]
        pairs += [(key, self.options[key]) for key in REGISTRY_KEYS if key in self.options]
        pairs.append(("CommType", "ethernet"))
        return ",".join(f"{key}={value}" for key, value in pairs)

    def options_body(self, keys: list[str] | None = None) -> str:
        """`cdata?table=options`: the requested parameters (all when None) and the counters."""
        counters = {
            "UserCount": str(len(self.users)),
            "TransactionCount": str(len(self.logs)),
            "FaceCount": str(len(self.biophotos)),
            "FPCount": str(sum(1 for t in self.templates.values() if t.type == 1)),
        }
        values = {**self.options, **counters}
        wanted = keys if keys is not None else list(values)
        return ",".join(f"{key}={values[key]}" for key in wanted if key in values)

    def info_value(self) -> str:
        """att getrequest `INFO=`: firmware, users, fingerprints, records, IP, fingerprint and
        face algorithm, faces needed per enrolment, faces, feature flags."""
        fingerprints = sum(1 for t in self.templates.values() if t.type == 1)
        features = "11111" if self.capabilities.face else "101"
        parts = [
            self.firmware,
            len(self.users),
            fingerprints,
            len(self.logs),
            self.options["IPAddress"],
            self.options["~ZKFPVersion"],
            7 if self.capabilities.face else 0,
            15,
            len(self.biophotos),
            features,
        ]
        return ",".join(str(part) for part in parts)

    # --- read helpers for tests -------------------------------------------------------------

    def photo(self, pin: str, photo_type: int = FACE_VISIBLE) -> bytes | None:
        photo = self.biophotos.get((pin, photo_type))
        return photo.content if photo else None

    def authorizations_of(self, pin: str) -> list[Authorization]:
        return [item for item in self.authorizations.values() if item.pin == pin]

    def templates_of(self, pin: str) -> list[Template]:
        return [item for item in self.templates.values() if item.pin == pin]

    def drop_user_credentials(self, pin: str) -> None:
        """What an att `DATA DELETE USERINFO` also removes (templates and photos)."""
        for template_key in [key for key in self.templates if key[0] == pin]:
            del self.templates[template_key]
        for photo_key in [key for key in self.biophotos if key[0] == pin]:
            del self.biophotos[photo_key]
        self.userpics.pop(pin, None)


REGISTRY_KEYS = (
    "~DeviceName",
    "FirmVer",
    "PushVersion",
    "LockCount",
    "ReaderCount",
    "AuxInCount",
    "AuxOutCount",
    "MachineType",
    "IPAddress",
    "NetMask",
    "GATEIPAddress",
    "MAC",
    "~SerialNumber",
    "FaceFunOn",
    "FingerFunOn",
    "FvFunOn",
    "BioPhotoFun",
    "BioDataFun",
    "MultiBioDataSupport",
    "MultiBioPhotoSupport",
    "IRTempDetectionFunOn",
    "MaskDetectionFunOn",
    "~MaxUserCount",
    "~MaxAttLogCount",
    "~MaxFace7Count",
    "~MaxUserFingerCount",
    "StringPinFunOn",
    "MulCardUserFunOn",
    "DateFmtFunOn",
    "MaxPackageSize",
    "VerifyStyles",
    "EventTypes",
)


def event_types_hex(codes: set[int]) -> str:
    """32-byte bitmap of supported event codes 0..255, low bit first in each byte."""
    bitmap = bytearray(32)
    for code in codes:
        if 0 <= code < 256:
            bitmap[code // 8] |= 1 << (code % 8)
    return bitmap.hex().upper()


SUPPORTED_EVENTS = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 20, 21, 22, 23, 24, 27, 28, 29}
SUPPORTED_EVENTS |= {62, 68, 69, 100, 101, 102, 200, 201, 202, 205, 206, 233, 234}


def default_options(capabilities: Capabilities, firmware: str) -> dict[str, str]:
    """The device parameters it registers with and reports on GET OPTIONS / table=options."""
    face = capabilities.face
    options = {
        "~DeviceName": capabilities.model_name if face else "C3-400",
        "~SerialNumber": capabilities.serial_number,
        "FirmVer": firmware,
        "PushVersion": f"Ver {PUSH_VERSION[capabilities.dialect]}-sim",
        "LockCount": str(capabilities.doors),
        "ReaderCount": str(capabilities.doors * (1 if face else 2)),
        "AuxInCount": str(capabilities.doors),
        "AuxOutCount": str(capabilities.doors),
        "MachineType": str(capabilities.machine_type),
        "IPAddress": capabilities.ip_address,
        "NetMask": "255.255.255.0",
        "GATEIPAddress": "192.0.2.1",
        "MAC": capabilities.mac,
        "FaceFunOn": "1" if face else "0",
        "FingerFunOn": "1",
        "FvFunOn": "0",
        "BioPhotoFun": "1" if face else "0",
        "BioDataFun": "1",
        "MultiBioDataSupport": capabilities.bio_flags(capabilities.template_types),
        "MultiBioPhotoSupport": capabilities.bio_flags(capabilities.photo_types),
        "IRTempDetectionFunOn": "1" if capabilities.temperature else "0",
        "MaskDetectionFunOn": "1" if capabilities.mask else "0",
        "IRTempThreshold": "37.30",
        "~MaxUserCount": str(capabilities.max_users),
        "~MaxAttLogCount": str(capabilities.max_logs),
        "~MaxFace7Count": str(capabilities.max_users if face else 0),
        "~MaxUserFingerCount": "10",
        "StringPinFunOn": "1" if capabilities.string_pins else "0",
        "MulCardUserFunOn": "1",
        "DateFmtFunOn": "0",
        "MaxPackageSize": "2048000",
        "VerifyStyles": "FB01FF00",
        "EventTypes": event_types_hex(SUPPORTED_EVENTS),
        "ComPwd": "",
        "Volume": "67",
        "~ZKFPVersion": "10",
        "FaceVersion": "58" if face else "0",
        "Language": "69",
    }
    for door in range(1, capabilities.doors + 1):
        options[f"Door{door}Drivertime"] = "5"
        options[f"Door{door}SensorType"] = "2"
        options[f"Door{door}Detectortime"] = "15"
    options.update(capabilities.extra)
    return options

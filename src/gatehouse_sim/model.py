"""What a simulated device holds: users, credentials, authorizations, doors, stored records.

Plain dataclasses so that a test can look at exactly what the server made the device store.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Dialect = Literal["acc", "att"]

FACE_VISIBLE = 9
FINGERPRINT = 1
FACE_NIR = 2
FINGER_VEIN = 7

# The device's own alarm bits per door (rtstate `alarm`, one byte per door).
ALARM_FORCED = 0x01
ALARM_TAMPER = 0x02
ALARM_DURESS_PASSWORD = 0x04
ALARM_DURESS_FINGER = 0x08
ALARM_OPEN_TIMEOUT = 0x10


@dataclass
class User:
    pin: str
    uid: int
    name: str = ""
    card: str = ""
    password: str = ""
    privilege: int = 0
    group: str = "0"
    start: str = "0"
    end: str = "0"
    disabled: bool = False
    verify: str = "-1"
    timezones: str = "0000000000000000"
    vice_card: str = ""


@dataclass(frozen=True)
class Authorization:
    """acc `userauthorize`: which doors (bitmask, door n = 1 << (n-1)) in which timezone."""

    pin: str
    timezone_id: int
    doors: int
    dev_id: str = ""


@dataclass
class Photo:
    """A comparison photo (`biophoto`, by pin and biometric type) or a display photo (`userpic`)."""

    pin: str
    type: int
    content: bytes
    filename: str

    @property
    def b64(self) -> str:
        return base64.b64encode(self.content).decode()


@dataclass
class Template:
    """A biometric template (`biodata`, `templatev10`, att `FINGERTMP`/`FACE`), base64 as sent."""

    pin: str
    type: int
    no: int
    index: int
    data: str
    valid: int = 1
    duress: int = 0
    major: str = "0"
    minor: str = "0"
    format: str = "0"


@dataclass
class AccessRecord:
    """One stored record: an acc `transaction` row or an att ATTLOG punch."""

    index: int
    time: datetime
    pin: str
    event: int
    verify: int
    door: int = 1
    inout: int = 0
    card: str = "0"
    status: int = 0
    workcode: str = "0"
    mask: int | None = None
    temperature: float | None = None
    site_code: int = 0
    link_id: int = 0


@dataclass
class Door:
    number: int
    has_sensor: bool = True
    is_open: bool = False
    relay: bool = False
    relay_until: datetime | None = None
    normally_open: bool = False
    alarm: int = 0


@dataclass(frozen=True)
class Row:
    """One record waiting to be uploaded.

    `table` is the cdata `table` parameter; `tablename` names the acc tabledata table (and
    separates att comparison photos, which are acknowledged with a bare `OK`); `payload` is the
    binary part of an att ATTPHOTO.
    """

    table: str
    text: str
    tablename: str = ""
    payload: bytes = b""

    @property
    def stream(self) -> tuple[str, str]:
        return self.table, self.tablename


@dataclass
class Capabilities:
    """Fixed hardware facts, chosen at construction."""

    dialect: Dialect
    serial_number: str
    doors: int = 1
    face: bool = True
    temperature: bool = False
    mask: bool = False
    string_pins: bool = False
    max_users: int = 10000
    max_logs: int = 100000
    ip_address: str = "192.0.2.10"
    mac: str = "00:17:61:00:00:01"
    model_name: str = "SpeedFace-V5L"
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def photo_types(self) -> frozenset[int]:
        return frozenset({FACE_VISIBLE}) if self.face else frozenset()

    @property
    def template_types(self) -> frozenset[int]:
        if self.dialect == "att":
            return frozenset({FINGERPRINT, FACE_NIR, FACE_VISIBLE} if self.face else {FINGERPRINT})
        return frozenset({FINGERPRINT, FACE_VISIBLE} if self.face else {FINGERPRINT})

    @property
    def machine_type(self) -> int:
        """101 = integrated terminal; panels by door count (SP-EN Appendix 7)."""
        if self.face:
            return 101
        return {1: 4, 2: 1, 4: 2}.get(self.doors, 2)

    def bio_flags(self, types: frozenset[int]) -> str:
        """`MultiBio*Support`: colon-separated flags over biometric type index 0..10."""
        return ":".join("1" if index in types else "0" for index in range(11))

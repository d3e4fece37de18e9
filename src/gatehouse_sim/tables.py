"""The device tables as DATA commands see them: names, fields, validation and storage.

A multi-record `DATA UPDATE` is validated record by record into a `Batch`; only when every record
passes are the staged changes applied, so a refused command leaves the device as it was.
Field names are case-insensitive (the interpreter lower-cases them).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from gatehouse_sim.events import extracted_template
from gatehouse_sim.model import (
    FACE_NIR,
    FINGER_VEIN,
    FINGERPRINT,
    AccessRecord,
    Authorization,
    Photo,
    Row,
    Template,
    User,
)
from gatehouse_sim.records import (
    Fields,
    acc_user_fields,
    att_finger_fields,
    att_template_row,
    att_user_fields,
    authorization_fields,
    biodata_fields,
    biophoto_fields,
    tabledata_row,
    templatev10_fields,
    transaction_fields,
    userpic_fields,
)

if TYPE_CHECKING:
    from gatehouse_sim.state import DeviceState

Record = dict[str, str]
JPEG_MAGIC = b"\xff\xd8\xff"
PRIVILEGES = frozenset({0, 2, 6, 10, 14})
TEMPLATES_PER_USER = 10
_CARD = re.compile(r"\d{1,20}|\[[0-9A-Fa-f]{2,16}\]")
_NUMERIC_PIN = re.compile(r"\d{1,24}")
_STRING_PIN = re.compile(r"[A-Za-z0-9_-]{1,24}")


@dataclass(frozen=True)
class Codes:
    """Return codes per dialect (SP-EN Appendix 1; AP-EN Appendix 1)."""

    bad_format: int
    no_pin: int
    capacity: int
    bad_table: int
    unknown: int
    unsupported: int
    bio_type: int
    bad_base64: int
    photo_size: int
    template_size: int
    missing: int
    bad_reference: int
    bad_field: int
    fetch_failed: int
    upgrade_failed: int
    upload_failed: int
    bad_options: int
    already_enrolled: int = 2


ACC_CODES = Codes(
    bad_format=-620,
    no_pin=-27,
    capacity=-18,
    bad_table=-629,
    unknown=-13,
    unsupported=-708,
    bio_type=-30,
    bad_base64=-631,
    photo_size=-10,
    template_size=-10,
    missing=-619,
    bad_reference=-12,
    bad_field=-621,
    fetch_failed=-726,
    upgrade_failed=-720,
    upload_failed=-722,
    bad_options=-108,
)
ATT_CODES = Codes(
    bad_format=-1,
    no_pin=-10,
    capacity=-1001,
    bad_table=-1004,
    unknown=-1,
    unsupported=-1002,
    bio_type=-1004,
    bad_base64=-11,
    photo_size=-2,
    template_size=-9,
    missing=-1,
    bad_reference=-1004,
    bad_field=-1,
    fetch_failed=-1008,
    upgrade_failed=-1,
    upload_failed=-1,
    bad_options=-1,
)


class Batch:
    """The records of one DATA UPDATE, validated and staged, applied together by `commit`."""

    def __init__(self, state: DeviceState, codes: Codes, fetched: dict[str, bytes | None]) -> None:
        self.state = state
        self.codes = codes
        self.fetched = fetched
        self.changes: list[Callable[[], list[Row]]] = []
        self.new: dict[str, set[object]] = defaultdict(set)
        self.missing_urls: list[str] = []

    def stage(self, change: Callable[[], list[Row]]) -> int:
        self.changes.append(change)
        return 0

    def commit(self) -> list[Row]:
        rows: list[Row] = []
        for change in self.changes:
            rows += change()
        return rows

    def pin_error(self, pin: str) -> int:
        """Numeric PINs unless the device registered `StringPinFunOn=1`."""
        if not pin:
            return self.codes.missing
        pattern = _STRING_PIN if self.state.capabilities.string_pins else _NUMERIC_PIN
        return 0 if pattern.fullmatch(pin) else self.codes.bad_format

    def known_pin_error(self, pin: str) -> int:
        """Credentials and authorizations need the user on the device first."""
        code = self.pin_error(pin)
        if code:
            return code
        return 0 if pin in self.state.users or pin in self.new["user"] else self.codes.no_pin

    def claim(self, kind: str, key: object, existing: dict[Any, Any], limit: int) -> bool:
        """Reserve room for a new key; False when the device is full."""
        if key in existing or key in self.new[kind]:
            return True
        if len(existing) + len(self.new[kind]) >= limit:
            return False
        self.new[kind].add(key)
        return True

    def content(self, record: Record, key: str, size_code: int) -> bytes | int | None:
        """Base64 content (checked against `Size`) or a URL the device downloads.

        Returns the bytes, an error code, or None while the URL has not been fetched yet.
        """
        url = record.get("url", "").strip()
        if record.get("format", "0").strip() == "1" or (url and not record.get(key)):
            if not url:
                return self.codes.missing
            source = url if "://" in url or url.startswith("/") else "/" + url
            if source not in self.fetched:
                self.missing_urls.append(source)
                return None
            data = self.fetched[source]
            return self.codes.fetch_failed if data is None else data
        return self.decode(record.get(key, ""), record.get("size", ""), size_code)

    def decode(self, text: str, size: str, size_code: int) -> bytes | int:
        """Base64 as sent; `Size` may count the base64 text (as the documents say) or the bytes."""
        text, size = text.strip(), size.strip()
        if not text:
            return self.codes.missing
        try:
            data = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            return self.codes.bad_base64
        if size and size not in (str(len(text)), str(len(data))):
            return size_code
        return data


Updater = Callable[[Batch, Record], int]


@dataclass(frozen=True)
class Table:
    name: str
    items: Callable[[DeviceState], list[tuple[Any, Fields]]]
    remove: Callable[[DeviceState, list[Any]], None]
    update: Updater | None = None
    names: frozenset[str] | None = None
    """Field names a condition may use (None: any)."""


def matches(fields: Fields, conditions: Record) -> bool:
    """AND of `field=value` conditions; `*` matches any value; numbers compare as numbers."""
    values = {name.lower(): str(value) for name, value in fields}
    for name, wanted in conditions.items():
        have = values.get(name)
        if have is None:
            return False
        if wanted != "*" and not _same(have, wanted):
            return False
    return True


def _same(have: str, wanted: str) -> bool:
    have, wanted = have.strip(), wanted.strip()
    if have.lstrip("-").isdigit() and wanted.lstrip("-").isdigit():
        return int(have) == int(wanted)
    return have == wanted


def _int(record: Record, key: str, default: int) -> int | None:
    """An integer field (absent or empty = default); None when it is not a number."""
    text = record.get(key, "").strip()
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        return None


# --- users ----------------------------------------------------------------------------------


def _user_error(  # noqa: PLR0911 - one return per refusal
    batch: Batch, record: Record, keys: dict[str, str]
) -> int:
    """Shared checks for acc `user` and att `USERINFO` (keys name the dialect's fields)."""
    codes = batch.codes
    code = batch.pin_error(record.get(keys["pin"], "").strip())
    if code:
        return code
    privilege = _int(record, keys["privilege"], 0)
    if privilege is None or privilege not in PRIVILEGES:
        return codes.bad_format
    card = record.get(keys["card"], "").strip()
    if card and not _CARD.fullmatch(card):
        return codes.bad_format
    for key in (keys["start"], keys["end"]):
        value = record.get(key, "").strip()
        if value and not value.replace("-", "").replace(":", "").replace(" ", "").isdigit():
            return codes.bad_format
    if _int(record, keys["verify"], 0) is None:
        return codes.bad_format
    pin = record[keys["pin"]].strip()
    if not batch.claim("user", pin, batch.state.users, batch.state.capabilities.max_users):
        return codes.capacity
    return 0


_ACC_USER_KEYS = {
    "pin": "pin",
    "privilege": "privilege",
    "card": "cardno",
    "start": "starttime",
    "end": "endtime",
    "verify": "verify",
}
_ACC_USER_ATTRIBUTES = {
    "name": "name",
    "cardno": "card",
    "password": "password",
    "group": "group",
    "starttime": "start",
    "endtime": "end",
    "verify": "verify",
}
_ATT_USER_KEYS = {
    "pin": "pin",
    "privilege": "pri",
    "card": "card",
    "start": "startdatetime",
    "end": "enddatetime",
    "verify": "verify",
}
_ATT_USER_ATTRIBUTES = {
    "name": "name",
    "passwd": "password",
    "card": "card",
    "grp": "group",
    "tz": "timezones",
    "verify": "verify",
    "vicecard": "vice_card",
    "startdatetime": "start",
    "enddatetime": "end",
}


def _user_updater(keys: dict[str, str], attributes: dict[str, str]) -> Updater:
    def update(batch: Batch, record: Record) -> int:
        code = _user_error(batch, record, keys)
        if code:
            return code
        if "tz" in record and not re.fullmatch(r"\d{16}", record["tz"].strip() or "0" * 16):
            return batch.codes.bad_format
        state = batch.state
        pin = record[keys["pin"]].strip()

        def change() -> list[Row]:
            user = state.users.get(pin)
            if user is None:
                user = User(pin, state.take_uid(), verify="0" if state.dialect == "acc" else "-1")
            for key, attribute in attributes.items():
                if key in record:
                    setattr(user, attribute, record[key])
            if record.get(keys["privilege"], "").strip():
                user.privilege = int(record[keys["privilege"]])
            if "disable" in record:
                user.disabled = record["disable"].strip() == "1"
            state.users[pin] = user
            return []

        return batch.stage(change)

    return update


def _remove_users(cascade: bool) -> Callable[[DeviceState, list[Any]], None]:
    def remove(state: DeviceState, pins: list[Any]) -> None:
        for pin in pins:
            state.users.pop(pin, None)
            if cascade:
                state.drop_user_credentials(pin)

    return remove


# --- access rules (acc) ------------------------------------------------------------------------


def _update_authorization(batch: Batch, record: Record) -> int:
    codes, state = batch.codes, batch.state
    pin = record.get("pin", "").strip()
    code = batch.known_pin_error(pin)
    if code:
        return code
    timezone_id = _int(record, "authorizetimezoneid", 1)
    doors = _int(record, "authorizedoorid", 0)
    if timezone_id is None or doors is None:
        return codes.bad_format
    if timezone_id not in state.timezones and timezone_id not in batch.new["timezone"]:
        return codes.bad_reference
    if doors <= 0 or doors >= 1 << len(state.doors):
        return codes.bad_format
    dev_id = record.get("devid", "").strip()
    authorization = Authorization(pin, timezone_id, doors, dev_id)

    def change() -> list[Row]:
        state.authorizations[(pin, timezone_id, dev_id)] = authorization
        return []

    return batch.stage(change)


def _update_timezone(batch: Batch, record: Record) -> int:
    timezone_id = _int(record, "timezoneid", 0)
    if timezone_id is None or timezone_id < 1:
        return batch.codes.bad_format
    for key, _value in record.items():
        if key not in ("starttime", "endtime") and _int(record, key, 0) is None:
            return batch.codes.bad_format
    batch.new["timezone"].add(timezone_id)
    stored = {key: value.strip() for key, value in record.items()}
    stored["timezoneid"] = str(timezone_id)

    def change() -> list[Row]:
        batch.state.timezones[timezone_id] = stored
        return []

    return batch.stage(change)


def _update_holiday(batch: Batch, record: Record) -> int:
    day = record.get("holiday", "").strip()
    kind = _int(record, "holidaytype", 1)
    loop = _int(record, "loop", 1)
    if not re.fullmatch(r"\d{8}", day) or kind not in (1, 2, 3) or loop not in (1, 2):
        return batch.codes.bad_format
    stored = {"holiday": day, "holidaytype": str(kind), "loop": str(loop)}

    def change() -> list[Row]:
        batch.state.holidays[day] = stored
        return []

    return batch.stage(change)


# --- photos and templates ----------------------------------------------------------------------


def _photo_updater(*, comparison: bool) -> Updater:
    """`biophoto` (by pin and type; PostBackTmpFlag=1 uploads the extracted template) or
    `userpic` (one display photo per pin)."""

    def update(batch: Batch, record: Record) -> int:  # noqa: PLR0911 - one return per refusal
        codes, state = batch.codes, batch.state
        pin = record.get("pin", "").strip()
        code = batch.known_pin_error(pin)
        if code:
            return code
        photo_type = _int(record, "type", 9) if comparison else 0
        if photo_type is None:
            return codes.bad_format
        if comparison and photo_type not in state.capabilities.photo_types:
            return codes.bio_type
        content = batch.content(record, "content", codes.photo_size)
        if isinstance(content, int):
            return content
        if content is not None and not content.startswith(JPEG_MAGIC):
            return codes.bad_format
        store: dict[Any, Photo] = state.biophotos if comparison else state.userpics
        key: object = (pin, photo_type) if comparison else pin
        if not batch.claim("photo" if comparison else "userpic", key, store, _cap(state)):
            return codes.capacity
        filename = record.get("filename", "").strip() or f"{pin}.jpg"
        post_back = comparison and record.get("postbacktmpflag", "0").strip() == "1"

        def change() -> list[Row]:
            photo = Photo(pin, photo_type, content or b"", filename)
            store[key] = photo
            return _post_back_rows(state, photo) if post_back else []

        return batch.stage(change)

    return update


def _post_back_rows(state: DeviceState, photo: Photo) -> list[Row]:
    template = Template(photo.pin, photo.type, 0, 0, extracted_template(photo.content), major="58")
    if state.dialect == "acc":
        return [tabledata_row("biodata", biodata_fields(template))]
    return [att_template_row(template)]


def _template_updater(
    *, data_key: str, no_key: str, fixed_type: int | None, finger_ids: range | None
) -> Updater:
    """`biodata`/`BIODATA` (typed), `templatev10` (fingerid +16 = duress), att FINGERTMP, FACE."""

    def update(batch: Batch, record: Record) -> int:  # noqa: PLR0911 - one return per refusal
        codes, state = batch.codes, batch.state
        pin = record.get("pin", "").strip()
        code = batch.known_pin_error(pin)
        if code:
            return code
        numbers = [
            fixed_type if fixed_type is not None else _int(record, "type", -1),
            _int(record, no_key, 0),
            _int(record, "index", 0),
            _int(record, "valid", 1),
            _int(record, "duress", 0),
        ]
        if any(number is None for number in numbers):
            return codes.bad_format
        template_type, number, index, valid, duress = (int(n or 0) for n in numbers)
        if template_type not in state.capabilities.template_types:
            return codes.bio_type
        if finger_ids is not None:
            if number not in finger_ids:
                return codes.bad_format
            duress = 1 if number >= 16 or valid == 3 else duress
            number %= 16
        data = record.get(data_key, "").strip()
        decoded = batch.decode(data, record.get("size", ""), codes.template_size)
        if isinstance(decoded, int):
            return decoded
        key = (pin, template_type, number, index)
        limit = state.capabilities.max_users * TEMPLATES_PER_USER
        if not batch.claim("template", key, state.templates, limit):
            return codes.capacity
        template = Template(
            pin,
            template_type,
            number,
            index,
            data,
            valid=1 if valid == 3 else valid,
            duress=duress,
            major=record.get("majorver", "0").strip() or "0",
            minor=record.get("minorver", "0").strip() or "0",
            format=record.get("format", "0").strip() or "0",
        )

        def change() -> list[Row]:
            state.templates[key] = template
            return []

        return batch.stage(change)

    return update


def _keyed_updater(kind: str, key_fields: tuple[str, ...], needs_user: bool) -> Updater:
    """Tables kept as plain records: `mulcarduser`, `extuser` and panel configuration tables."""

    def update(batch: Batch, record: Record) -> int:
        if needs_user:
            code = batch.known_pin_error(record.get("pin", "").strip())
            if code:
                return code
        if any(not record.get(name, "").strip() for name in key_fields):
            return batch.codes.missing
        key = "\t".join(f"{name}={record[name].strip()}" for name in key_fields) or "\t".join(
            f"{name}={value}" for name, value in sorted(record.items())
        )
        store = _keyed_store(batch.state, kind)
        stored = dict(record)

        def change() -> list[Row]:
            store[key] = stored
            return []

        return batch.stage(change)

    return update


def _keyed_store(state: DeviceState, kind: str) -> dict[str, Record]:
    return state.extra_tables.setdefault(kind, {})


def _cap(state: DeviceState) -> int:
    return state.capabilities.max_users


# --- table registry --------------------------------------------------------------------------

_SAMPLE_USER = User("0", 0)
_SAMPLE_TEMPLATE = Template("0", FINGERPRINT, 0, 0, "")
_SAMPLE_PHOTO = Photo("0", 9, b"", "")
_SAMPLE_RECORD = AccessRecord(0, datetime(2000, 1, 1), "0", 0, 0)  # noqa: DTZ001


def _names(fields: Fields) -> frozenset[str]:
    return frozenset(name.lower() for name, _ in fields)


def _dict_table(
    name: str,
    store: Callable[[DeviceState], dict[Any, Any]],
    fields: Callable[[DeviceState, Any], Fields],
    update: Updater | None,
    *,
    names: frozenset[str] | None,
    keep: Callable[[Any], bool] | None = None,
    remove: Callable[[DeviceState, list[Any]], None] | None = None,
) -> Table:
    def items(state: DeviceState) -> list[tuple[Any, Fields]]:
        return [
            (key, fields(state, value))
            for key, value in store(state).items()
            if keep is None or keep(value)
        ]

    def remove_keys(state: DeviceState, keys: list[Any]) -> None:
        target = store(state)
        for key in keys:
            target.pop(key, None)

    return Table(name, items, remove or remove_keys, update, names)


def _keyed_table(name: str, key_fields: tuple[str, ...], needs_user: bool) -> Table:
    return _dict_table(
        name,
        lambda state: _keyed_store(state, name),
        lambda _state, record: list(record.items()),
        _keyed_updater(name, key_fields, needs_user),
        names=None,
    )


def _remove_records(state: DeviceState, indexes: list[Any]) -> None:
    gone = set(indexes)
    state.logs[:] = [record for record in state.logs if record.index not in gone]


def _transaction_items(state: DeviceState) -> list[tuple[Any, Fields]]:
    return [(record.index, transaction_fields(record)) for record in state.logs]


def _uid_of(state: DeviceState, pin: str) -> int:
    user = state.users.get(pin)
    return user.uid if user else 0


def _type_is(template_type: int) -> Callable[[Any], bool]:
    return lambda template: bool(template.type == template_type)


_ACC_CONFIG_TABLES = [
    "firstcard",
    "multimcard",
    "inoutfun",
    "outrelaysetting",
    "dstsetting",
    "devproperty",
    "devparameters",
    "doorproperty",
    "doorparameters",
    "readerproperty",
    "readerparameters",
    "auxin",
    "auxout",
    "defaultwgformat",
    "wgformat",
    "readerwgformat",
    "inputiosetting",
    "difftimezonevs",
    "doorvstimezone",
    "personalvstimezone",
    "superauthorize",
    "gatepassrule",
    "usereleauthorize",
    "ntpserverlist",
    "deviceauthorize",
    "contact_info",
    "contact_number_list",
    "contact_number_pattern_list",
    "identitycard",
]
_ATT_EXTRA_TABLES = [
    "sms",
    "user_sms",
    "workcode",
    "adpic",
    "shortcutkey",
    "accgroup",
    "acctimezone",
    "accholiday",
    "accunlockcomb",
    "blacklist",
    "idcard",
]


def _acc_tables() -> dict[str, Table]:
    tables = [
        _dict_table(
            "user",
            lambda state: state.users,
            lambda _state, user: acc_user_fields(user),
            _user_updater(_ACC_USER_KEYS, _ACC_USER_ATTRIBUTES),
            names=_names(acc_user_fields(_SAMPLE_USER)),
            remove=_remove_users(cascade=False),
        ),
        _dict_table(
            "userauthorize",
            lambda state: state.authorizations,
            lambda _state, item: authorization_fields(item),
            _update_authorization,
            names=_names(authorization_fields(Authorization("0", 1, 1))),
        ),
        _dict_table(
            "timezone",
            lambda state: state.timezones,
            lambda _state, record: list(record.items()),
            _update_timezone,
            names=None,
        ),
        _dict_table(
            "holiday",
            lambda state: state.holidays,
            lambda _state, record: list(record.items()),
            _update_holiday,
            names=None,
        ),
        _dict_table(
            "biophoto",
            lambda state: state.biophotos,
            lambda _state, photo: biophoto_fields(photo),
            _photo_updater(comparison=True),
            names=_names(biophoto_fields(_SAMPLE_PHOTO)),
        ),
        _dict_table(
            "userpic",
            lambda state: state.userpics,
            lambda _state, photo: userpic_fields(photo),
            _photo_updater(comparison=False),
            names=_names(userpic_fields(_SAMPLE_PHOTO)),
        ),
        _dict_table(
            "biodata",
            lambda state: state.templates,
            lambda _state, template: biodata_fields(template),
            _template_updater(data_key="tmp", no_key="no", fixed_type=None, finger_ids=None),
            names=_names(biodata_fields(_SAMPLE_TEMPLATE)),
        ),
        _dict_table(
            "templatev10",
            lambda state: state.templates,
            lambda state, template: templatev10_fields(template, _uid_of(state, template.pin)),
            _template_updater(
                data_key="template",
                no_key="fingerid",
                fixed_type=FINGERPRINT,
                finger_ids=range(26),
            ),
            names=_names(templatev10_fields(_SAMPLE_TEMPLATE, 0)),
            keep=_type_is(FINGERPRINT),
        ),
        _keyed_table("mulcarduser", ("pin", "cardno"), needs_user=True),
        _keyed_table("extuser", ("pin",), needs_user=True),
        Table(
            "transaction",
            _transaction_items,
            _remove_records,
            None,
            _names(transaction_fields(_SAMPLE_RECORD)),
        ),
    ]
    tables += [_keyed_table(name, (), needs_user=False) for name in _ACC_CONFIG_TABLES]
    return {table.name.lower(): table for table in tables}


def _att_finger_table(name: str, template_type: int) -> Table:
    return _dict_table(
        name,
        lambda state: state.templates,
        lambda _state, template: att_finger_fields(template),
        _template_updater(
            data_key="tmp",
            no_key="fid",
            fixed_type=template_type,
            finger_ids=range(10) if template_type != FACE_NIR else range(100),
        ),
        names=_names(att_finger_fields(_SAMPLE_TEMPLATE)),
        keep=_type_is(template_type),
    )


def _att_tables() -> dict[str, Table]:
    tables = [
        _dict_table(
            "USERINFO",
            lambda state: state.users,
            lambda _state, user: att_user_fields(user),
            _user_updater(_ATT_USER_KEYS, _ATT_USER_ATTRIBUTES),
            names=_names(att_user_fields(_SAMPLE_USER)),
            remove=_remove_users(cascade=True),
        ),
        _att_finger_table("FINGERTMP", FINGERPRINT),
        _att_finger_table("FACE", FACE_NIR),
        _att_finger_table("FVEIN", FINGER_VEIN),
        _dict_table(
            "BIODATA",
            lambda state: state.templates,
            lambda _state, template: biodata_fields(template),
            _template_updater(data_key="tmp", no_key="no", fixed_type=None, finger_ids=None),
            names=_names(biodata_fields(_SAMPLE_TEMPLATE)),
        ),
        _dict_table(
            "USERPIC",
            lambda state: state.userpics,
            lambda _state, photo: userpic_fields(photo),
            _photo_updater(comparison=False),
            names=_names(userpic_fields(_SAMPLE_PHOTO)),
        ),
        _dict_table(
            "BIOPHOTO",
            lambda state: state.biophotos,
            lambda _state, photo: biophoto_fields(photo),
            _photo_updater(comparison=True),
            names=_names(biophoto_fields(_SAMPLE_PHOTO)),
        ),
    ]
    tables += [_keyed_table(name.upper(), (), needs_user=False) for name in _ATT_EXTRA_TABLES]
    return {table.name.lower(): table for table in tables}


_TABLES = {"acc": _acc_tables(), "att": _att_tables()}


def find_table(dialect: str, name: str) -> Table | None:
    """Each dialect knows only its own tables (acc lower-case, att upper-case on the wire): an acc
    device answers `USERINFO` with -629, an att one answers `user` with -1004."""
    return _TABLES[dialect].get(name.lower())

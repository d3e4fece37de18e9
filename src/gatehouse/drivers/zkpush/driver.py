"""The ZKTeco PUSH driver: adapts the pure `protocol/` package to the devices app. It knows
what each dialect can do, renders vendor-neutral commands into wire text and reads the
device's own dictionaries (registry, options, INFO) into Gatehouse's capabilities."""

from __future__ import annotations

import base64
from collections.abc import Hashable, Mapping, Sequence
from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gatehouse.devices.drivers import Capabilities, Parameter, PhotoLoader
from gatehouse.devices.models import Device, DeviceCommand, FirmwarePackage
from gatehouse.drivers.zkpush.protocol import acc, att, tables
from gatehouse.drivers.zkpush.protocol.common import Dialect
from gatehouse.drivers.zkpush.protocol.errors import ProtocolError
from gatehouse.drivers.zkpush.protocol.kv import WireValue
from gatehouse.drivers.zkpush.protocol.timecodes import encode_zk_seconds

NAME = "zkpush"
DEFAULT_VOLUME = 20  # Smart Pass 3.1.5
ALL_DAY: tuple[time, time] = (time(0, 0), time(23, 59))
# Option lists the server reads on connect and on "refresh" (reference §2.11).
IDENTITY_OPTIONS = (
    "~SerialNumber", "FirmVer", "~DeviceName", "LockCount", "ReaderCount", "AuxInCount",
    "AuxOutCount", "MachineType", "IPAddress", "FingerFunOn", "FaceFunOn", "VOLUME",
)  # fmt: skip
COMMON_OPERATIONS = frozenset(
    {"parameters.set", "device.reboot", "device.refresh", "door.open", "alarm.cancel",
     "firmware.upgrade", "records.query", "time.sync"}
)  # fmt: skip
ACC_OPERATIONS = COMMON_OPERATIONS | {
    "parameters.get",
    "door.close",
    "door.hold_open",
    "records.count",
}
ATT_OPERATIONS = COMMON_OPERATIONS | {"device.clear_data", "device.clear_records"}
# Records per command: several acc records fit one DATA UPDATE; att takes one per command.
ACC_BATCH = {"user": 50, "authorization": 50, "timezone": 10, "face": 50, "biodata": 10}


def _dialect(device: Device) -> Dialect:
    return Dialect.ATT if device.dialect == Dialect.ATT else Dialect.ACC


def _flag(values: Mapping[str, Any], key: str) -> bool:
    return str(acc.Registration(values).get(key) or "0").strip() == "1"


def _int(values: Mapping[str, Any], key: str) -> int | None:
    raw = acc.Registration(values).get(key)
    try:
        return int(str(raw).strip()) if raw not in (None, "") else None
    except ValueError:
        return None


def _face_photo_support(values: Mapping[str, Any]) -> bool:
    try:
        photos = acc.Registration(values).multi_bio("MultiBioPhotoSupport")
    except ProtocolError:
        photos = ()
    visible_face = len(photos) > acc.VISIBLE_LIGHT_FACE and photos[acc.VISIBLE_LIGHT_FACE]
    return visible_face or _flag(values, "BioPhotoFun") or _flag(values, "FaceFunOn")


class ZkPushDriver:
    name = NAME

    def capabilities(self, device: Device) -> Capabilities:
        """Read from the device's dictionaries, remembered on the instance while they are the
        same objects (a sync asks once per item)."""
        key = (device.dialect, id(device.registry), id(device.options), id(device.session))
        cached = device.__dict__.get("_zkpush_capabilities")
        if cached is not None and cached[0] == key:
            result: Capabilities = cached[1]
            return result
        result = self._read_capabilities(device)
        device.__dict__["_zkpush_capabilities"] = (key, result)
        return result

    def _read_capabilities(self, device: Device) -> Capabilities:
        values: dict[str, Any] = {**device.registry, **device.options}
        if _dialect(device) == Dialect.ATT:
            info = device.session.get("info", {})
            bits = str(info.get("feature_bits", ""))
            faces = _flag(values, "FaceFunOn") or (len(bits) >= 1 and "1" in bits[1:])
            kinds = {"user"} | ({"face"} if faces else set()) | {"biodata"}
            return Capabilities(
                doors=1,
                faces=faces,
                fingerprints=_flag(values, "FingerFunOn")
                or bool(info.get("fingerprint_algorithm")),
                cards=True,
                temperature=_flag(values, "IRTempDetectionFunOn"),
                mask=_flag(values, "MaskDetectionFunOn"),
                string_pins=True,
                operations=ATT_OPERATIONS | ({"face.capture"} if faces else frozenset()),
                item_kinds=frozenset(kinds),
            )
        faces = _face_photo_support(values)
        kinds = {"timezone", "user", "authorization"}
        if faces:
            kinds.add("face")
        if _flag(values, "BioDataFun") or _flag(values, "FingerFunOn"):
            kinds.add("biodata")
        return Capabilities(
            doors=_int(values, "LockCount") or 1,
            readers=_int(values, "ReaderCount") or 0,
            faces=faces,
            fingerprints=_flag(values, "FingerFunOn"),
            cards=True,
            temperature=_flag(values, "IRTempDetectionFunOn"),
            mask=_flag(values, "MaskDetectionFunOn"),
            string_pins=_flag(values, "StringPinFunOn"),
            max_users=_int(values, "MaxUserCount"),
            max_faces=_int(values, "MaxFace7Count") or _int(values, "MaxMultiBioPhotoCount"),
            operations=ACC_OPERATIONS | ({"face.capture"} if faces else frozenset()),
            item_kinds=frozenset(kinds),
        )

    def parameters(self, device: Device) -> Sequence[Parameter]:
        parameters = [
            Parameter(
                "volume", _("Volume"), "int", DEFAULT_VOLUME, minimum=0, maximum=100,
                help_text=_("0 to 100; the default is 20."),
            ),
            Parameter("silent_mode", _("Silent mode"), "bool", default=False),
        ]  # fmt: skip
        if _dialect(device) == Dialect.ACC:
            for door in range(1, self.capabilities(device).doors + 1):
                parameters += _door_parameters(door)
        return parameters

    def item_problem(self, device: Device, kind: str, record: Mapping[str, Any]) -> str | None:
        pin = str(record.get("pin", ""))
        capabilities = self.capabilities(device)
        if pin and not capabilities.string_pins and not pin.isdigit():
            return gettext(
                "The personnel ID %(pin)s is not a number, and this device only accepts numbers."
            ) % {"pin": pin}
        card = str(record.get("card") or "")
        if kind == "user" and card and not card.isdigit():
            return gettext("The card number %(card)s is not a decimal number.") % {"card": card}
        if kind == "user" and _dialect(device) == Dialect.ATT and card and int(card) >= 1 << 32:
            return gettext("The card number %(card)s is too large for this device.") % {
                "card": card
            }
        if kind == "face" and not capabilities.faces:
            return gettext("This device does not take face photos.")
        return None

    def batch_limit(self, device: Device, operation: str) -> int:
        kind, _sep, action = operation.partition(".")
        if _dialect(device) == Dialect.ATT or action == "remove":
            return 1
        return ACC_BATCH.get(kind, 1)

    def batch_bytes(self, device: Device) -> int:
        """The device's MaxPackageSize, else half the 900 KB a poll may carry."""
        return _int(device.registry, "MaxPackageSize") or 450 * 1024

    def split(
        self, device: Device, operation: str, arguments: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        """att `SET OPTION` takes one key per command: one command per parameter."""
        if operation == "parameters.set" and _dialect(device) == Dialect.ATT:
            options = _options(device, arguments.get("values", {}))
            return [{"values": {}, "options": {key: value}} for key, value in options.items()]
        return [dict(arguments)]

    def return_message(self, device: Device, code: int) -> str:
        message = tables.return_message(code, attendance=_dialect(device) == Dialect.ATT)
        return gettext("%(message)s (code %(code)d)") % {"message": gettext(message), "code": code}

    def render_variant(self, device: Device) -> Hashable:
        string_pins = _flag({**device.registry, **device.options}, "StringPinFunOn")
        return (_dialect(device), string_pins)

    def render(self, device: Device, command: DeviceCommand, load_photos: PhotoLoader) -> str:
        try:
            if _dialect(device) == Dialect.ATT:
                return _render_att(device, command, load_photos)
            return _render_acc(device, command, load_photos)
        except (ProtocolError, KeyError, TypeError) as exc:
            raise ValueError(
                gettext("The command could not be prepared: %(error)s") % {"error": exc}
            ) from exc


def _door_parameters(door: int) -> list[Parameter]:
    """Per-door options of acc panels (reference §2.11: DoorNDrivertime, ...)."""
    sensor_types = (("0", _("None")), ("1", _("Normally open")), ("2", _("Normally closed")))
    return [
        Parameter(
            f"door{door}_lock_seconds",
            gettext("Door %(n)d lock open time (s)") % {"n": door},
            "int", 5, minimum=1, maximum=254,
        ),
        Parameter(
            f"door{door}_sensor_type",
            gettext("Door %(n)d sensor") % {"n": door},
            "choice", "0", choices=sensor_types,
        ),
        Parameter(
            f"door{door}_sensor_delay",
            gettext("Door %(n)d held-open alarm after (s)") % {"n": door},
            "int", 15, minimum=1, maximum=254,
        ),
    ]  # fmt: skip


def _clean_name(name: str) -> str:
    return " ".join(name.replace("\t", " ").split())[:24]


def _date(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _options(device: Device, values: Mapping[str, Any]) -> dict[str, WireValue]:
    """Gatehouse parameter names to the device's option names."""
    options: dict[str, WireValue] = {}
    for name, value in values.items():
        if name == "volume":
            options["VOLUME"] = int(value)
        elif name == "silent_mode":
            # no documented mute option: silence is volume 0 [U: check on hardware]
            options["VOLUME"] = 0 if value else int(values.get("volume", DEFAULT_VOLUME))
        elif name == "comm_key":
            options["ComPwd" if _dialect(device) == Dialect.ACC else "COMKey"] = str(value)
        elif name.startswith("door") and "_" in name:
            door, _sep, setting = name[4:].partition("_")
            option = {
                "lock_seconds": "Drivertime",
                "sensor_type": "SensorType",
                "sensor_delay": "Detectortime",
            }[setting]
            options[f"Door{int(door)}{option}"] = value
        else:
            raise KeyError(name)
    return options


def _device_now(device: Device) -> datetime:
    return (timezone.now() + timedelta(minutes=device.utc_offset_minutes)).replace(tzinfo=None)


def _package(device: Device, arguments: Mapping[str, Any]) -> FirmwarePackage:
    package: FirmwarePackage = FirmwarePackage.objects.get(
        pk=arguments["package_id"], enterprise_id=device.enterprise_id
    )
    return package


def _upgrade_text(device: Device, arguments: Mapping[str, Any]) -> str:
    package = _package(device, arguments)
    return f"UPGRADE checksum={package.md5},size={package.byte_size},url=package/{package.pk}"


def _window(arguments: Mapping[str, Any]) -> tuple[datetime, datetime]:
    return datetime.fromisoformat(arguments["start"]), datetime.fromisoformat(arguments["end"])


def _photos(records: list[Mapping[str, Any]], load_photos: PhotoLoader) -> list[bytes]:
    ids = [int(r["photo_id"]) for r in records]
    found = load_photos(ids)
    if any(photo_id not in found for photo_id in ids):
        raise ValueError(gettext("The face photo no longer exists."))
    return [found[photo_id] for photo_id in ids]


def _render_acc(  # noqa: PLR0911, PLR0912 - one case per operation reads best
    device: Device, command: DeviceCommand, load_photos: PhotoLoader
) -> str:
    operation, arguments = command.operation, command.arguments
    records: list[Mapping[str, Any]] = arguments.get("records", [])
    keys: list[str] = arguments.get("keys", [])
    string_pins = _flag({**device.registry, **device.options}, "StringPinFunOn")
    match operation:
        case "timezone.put":
            return acc.data_update(
                "timezone",
                [
                    acc.timezone_fields(
                        int(r["id"]), {day: [ALL_DAY] for day in acc.WEEKDAY_PREFIXES}
                    )
                    for r in records
                ],
            )
        case "user.put":
            users = [
                acc.User(
                    pin=r["pin"], name=_clean_name(r["name"]), card_no=r["card"] or "",
                    password=r["password"] or "", start=_date(r["start"]), end=_date(r["end"]),
                    disabled=bool(r["disabled"]),
                ).fields(string_pins=string_pins)
                for r in records
            ]  # fmt: skip
            return acc.data_update("user", users)
        case "authorization.put":
            return acc.data_update(
                "userauthorize",
                [
                    acc.user_authorize_fields(r["pin"], int(r["timezone"]), r["doors"])
                    for r in records
                ],
            )
        case "face.put":
            jpegs = _photos(records, load_photos)
            return acc.data_update(
                "biophoto",
                [
                    acc.biophoto_fields(r["pin"], jpeg)
                    for r, jpeg in zip(records, jpegs, strict=True)
                ],
            )
        case "biodata.put":
            return acc.data_update("biodata", [_biodata_fields(r) for r in records])
        case "user.remove":
            return acc.data_delete("user", {"Pin": keys[0]})
        case "authorization.remove":
            return acc.data_delete("userauthorize", {"Pin": keys[0]})
        case "face.remove":
            return acc.data_delete("biophoto", {"PIN": keys[0]})
        case "timezone.remove":
            return acc.data_delete("timezone", {"TimezoneId": keys[0]})
        case "biodata.remove":
            pin, bio_type, number, _index = keys[0].split(":")
            return acc.data_delete("biodata", {"Pin": pin, "Type": bio_type, "No": number})
        case "parameters.set":
            return acc.set_options(_options(device, arguments.get("values", {})))
        case "parameters.get":
            return acc.get_options(arguments.get("names") or IDENTITY_OPTIONS)
        case "device.refresh":
            return acc.get_options(IDENTITY_OPTIONS)
        case "time.sync":
            return acc.set_options({"DateTime": encode_zk_seconds(_device_now(device))})
        case "device.reboot":
            return acc.restart_device()
        case "door.open":
            return acc.open_door(int(arguments.get("door", 1)), int(arguments.get("seconds", 5)))
        case "door.close":
            return acc.close_door(int(arguments.get("door", 1)))
        case "door.hold_open":
            return acc.hold_door_open(int(arguments.get("door", 1)))
        case "alarm.cancel":
            return acc.cancel_alarm()
        case "firmware.upgrade":
            return _upgrade_text(device, arguments) + ",supportsubcontracting=0"
        case "face.capture":
            pin = str(arguments["pin"])
            face = acc.VISIBLE_LIGHT_FACE
            return f"ENROLL_BIO type={face}\tno=0\tpin={pin}\tcardno=\tretry=3\toverwrite=1"
        case "records.query":
            start, end = _window(arguments)
            return acc.data_query(
                "transaction",
                f"starttime={encode_zk_seconds(start)}\tendtime={encode_zk_seconds(end)}",
            )
        case "records.count":
            return acc.data_count("transaction")
    raise ProtocolError(f"the acc dialect has no {operation}")


def _biodata_fields(record: Mapping[str, Any]) -> dict[str, WireValue]:
    return {
        "Pin": record["pin"],
        "No": record["number"],
        "Index": record["index"],
        "Valid": record.get("valid", 1),
        "Duress": record.get("duress", 0),
        "Type": record["bio_type"],
        "MajorVer": record.get("majorver", 0),
        "MinorVer": record.get("minorver", 0),
        "Format": record.get("format", 0),
        "Tmp": record["template"],
    }


def _render_att(  # noqa: PLR0911, PLR0912 - one case per operation reads best
    device: Device, command: DeviceCommand, load_photos: PhotoLoader
) -> str:
    operation, arguments = command.operation, command.arguments
    records: list[Mapping[str, Any]] = arguments.get("records", [])
    keys: list[str] = arguments.get("keys", [])
    match operation:
        case "user.put":
            r = records[0]
            card = int(r["card"]) if r["card"] else None
            return att.update_user(
                att.UserInfo(
                    pin=r["pin"],
                    name=_clean_name(r["name"]),
                    password=r["password"] or "",
                    card_number=card,
                )
            )
        case "face.put":
            r = records[0]
            content = base64.b64encode(_photos(records[:1], load_photos)[0]).decode("ascii")
            return att.data_update(
                "BIOPHOTO",
                {"PIN": r["pin"], "Type": acc.VISIBLE_LIGHT_FACE, "Size": len(content),
                 "Content": content, "Format": 0, "PostBackTmpFlag": 0},
            )  # fmt: skip
        case "biodata.put":
            return att.data_update("BIODATA", _biodata_fields(records[0]))
        case "user.remove":
            return att.delete_user(keys[0])
        case "face.remove":
            return att.data_delete("BIOPHOTO", {"PIN": keys[0]})
        case "biodata.remove":
            pin, bio_type, number, _index = keys[0].split(":")
            return att.data_delete("BIODATA", {"Pin": pin, "Type": bio_type, "No": number})
        case "parameters.set":
            options = arguments.get("options") or _options(device, arguments.get("values", {}))
            if len(options) != 1:
                raise ProtocolError("att SET OPTION takes exactly one option")
            ((key, value),) = options.items()
            return att.set_option(key, value)
        case "device.refresh":
            return att.simple_command("INFO")
        case "time.sync":
            return att.simple_command("CHECK")  # the re-handshake carries Date and TimeZone
        case "device.reboot":
            return att.simple_command("REBOOT")
        case "device.clear_data":
            return att.simple_command("CLEAR DATA")
        case "device.clear_records":
            return att.simple_command("CLEAR LOG")
        case "door.open":
            return att.simple_command("AC_UNLOCK")
        case "alarm.cancel":
            return att.simple_command("AC_UNALARM")
        case "firmware.upgrade":
            return _upgrade_text(device, arguments)
        case "face.capture":
            pin, face = arguments["pin"], acc.VISIBLE_LIGHT_FACE
            return f"ENROLL_BIO TYPE={face}\tPIN={pin}\tCardNo=\tRETRY=3\tOVERWRITE=1"
        case "records.query":
            return att.query_attlog(*_window(arguments))
    raise ProtocolError(f"the att dialect has no {operation}")


DRIVER = ZkPushDriver()

"""Code tables of the PUSH protocols (reference §2.8, §2.14, §3.3, §3.4).

Names are stable identifiers (stored, used in event names); the English messages are plain
strings that the Django layer may translate.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from gatehouse.drivers.zkpush.protocol.errors import ProtocolError


class EventCategory(enum.StrEnum):
    NORMAL = "normal"
    ERROR = "error"
    ALARM = "alarm"
    EXTENDED = "extended"
    DOOR_STATUS = "door_status"


ACC_EVENT_NAMES: dict[int, str] = {
    0: "door_opened_after_verification",
    1: "verified_during_normal_open",
    2: "first_user_opened",
    3: "multi_user_opened",
    4: "emergency_password_opened",
    5: "opened_during_normal_open",
    6: "linkage_triggered",
    7: "alarm_cancelled",
    8: "remote_open",
    9: "remote_close",
    10: "normal_open_disabled_today",
    11: "normal_open_enabled_today",
    12: "remote_aux_output_on",
    13: "remote_aux_output_off",
    20: "interval_too_short",
    21: "outside_valid_period",
    22: "invalid_time_period",
    23: "access_denied",
    24: "anti_passback",
    25: "interlock",
    26: "multi_user_waiting",
    27: "not_registered",
    28: "door_open_timeout",
    29: "expired",
    36: "exit_button_outside_period",
    37: "cannot_close_during_normal_open",
    38: "lost_card",
    39: "blacklisted",
    40: "multi_user_failed",
    41: "wrong_verify_mode",
    42: "wiegand_format_error",
    43: "user_focused",
    44: "remote_identification_failed",
    45: "remote_identification_timeout",
    47: "command_send_failed",
    54: "battery_voltage_low",
    55: "battery_replace",
    56: "unauthorized_operation",
    57: "backup_power",
    58: "normal_open_alarm",
    59: "unauthorized_admin",
    60: "locked_inside",
    61: "repeat_verification",
    62: "prohibited_user",
    63: "door_locked",
    64: "button_outside_period",
    65: "aux_input_outside_period",
    66: "reader_upgrade_failed",
    67: "remote_comparison_not_authorized",
    68: "high_temperature",
    69: "no_mask",
    70: "face_server_error",
    71: "face_server_error_2",
    72: "call_unanswered",
    73: "invalid_qr_code",
    74: "qr_code_expired",
    75: "combined_verification_timeout",
    76: "titan_mode",
    80: "elevator_button_without_permission",
    100: "tamper",
    101: "duress_password",
    102: "door_forced_open",
    103: "duress_fingerprint",
    104: "invalid_card_alarm",
    105: "offline_from_server",
    106: "battery_failure",
    107: "mains_failure",
    108: "lost_master_controller",
    109: "reader_tamper",
    110: "reader_offline",
    111: "poe_power_down",
    112: "expansion_board_offline",
    113: "illegal_security_level",
    200: "door_open",
    201: "door_closed",
    202: "exit_button",
    204: "normal_open_period_ended",
    205: "remote_normal_open",
    206: "device_started",
    207: "password_opened",
    208: "superuser_opened",
    209: "exit_button_locked",
    210: "fire_alarm_opened",
    211: "superuser_closed",
    212: "elevator_enabled",
    213: "elevator_disabled",
    214: "connected_to_server",
    220: "aux_input_disconnected",
    221: "aux_input_shorted",
    222: "remote_identification_succeeded",
    223: "remote_identification",
    224: "doorbell",
    225: "aux_input_normal",
    226: "aux_input_triggered",
    227: "dual_open",
    228: "dual_close",
    231: "ipc_linkage",
    232: "verification_passed",
    233: "remote_lock",
    234: "remote_unlock",
    239: "device_call",
    240: "call_ended",
    241: "linked_capture",
    242: "linked_recording",
    255: "door_status",
}

VERIFY_MODE_NAMES: dict[int, str] = {
    0: "auto",
    1: "fingerprint",
    2: "user_id",
    3: "password",
    4: "card",
    5: "fingerprint_or_password",
    6: "fingerprint_or_card",
    7: "card_or_password",
    8: "user_id_and_fingerprint",
    9: "fingerprint_and_password",
    10: "card_and_fingerprint",
    11: "card_and_password",
    12: "fingerprint_and_password_and_card",
    13: "user_id_and_fingerprint_and_password",
    14: "user_id_or_card_and_fingerprint",
    15: "face",
    16: "face_and_fingerprint",
    17: "face_and_password",
    18: "face_and_card",
    19: "face_and_fingerprint_and_card",
    20: "face_and_fingerprint_and_password",
    21: "finger_vein",
    22: "finger_vein_and_password",
    23: "finger_vein_and_card",
    24: "finger_vein_and_password_and_card",
    25: "palm",
    26: "palm_and_card",
    27: "palm_and_face",
    28: "palm_and_fingerprint",
    29: "palm_and_fingerprint_and_face",
    200: "other",
}


def gettext_noop(message: str) -> str:
    """Marks a message for the translation catalogs (the name `makemessages` looks for);
    this package stays free of Django, the driver translates the text when it shows it."""
    return message


ACC_RETURN_MESSAGES: dict[int, str] = {
    -1: gettext_noop("Send failed"),
    -2: gettext_noop("No response"),
    -3: gettext_noop("Cache full"),
    -7: gettext_noop("Repeated command"),
    -9: gettext_noop("CRC error"),
    -10: gettext_noop("Data error"),
    -11: gettext_noop("Data error"),
    -12: gettext_noop("Execution error"),
    -13: gettext_noop("No such command"),
    -14: gettext_noop("Wrong communication password"),
    -18: gettext_noop("No space left"),
    -27: gettext_noop("PIN not found"),
    -28: gettext_noop("Door opened during normal-open period"),
    -30: gettext_noop("Biometric algorithm version mismatch"),
    -106: gettext_noop("Data larger than 4 MB"),
    -108: gettext_noop("Invalid OPTIONS"),
    -603: gettext_noop("Internal handle error"),
    -604: gettext_noop("Out of memory"),
    -609: gettext_noop("Internal handle error"),
    -612: gettext_noop("Failed to save parameter"),
    -614: gettext_noop("Remote alarm cancel failed"),
    -615: gettext_noop("Remote restart failed"),
    -616: gettext_noop("Normal-open enable/cancel failed"),
    -618: gettext_noop("Bad URL"),
    -619: gettext_noop("Blank input parameter"),
    -620: gettext_noop("Bad data format from server"),
    -621: gettext_noop("Field not in table"),
    -628: gettext_noop("Fingerprint load failed"),
    -629: gettext_noop("Bad table name"),
    -630: gettext_noop("Shell command failed"),
    -631: gettext_noop("Bad base64 length"),
    -632: gettext_noop("Bad file name"),
    -708: gettext_noop("Command not supported"),
    -709: gettext_noop("Options upload failed"),
    -720: gettext_noop("Firmware upgrade failed"),
    -722: gettext_noop("Upload to software failed"),
    -725: gettext_noop("Timeout waiting for result"),
    -726: gettext_noop("HTTP error from server"),
    -728: gettext_noop("Table count upload failed"),
    -730: gettext_noop("No server response"),
    -731: gettext_noop("Server error receiving data"),
    -801: gettext_noop("Bad command format"),
    -5000: gettext_noop("Accepted, waiting for sub-device"),
}

ATT_RETURN_MESSAGES: dict[int, str] = {
    -1: gettext_noop("Bad parameter"),
    -2: gettext_noop("Photo size mismatch"),
    -3: gettext_noop("Read/write error"),
    -9: gettext_noop("Template size mismatch"),
    -10: gettext_noop("PIN not on device"),
    -11: gettext_noop("Bad template format"),
    -12: gettext_noop("Invalid template"),
    -1001: gettext_noop("Capacity exceeded"),
    -1002: gettext_noop("Not supported"),
    -1003: gettext_noop("Timeout"),
    -1004: gettext_noop("Data and configuration inconsistent"),
    -1005: gettext_noop("Device busy"),
    -1006: gettext_noop("Data too long"),
    -1007: gettext_noop("Out of memory"),
    -1008: gettext_noop("Failed to get server data"),
}


def event_category(code: int) -> EventCategory:
    """Ranges of SP-EN Appendix 2: 0-19 and 200-253 normal, 20-99 error, 100-199 alarm."""
    if code == 255:
        return EventCategory.DOOR_STATUS
    if 0 <= code <= 19 or 200 <= code <= 253:
        return EventCategory.NORMAL
    if 20 <= code <= 99:
        return EventCategory.ERROR
    if 100 <= code <= 199:
        return EventCategory.ALARM
    return EventCategory.EXTENDED


def event_name(code: int) -> str:
    return ACC_EVENT_NAMES.get(code, f"event_{code}")


def verify_mode_name(code: int) -> str:
    return VERIFY_MODE_NAMES.get(code, f"verify_{code}")


def return_message(code: int, *, attendance: bool = False) -> str:
    """Message for a devicecmd ``Return``; non-negative codes are successes or counts."""
    if code >= 0:
        return "OK"
    table = ATT_RETURN_MESSAGES if attendance else ACC_RETURN_MESSAGES
    return table.get(code, gettext_noop("Device error"))


NEW_VERIFY_FACTORS: tuple[str, ...] = (
    "face",
    "palm_print",
    "palm_vein",
    "fingerprint",
    "finger_vein",
    "voice_print",
    "iris",
    "retina",
    "password",
    "user_id",
    "card",
    "qr_code",
)


@dataclass(frozen=True)
class NewVerifyStyle:
    """A 16-character ``NewVFStyles`` string: bit 0 (rightmost) is AND/OR, bits 1.. factors."""

    require_all: bool
    factors: frozenset[str]


def parse_new_verify_style(text: str) -> NewVerifyStyle:
    if len(text) != 16 or set(text) - {"0", "1"}:
        raise ProtocolError(f"not a 16-bit verify style: {text!r}")
    bits = text[::-1]
    factors = frozenset(
        name for index, name in enumerate(NEW_VERIFY_FACTORS, start=1) if bits[index] == "1"
    )
    return NewVerifyStyle(require_all=bits[0] == "1", factors=factors)


def format_new_verify_style(style: NewVerifyStyle) -> str:
    unknown = style.factors - set(NEW_VERIFY_FACTORS)
    if unknown:
        raise ProtocolError(f"unknown verify factors: {sorted(unknown)}")
    bits = ["0"] * 16
    bits[0] = "1" if style.require_all else "0"
    for index, name in enumerate(NEW_VERIFY_FACTORS, start=1):
        if name in style.factors:
            bits[index] = "1"
    return "".join(reversed(bits))

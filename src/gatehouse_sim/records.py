"""Record lines as the devices write them (SP-EN chapter 7, AP-EN chapter 11).

acc records are keyed (`key=value` joined by TAB, table name first for table data); att ATTLOG
is positional and att OPERLOG lines start with a tag. Field order follows the documents, though
a server must not rely on it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from gatehouse_sim.model import AccessRecord, Authorization, Door, Photo, Row, Template, User
from gatehouse_sim.wire import (
    format_pairs,
    format_time,
    is_ok,
    parse_ok_count,
    parse_table_ack,
    zk_seconds,
)

Fields = list[tuple[str, object]]


def temperature_text(value: float | None) -> str:
    return "0" if value is None else f"{value:.1f}"


# --- acc (Security PUSH) ------------------------------------------------------------------


def rtlog_row(record: AccessRecord) -> Row:
    fields: Fields = [
        ("time", format_time(record.time)),
        ("pin", record.pin or "0"),
        ("cardno", record.card or "0"),
        ("sitecode", record.site_code),
        ("linkid", record.link_id),
        ("eventaddr", record.door),
        ("event", record.event),
        ("inoutstatus", record.inout),
        ("verifytype", record.verify),
        ("index", record.index),
        ("maskflag", record.mask or 0),
        ("temperature", temperature_text(record.temperature)),
        ("convtemperature", temperature_text(record.temperature)),
    ]
    return Row("rtlog", format_pairs(fields))


def door_bits(doors: Sequence[Door]) -> dict[str, str]:
    """rtstate bit fields: sensor 2 bits per door (00 none, 01 closed, 10 open) in one byte per four
    doors; relay 1 bit per door; alarm one byte per door (8 bytes at least); door 1 bit per door
    that stands open."""
    sensor_bytes = bytearray((len(doors) + 3) // 4)
    relay = 0
    opened = 0
    alarm = bytearray(max(8, len(doors)))
    for position, door in enumerate(doors):
        state = (0b10 if door.is_open else 0b01) if door.has_sensor else 0b00
        sensor_bytes[position // 4] |= state << (2 * (position % 4))
        relay |= (1 if door.relay else 0) << position
        opened |= (1 if door.is_open else 0) << position
        alarm[position] = door.alarm
    width = max(2, ((len(doors) + 7) // 8) * 2)
    return {
        "sensor": sensor_bytes.hex().upper(),
        "relay": f"{relay:0{width}X}",
        "alarm": alarm.hex().upper(),
        "door": f"{opened:0{width}X}",
    }


def rtstate_row(when_text: str, doors: Sequence[Door]) -> Row:
    bits = door_bits(doors)
    fields: Fields = [("time", when_text), *bits.items()]
    return Row("rtstate", format_pairs(fields))


def acc_user_fields(user: User) -> Fields:
    return [
        ("uid", user.uid),
        ("cardno", user.card),
        ("pin", user.pin),
        ("password", user.password),
        ("group", user.group),
        ("starttime", user.start),
        ("endtime", user.end),
        ("name", user.name),
        ("privilege", user.privilege),
        ("disable", 1 if user.disabled else 0),
        ("verify", user.verify),
    ]


def authorization_fields(authorization: Authorization) -> Fields:
    return [
        ("pin", authorization.pin),
        ("authorizetimezoneid", authorization.timezone_id),
        ("authorizedoorid", authorization.doors),
        ("devid", authorization.dev_id),
    ]


def biophoto_fields(photo: Photo) -> Fields:
    content = photo.b64
    return [
        ("pin", photo.pin),
        ("filename", photo.filename),
        ("type", photo.type),
        ("size", len(content)),
        ("content", content),
    ]


def userpic_fields(photo: Photo) -> Fields:
    content = photo.b64
    return [
        ("pin", photo.pin),
        ("filename", photo.filename),
        ("size", len(content)),
        ("content", content),
    ]


def biodata_fields(template: Template) -> Fields:
    return [
        ("pin", template.pin),
        ("no", template.no),
        ("index", template.index),
        ("valid", template.valid),
        ("duress", template.duress),
        ("type", template.type),
        ("majorver", template.major),
        ("minorver", template.minor),
        ("format", template.format),
        ("tmp", template.data),
    ]


def templatev10_fields(template: Template, uid: int) -> Fields:
    finger_id = template.no + (16 if template.duress else 0)
    return [
        ("size", len(template.data)),
        ("uid", uid),
        ("pin", template.pin),
        ("fingerid", finger_id),
        ("valid", template.valid),
        ("template", template.data),
        ("resverd", ""),
        ("endtag", ""),
    ]


def transaction_fields(record: AccessRecord) -> Fields:
    return [
        ("cardno", record.card or "0"),
        ("pin", record.pin or "0"),
        ("verified", record.verify),
        ("doorid", record.door),
        ("eventtype", record.event),
        ("inoutstate", record.inout),
        ("time_second", zk_seconds(record.time)),
        ("index", record.index),
        ("sitecode", record.site_code),
        ("devid", 1),
        ("maskflag", record.mask or 0),
        ("temperature", temperature_text(record.temperature)),
        ("convtemperature", temperature_text(record.temperature)),
    ]


def table_line(tablename: str, fields: Fields) -> str:
    """acc table-data line: the table name, a space, then TAB-separated fields."""
    return f"{tablename} {format_pairs(fields)}"


def tabledata_row(tablename: str, fields: Fields) -> Row:
    return Row("tabledata", table_line(tablename, fields), tablename=tablename)


# --- att (Attendance PUSH) ----------------------------------------------------------------


def attlog_row(record: AccessRecord, *, with_mask: bool, with_temperature: bool) -> Row:
    columns: list[object] = [
        record.pin,
        format_time(record.time),
        record.status,
        record.verify,
        record.workcode,
        0,
        0,
    ]
    if with_mask or with_temperature:
        columns.append(record.mask or 0)
    if with_temperature:
        columns.append(temperature_text(record.temperature))
    return Row("ATTLOG", "\t".join(str(column) for column in columns))


def att_user_fields(user: User) -> Fields:
    return [
        ("PIN", user.pin),
        ("Name", user.name),
        ("Pri", user.privilege),
        ("Passwd", user.password),
        ("Card", user.card),
        ("Grp", user.group),
        ("TZ", user.timezones),
        ("Verify", user.verify),
        ("ViceCard", user.vice_card),
    ]


def att_user_row(user: User) -> Row:
    return Row("OPERLOG", "USER " + format_pairs(att_user_fields(user)))


def oplog_row(operation: int, admin: str, when_text: str, *values: object) -> Row:
    """`OPLOG <op>\\t<admin>\\t<time>\\t<v1>\\t<v2>\\t<v3>\\t<reserved>` (AP-EN 11.4)."""
    operands = [*values, 0, 0, 0, 0][:4]
    text = "\t".join(str(part) for part in (operation, admin, when_text, *operands))
    return Row("OPERLOG", f"OPLOG {text}")


def att_finger_fields(template: Template) -> Fields:
    """att FINGERTMP / FACE fields (Valid 3 marks a duress finger)."""
    return [
        ("PIN", template.pin),
        ("FID", template.no),
        ("Size", len(template.data)),
        ("Valid", 3 if template.duress else template.valid),
        ("TMP", template.data),
    ]


def att_template_row(template: Template) -> Row:
    """Fingerprints and NIR faces go as FP / FACE lines in OPERLOG, other types as BIODATA."""
    if template.type in (1, 2):
        tag = "FP" if template.type == 1 else "FACE"
        return Row("OPERLOG", f"{tag} {format_pairs(att_finger_fields(template))}")
    biodata: Fields = [
        ("Pin", template.pin),
        ("No", template.no),
        ("Index", template.index),
        ("Valid", template.valid),
        ("Duress", template.duress),
        ("Type", template.type),
        ("MajorVer", template.major),
        ("MinorVer", template.minor),
        ("Format", template.format),
        ("Tmp", template.data),
    ]
    return Row("BIODATA", "BIODATA " + format_pairs(biodata))


def att_userpic_row(photo: Photo) -> Row:
    content = photo.b64
    fields: Fields = [
        ("PIN", photo.pin),
        ("FileName", photo.filename),
        ("Size", len(content)),
        ("Content", content),
    ]
    return Row("OPERLOG", "USERPIC " + format_pairs(fields))


def att_biophoto_row(photo: Photo) -> Row:
    """Comparison photos go in OPERLOG but are acknowledged with a bare OK (AP-EN 11.15)."""
    content = photo.b64
    fields: Fields = [
        ("PIN", photo.pin),
        ("FileName", photo.filename),
        ("Type", photo.type),
        ("Size", len(content)),
        ("Content", content),
    ]
    return Row("OPERLOG", "BIOPHOTO " + format_pairs(fields), tablename="BIOPHOTO")


def attphoto_row(name: str, serial_number: str, jpeg: bytes) -> Row:
    """One snapshot per request: header lines, NUL, then the JPEG bytes (AP-EN 11.3)."""
    header = f"PIN={name}\nSN={serial_number}\nsize={len(jpeg)}\nCMD=uploadphoto"
    return Row("ATTPHOTO", header, payload=jpeg)


# --- how rows travel -------------------------------------------------------------------------

Ack = Callable[[str], bool]


def batch_request(
    rows: Sequence[Row], line_ending: str = "\n"
) -> tuple[dict[str, str], bytes, Ack]:
    """Query parameters (besides SN), body and acknowledgement check for rows of one stream.

    acc rtlog/rtstate want `OK`, acc table data `<table>=<n>`; att tables want `OK: <n>` with n
    equal to the rows sent, except comparison photos and snapshots, acknowledged with `OK`.
    """
    first = rows[0]
    count = len(rows)
    if first.table == "ATTPHOTO":
        body = first.text.encode() + b"\0" + first.payload
        return {"table": "ATTPHOTO", "Stamp": "9999"}, body, _ok_or_count(1)
    body = (line_ending.join(row.text for row in rows) + line_ending).encode()
    if first.table == "tabledata":
        params = {"table": "tabledata", "tablename": first.tablename, "count": str(count)}
        return params, body, lambda reply: parse_table_ack(reply, first.tablename) == count
    if first.table in ("rtlog", "rtstate"):
        return {"table": first.table}, body, is_ok
    params = {"table": first.table, "Stamp": "9999"}
    if first.tablename == "BIOPHOTO":
        return params, body, _ok_or_count(count)
    return params, body, lambda reply: parse_ok_count(reply) == count


def _ok_or_count(count: int) -> Ack:
    return lambda reply: is_ok(reply) or parse_ok_count(reply) == count

"""The `/iclock/...` endpoints both PUSH dialects call (reference §4 "implementation
guidance"). They sit at the host root, answer plain text with a GMT Date header, never
redirect, and are reached through `DeviceEndpointMiddleware` so no session, CSRF or HTTPS
redirect stands between a device and its reply. Every upload is stored (committed) before the
reply that lets the device forget it. A pending device is answered so that it keeps its data:
406 on registration, 403 on uploads, `OK` (nothing) on polls."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.http import http_date
from django_scopes import scope

from gatehouse.core.actors import client_address
from gatehouse.core.scoping import platform_scope
from gatehouse.devices import commands, ingest, services
from gatehouse.devices.commands import CommandResult
from gatehouse.devices.ingest import EnrolmentRow, EventRow, OperationRow
from gatehouse.devices.models import Device, DeviceCommand, FirmwarePackage
from gatehouse.drivers.zkpush.driver import NAME
from gatehouse.drivers.zkpush.protocol import acc, att, common
from gatehouse.drivers.zkpush.protocol.common import DeviceQuery, Dialect
from gatehouse.drivers.zkpush.protocol.errors import ProtocolError
from gatehouse.drivers.zkpush.protocol.timecodes import encode_zk_seconds

logger = logging.getLogger(__name__)

OK = "OK"
# Upload limits: text uploads are small; photos and query answers may carry images.
TEXT_LIMIT = 4 * 1024 * 1024
IMAGE_LIMIT = 16 * 1024 * 1024
IMAGE_TABLES = {"attphoto", "tabledata", "biophoto", "userpic", "operlog", "biodata"}
# What one poll may hand out: the att spec's 900 KB, or the device's MaxPackageSize. The
# bytes are the device's limit; the count only bounds one reply's work (a first sync of
# 10,000 persons is 600 commands of 50 records: user and rights batches then take a poll
# each, face photos fill the bytes first).
DEFAULT_BUDGET = 900 * 1024
COMMANDS_PER_POLL = 200
SERVER_BIO_SUPPORT = "0:1:0:0:0:0:0:0:0:1:0"  # fingerprint and visible-light face
SERVER_PHOTO_SUPPORT = "0:0:0:0:0:0:0:0:0:1:0"

Handler = Callable[[HttpRequest, Device, DeviceQuery], HttpResponseBase]


def reply(text: str, status: int = 200) -> HttpResponse:
    body = text.encode()
    response = HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")
    response["Content-Length"] = str(len(body))
    response["Date"] = http_date()
    # refusals are part of the protocol (a pending device retries every few seconds): the
    # driver logs what matters itself, Django's request log would repeat it endlessly
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def _dialect_of(request: HttpRequest, query: DeviceQuery) -> str:
    detected = common.detect_dialect(query)
    if detected is not None:
        return detected.value
    table = query.table or ""
    if table.isupper() or "INFO" in {k.upper() for k in query.raw}:
        return Dialect.ATT.value
    if request.path.rstrip("/").removesuffix(".aspx").endswith("registry"):
        return Dialect.ACC.value
    return ""


def device_endpoint(
    *, limit: int = TEXT_LIMIT, methods: tuple[str, ...] = ("GET", "POST")
) -> Callable[[Handler], Callable[[HttpRequest], HttpResponseBase]]:
    """Parse the query, enforce the method and size limit, find (or record) the device,
    open its tenant scope, and turn protocol errors into a 400 the device can log."""

    def decorate(handler: Handler) -> Callable[[HttpRequest], HttpResponseBase]:
        def view(request: HttpRequest) -> HttpResponseBase:
            if request.method not in methods:
                return reply("method not allowed", 405)
            query_dict = {key: request.GET.get(key, "") for key in request.GET}
            try:
                query = common.parse_device_query(query_dict)
            except ProtocolError as exc:
                return reply(f"bad request: {exc}", 400)
            size = int(request.META.get("CONTENT_LENGTH") or 0)
            table = (query.table or query_dict.get("tablename") or "").lower()
            allowed = (
                IMAGE_LIMIT
                if table in IMAGE_TABLES or "querydata" in request.path or "fdata" in request.path
                else limit
            )
            if size > allowed:
                return reply(f"body larger than {allowed} bytes", 413)
            device = services.note_contact(
                query.sn,
                driver=NAME,
                dialect=_dialect_of(request, query),
                address=client_address(request),
                protocol_version=query.pushver or "",
            )
            try:
                if device.enterprise_id is None:
                    with platform_scope():
                        return handler(request, device, query)
                with scope(enterprise=device.enterprise_id):
                    return handler(request, device, query)
            except ProtocolError as exc:
                logger.info("device %s sent bad data: %s", query.sn, exc)
                return reply(f"bad request: {exc}", 400)

        view.__name__ = handler.__name__
        view.__doc__ = handler.__doc__
        return view

    return decorate


def _pending_upload() -> HttpResponse:
    # not "OK": the device keeps its records and sends them again once it is approved
    return reply("device not approved", 403)


def _acc_config(device: Device) -> acc.ServerConfig:
    return acc.ServerConfig(
        session_id=str(device.session.get("session_id", "")),
        request_delay=device.poll_interval,
        extra={
            "BioPhotoFun": 1,
            "BioDataFun": 1,
            "MultiBioDataSupport": SERVER_BIO_SUPPORT,
            "MultiBioPhotoSupport": SERVER_PHOTO_SUPPORT,
        },
    )


def _att_handshake(device: Device) -> str:
    options = att.HandshakeOptions(
        timezone=timedelta(minutes=device.utc_offset_minutes),
        delay=device.poll_interval,
        trans_flags=(*att.DEFAULT_TRANS_FLAGS,),
        extra={
            "PushOptionsFlag": 1,
            "PushOptions": "FingerFunOn,FaceFunOn,IRTempDetectionFunOn,MaskDetectionFunOn",
        },
    )
    return att.build_handshake_reply(device.serial_number, options)


# --- handshake and registration --------------------------------------------------------------


def _handshake(device: Device) -> HttpResponse:
    if device.dialect == Dialect.ATT:
        return reply(_att_handshake(device))
    code = device.session.get("registry_code")
    if device.is_pending or not code:
        return reply(OK)
    return reply(acc.build_handshake_reply(str(code), _acc_config(device)))


@device_endpoint(methods=("POST",))
def registry(request: HttpRequest, device: Device, query: DeviceQuery) -> HttpResponse:
    """acc registration: keep what the device says about itself; a pending device is refused
    (406) and tries again later, an approved one gets its RegistryCode."""
    registration = acc.parse_registry_body(request.body)
    device = services.fresh_device(device)
    services.record_identity(
        device,
        registration.values,
        registry=dict(registration.values),
        dialect=Dialect.ACC.value,
        model=(registration.device_name or "")[:100],
        firmware=(registration.firmware or "")[:100],
        mac_address=(registration.get("MAC") or "")[:40],
    )
    if device.is_pending:
        return reply("device not approved", 406)
    session = dict(device.session)
    session.setdefault("registry_code", secrets.token_hex(10))
    session.setdefault("session_id", secrets.token_hex(16).upper())
    services.save_session(device, session)
    return reply(acc.build_registry_reply(str(session["registry_code"])))


@device_endpoint()
def push(request: HttpRequest, device: Device, query: DeviceQuery) -> HttpResponse:
    if device.is_pending or not device.session.get("registry_code"):
        return reply("device not registered", 406)
    return reply(acc.build_push_reply(_acc_config(device)))


# --- uploads -----------------------------------------------------------------------------------


def _verify_mode(text: str) -> int | None:
    text = text.strip()
    if text.isdigit() and len(text) <= 5:
        return int(text)
    if len(text) == 16 and set(text) <= {"0", "1"}:
        return 0x10000 | int(text, 2)
    return None


def _event_row(row: acc.AccessEvent) -> EventRow:
    identity = (
        f"{row.raw_time}|{row.index}"
        if row.index is not None
        else f"{row.raw_time}|{row.pin}|{row.event}|{row.event_addr}"
    )
    return EventRow(
        local_time=row.time,
        identity=identity,
        event_code=row.event,
        door=row.event_addr,
        verify_mode=_verify_mode(row.verify_type),
        in_out=row.in_out_status,
        pin=row.pin,
        card_number=row.card_no,
        temperature=row.temperature,
        mask=None if row.mask_flag is None else bool(row.mask_flag),
    )


def _door_states(row: acc.DoorState) -> dict[str, Any]:
    return {
        "time": row.raw_time,
        "sensor": row.sensor,
        "relay": row.relay,
        "alarm": row.alarm,
        "door": row.door,
    }


def _punch_row(punch: att.Punch) -> EventRow:
    mask = punch.extra[2] if len(punch.extra) > 2 else ""
    temperature = punch.extra[3] if len(punch.extra) > 3 else ""
    try:
        degrees = Decimal(temperature) if temperature else None
    except ArithmeticError:
        degrees = None
    return EventRow(
        local_time=punch.time,
        identity=f"{punch.pin}|{punch.raw_time}",
        event_code=0,
        door=1,
        verify_mode=punch.verify,
        in_out=punch.status,
        pin=punch.pin,
        temperature=degrees,
        mask=bool(int(mask)) if mask.isdigit() else None,
    )


def _int_field(record: acc.TableRecord | att.TaggedRecord, key: str) -> int:
    value = (record.get(key) or "0").strip()
    return int(value) if value.lstrip("-").isdigit() else 0


def _enrolment(record: acc.TableRecord | att.TaggedRecord, kind: str) -> EnrolmentRow | None:
    pin = (record.get("pin") or "").strip()
    if not pin:
        return None
    fields = {
        k.lower(): v
        for k, v in record.fields.items()
        if k.lower() not in {"tmp", "template", "content"}
    }
    template = record.get("tmp") or record.get("template") or record.get("content") or ""
    if kind == "biodata":
        return EnrolmentRow(
            pin=pin, kind=kind, bio_type=_int_field(record, "type"),
            number=_int_field(record, "no"), index=_int_field(record, "index"),
            record=fields, template=template,
        )  # fmt: skip
    if kind == "fingerprint":
        return EnrolmentRow(
            pin=pin,
            kind=kind,
            bio_type=1,
            number=_int_field(record, "fid") or _int_field(record, "fingerid"),
            record=fields,
            template=template,
        )
    if kind == "biophoto":
        return EnrolmentRow(
            pin=pin,
            kind=kind,
            bio_type=_int_field(record, "type") or acc.VISIBLE_LIGHT_FACE,
            record=fields,
            template=template,
        )
    return EnrolmentRow(pin=pin, kind=kind, record=fields, template=template)


ACC_TABLE_KINDS = {
    "user": "user",
    "biodata": "biodata",
    "templatev10": "fingerprint",
    "biophoto": "biophoto",
    "userpic": "userpic",
}
ATT_TAG_KINDS = {
    "USER": "user",
    "FP": "fingerprint",
    "FACE": "face",
    "FVEIN": "fingervein",
    "BIODATA": "biodata",
    "USERPIC": "userpic",
    "BIOPHOTO": "biophoto",
}


def _store_tabledata(device: Device, tablename: str, body: bytes) -> int:
    records = acc.parse_tabledata_body(tablename, body)
    table = tablename.lower()
    if table == "attphoto":
        for record in records:
            _store_photo_record(device, record)
    elif table in ACC_TABLE_KINDS:
        rows = [
            row
            for row in (_enrolment(r, ACC_TABLE_KINDS[table]) for r in records)
            if row is not None
        ]
        ingest.store_enrolments(device, rows)
        _capture_photos(device, rows)
    elif table == "transaction":
        ingest.store_events(device, [_transaction_row(record) for record in records])
    elif table == "errorlog":
        for record in records:
            logger.warning("device %s error log: %s", device.serial_number, dict(record.fields))
    return len(records)


def _transaction_row(record: acc.TableRecord) -> EventRow:
    """A stored access record fetched with DATA QUERY transaction (offline back-fill)."""
    from gatehouse.drivers.zkpush.protocol.timecodes import decode_zk_seconds

    seconds = _int_field(record, "time_second")
    local = decode_zk_seconds(seconds)
    index = record.get("index")
    raw_time = local.strftime("%Y-%m-%d %H:%M:%S")
    pin = (record.get("pin") or "").strip()
    event = _int_field(record, "eventtype")
    door = _int_field(record, "doorid")
    identity = f"{raw_time}|{index}" if index else f"{raw_time}|{pin}|{event}|{door}"
    temperature = record.get("temperature")
    try:
        degrees = Decimal(temperature) if temperature else None
    except ArithmeticError:
        degrees = None
    return EventRow(
        local_time=local, identity=identity, event_code=event, door=door,
        verify_mode=_verify_mode(record.get("verified") or ""),
        in_out=_int_field(record, "inoutstate"),
        pin=pin, card_number=(record.get("cardno") or "").strip(), temperature=degrees,
        mask=None if record.get("maskflag") is None else record.get("maskflag") == "1",
    )  # fmt: skip


def _store_photo_record(device: Device, record: acc.TableRecord) -> None:
    import base64
    import binascii

    name = (record.get("pin") or "").strip()
    content = record.get("photo") or record.get("content") or ""
    try:
        jpeg = base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError):
        raise ProtocolError(f"snapshot {name!r} is not base64") from None
    _store_snapshot(device, name, jpeg)


def _store_snapshot(device: Device, filename: str, jpeg: bytes) -> None:
    """Snapshot names are `<YYYYMMDDhhmmss>-<pin>.jpg` on the devices seen [U]."""
    stem = filename.rsplit("/", 1)[-1].removesuffix(".jpg")
    stamp, _sep, pin = stem.partition("-")
    try:
        taken = datetime.strptime(stamp, "%Y%m%d%H%M%S")  # noqa: DTZ007 - device wall clock
    except ValueError:
        taken = timezone.now().replace(tzinfo=None) + timedelta(minutes=device.utc_offset_minutes)
    ingest.store_snapshot(device, pin=pin, local_time=taken, jpeg=jpeg, name=filename)


def _capture_photos(device: Device, rows: list[EnrolmentRow]) -> None:
    """A face photo enrolled on the device because Gatehouse asked for it (register from
    device) becomes the person's photo, through the same check as an upload."""
    from gatehouse.devices import capture

    for row in rows:
        if row.kind == "biophoto" and row.template:
            capture.photo_arrived(device, row.pin, row.template)


def _upload_att(device: Device, table: str, body: bytes) -> HttpResponse:
    if table == "ATTLOG":
        punches = att.parse_attlog_body(body)
        count = ingest.store_events(device, [_punch_row(p) for p in punches])
        return reply(att.build_upload_ack(count))
    if table in {"OPERLOG", "BIODATA"}:
        records = att.parse_operlog_body(body)
        logs = [r for r in records if isinstance(r, att.OperationLog)]
        ingest.store_operation_logs(
            device, [OperationRow(r.time, r.operation, r.admin, r.objects) for r in logs]
        )
        tagged = [r for r in records if isinstance(r, att.TaggedRecord) and r.tag in ATT_TAG_KINDS]
        rows = [
            row for row in (_enrolment(r, ATT_TAG_KINDS[r.tag]) for r in tagged) if row is not None
        ]
        ingest.store_enrolments(device, rows)
        _capture_photos(device, rows)
        return reply(att.build_upload_ack(len(records)))
    if table == "ATTPHOTO":
        photo = att.parse_attphoto_body(body)
        _store_snapshot(device, photo.filename, photo.jpeg)
        return reply(OK)
    if table == "IDCARD":
        return reply(
            att.build_upload_ack(len([line for line in body.splitlines() if line.strip()]))
        )
    return reply(OK)  # ERRORLOG and the rest: logged by the device, nothing to keep


@device_endpoint()
def cdata(  # noqa: PLR0911 - one reply per table
    request: HttpRequest, device: Device, query: DeviceQuery
) -> HttpResponse:
    """Handshake (GET) and every upload (POST ?table=...)."""
    if request.method == "GET":
        if (query.table or "").lower() == "remoteatt":
            return reply(OK)  # remote attendance: users are synced, nothing to add here
        return _handshake(device)
    if device.is_pending:
        return _pending_upload()
    table = query.table or ""
    if table == "options" or table.lower() == "options":
        options = acc.parse_options_body(request.body)
        services.record_identity(device, options, options={**device.options, **options})
        return reply(OK)
    if device.dialect == Dialect.ATT or table.isupper():
        return _upload_att(device, table.upper(), request.body)
    if table == "rtlog":
        rows = acc.parse_rtlog_body(request.body)
        ingest.store_events(device, [_event_row(r) for r in rows if isinstance(r, acc.AccessEvent)])
        for row in rows:
            if isinstance(row, acc.DoorState):
                ingest.store_door_states(device, _door_states(row))
        return reply(OK)
    if table == "rtstate":
        for state in acc.parse_rtstate_body(request.body):
            ingest.store_door_states(device, _door_states(state))
        return reply(OK)
    if table == "tabledata":
        upload = acc.parse_tabledata_query(query.raw)
        count = _store_tabledata(device, upload.tablename, request.body)
        return reply(acc.build_table_ack(upload.tablename, count))
    return reply(OK)  # testdata, irstate: nothing Gatehouse keeps yet


@device_endpoint(limit=IMAGE_LIMIT, methods=("POST",))
def fdata(request: HttpRequest, device: Device, query: DeviceQuery) -> HttpResponse:
    """Snapshots some att firmware posts here instead of cdata?table=ATTPHOTO."""
    if device.is_pending:
        return _pending_upload()
    return _upload_att(device, "ATTPHOTO", request.body)


# --- commands ------------------------------------------------------------------------------------


def _budget(device: Device) -> int:
    raw = str(device.registry.get("MaxPackageSize", "") or "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_BUDGET


def _apply_results(device: Device, body: bytes) -> None:
    results = common.parse_devicecmd_body(body)
    info = [r for r in results if r.command.upper() == "INFO" and r.details]
    if info:
        services.record_identity(
            device, info[-1].details, options={**device.options, **info[-1].details}
        )
    commands.record_results(
        device,
        [CommandResult(r.command_id, r.return_code, {**r.extra, **r.details}) for r in results],
    )


@device_endpoint()
def getrequest(request: HttpRequest, device: Device, query: DeviceQuery) -> HttpResponse:
    """The poll: hand out queued commands (after reconciling any person changes)."""
    info = next((v for k, v in query.raw.items() if k.upper() == "INFO"), None)
    if info:
        parsed = att.parse_info(info)
        session = {**device.session, "info": parsed.__dict__}
        services.save_session(device, session)
        services.record_identity(
            device, {}, firmware=parsed.firmware[:100], ip_address=parsed.ip_address[:45]
        )
    if device.is_pending:
        return reply(OK)
    if request.method == "POST" and request.body.strip():
        _apply_results(device, request.body)  # some old firmware answers here [U]
        return reply(OK)
    version, idle = commands.work_state(device.pk)
    if idle:
        return reply(OK)
    _requested, collected = services.poll_for_work(
        device, version=version, budget_bytes=_budget(device), max_commands=COMMANDS_PER_POLL
    )
    return reply(
        common.build_getrequest_reply((c.command_id, text) for c, text in collected.handed)
    )


@device_endpoint(methods=("POST",))
def devicecmd(request: HttpRequest, device: Device, query: DeviceQuery) -> HttpResponse:
    if not device.is_pending:
        _apply_results(device, request.body)
    return reply(OK)


@device_endpoint(limit=IMAGE_LIMIT, methods=("POST",))
def querydata(request: HttpRequest, device: Device, query: DeviceQuery) -> HttpResponse:
    """Answers to DATA COUNT / DATA QUERY / GET OPTIONS, packet by packet."""
    if device.is_pending:
        return _pending_upload()
    upload = acc.parse_querydata_query(query.raw)
    command = (
        DeviceCommand.objects.filter(device=device, command_id=upload.command_id).first()
        if upload.command_id
        else None
    )
    kind = (upload.kind or "").lower()
    if kind == "options":
        options = acc.parse_options_body(request.body)
        services.record_identity(device, options, options={**device.options, **options})
        commands.note_result(command, {"options": options})
        return reply(OK)
    if kind == "count":
        count = acc.parse_count_body(upload.tablename, request.body)
        commands.note_result(command, {"count": count})
        return reply(acc.build_table_ack(upload.tablename, count))
    count = _store_tabledata(device, upload.tablename, request.body)
    if command is not None:
        commands.note_result(command, {"received": int(command.result.get("received", 0)) + count})
    return reply(acc.build_table_ack(upload.tablename, count))


# --- small requests ------------------------------------------------------------------------------


@device_endpoint(methods=("GET",))
def ping(request: HttpRequest, device: Device, query: DeviceQuery) -> HttpResponse:
    return reply(OK)


@device_endpoint(methods=("GET",))
def rtdata(request: HttpRequest, device: Device, query: DeviceQuery) -> HttpResponse:
    """`type=time`: the server's clock in ZK seconds (GMT) and the device's zone offset."""
    now = timezone.now().replace(tzinfo=None)
    return reply(
        acc.build_time_reply(encode_zk_seconds(now), timedelta(minutes=device.utc_offset_minutes))
    )


@device_endpoint(methods=("GET",))
def file(request: HttpRequest, device: Device, query: DeviceQuery) -> HttpResponseBase:
    """Firmware download for an UPGRADE command (`url=package/<id>`)."""
    url = next((v for k, v in query.raw.items() if k.lower() == "url"), "")
    kind, _sep, raw_id = url.strip("/").partition("/")
    if device.is_pending or kind != "package" or not raw_id.isdigit():
        return reply("not found", 404)
    package = FirmwarePackage.objects.filter(
        pk=int(raw_id), enterprise_id=device.enterprise_id
    ).first()
    if package is None:
        return reply("not found", 404)
    response = FileResponse(
        default_storage.open(package.file.name, "rb"), content_type="application/octet-stream"
    )
    response["Date"] = http_date()
    return response


@device_endpoint()
def exchange(request: HttpRequest, device: Device, query: DeviceQuery) -> HttpResponse:
    """Key exchange (PUSH 3.1.1+ encryption) is not implemented; Gatehouse advertises 3.0.1
    so devices do not start it."""
    return reply("encryption is not supported", 404)

"""Device ingest (issue "Devices"): G1 single-event pushes, G2 backlog uploads, G9 storage.

The server is the production setup: `gatehouse.asgi` under uvicorn with BENCH_WORKERS
processes (default: one per core) on the configured database (PostgreSQL with DATABASE_URL).
Baselines are measured in the same run, on the same server:
- G1: bare Django (GET /healthz through the full middleware stack), same processes;
- G2: inserting the same rows with one bulk_create per 1,000 rows from this process (the
  database's floor without parsing, de-duplication, person lookup and HTTP);
- storage: the bytes of a row of the same table without any index.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from common import LOOPBACK, REPO_ROOT, Result, env_int, free_port, http_load, ratio

SN_G1 = "BENCHG1ACC"
SN_G2 = "BENCHG2ATT"
ROWS_PER_POST = 1000


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gatehouse.settings")
    if os.environ.get("DATABASE_URL"):
        os.environ.setdefault("GATEHOUSE_EMBEDDED", "false")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)


def _workers() -> int:
    return env_int("BENCH_WORKERS", os.cpu_count() or 1)


@contextlib.contextmanager
def _server(workers: int) -> Iterator[str]:
    """gatehouse.asgi under uvicorn with `workers` processes, like `gatehouse serve`."""
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", "gatehouse.asgi:application",
        "--host", LOOPBACK, "--port", str(port), "--lifespan", "off",
        "--no-access-log", "--log-level", "warning", "--workers", str(workers),
    ]  # fmt: skip
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "gatehouse.settings", "LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=env)
    base = f"http://{LOOPBACK}:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {process.returncode}")
            try:
                httpx.get(base + "/healthz", timeout=2.0)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError("uvicorn did not start in time") from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _approved(sn: str, dialect: str) -> Any:
    """A device of a bench enterprise, registered and approved; its old rows removed."""
    from gatehouse.core.actors import Actor
    from gatehouse.core.scoping import platform_scope
    from gatehouse.devices import services
    from gatehouse.devices.models import Device, DeviceEvent
    from gatehouse.tenancy import services as tenancy
    from gatehouse.tenancy.models import Enterprise

    system = Actor.system("bench")
    with platform_scope():
        enterprise = Enterprise.objects.filter(code="bench-devices").first()
        if enterprise is None:
            enterprise, _admin, _password = tenancy.create_enterprise(
                actor=system, code="bench-devices", name="Bench devices", admin_username="bench-dev"
            )
        device = services.note_contact(sn, driver="zkpush", dialect=dialect)
        if device.is_pending:
            device = services.approve_device(device, actor=system, enterprise=enterprise)
        DeviceEvent.objects.filter(device=device).delete()
        Device.objects.filter(pk=device.pk).update(
            session={"registry_code": "bench", "session_id": "bench"}
        )
        return Device.objects.get(pk=device.pk)


def _event_count(device: Any) -> int:
    from gatehouse.core.scoping import platform_scope
    from gatehouse.devices.models import DeviceEvent

    with platform_scope():
        return int(DeviceEvent.objects.filter(device=device).count())


# ------------------------------------------------------------------------------------ G1

# One unique rtlog event per request: the index grows, so no request is a duplicate.
WRK_SCRIPT = "\n".join(
    [
        "counter = 0",
        "request = function()",
        "  counter = counter + 1",
        '  local body = string.format("time=2026-01-01 08:00:00\\tpin=%d\\tcardno=0'
        "\\teventaddr=1\\tevent=0\\tinoutstatus=0\\tverifytype=15\\tindex=%d\\tsitecode=0"
        '\\tlinkid=0\\tmaskflag=0\\ttemperature=0", 1000 + counter % 500, counter)',
        '  return wrk.format("POST", "/iclock/cdata?SN=__SN__&table=rtlog",',
        '    {["Content-Type"] = "application/push"}, body)',
        "end",
    ]
)


def _wrk_post(base: str, seconds: int, connections: int) -> tuple[int, int, float, float | None]:
    """(requests, errors, seconds, p99 ms) of unique single-event rtlog posts."""
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "rtlog.lua"
        script.write_text(WRK_SCRIPT.replace("__SN__", SN_G1))
        completed = subprocess.run(
            ["wrk", "--threads", "1", "--connections", str(connections),
             "--duration", f"{seconds}s",
             "--timeout", "5s", "--latency", "--script", str(script), base + "/"],
            capture_output=True, text=True, timeout=seconds + 60, check=True,
        )  # fmt: skip
    out = completed.stdout
    total = re.search(r"(\d+) requests in ([\d.]+)(\w+),", out)
    if total is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    unit = {"s": 1.0, "ms": 1e-3, "m": 60.0}[total.group(3)]
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if socket:
        errors += sum(int(g) for g in socket.groups())
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)$", out, flags=re.MULTILINE)
    p99_ms = (
        float(p99.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1000.0}[p99.group(2)] if p99 else None
    )
    return int(total.group(1)), errors, float(total.group(2)) * unit, p99_ms


def g1_single_events() -> list[Result]:
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is needed (scripts/bootstrap.sh bench installs it)")
    _django()
    device = _approved(SN_G1, "acc")
    seconds = env_int("BENCH_G1_SECONDS", 10)
    connections = env_int("BENCH_G1_CONNECTIONS", 32)
    workers = _workers()
    with _server(workers) as base:
        baseline = http_load(base + "/healthz", connections=connections, seconds=seconds)
        requests, errors, elapsed, p99 = _wrk_post(base, seconds, connections)
    stored = _event_count(device)
    per_second = (requests - errors) / elapsed
    baseline_result = Result(
        name="devices.g1.bare_django",
        figure=baseline.per_second,
        unit="req/s",
        note=f"GET /healthz, uvicorn {workers} processes",
        details={
            "requests": baseline.requests,
            "errors": baseline.errors,
            "p99_ms": baseline.latency_p99_ms,
        },
    )
    return [
        baseline_result,
        Result(
            name="devices.g1.events_per_second",
            figure=per_second,
            unit="events/s",
            baseline=baseline_result.name,
            ratio=ratio(per_second, baseline.per_second),
            note=f"one rtlog event per POST, committed before OK; goal >= 1000 and >= 0.5x; "
            f"{workers} processes",
            details={
                "requests": requests,
                "errors": errors,
                "stored_rows": stored,
                "all_acknowledged_rows_stored": stored >= requests - errors,
                "p99_ms": p99,
                "connections": connections,
            },
        ),
    ]


# ------------------------------------------------------------------------------------ G2


def _attlog_bodies(rows: int) -> list[bytes]:
    start = datetime(2026, 1, 1, 6, 0, 0)  # noqa: DTZ001 - device wall clock
    bodies = []
    for first in range(0, rows, ROWS_PER_POST):
        lines = []
        for number in range(first, min(rows, first + ROWS_PER_POST)):
            moment = start + timedelta(seconds=number)
            lines.append(f"{1000 + number % 5000}\t{moment:%Y-%m-%d %H:%M:%S}\t0\t15\t0\t0\t0")
        bodies.append(("\n".join(lines) + "\n").encode())
    return bodies


async def _post_all(base: str, bodies: list[bytes], concurrency: int) -> tuple[int, int]:
    """POST every body; returns (rows acknowledged, failed posts)."""
    acknowledged, failed = 0, 0
    queue = list(reversed(bodies))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    url = f"{base}/iclock/cdata?SN={SN_G2}&table=ATTLOG&Stamp=9999"
    async with httpx.AsyncClient(limits=limits, timeout=60.0) as client:

        async def worker() -> None:
            nonlocal acknowledged, failed
            while queue:
                body = queue.pop()
                response = await client.post(
                    url, content=body, headers={"Content-Type": "text/plain"}
                )
                if response.status_code == 200 and response.text.startswith("OK: "):
                    acknowledged += int(response.text[4:])
                else:
                    failed += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return acknowledged, failed


def _bulk_floor(rows: int) -> float:
    """rows/s of bulk_create of equivalent DeviceEvent rows (then removed)."""
    from datetime import UTC

    from gatehouse.core.scoping import platform_scope
    from gatehouse.devices.models import DeviceEvent

    device = _approved("BENCHG2FLOOR", "att")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    events = [
        DeviceEvent(
            enterprise_id=device.enterprise_id, device=device,
            occurred_at=start + timedelta(seconds=n),
            dedupe_key=n, event_code=0, door=1, verify_mode=15, in_out=0, pin=str(1000 + n % 5000),
        )
        for n in range(rows)
    ]  # fmt: skip
    with platform_scope():
        began = time.perf_counter()
        for first in range(0, rows, ROWS_PER_POST):
            DeviceEvent.objects.bulk_create(events[first : first + ROWS_PER_POST])
        elapsed = time.perf_counter() - began
        DeviceEvent.objects.filter(device=device).delete()
    return rows / elapsed


def g2_backlog() -> list[Result]:
    _django()
    device = _approved(SN_G2, "att")
    rows = env_int("BENCH_G2_ROWS", 1_000_000)
    concurrency = env_int("BENCH_G2_CONCURRENCY", 4)
    bodies = _attlog_bodies(rows)
    with _server(_workers()) as base:
        began = time.perf_counter()
        acknowledged, failed = asyncio.run(_post_all(base, bodies, concurrency))
        first_seconds = time.perf_counter() - began
        stored_first = _event_count(device)
        began = time.perf_counter()
        replay_acknowledged, replay_failed = asyncio.run(_post_all(base, bodies, concurrency))
        replay_seconds = time.perf_counter() - began
    stored_after_replay = _event_count(device)
    storage = _storage(device)
    floor = _bulk_floor(min(rows, 200_000))
    per_second = acknowledged / first_seconds
    floor_result = Result(
        name="devices.g2.bulk_create_floor",
        figure=floor,
        unit="rows/s",
        note="bulk_create of 1,000-row batches from one process",
    )
    return [
        floor_result,
        Result(
            name="devices.g2.backlog_rows_per_second",
            figure=per_second,
            unit="rows/s",
            baseline=floor_result.name,
            ratio=ratio(per_second, floor),
            note=f"{rows:,} ATTLOG rows in {ROWS_PER_POST}-row posts; "
            "goal >= 20,000 rows/s, 1M <= 60 s",
            details={
                "seconds": round(first_seconds, 2),
                "failed_posts": failed,
                "stored": stored_first,
                "replay_seconds": round(replay_seconds, 2),
                "replay_acknowledged": replay_acknowledged,
                "replay_failed_posts": replay_failed,
                "stored_after_replay": stored_after_replay,
                "duplicates_after_replay": stored_after_replay - stored_first,
            },
        ),
        storage,
    ]


# ------------------------------------------------------------------------------- storage


def _storage(device: Any) -> Result:
    """G9: bytes per stored event row including its indexes (PostgreSQL only)."""
    from django.db import connection

    from gatehouse.devices.models import DeviceEvent

    table = DeviceEvent._meta.db_table
    rows = _event_count(device)
    if connection.vendor != "postgresql" or rows == 0:
        return Result(
            name="devices.g9.bytes_per_event", figure=0.0, unit="bytes", note="PostgreSQL only"
        )
    with connection.cursor() as cursor:
        # compact first: earlier runs' deleted rows must not count as this run's bytes
        cursor.execute(f"VACUUM FULL ANALYZE {table}")
        cursor.execute(
            "SELECT pg_total_relation_size(%s), pg_relation_size(%s), count(*) FROM "  # noqa: S608
            + table,  # our own table name
            [table, table],
        )
        total, heap, count = cursor.fetchone()
    per_row = total / count
    return Result(
        name="devices.g9.bytes_per_event",
        figure=per_row,
        unit="bytes",
        baseline="heap without indexes",
        ratio=ratio(per_row, heap / count),
        note="row + indexes, goal <= 250 bytes",
        details={"rows": count, "total_bytes": total, "heap_bytes": heap},
    )


# ------------------------------------------------------------------------ G5 and scale


def _process_tree_cpu(root: int) -> float:
    """CPU seconds (user + system) of a process and its children, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, parent = int(entry.name), int(fields[1])
        if root in (pid, parent):
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def _server_pid(base: str) -> int:
    port = base.rsplit(":", 1)[1]
    out = subprocess.run(
        ["pgrep", "-f", f"uvicorn gatehouse.asgi:application .*--port {port}"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    return min(int(pid) for pid in out)


def _bench_enterprise(code: str) -> tuple[Any, Any]:
    """A fresh enterprise (the previous run's is deleted, its devices with it)."""
    from gatehouse.core.actors import Actor
    from gatehouse.core.scoping import platform_scope
    from gatehouse.devices.models import Device
    from gatehouse.tenancy import services as tenancy
    from gatehouse.tenancy.models import Enterprise, Group

    system = Actor.system("bench")
    with platform_scope():
        old = Enterprise.objects.filter(code=code).first()
        if old is not None:
            tenancy.delete_enterprise(old, actor=system)
        Device.objects.filter(serial_number__startswith=code.upper()).delete()
        _collect_garbage_without_autovacuum()
        enterprise, _admin, _password = tenancy.create_enterprise(
            actor=system, code=code, name=code, admin_username=f"{code}-admin"
        )
        return enterprise, Group.objects.get(enterprise=enterprise, parent__isnull=True)


DEVICE_TABLES = ("devices_holding", "devices_devicecommand", "devices_commandpayload")


def _autovacuum_is_off() -> bool:
    from django.db import connection

    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        (setting,) = cursor.fetchone()
    return bool(setting != "on")


def _collect_garbage_without_autovacuum() -> None:
    """A PostgreSQL with autovacuum off (as on some test machines) keeps every row an earlier
    run deleted: millions in the device tables, scanned by every later run. Production keeps
    autovacuum on (PostgreSQL's default); the bench does its work once before a run."""
    from django.db import connection

    if not _autovacuum_is_off():
        return
    with connection.cursor() as cursor:
        for table in DEVICE_TABLES:
            cursor.execute(f"VACUUM (ANALYZE) {table}")


@contextlib.contextmanager
def _analyzed_while_running(every: float = 15.0) -> Iterator[None]:
    """With autovacuum off, ANALYZE the device tables every few seconds while inside, as
    autovacuum would while a sync fills them: plans made from the statistics of the empty
    tables (seq scans of "tiny" tables) would otherwise be measured instead of Gatehouse."""
    if not _autovacuum_is_off():
        yield
        return
    import threading

    from django.db import connection

    stop = threading.Event()

    def analyze() -> None:
        try:
            while not stop.wait(every):
                with connection.cursor() as cursor:
                    cursor.execute(f"ANALYZE {', '.join(DEVICE_TABLES)}")
        finally:
            connection.close()

    thread = threading.Thread(target=analyze, name="bench-analyze", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _persons_with_faces(enterprise: Any, group: Any, count: int) -> None:
    """`count` persons with a small distinct face photo each, inserted in bulk. The face
    check is not run here (G8 measures it); the sync only moves the photo bytes."""
    import hashlib
    import io
    import random

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from PIL import Image

    from gatehouse.core.scoping import tenant_scope
    from gatehouse.people import services as people_services
    from gatehouse.people.models import Category, Person, Photo

    generator = random.Random(5)
    with tenant_scope(enterprise.pk):
        grouping = people_services.default_person_group(group, Category.EMPLOYEE)
        photos = []
        for number in range(count):
            image = Image.new("RGB", (40, 40), tuple(generator.randrange(256) for _ in range(3)))
            image.putpixel((number % 40, number // 40 % 40), (0, 0, 0))
            buffer = io.BytesIO()
            image.save(buffer, "JPEG", quality=80)
            data = buffer.getvalue()
            sha = hashlib.sha256(data).hexdigest()
            path = default_storage.save(
                f"photos/{enterprise.pk}/{sha[:2]}/{sha}.jpg", ContentFile(data)
            )
            photos.append(
                Photo(
                    enterprise_id=enterprise.pk, sha256=sha, file=path, image_format="jpeg",
                    width=40, height=40, byte_size=len(data), embedding=b"", face_box=[],
                )
            )  # fmt: skip
        photos = Photo.objects.bulk_create(photos, batch_size=2000)
        Person.objects.bulk_create(
            [
                Person(
                    enterprise_id=enterprise.pk, personnel_id=str(100000 + n), first_name=f"P{n}",
                    person_group=grouping, group=group, photo=photos[n],
                )
                for n in range(count)
            ],
            batch_size=2000,
        )  # fmt: skip


def _approve_all(enterprise: Any, serials: list[str], dialect: str) -> None:
    from gatehouse.core.actors import Actor
    from gatehouse.core.scoping import platform_scope
    from gatehouse.devices import services

    system = Actor.system("bench")
    with platform_scope():
        for serial in serials:
            device = services.note_contact(serial, driver="zkpush", dialect=dialect)
            services.approve_device(device, actor=system, enterprise=enterprise)


def _confirmed(enterprise: Any) -> int:
    from gatehouse.core.scoping import tenant_scope
    from gatehouse.devices.models import Device, Holding

    with tenant_scope(enterprise.pk):
        # by device: holdings are indexed by (device, state), not by enterprise
        devices = Device.objects.values("pk")
        confirmed = Holding.objects.filter(device__in=devices, state=Holding.State.CONFIRMED)
        return int(confirmed.count())


@contextlib.contextmanager
def _collector_pauses() -> Iterator[list[float]]:
    """The durations of this process's garbage collections while inside."""
    pauses: list[float] = []
    started: list[float] = []

    def note(phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            started.append(time.perf_counter())
        elif started:
            pauses.append(time.perf_counter() - started.pop())

    gc.callbacks.append(note)
    try:
        yield pauses
    finally:
        gc.callbacks.remove(note)


async def _run_fleet_until(fleet: Any, stop: asyncio.Event, done: Any, limit: float) -> float:
    """Run the fleet until `done()` is true (checked every second); returns seconds taken."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    runner = asyncio.create_task(fleet.run(stop))
    try:
        while loop.time() - began < limit:
            await asyncio.sleep(1.0)
            if await asyncio.to_thread(done):
                return loop.time() - began
        raise RuntimeError(f"not finished within {limit} s")
    finally:
        stop.set()
        await runner


def g5_sync() -> list[Result]:
    from gatehouse_sim.fleet import DeviceOptions, Fleet

    _django()
    persons = env_int("BENCH_G5_PERSONS", 10_000)
    count = env_int("BENCH_G5_DEVICES", 100)
    poll = 1.0
    enterprise, group = _bench_enterprise("bench-g5")
    _persons_with_faces(enterprise, group, persons)
    serials = [f"BENCH-G5-{n:04d}" for n in range(count)]
    _approve_all(enterprise, serials, "acc")
    expected = count * (1 + 3 * persons)  # time zone, then user, rights and face per person
    limit = float(env_int("BENCH_G5_LIMIT", 1800))
    options = DeviceOptions(poll_interval=poll, max_users=max(persons * 2, 10_000))
    with _server(_workers()) as base:
        pid = _server_pid(base)

        async def phases() -> tuple[float, float, float, float, dict[str, Any]]:
            fleet = Fleet(base, serials, "acc", options=options)
            for device in fleet.devices:
                device.follow_server_delays = False
            cpu_before = _process_tree_cpu(pid)
            seconds = await _run_fleet_until(
                fleet, asyncio.Event(), lambda: _confirmed(enterprise) >= expected, limit
            )
            sync_cpu = _process_tree_cpu(pid) - cpu_before
            # The simulated fleet now keeps 3 million records in this one process, where a
            # real fleet is a hundred devices: freezing them keeps the collector from stopping
            # all devices for seconds while the change is timed (the pauses that remain are
            # reported).
            gc.collect()
            gc.freeze()
            try:
                with _collector_pauses() as pauses:
                    latency, idle_cpu, change = await _one_change(fleet, enterprise, pid, poll)
            finally:
                gc.unfreeze()
            change["simulator_gc_pause_max_s"] = round(max(pauses, default=0.0), 3)
            await fleet.aclose()
            return seconds, sync_cpu, latency, idle_cpu, change

        with _analyzed_while_running():
            seconds, sync_cpu, latency, idle_cpu, change = asyncio.run(phases())
    idle = Result(
        name="devices.g5.idle_polling_cpu",
        figure=idle_cpu,
        unit="s",
        note=f"server CPU while the same {count} devices poll for 10 s with nothing to do",
    )
    return [
        idle,
        Result(
            name="devices.g5.sync_server_cpu",
            figure=sync_cpu,
            unit="s",
            baseline=idle.name,
            ratio=ratio(sync_cpu, idle_cpu),
            note=f"{persons:,} persons with a face x {count} devices; goal <= 60 s",
            details={"wall_seconds": round(seconds, 1), "items_confirmed": expected},
        ),
        Result(
            name="devices.g5.one_change_latency",
            figure=latency,
            unit="s",
            baseline=f"poll interval {poll} s",
            ratio=ratio(latency, poll),
            note="one changed person on every device; goal <= poll interval + 1 s",
            details=change,
        ),
    ]


async def _one_change(
    fleet: Any, enterprise: Any, pid: int, poll: float
) -> tuple[float, float, dict[str, Any]]:
    """(seconds from saving a changed name until every device holds it, server CPU of 10 s
    idle polling, the server's side of the change: how long the save took and when the
    last device was handed the command and answered it)."""
    from django.db.models import Count, Max
    from django.utils import timezone

    from gatehouse.core.actors import Actor
    from gatehouse.core.scoping import tenant_scope
    from gatehouse.devices.models import DeviceCommand
    from gatehouse.people import services as people_services
    from gatehouse.people.models import Person

    loop = asyncio.get_running_loop()

    def change(name: str) -> str:
        with tenant_scope(enterprise.pk):
            person = Person.objects.order_by("pk").first()
            assert person is not None
            people_services.update_person(person, actor=Actor.system("bench"), first_name=name)
            return str(person.personnel_id)

    async def changed(name: str) -> tuple[float, float]:
        """(seconds from the save until every device holds `name`, seconds the save took)"""
        began = loop.time()
        pin = await asyncio.to_thread(change, name)
        saved = loop.time() - began
        while loop.time() - began < 60:
            if all(_holds_name(device, pin, name) for device in fleet.devices):
                return loop.time() - began, saved
            await asyncio.sleep(0.05)
        raise RuntimeError(f"{name} did not reach every device within 60 s")

    def server_side(started: Any) -> dict[str, Any]:
        with tenant_scope(enterprise.pk):
            commands = DeviceCommand.objects.filter(operation="user.put", created_at__gte=started)
            figures = commands.aggregate(
                count=Count("pk"), sent=Max("sent_at"), answered=Max("finished_at")
            )
        return {
            "commands": figures["count"],
            "last_sent_after_s": _seconds_since(started, figures["sent"]),
            "last_answered_after_s": _seconds_since(started, figures["answered"]),
        }

    stop = asyncio.Event()
    runner = asyncio.create_task(fleet.run(stop))
    try:
        await asyncio.sleep(3 * poll)
        # A first change warms this process's save (imports, caches), as a server process
        # that saves persons all day is warm; only the second one is timed.
        stamp = f"{timezone.now():%H%M%S}"  # new names each run (the fleet may be reused)
        await changed(f"Warmup{stamp}")
        await asyncio.sleep(2 * poll)
        cpu_before = _process_tree_cpu(pid)
        await asyncio.sleep(10)
        idle_cpu = _process_tree_cpu(pid) - cpu_before
        started = timezone.now()
        try:
            latency, saved = await changed(f"Changed{stamp}")
        except RuntimeError as error:
            figures = await asyncio.to_thread(server_side, started)
            raise RuntimeError(f"{error}: {figures}") from None
        details = {"save_s": round(saved, 3), **await asyncio.to_thread(server_side, started)}
        return latency, idle_cpu, details
    finally:
        stop.set()
        await runner


def _holds_name(device: Any, pin: str, name: str) -> bool:
    user = device.state.users.get(pin)
    return user is not None and user.name.startswith(name)


def _seconds_since(start: Any, end: Any) -> float | None:
    return None if end is None else round((end - start).total_seconds(), 3)


def _work_left(enterprise: Any) -> int:
    """Open commands and pending sync requests of the enterprise's devices (a device whose
    first sync still waits for its group's turn has no command yet)."""
    from gatehouse.core.scoping import tenant_scope
    from gatehouse.devices.models import Device, DeviceCommand, SyncRequest

    with tenant_scope(enterprise.pk):
        commands = DeviceCommand.objects.filter(state__in=DeviceCommand.OPEN_STATES).count()
        devices = Device.objects.values("pk")
        return int(commands + SyncRequest.objects.filter(device__in=devices).count())


def scale() -> list[Result]:
    """1,000 devices polling every 5 s: the server's share of the machine."""
    from gatehouse_sim.fleet import DeviceOptions, Fleet

    _django()
    from gatehouse.devices.commands import IDLE_RECHECK

    count = env_int("BENCH_SCALE_DEVICES", 1000)
    poll = 5.0
    # the window spans a whole idle recheck, so each device's periodic full poll is in it
    window = float(env_int("BENCH_SCALE_SECONDS", IDLE_RECHECK + 30))
    enterprise, _group = _bench_enterprise("bench-scale")
    serials = [f"BENCH-SCALE-{n:04d}" for n in range(count)]
    _approve_all(enterprise, serials, "acc")
    cores = os.cpu_count() or 1
    with _server(_workers()) as base:
        pid = _server_pid(base)
        cpu_before = _process_tree_cpu(pid)
        time.sleep(window / 3)
        idle_share = (_process_tree_cpu(pid) - cpu_before) / (window / 3) / cores
        fleet = Fleet(base, serials, "acc", options=DeviceOptions(poll_interval=poll))
        for device in fleet.devices:
            device.follow_server_delays = False

        async def measure() -> tuple[float, float]:
            """(server CPU seconds in the window, seconds until the fleet was settled)"""
            stop = asyncio.Event()
            runner = asyncio.create_task(fleet.run(stop))
            # steady state: every device registered, synced, and nothing left to send
            loop = asyncio.get_running_loop()
            began = loop.time()
            try:
                while not (
                    all(d.registered for d in fleet.devices)
                    and not await asyncio.to_thread(_work_left, enterprise)
                ):
                    if loop.time() - began > 600:
                        raise RuntimeError("the fleet did not settle within 600 s")
                    await asyncio.sleep(2.0)
                settled = loop.time() - began
                await asyncio.sleep(2 * poll)
                before = _process_tree_cpu(pid)
                await asyncio.sleep(window)
                return _process_tree_cpu(pid) - before, settled
            finally:
                stop.set()
                await runner
                await fleet.aclose()

        used, settled = asyncio.run(measure())
    share = used / window / cores
    idle = Result(
        name="devices.scale.idle_server_share",
        figure=idle_share * 100,
        unit="% of machine",
        note="the same server with no device",
    )
    return [
        idle,
        Result(
            name="devices.scale.server_share",
            figure=share * 100,
            unit="% of machine",
            baseline=idle.name,
            ratio=ratio(share, idle_share),
            note=f"{count} devices polling every {poll:.0f} s; goal <= 10%",
            details={
                "cpu_seconds": round(used, 2),
                "window_seconds": window,
                "cores": cores,
                "settled_after_s": round(settled, 1),
            },
        ),
    ]


PARTS = {"g1": g1_single_events, "g2": g2_backlog, "g5": g5_sync, "scale": scale}


def run() -> list[Result]:
    return [result for part in PARTS.values() for result in part()]

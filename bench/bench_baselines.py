"""Baselines the goal benchmarks are measured against (DESIGN.md, Performance goals).

- bare ASGI requests/s: a minimal ASGI app (bench/asgi_hello.py) under uvicorn;
- bare Django requests/s: `gatehouse.asgi:application` under uvicorn, GET /healthz through the
  whole production middleware stack; ratio to bare ASGI;
- PostgreSQL COPY rows/s into an event-shaped table; ratio to executemany INSERT rows/s;
- Redis publish -> subscribe round trip p50/p99; ratio to the PING round trip.

Knobs (environment): BENCH_HTTP_SECONDS (5), BENCH_HTTP_CONNECTIONS (32), BENCH_COPY_ROWS
(200000), BENCH_INSERT_ROWS (20000), BENCH_REDIS_MESSAGES (2000).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx

from common import (
    BENCH_DIR,
    REPO_ROOT,
    LoadResult,
    Result,
    env_float,
    env_int,
    http_load,
    percentile,
    ratio,
    uvicorn_server,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/gatehouse"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"

EVENT_TABLE = """
CREATE TEMP TABLE bench_event (
    id bigserial PRIMARY KEY,
    enterprise_id integer NOT NULL,
    device_id integer NOT NULL,
    occurred_at timestamptz NOT NULL,
    event_code smallint NOT NULL,
    person_pin text NOT NULL,
    door integer NOT NULL,
    verify_mode smallint NOT NULL,
    payload jsonb NOT NULL
)
"""
EVENT_COLUMNS = (
    "enterprise_id, device_id, occurred_at, event_code, person_pin, door, verify_mode, payload"
)
EventRow = tuple[int, int, datetime, int, str, int, int, str]


# ------------------------------------------------------------------------------------ HTTP


def _load(url: str) -> LoadResult:
    return http_load(
        url,
        connections=env_int("BENCH_HTTP_CONNECTIONS", 32),
        seconds=env_float("BENCH_HTTP_SECONDS", 5.0),
    )


def _http_details(load: LoadResult) -> dict[str, object]:
    return {
        "requests": load.requests,
        "seconds": round(load.seconds, 3),
        "errors": load.errors,
        "tool": load.tool,
        "latency_p50_ms": load.latency_p50_ms,
        "latency_p99_ms": load.latency_p99_ms,
    }


def bare_asgi() -> Result:
    with uvicorn_server("asgi_hello:app", app_dir=BENCH_DIR) as base_url:
        check = httpx.get(base_url + "/", timeout=5.0)
        if check.status_code != 200 or check.text != "ok":
            raise RuntimeError(f"bare ASGI app answered {check.status_code}")
        load = _load(base_url + "/")
    return Result(
        name="http.bare_asgi",
        figure=load.per_second,
        unit="req/s",
        note="raw ASGI app, uvicorn, 1 process",
        details=_http_details(load),
    )


def _django_env() -> dict[str, str]:
    env = {"DJANGO_SETTINGS_MODULE": "gatehouse.settings", "LOG_LEVEL": "WARNING"}
    if os.environ.get("DATABASE_URL"):
        env["GATEHOUSE_EMBEDDED"] = "false"
    return env


def _migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "--noinput", "--verbosity", "0"],
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        check=True,
        timeout=600,
    )


def bare_django(asgi: Result) -> Result:
    env = _django_env()
    _migrate(env)
    with uvicorn_server("gatehouse.asgi:application", env=env, probe_path="/healthz") as base:
        check = httpx.get(base + "/healthz", timeout=5.0)
        if check.status_code == 200 and check.text == "ok":
            path, note = "/healthz", "GET /healthz through the production middleware"
        else:
            # Before /healthz existed the harness measured the console's login redirect.
            path = "/"
            note = f"/healthz answered {check.status_code}; measured GET / ({check.status_code})"
        load = _load(base + path)
    database = "PostgreSQL" if os.environ.get("DATABASE_URL") else "SQLite"
    return Result(
        name="http.bare_django",
        figure=load.per_second,
        unit="req/s",
        baseline=asgi.name,
        ratio=ratio(load.per_second, asgi.figure),
        note=f"{note}, uvicorn, 1 process, {database}",
        details=_http_details(load),
    )


# ------------------------------------------------------------------------------ PostgreSQL


def _event_rows(count: int, seed: int) -> list[EventRow]:
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows: list[EventRow] = []
    for i in range(count):
        payload = json.dumps(
            {"card": f"{rng.randrange(10**9):09d}", "temp": round(36 + rng.random(), 1)}
        )
        rows.append(
            (
                rng.randrange(1, 50),
                rng.randrange(1, 2000),
                start + timedelta(milliseconds=i * 37),
                rng.choice((0, 1, 8, 20, 27, 41)),
                str(rng.randrange(1, 100_000)),
                rng.randrange(1, 5),
                rng.choice((1, 4, 15, 25)),
                payload,
            )
        )
    return rows


def _timed(action: Callable[[], None]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def postgres_copy() -> list[Result]:
    import psycopg

    url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    copy_rows = _event_rows(env_int("BENCH_COPY_ROWS", 200_000), seed=1)
    insert_rows = _event_rows(env_int("BENCH_INSERT_ROWS", 20_000), seed=2)
    with psycopg.connect(url, connect_timeout=10) as conn:
        conn.execute("SET statement_timeout = '300s'")
        conn.execute(EVENT_TABLE)
        conn.commit()

        def do_copy() -> None:
            with (
                conn.cursor() as cur,
                cur.copy(f"COPY bench_event ({EVENT_COLUMNS}) FROM STDIN") as copy,
            ):
                for row in copy_rows:
                    copy.write_row(row)
            conn.commit()

        def do_insert() -> None:
            with conn.cursor() as cur:
                cur.executemany(
                    f"INSERT INTO bench_event ({EVENT_COLUMNS}) "  # noqa: S608 (constant SQL)
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s::jsonb)",
                    insert_rows,
                )
            conn.commit()

        insert_seconds = _timed(do_insert)
        conn.execute("TRUNCATE bench_event")
        conn.commit()
        copy_seconds = _timed(do_copy)
        row = conn.execute("SELECT count(*) FROM bench_event").fetchone()
        stored = row[0] if row else 0
        if stored != len(copy_rows):
            raise RuntimeError(f"COPY stored {stored} rows, expected {len(copy_rows)}")
        server = conn.info.server_version
    insert_rate = len(insert_rows) / insert_seconds
    copy_rate = len(copy_rows) / copy_seconds
    insert = Result(
        name="pg.insert_executemany",
        figure=insert_rate,
        unit="rows/s",
        note=f"{len(insert_rows):,} rows, psycopg executemany, one commit",
        details={"rows": len(insert_rows), "seconds": round(insert_seconds, 3)},
    )
    copy = Result(
        name="pg.copy",
        figure=copy_rate,
        unit="rows/s",
        baseline=insert.name,
        ratio=ratio(copy_rate, insert_rate),
        note=f"{len(copy_rows):,} rows, COPY FROM STDIN (write_row), temp table",
        details={"rows": len(copy_rows), "seconds": round(copy_seconds, 3), "server": server},
    )
    return [insert, copy]


# ----------------------------------------------------------------------------------- Redis


async def _redis_round_trips(url: str, messages: int, time_limit: float) -> dict[str, list[float]]:
    import redis.asyncio as aioredis

    channel = f"gatehouse-bench-{os.getpid()}"
    publisher = aioredis.Redis.from_url(url)
    subscriber = aioredis.Redis.from_url(url)
    pubsub = subscriber.pubsub()
    ping: list[float] = []
    pubsub_rtt: list[float] = []
    try:
        await pubsub.subscribe(channel)
        confirmed = await pubsub.get_message(timeout=5.0)
        if not confirmed or confirmed.get("type") != "subscribe":
            raise RuntimeError(f"no subscribe confirmation from Redis: {confirmed!r}")
        deadline = time.perf_counter() + time_limit
        for _ in range(messages):
            if time.perf_counter() > deadline:
                break
            sent = time.perf_counter()
            await publisher.ping()
            ping.append(time.perf_counter() - sent)
        for i in range(messages):
            if time.perf_counter() > deadline:
                break
            body = str(i).encode()
            sent = time.perf_counter()
            await publisher.publish(channel, body)
            while True:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=2.0)
                if message is None:
                    raise RuntimeError(f"message {i} not delivered within 2 s")
                if message["data"] == body:
                    break
            pubsub_rtt.append(time.perf_counter() - sent)
        await pubsub.unsubscribe(channel)
    finally:
        await pubsub.aclose()  # type: ignore[no-untyped-call]
        await publisher.aclose()
        await subscriber.aclose()
    return {"ping": ping, "pubsub": pubsub_rtt}


def redis_pubsub() -> list[Result]:
    url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    messages = env_int("BENCH_REDIS_MESSAGES", 2_000)
    samples = asyncio.run(_redis_round_trips(url, messages, time_limit=60.0))
    ping, pubsub = samples["ping"], samples["pubsub"]
    if not ping or not pubsub:
        raise RuntimeError("no Redis round trip measured")
    results: list[Result] = []
    for pct in (50, 99):
        ping_ms = percentile(ping, pct) * 1000
        pubsub_ms = percentile(pubsub, pct) * 1000
        baseline = Result(
            name=f"redis.ping_p{pct}",
            figure=ping_ms,
            unit="ms",
            note=f"PING round trip, {len(ping):,} samples, redis-py asyncio",
        )
        results.append(baseline)
        results.append(
            Result(
                name=f"redis.pubsub_p{pct}",
                figure=pubsub_ms,
                unit="ms",
                baseline=baseline.name,
                ratio=ratio(pubsub_ms, ping_ms),
                note=f"PUBLISH -> subscriber receives, {len(pubsub):,} messages, one at a time",
            )
        )
    return results


# ------------------------------------------------------------------------------------ entry


def http_baselines() -> list[Result]:
    asgi = bare_asgi()
    return [asgi, bare_django(asgi)]


# Parts run.py can select one by one (`bench/run.py baselines.pg`); a failing part does not
# stop the others.
PARTS: dict[str, Callable[[], list[Result]]] = {
    "http": http_baselines,
    "pg": postgres_copy,
    "redis": redis_pubsub,
}


def run() -> list[Result]:
    return [result for part in PARTS.values() for result in part()]

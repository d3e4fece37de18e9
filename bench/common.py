"""Shared pieces of the benchmarks: the Result record, servers on loopback, the load generator.

Rules every benchmark follows (DESIGN.md, Performance goals): it measures its baseline in the
same run and reports `figure` and `ratio`; every loop is bounded in count and in time; traffic
goes to 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
LOOPBACK = "127.0.0.1"


@dataclass
class Result:
    """One measured figure. A baseline has `baseline=None` and `ratio=None`."""

    name: str
    figure: float
    unit: str
    baseline: str | None = None
    ratio: float | None = None
    note: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def ratio(figure: float, baseline: float) -> float | None:
    return figure / baseline if baseline else None


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    return int(raw) if raw.strip() else default


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "")
    return float(raw) if raw.strip() else default


def percentile(samples: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0..100) of a non-empty sample."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(samples: Sequence[float]) -> float:
    return statistics.median(samples)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def venv_bin(name: str) -> str:
    """An executable next to this interpreter (the project's .venv), else from PATH."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} not found")
    return found


# ------------------------------------------------------------------------------ ASGI servers


@contextlib.contextmanager
def uvicorn_server(
    app: str,
    *,
    app_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
    probe_path: str = "/",
    startup_timeout: float = 60.0,
) -> Iterator[str]:
    """Serve `app` with uvicorn (one process, the options `gatehouse serve` uses) on a free
    loopback port; yield the base URL; stop the server afterwards."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        LOOPBACK,
        "--port",
        str(port),
        "--lifespan",
        "off",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    if app_dir is not None:
        command += ["--app-dir", str(app_dir)]
    process_env = {**os.environ, **(env or {})}
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=process_env)
    base_url = f"http://{LOOPBACK}:{port}"
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"uvicorn {app} exited with {process.returncode}")
            try:
                httpx.get(base_url + probe_path, timeout=2.0)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"uvicorn {app} did not start in time") from None
                time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


# ---------------------------------------------------------------------------- load generator


@dataclass
class LoadResult:
    requests: int
    seconds: float
    errors: int
    tool: str
    latency_p50_ms: float | None = None
    latency_p99_ms: float | None = None

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _wrk_seconds(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if not match:
        raise ValueError(value)
    number, unit = float(match.group(1)), match.group(2)
    return number * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def _run_wrk(url: str, *, connections: int, seconds: float) -> LoadResult:
    wrk = shutil.which("wrk")
    assert wrk is not None
    completed = subprocess.run(
        [
            wrk,
            "--threads",
            "1",
            "--connections",
            str(connections),
            "--duration",
            f"{max(1, round(seconds))}s",
            "--timeout",
            "5s",
            "--latency",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    )
    out = completed.stdout
    total = re.search(r"(\d+) requests in ([\d.]+\w+),", out)
    if total is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    errors = 0
    non_ok = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non_ok:
        errors += int(non_ok.group(1))
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    if socket_errors:
        errors += sum(int(g) for g in socket_errors.groups())
    latencies = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)$", out, flags=re.MULTILINE))
    return LoadResult(
        requests=int(total.group(1)),
        seconds=_wrk_seconds(total.group(2)),
        errors=errors,
        tool=f"wrk 1 thread, {connections} connections",
        latency_p50_ms=_wrk_seconds(latencies["50"]) * 1000 if "50" in latencies else None,
        latency_p99_ms=_wrk_seconds(latencies["99"]) * 1000 if "99" in latencies else None,
    )


async def _run_httpx(
    url: str, *, connections: int, seconds: float, max_requests: int, ok_status: int
) -> LoadResult:
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=5.0) as client:
        start = time.perf_counter()
        deadline = start + seconds

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline and len(latencies) + errors < max_requests:
                sent = time.perf_counter()
                try:
                    response = await client.get(url)
                except httpx.HTTPError:
                    errors += 1
                    continue
                if response.status_code == ok_status:
                    latencies.append(time.perf_counter() - sent)
                else:
                    errors += 1

        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - start
    return LoadResult(
        requests=len(latencies) + errors,
        seconds=elapsed,
        errors=errors,
        tool=f"httpx asyncio, {connections} concurrent",
        latency_p50_ms=percentile(latencies, 50) * 1000 if latencies else None,
        latency_p99_ms=percentile(latencies, 99) * 1000 if latencies else None,
    )


def http_load(
    url: str,
    *,
    connections: int = 32,
    seconds: float = 5.0,
    max_requests: int = 1_000_000,
    ok_status: int = 200,
) -> LoadResult:
    """GET `url` (loopback only) as fast as possible for `seconds`: wrk when installed (it
    counts any 2xx/3xx as success), else an asyncio httpx client (bounded by count and time)."""
    if not url.startswith(f"http://{LOOPBACK}:"):
        raise ValueError("load is only ever sent to 127.0.0.1")
    if shutil.which("wrk") and not os.environ.get("BENCH_NO_WRK"):
        return _run_wrk(url, connections=connections, seconds=seconds)
    return asyncio.run(
        _run_httpx(
            url,
            connections=connections,
            seconds=seconds,
            max_requests=max_requests,
            ok_status=ok_status,
        )
    )

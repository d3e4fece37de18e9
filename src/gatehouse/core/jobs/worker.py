"""Job workers: `gatehouse worker` (production, its own process, any number of them on any
number of machines) and the embedded worker inside `gatehouse run`.

Both run django-tasks-db's `Worker` loop (which claims task rows with SELECT ... FOR UPDATE
SKIP LOCKED, or an exclusive transaction on SQLite) plus the scheduler tick. Each thread has its
own database connection and closes it when it stops.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import socket
import threading
from types import FrameType

from django.db import close_old_connections, connections
from django.utils.crypto import get_random_string
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS
from django_tasks_db.management.commands.db_worker import Worker

from gatehouse.core.jobs.registry import autodiscover
from gatehouse.core.jobs.runtime import abandon_running_jobs
from gatehouse.core.jobs.scheduler import tick

logger = logging.getLogger(__name__)

POLL_INTERVAL = 1.0  # seconds between looks at an empty queue
EMBEDDED_POLL_INTERVAL = 0.5
SCHEDULER_INTERVAL = 5.0  # seconds between scheduler ticks
EMBEDDED_STOP_TIMEOUT = 30.0


def make_worker(
    *, interval: float = POLL_INTERVAL, batch: bool = False, max_tasks: int | None = None
) -> Worker:
    worker_id = f"{socket.gethostname()}-{os.getpid()}-{get_random_string(8)}"[-64:]
    return Worker(
        queue_names=["*"],
        interval=interval,
        batch=batch,
        backend_name=DEFAULT_TASK_BACKEND_ALIAS,
        startup_delay=not batch,
        max_tasks=max_tasks,
        worker_id=worker_id,
        excluded_queue_names=[],
    )


def run_pending(*, max_tasks: int | None = None) -> int:
    """Run the tasks that are ready now, in this thread, and return how many ran (the real
    worker loop in batch mode; used by tests and one-off maintenance)."""
    autodiscover()
    worker = make_worker(interval=0, batch=True, max_tasks=max_tasks)
    worker.run()
    return int(worker._run_tasks)


class WorkerPool:
    """N worker loops and one scheduler loop, each in its own thread."""

    def __init__(
        self,
        threads: int,
        *,
        interval: float = POLL_INTERVAL,
        scheduler_interval: float = SCHEDULER_INTERVAL,
    ) -> None:
        self.stopping = threading.Event()
        self.scheduler_interval = scheduler_interval
        self.workers = [make_worker(interval=interval) for _ in range(max(1, threads))]
        self.threads: list[threading.Thread] = []

    def start(self, *, daemon: bool = True) -> None:
        autodiscover()
        for number, worker in enumerate(self.workers, start=1):
            self.threads.append(
                threading.Thread(
                    target=self._work,
                    args=(worker,),
                    name=f"gatehouse-worker-{number}",
                    daemon=daemon,
                )
            )
        self.threads.append(
            threading.Thread(target=self._schedule, name="gatehouse-scheduler", daemon=daemon)
        )
        for thread in self.threads:
            thread.start()

    def _work(self, worker: Worker) -> None:
        try:
            while not self.stopping.is_set():
                try:
                    worker.run()  # returns once worker.running is cleared
                except Exception:
                    logger.exception("the worker loop failed; restarting it in 5 s")
                    self.stopping.wait(5)
        finally:
            connections.close_all()

    def _schedule(self) -> None:
        try:
            while not self.stopping.is_set():
                try:
                    close_old_connections()
                    tick()
                except Exception:
                    logger.exception("the scheduler tick failed")
                finally:
                    close_old_connections()
                self.stopping.wait(self.scheduler_interval)
        finally:
            connections.close_all()

    def request_stop(self) -> None:
        """Stop taking new tasks; a running job finishes first."""
        self.stopping.set()
        for worker in self.workers:
            worker.running = False

    def join(self, timeout: float | None = None) -> bool:
        for thread in self.threads:
            thread.join(timeout)
        return not any(thread.is_alive() for thread in self.threads)

    def stop(self, timeout: float | None = None) -> bool:
        """Stop and wait up to `timeout` for running jobs; jobs still running then are
        marked failed (the process is about to end under them)."""
        self.request_stop()
        stopped = self.join(timeout)
        if not stopped:
            abandon_running_jobs()
        return stopped


def run_worker(threads: int = 1) -> int:
    """`gatehouse worker`: run until SIGTERM or SIGINT, then let running jobs finish. A second
    signal stops at once and marks the interrupted jobs failed."""
    pool = WorkerPool(threads)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if pool.stopping.is_set():
            logger.warning("Received %s again: stopping now.", signal.strsignal(signum))
            abandon_running_jobs()
            logging.shutdown()
            # "Now" means now: no waiting for job threads or exit handlers.
            os._exit(1)
        logger.warning(
            "Received %s: finishing running jobs, then stopping (send it again to stop now).",
            signal.strsignal(signum),
        )
        pool.request_stop()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        pool.start(daemon=True)
        logger.info("Gatehouse worker started with %d thread(s).", len(pool.workers))
        while not pool.stopping.wait(1.0):
            pass
        while not pool.join(timeout=1.0):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        connections.close_all()
    logger.info("Gatehouse worker stopped.")
    return 0


_embedded: WorkerPool | None = None
_embedded_lock = threading.Lock()


def start_embedded_worker() -> None:
    """`gatehouse run`: one worker loop and the scheduler in daemon threads of the server
    process. At interpreter exit they stop taking work and get a while to finish a job. On
    SQLite, writers are serialised by the database settings (WAL, immediate transactions,
    busy timeout)."""
    global _embedded  # noqa: PLW0603 - one embedded worker per process
    with _embedded_lock:
        if _embedded is not None:
            return
        pool = WorkerPool(1, interval=EMBEDDED_POLL_INTERVAL)
        pool.start(daemon=True)
        atexit.register(pool.stop, EMBEDDED_STOP_TIMEOUT)
        _embedded = pool


def stop_embedded_worker(timeout: float | None = EMBEDDED_STOP_TIMEOUT) -> bool:
    global _embedded
    with _embedded_lock:
        pool, _embedded = _embedded, None
    return True if pool is None else pool.stop(timeout)

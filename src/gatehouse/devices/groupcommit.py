"""Group commit for device uploads: concurrent requests hand their rows to one writer, which
stores them in one transaction, then every request gets its answer. Each device still hears
`OK` only after its rows are committed (DESIGN rule 7), but a thousand single-event requests
a second cost tens of transactions, not a thousand.

Leader/follower, no extra thread: the first request to arrive writes (after a short window in
which others may join); requests that arrive while it writes wait, and the first of them
writes the next batch."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
# How long a writer waits for others to join. Short against a device's own round trip.
DEFAULT_WINDOW = 0.002
WAIT_LIMIT = 60.0


@dataclass(eq=False)
class _Ticket(Generic[T]):
    item: T
    done: threading.Event = field(default_factory=threading.Event)
    lead: bool = False
    error: BaseException | None = None


class GroupCommit(Generic[T]):
    """`submit(item)` returns once `write(batch)` has stored a batch holding `item` (or raises
    what storing it raised). `write` gets at most `max_items` items; if it raises, each item
    of that batch is written alone so that one bad upload does not fail the others."""

    def __init__(
        self,
        write: Callable[[Sequence[T]], None],
        *,
        window: float = DEFAULT_WINDOW,
        max_items: int = 500,
    ) -> None:
        self._write = write
        self.window = window
        self.max_items = max_items
        self._lock = threading.Lock()
        self._pending: list[_Ticket[T]] = []
        self._writing = False

    def submit(self, item: T) -> None:
        ticket = _Ticket(item)
        with self._lock:
            self._pending.append(ticket)
            ticket.lead = not self._writing
            self._writing = True
        if not ticket.lead:
            if not ticket.done.wait(WAIT_LIMIT):
                raise TimeoutError("the upload was not stored in time")
            if not ticket.lead:
                if ticket.error is not None:
                    raise ticket.error
                return
        self._lead(ticket)
        if ticket.error is not None:
            raise ticket.error

    def _lead(self, own: _Ticket[T]) -> None:
        if self.window:
            time.sleep(self.window)
        with self._lock:
            batch, self._pending = self._pending[: self.max_items], self._pending[self.max_items :]
        try:
            self._store(batch)
        finally:
            with self._lock:
                if self._pending:
                    successor = self._pending[0]
                    successor.lead = True
                    successor.done.set()  # wakes it up as the next writer
                else:
                    self._writing = False
            for ticket in batch:
                if ticket is not own:
                    ticket.lead = False
                    ticket.done.set()

    def _store(self, batch: list[_Ticket[T]]) -> None:
        try:
            self._write([ticket.item for ticket in batch])
        except Exception as exc:
            if len(batch) == 1:
                batch[0].error = exc
                return
            for ticket in batch:
                try:
                    self._write([ticket.item])
                except Exception as single:
                    ticket.error = single

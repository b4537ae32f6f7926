"""The journal's writer: requests hand it entries in constant time; a thread stores them in batches.

``record`` only appends to an in-memory queue; the writer thread stores what is queued every ``interval``
seconds, or as soon as ``batch_size`` entries wait, and everything left on ``close``. If the database is
unavailable a batch is kept and retried; if it refuses what a batch holds, the batch is stored entry by entry and
the entries it refuses dropped (counted); past ``max_pending`` queued entries, or ``max_pending_bytes`` of
them (``queued_bytes``), the oldest are dropped (and counted), so a stalled database never grows a worker's
memory or slows its requests.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from learninggraph.domain.errors import BadRequest, Conflict
from learninggraph.journal.captured import Captured
from learninggraph.journal.entry import JournalEntry
from learninggraph.journal.store import JournalStore, StoredRow

log = logging.getLogger("learninggraph.journal")

# What the request path queues: an entry, or a call that builds it (run in the writer's thread, in a batch,
# where building costs a third of what it does between a request's other steps); a ``Captured`` call the store
# may turn into its row without building the entry (``JournalStore.row_of``).
Recorded = JournalEntry | Callable[[], JournalEntry]

# What a database raises for what a batch holds (a value it cannot store, a broken constraint), as against its
# being unavailable: such a batch is stored entry by entry, the refused ones dropped.
REFUSED = (BadRequest, Conflict)

DEFAULT_BATCH_SIZE = 256
DEFAULT_INTERVAL_SECONDS = 0.05
DEFAULT_MAX_PENDING = 50_000
# Entries carry bodies of up to BODY_LIMIT_BYTES each: 50,000 of them could hold 1.6 GB. Small entries (about a
# kilobyte as counted) never reach this before the count bound; large ones stop at it.
DEFAULT_MAX_PENDING_BYTES = 64 * 1024 * 1024
# What a queued entry is counted as besides its bodies: its other fields, headers and the object itself.
ENTRY_BYTES = 1024


def queued_bytes(item: Recorded) -> int:
    """What ``item`` is counted as in the queue's byte bound: its bodies' bytes (characters, once built) and
    ``ENTRY_BYTES``; a call that builds an entry holds no body the request path has not already counted."""
    if isinstance(item, Captured):
        return ENTRY_BYTES + len(item.request_body) + len(item.response_body)
    if isinstance(item, JournalEntry):
        return ENTRY_BYTES + len(item.request_body.text) + len(item.response_body.text)
    return ENTRY_BYTES


@dataclass(slots=True)
class WriterStats:
    written: int = 0
    dropped: int = 0
    failed_batches: int = 0


class JournalWriter:
    """Stores recorded entries off the request path, in batches, through a ``JournalStore``.

    Give it a ``Database`` of its own where possible: on SQLite a shared one would hold the request
    path's connection lock while a batch is written.
    """

    def __init__(
        self,
        store: JournalStore,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        interval: float = DEFAULT_INTERVAL_SECONDS,
        max_pending: int = DEFAULT_MAX_PENDING,
        max_pending_bytes: int = DEFAULT_MAX_PENDING_BYTES,
    ) -> None:
        self.store = store
        self.batch_size = batch_size
        self.interval = interval
        self.max_pending = max_pending
        self.max_pending_bytes = max_pending_bytes
        self.stats = WriterStats()
        self._queue: deque[Recorded] = deque()
        # The queue's ``queued_bytes``, kept with it under ``_queueing`` (the request path and a batch's thread
        # record while the writer's thread takes batches).
        self._bytes = 0
        self._queueing = threading.Lock()
        self._wake = threading.Event()
        self._closing = False
        # One batch at a time, in queue order, whether the thread or ``flush`` writes it.
        self._writing = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="journal-writer", daemon=True)
        self._thread.start()

    def record(self, entry: Recorded) -> None:
        """Queues ``entry``, or a call that builds it in the writer's thread (redacted when stored); never
        blocks and never raises."""
        queue = self._queue
        with self._queueing:
            queue.append(entry)
            self._bytes += queued_bytes(entry)
            size = len(queue)
            if size > self.max_pending or self._bytes > self.max_pending_bytes:
                self._drop_oldest()
        if size == self.batch_size:
            self._wake.set()

    @property
    def pending(self) -> int:
        return len(self._queue)

    @property
    def pending_bytes(self) -> int:
        """The queued entries' ``queued_bytes``."""
        return self._bytes

    def _drop_oldest(self) -> None:
        """Drops (and counts) the oldest queued entries until both bounds hold; called under ``_queueing``."""
        queue = self._queue
        while queue and (len(queue) > self.max_pending or self._bytes > self.max_pending_bytes):
            self._bytes -= queued_bytes(queue.popleft())
            self.stats.dropped += 1

    def flush(self) -> None:
        """Stores everything queued now, before returning; raises if the database cannot be written (an entry
        it refuses for what it holds is dropped and counted, as the thread does)."""
        with self._writing:
            while self._queue:
                self._write_batch(raise_errors=True)

    def close(self) -> None:
        """Stores what is left and stops the thread; recording after this is not stored."""
        if self._closing:
            return
        self._closing = True
        self._wake.set()
        self._thread.join()
        with self._writing:
            while self._queue and self._write_batch(raise_errors=False):
                pass

    def _run(self) -> None:
        while not self._closing:
            self._wake.wait(self.interval)
            self._wake.clear()
            with self._writing:
                while self._queue and not self._closing:
                    if not self._write_batch(raise_errors=False):
                        break
                    if len(self._queue) < self.batch_size:
                        break

    def _write_batch(self, *, raise_errors: bool) -> bool:
        queue = self._queue
        with self._queueing:
            batch = [queue.popleft() for _ in range(min(len(queue), self.batch_size))]
            self._bytes -= sum(map(queued_bytes, batch))
        items, rows = self._rows(batch)
        try:
            stored = len(self.store.append_rows(rows))
        except REFUSED:
            # The database refused what the batch holds, not the connection: each entry is stored on its own, so
            # one it cannot hold is dropped and the others kept (retrying the batch would refuse it forever).
            one_by_one = self._one_by_one(items, rows, raise_errors=raise_errors)
            if one_by_one is None:
                return False
            stored = one_by_one
        except Exception:
            self._keep(items)
            if raise_errors:
                raise
            log.warning("journal: could not store %d entries; will retry", len(items), exc_info=True)
            return False
        self.stats.written += stored
        return True

    def _one_by_one(self, items: list[Recorded], rows: list[StoredRow], *, raise_errors: bool) -> int | None:
        """Stores each of ``rows`` (of ``items``) alone; one the database refuses is dropped (logged, counted). If
        the database fails otherwise, the entries not stored yet are kept for the next attempt (None returned)."""
        stored = 0
        for done, row in enumerate(rows):
            try:
                stored += len(self.store.append_rows([row]))
            except REFUSED:
                self._count_dropped()
                log.warning("journal: the database refused an entry; dropped", exc_info=True)
            except Exception:
                self.stats.written += stored
                self._keep(items[done:])
                if raise_errors:
                    raise
                log.warning(
                    "journal: could not store %d entries; will retry", len(rows) - done, exc_info=True
                )
                return None
        return stored

    def _count_dropped(self) -> None:
        """Counts an entry dropped by the writer's thread, under the lock the request path counts its own under
        (``_drop_oldest``), so neither count is lost."""
        with self._queueing:
            self.stats.dropped += 1

    def _keep(self, items: list[Recorded]) -> None:
        """Puts ``items`` back for the next attempt, ahead of what came since, within the bounds (the oldest
        dropped)."""
        self.stats.failed_batches += 1
        with self._queueing:
            self._queue.extendleft(reversed(items))
            self._bytes += sum(map(queued_bytes, items))
            self._drop_oldest()

    def _rows(self, items: list[Recorded]) -> tuple[list[Recorded], list[StoredRow]]:
        """The stored rows of ``items``, each entry built (its call run), redacted and encoded in turn, so it is
        freed before the next is built; one that fails is logged and dropped (counted). Returned with the items
        they were built from, in the same order (two lists: a pair an entry would be one more object to track)."""
        rows: list[StoredRow] = []
        failed: set[int] = set()
        for index, item in enumerate(items):
            try:
                rows.append(self.store.row_of(item if isinstance(item, (JournalEntry, Captured)) else item()))
            except Exception:
                failed.add(index)
                self._count_dropped()
                log.exception("journal: could not build an entry")
        if failed:
            items = [item for index, item in enumerate(items) if index not in failed]
        return items, rows

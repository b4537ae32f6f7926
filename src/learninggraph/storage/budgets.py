"""Rate-limit budgets kept in the database, so every process and server on it counts against one limit."""

from __future__ import annotations

import functools
import hashlib
import threading
from collections.abc import Mapping, Sequence

from learninggraph.domain.rate_budget import units_that_fit, wait_after
from learninggraph.storage.database import Database, Row

# How often one process sweeps out keys whose budget is whole again (seconds of its clock).
_SWEEP_EVERY = 60.0


class DatabaseCounterStore:
    """A CounterStore in the ``rate_budgets`` table: one row per key, its theoretical arrival time.

    Keys are stored as their SHA-256, so any key (a client id sent by a caller, say) has a fixed size
    and only characters every database accepts. Times are wall-clock seconds (the servers sharing a database must keep their clocks in step, as NTP
    does). Each claim is one short transaction that locks the key's row, so concurrent claims from any
    number of processes are serialised per key and never spend the same budget twice.
    """

    def __init__(self, database: Database) -> None:
        self._database = database
        # Whether ``waits_alongside`` reads anything: on SQLite a statement is no round trip to save.
        self.reads_alongside = database.dialect != "sqlite"
        self._next_sweep = 0.0
        self._sweep_lock = threading.Lock()

    def longest_waits(
        self,
        groups: Sequence[tuple[tuple[str, ...], float]],
        *,
        now: float,
        window: float,
        pending: Mapping[str, int] | None = None,
    ) -> float:
        """The longest wait over groups of keys, each with its own interval: one statement for all of them.
        ``pending``: units of some keys counted as spent besides what is stored (claims under way)."""
        interval_of = _intervals(groups)
        if not interval_of:
            return 0.0
        with self._database.read() as conn:
            rows = conn.fetch_all(_arrivals_sql(self._database.dialect, len(interval_of)), list(interval_of))
        return _longest_wait(rows, interval_of, _stored_pending(pending), now=now, window=window)

    def waits_alongside(
        self,
        groups: Sequence[tuple[tuple[str, ...], float]],
        *,
        now: float,
        window: float,
        pending: Mapping[str, int] | None = None,
    ) -> WaitsAlongside | None:
        """``longest_waits``'s read, to run inside another statement (one round trip for both); None where it
        would save none (SQLite: no round trips) or there are no keys."""
        if not self.reads_alongside:
            return None
        interval_of = _intervals(groups)
        return WaitsAlongside(interval_of, _stored_pending(pending), now, window) if interval_of else None

    def claim(self, key: str, *, now: float, interval: float, window: float, most: int) -> int:
        self._sweep(now)
        key = _stored(key)
        with self._database.transaction() as conn:
            conn.execute(
                "INSERT INTO rate_budgets (key, arrival) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                (key, now),
            )
            row = conn.fetch_one("SELECT arrival FROM rate_budgets WHERE key = ?", (key,), lock=True)
            arrival = float(row[0]) if row is not None else None
            units = units_that_fit(arrival, now=now, interval=interval, window=window, most=most)
            if units:
                start = now if arrival is None or arrival < now else arrival
                conn.execute(
                    "UPDATE rate_budgets SET arrival = ? WHERE key = ?", (start + units * interval, key)
                )
        return units

    def record(self, key: str, *, now: float, interval: float) -> None:
        """Spends one unit whether or not it fits, in one statement (``CounterStore.record``)."""
        self._sweep(now)
        later = "GREATEST" if self._database.dialect == "postgresql" else "max"
        with self._database.transaction() as conn:
            conn.execute(
                "INSERT INTO rate_budgets (key, arrival) VALUES (?, ?) ON CONFLICT (key) DO UPDATE "
                f"SET arrival = {later}(rate_budgets.arrival, ?) + ?",
                (_stored(key), now + interval, now, interval),
            )

    def _sweep(self, now: float) -> None:
        with self._sweep_lock:
            if now < self._next_sweep:
                return
            self._next_sweep = now + _SWEEP_EVERY
        with self._database.transaction() as conn:
            conn.execute("DELETE FROM rate_budgets WHERE arrival < ?", (now - _SWEEP_EVERY,))


class WaitsAlongside:
    """``DatabaseCounterStore.longest_waits`` read by another statement (PostgreSQL's): that statement, wrapped
    by ``around``, returns each of its rows with two more columns (the keys that have spent and their arrival
    times, as arrays; NULL when none has), which ``rows`` takes off again and reads ``wait`` from. The rows
    are read as the statement reads them, so a limit holds across processes as ``longest_waits``'s."""

    __slots__ = ("_interval_of", "_now", "_pending", "_window", "keys", "read", "wait")

    def __init__(
        self, interval_of: dict[str, float], pending: dict[str, int], now: float, window: float
    ) -> None:
        self._interval_of = interval_of
        self._pending = pending
        self._now = now
        self._window = window
        self.keys = list(interval_of)
        # Whether ``rows`` saw a row (a statement that returns none reads no budgets).
        self.read = False
        self.wait = 0.0

    def around(self, sql: str) -> str:
        """``sql``'s statement with the keys' arrival times; its parameters come first, then ``keys``."""
        return _around(sql, len(self.keys))

    def rows(self, rows: list[Row]) -> list[Row]:
        """The rows of the wrapped statement as its own; ``wait`` and ``read`` set from them."""
        if not rows:
            return rows
        self.read = True
        keys, arrivals = rows[0][-2], rows[0][-1]
        if keys or self._pending:
            self.wait = _longest_wait(
                list(zip(keys or (), arrivals or (), strict=True)),
                self._interval_of,
                self._pending,
                now=self._now,
                window=self._window,
            )
        return [row[:-2] for row in rows]


def _intervals(groups: Sequence[tuple[tuple[str, ...], float]]) -> dict[str, float]:
    """Each stored key with the longest interval of the groups it is in."""
    interval_of: dict[str, float] = {}
    for keys, interval in groups:
        for key in keys:
            stored = _stored(key)
            interval_of[stored] = max(interval, interval_of.get(stored, 0.0))
    return interval_of


def _longest_wait(
    rows: Sequence[Row], interval_of: dict[str, float], pending: dict[str, int], *, now: float, window: float
) -> float:
    if not rows and not pending:  # no key has spent: every budget is whole (the common case)
        return 0.0
    arrival_of: dict[str, float | None] = dict.fromkeys(pending)
    arrival_of.update((key, None if arrival is None else float(arrival)) for key, arrival in rows)
    return max(
        (
            wait_after(
                arrival, now=now, interval=interval_of[key], window=window, pending=pending.get(key, 0)
            )
            for key, arrival in arrival_of.items()
            if key in interval_of
        ),
        default=0.0,
    )


def _stored_pending(pending: Mapping[str, int] | None) -> dict[str, int]:
    """``pending``'s keys as stored, those with units pending."""
    return {_stored(key): units for key, units in pending.items() if units} if pending else {}


def _stored(key: str) -> str:
    """The key as stored: its SHA-256, kept for the short keys in use (every sign-in asks for three or more).
    A long key is hashed each time and not kept: a sign-in's keys hold the form's client id, asked about
    before anything in the form is checked, so a long one is anyone's."""
    return _kept_digest(key) if len(key) <= _LONGEST_KEPT_KEY else _digest(key)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


# A key of a client id (a GUID), an address and its kind's prefix is about 110 characters.
_LONGEST_KEPT_KEY = 256
_kept_digest = functools.lru_cache(maxsize=4096)(_digest)


@functools.lru_cache(maxsize=16)
def _arrivals_sql(dialect: str, keys: int) -> str:
    """The rows of ``keys`` distinct keys. SQLite runs ``key IN (...)`` by filling an ephemeral index with the
    list first (a b-tree opened and zeroed each time), so there each key is a SELECT of its own, one index search
    each, in one statement."""
    if dialect == "sqlite":
        return " UNION ALL ".join(["SELECT key, arrival FROM rate_budgets WHERE key = ?"] * keys)
    return f"SELECT key, arrival FROM rate_budgets WHERE key IN ({', '.join('?' * keys)})"


@functools.lru_cache(maxsize=64)
def _around(sql: str, keys: int) -> str:
    return (
        f"SELECT q.*, b.keys, b.arrivals FROM ({sql}) q CROSS JOIN (SELECT array_agg(key ORDER BY key) AS keys,"
        " array_agg(arrival ORDER BY key) AS arrivals"
        f" FROM rate_budgets WHERE key IN ({', '.join('?' * keys)})) b"
    )

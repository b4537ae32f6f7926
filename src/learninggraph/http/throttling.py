"""Rate limits: Graph request budgets per app and per user, and the token endpoint's failed-login budget."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from learninggraph.domain.errors import Explanation, TooManyRequests, retry_after_message
from learninggraph.domain.principal import Principal
from learninggraph.domain.rate_budget import units_that_fit, wait_after
from learninggraph.storage.budgets import DatabaseCounterStore, WaitsAlongside

Clock = Callable[[], float]

# Idle keys dropped per call: more than one insertion's worth, so the store cannot outgrow its traffic.
_EVICTIONS_PER_CALL = 2
# Leases kept before the expired ones are swept out.
_MAX_LEASES = 10_000


class CounterStore(Protocol):
    """Where budgets live, as one number per key: the key's theoretical arrival time (GCRA).

    A budget of ``limit`` per ``window`` seconds spends ``interval = window / limit`` seconds of
    "time credit" per unit; a key may run up to ``window`` seconds ahead of ``now`` (the arithmetic is
    ``domain.rate_budget``'s). Each method is one atomic step, so a store shared by several processes can
    implement it as one short transaction (the database's, ``storage.budgets``: insert the key if new, read
    its row under a lock, write the new arrival time) and the limiters above it do not change.
    """

    def claim(self, key: str, *, now: float, interval: float, window: float, most: int) -> int:
        """Spends as many units as fit now, up to ``most``; returns how many it spent (0: none fit)."""
        ...

    def record(self, key: str, *, now: float, interval: float) -> None:
        """Spends one unit whether or not it fits: something that happened (a failed sign-in) counts. The
        key's arrival time moves one interval past the later of itself and ``now``, so concurrent records whose
        ``now`` differ by a few milliseconds all count (a claim at the edge could find no room)."""
        ...

    def longest_waits(
        self,
        groups: Sequence[KeyGroup],
        *,
        now: float,
        window: float,
        pending: Mapping[str, int] | None = None,
    ) -> float:
        """Seconds until every key of every group may spend a unit of its group's budget (0.0: all may now),
        in one step; spends nothing. ``pending``: units of some keys counted as spent besides what the store
        holds (claims under way)."""
        ...


# Keys spending the same budget, and that budget's interval (seconds per unit).
KeyGroup = tuple[tuple[str, ...], float]


def spend_one(store: CounterStore, key: str, *, now: float, interval: float, window: float) -> float:
    """Spends one unit of the key's budget: 0.0 if it fitted, else the seconds until one will."""
    if store.claim(key, now=now, interval=interval, window=window, most=1):
        return 0.0
    # Another process may have freed a unit since the claim: never answer "retry after 0 seconds".
    return store.longest_waits((((key,), interval),), now=now, window=window) or interval


class MemoryCounterStore:
    """A CounterStore for one process: O(1) per call, idle keys evicted as traffic passes."""

    def __init__(self) -> None:
        # Keys in the order they last spent; a key whose arrival time has passed holds nothing.
        self._arrivals: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._arrivals)

    def record(self, key: str, *, now: float, interval: float) -> None:
        with self._lock:
            self._evict(now)
            arrival = self._arrivals.get(key)
            self._arrivals[key] = (now if arrival is None or arrival < now else arrival) + interval
            self._arrivals.move_to_end(key)

    def claim(self, key: str, *, now: float, interval: float, window: float, most: int) -> int:
        with self._lock:
            self._evict(now)
            arrival = self._arrivals.get(key)
            units = units_that_fit(arrival, now=now, interval=interval, window=window, most=most)
            if units:
                start = now if arrival is None or arrival < now else arrival
                self._arrivals[key] = start + units * interval
                self._arrivals.move_to_end(key)
            return units

    def longest_waits(
        self,
        groups: Sequence[KeyGroup],
        *,
        now: float,
        window: float,
        pending: Mapping[str, int] | None = None,
    ) -> float:
        with self._lock:
            arrivals = [(key, self._arrivals.get(key), interval) for keys, interval in groups for key in keys]
        return max(
            (
                wait_after(
                    arrival,
                    now=now,
                    interval=interval,
                    window=window,
                    pending=pending.get(key, 0) if pending else 0,
                )
                for key, arrival, interval in arrivals
            ),
            default=0.0,
        )

    def _evict(self, now: float) -> None:
        # The oldest-spending key frees up at most one window after it spent, so a key that went idle
        # behind a busier one is dropped within a window too.
        arrivals = self._arrivals
        for _ in range(_EVICTIONS_PER_CALL):
            if not arrivals:
                return
            key, arrival = next(iter(arrivals.items()))
            if arrival > now:
                return
            del arrivals[key]


@dataclass(slots=True)
class _Lease:
    units: int
    expires: float


class LeasedCounterStore:
    """Spends a shared store's budget a few units at a time, so most requests never reach the store.

    A claim that finds no lease claims at least ``units`` from the shared store and keeps what it does
    not spend as a lease, spent locally until it expires ``seconds`` later; what is left then is
    forfeited, never carried over. So across P processes a key is admitted at most its limit plus
    P * (units - 1) per window, and a lease held by one process can only make the others refuse a
    little early.
    """

    def __init__(self, store: CounterStore, *, units: int, seconds: float) -> None:
        if units < 1:
            raise ValueError(f"A lease holds at least 1 unit, not {units}.")
        self._store = store
        self._units = units
        self._seconds = seconds
        self._leases: dict[str, _Lease] = {}
        self._lock = threading.Lock()

    def claim(self, key: str, *, now: float, interval: float, window: float, most: int) -> int:
        with self._lock:
            lease = self._leases.get(key)
            if lease is not None and lease.units > 0 and lease.expires > now:
                taken = min(most, lease.units)
                lease.units -= taken
                return taken
            self._leases.pop(key, None)
            if len(self._leases) >= _MAX_LEASES:
                self._leases = {k: held for k, held in self._leases.items() if held.expires > now}
        granted = self._store.claim(
            key, now=now, interval=interval, window=window, most=max(most, self._units)
        )
        taken = min(most, granted)
        if granted > taken:
            with self._lock:
                self._leases[key] = _Lease(granted - taken, now + self._seconds)
        return taken

    def longest_waits(
        self,
        groups: Sequence[KeyGroup],
        *,
        now: float,
        window: float,
        pending: Mapping[str, int] | None = None,
    ) -> float:
        return self._store.longest_waits(groups, now=now, window=window, pending=pending)

    def record(self, key: str, *, now: float, interval: float) -> None:
        self._store.record(key, now=now, interval=interval)


def lease_units(limit: int) -> int:
    """Units per lease for a budget of ``limit``: about 1/64 of it, 1 to 32, so small limits stay exact."""
    return max(1, min(32, limit // 64))


def retry_after_seconds(wait: float) -> int:
    """A wait as the whole seconds of a ``Retry-After`` header: rounded up, at least 1."""
    return max(1, math.ceil(wait))


def _budget(limit: int, window_seconds: float) -> tuple[float, float]:
    if limit < 1:
        raise ValueError(f"A rate limit must allow at least 1 request, not {limit}.")
    if not window_seconds > 0:
        raise ValueError(f"A rate-limit window must be longer than 0 seconds, not {window_seconds}.")
    return window_seconds / limit, float(window_seconds)


class _Budgeted:
    """``limit`` units per ``window_seconds``, counted in a CounterStore."""

    def __init__(
        self,
        *,
        limit: int,
        window_seconds: float,
        store: CounterStore | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self._interval, self._window = _budget(limit, window_seconds)
        self.limit, self.window_seconds = limit, window_seconds
        self._store: CounterStore = store if store is not None else MemoryCounterStore()
        self._clock = clock


class Throttle(_Budgeted):
    """The edge's Limiter: ``limit`` Graph requests per ``window_seconds``.

    Application calls spend from their app's budget in their tenant; delegated calls from the budget of
    their user of that app, so one busy user does not starve the app's other users.
    """

    def check(self, principal: Principal) -> None:
        """Spends one request of the caller's budget; TooManyRequests with Retry-After when it is gone."""
        if principal.user_id is None:
            key = f"app\x00{principal.tenant_id}\x00{principal.app_id}"
        else:
            key = f"user\x00{principal.tenant_id}\x00{principal.app_id}\x00{principal.user_id}"
        wait = spend_one(self._store, key, now=self._clock(), interval=self._interval, window=self._window)
        if wait > 0.0:
            seconds = retry_after_seconds(wait)
            raise TooManyRequests(
                retry_after_message(seconds),
                headers={"Retry-After": str(seconds)},
                explanation=Explanation(
                    "throttle.budgetSpent",
                    f"{'The user of this app' if principal.user_id else 'This app'} spent its budget of "
                    f"{self.limit} requests per {self.window_seconds:g} s (serve --throttle-limit); retry "
                    f"after {seconds} s, as the Retry-After header says.",
                    {"limit": self.limit, "windowSeconds": self.window_seconds, "retryAfter": seconds},
                ),
            )


class LoginGuard(_Budgeted):
    """Brute-force protection for the token endpoint: failed sign-ins per window.

    Lock out the attacker, not the victim: failures are counted per client id *and* source address
    (``limit``), so a right secret from another address still signs in while an attacking address is
    locked; per client id alone and per address alone against a higher ``ceiling`` (default ten times the limit),
    so guesses spread over many addresses, or over many client ids, still meet a bound. The password
    grant also counts per user (tenant and user name): per user and address (``limit``), and per user
    alone (``ceiling``).
    """

    def __init__(
        self,
        *,
        limit: int,
        window_seconds: float,
        ceiling: int | None = None,
        store: CounterStore | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        super().__init__(limit=limit, window_seconds=window_seconds, store=store, clock=clock)
        self._ceiling_interval, _ = _budget(ceiling or limit * CEILING_FACTOR, window_seconds)
        # This process's sign-ins being checked, by limit key (``checking``).
        self._checking: dict[str, int] = {}
        self._checking_lock = threading.Lock()

    @contextmanager
    def checking(self, client_id: str, address: str, user: str | None = None) -> Iterator[dict[str, int]]:
        """Counts one sign-in of this client id and address (and user and address) as being checked, from
        before its budgets are read until its failure, if any, is recorded; yields how many others of each key
        were being checked as it began, to pass as ``pending`` to that read. Each is then counted as a failure
        already spent, so concurrent guesses are checked no more often than the budget has left: exactly the
        limit within a process, without any sign-in waiting for another. (Processes sharing a database do not
        see each other's: each checks at most what it read as left.)"""
        narrow, _ = _login_keys(client_id, address, user)
        with self._checking_lock:
            others = {key: self._checking.get(key, 0) for key in narrow}
            for key in narrow:
                self._checking[key] = others[key] + 1
        try:
            yield others
        finally:
            with self._checking_lock:
                for key in narrow:
                    left = self._checking[key] - 1
                    if left:
                        self._checking[key] = left
                    else:
                        del self._checking[key]

    def blocked_for(
        self, client_id: str, address: str, user: str | None = None, pending: Mapping[str, int] | None = None
    ) -> float:
        """Seconds until this client id, address and user may try again; 0.0 when they may now. ``pending``:
        ``checking``'s count of the others being checked."""
        narrow, wide = _login_keys(client_id, address, user)
        return self._store.longest_waits(
            ((narrow, self._interval), (wide, self._ceiling_interval)),
            now=self._clock(),
            window=self._window,
            pending=pending,
        )

    @property
    def reads_alongside(self) -> bool:
        """Whether ``blocked_alongside`` can read the budgets inside another statement (the database's store, on
        PostgreSQL: the sign-in's read, so a sign-in reads its client and its budgets in one round trip)."""
        store = self._store
        return isinstance(store, DatabaseCounterStore) and store.reads_alongside

    def blocked_alongside(
        self, client_id: str, address: str, user: str | None = None, pending: Mapping[str, int] | None = None
    ) -> WaitsAlongside | None:
        """``blocked_for``'s read, to run inside another statement where ``reads_alongside``; else None, and
        ``blocked_for`` asks."""
        store = self._store
        if not isinstance(store, DatabaseCounterStore):
            return None
        narrow, wide = _login_keys(client_id, address, user)
        return store.waits_alongside(
            ((narrow, self._interval), (wide, self._ceiling_interval)),
            now=self._clock(),
            window=self._window,
            pending=pending,
        )

    def failed(self, client_id: str, address: str, user: str | None = None) -> None:
        """Records one failed sign-in against each of the budgets it belongs to, whether or not it fits: a
        guess that was checked counts."""
        now = self._clock()
        narrow, wide = _login_keys(client_id, address, user)
        for key in narrow:
            self._store.record(key, now=now, interval=self._interval)
        for key in wide:
            self._store.record(key, now=now, interval=self._ceiling_interval)


# The per-client, per-address and per-user ceilings, as a multiple of the per-pair limit.
CEILING_FACTOR = 10


def _login_keys(client_id: str, address: str, user: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The keys counted against the limit, and those counted against the ceiling."""
    narrow = [f"login-client-address\x00{client_id}\x00{address}"]
    wide = [f"login-client\x00{client_id}"]
    if address:
        wide.append(f"login-address\x00{address}")
    if user is not None:
        narrow.append(f"login-user-address\x00{user}\x00{address}")
        wide.append(f"login-user\x00{user}")
    return tuple(narrow), tuple(wide)

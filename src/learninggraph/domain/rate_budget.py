"""The arithmetic of a rate budget (GCRA): how many units a key may spend now, and how long until it may.

A budget of ``limit`` per ``window`` seconds spends ``interval = window / limit`` seconds of "time credit" per
unit; a key's one number is its theoretical arrival time, which may run up to ``window`` seconds ahead of
``now``. The in-memory store and the database table of budgets both count with these two functions.
"""

from __future__ import annotations

import math

# Float noise in `limit * (window / limit)` must not turn the last allowed request into a rejection.
_EPSILON = 1e-9


def units_that_fit(arrival: float | None, *, now: float, interval: float, window: float, most: int) -> int:
    """How many units a key whose theoretical arrival time is ``arrival`` may spend at ``now``."""
    start = now if arrival is None or arrival < now else arrival
    room = (now + window - start) / interval
    return max(0, min(most, math.floor(room + _EPSILON)))


def wait_after(
    arrival: float | None, *, now: float, interval: float, window: float, pending: int = 0
) -> float:
    """Seconds until a key whose theoretical arrival time is ``arrival`` may spend one unit (0.0: now); with
    ``pending`` units more counted as spent (claims under way, not yet recorded)."""
    if pending:
        arrival = (now if arrival is None or arrival < now else arrival) + pending * interval
    if arrival is None or units_that_fit(arrival, now=now, interval=interval, window=window, most=1):
        return 0.0
    return arrival + interval - window - now

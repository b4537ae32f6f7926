"""The cyclic garbage collector paused for a block that allocates objects by the hundred thousand, none in cycles."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The collector off for the block, if it was on, and on again after it whatever the outcome; a collector
    the caller turned off stays off. What cyclic garbage the block leaves is collected after it, as always.

    For a server's start (modules, classes and functions kept for the life of the process) and an import (records
    and rows made by the million): the collections their allocation would trigger walk the same objects again
    and again."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def freeze_what_start_made() -> None:
    """Collects once, then moves every object still alive into the collector's permanent generation
    (``gc.freeze``): a server's modules, classes, functions, routes and caches, made at its start and kept for
    the life of the process, are then never walked again by the collections its requests' allocations trigger.
    Objects made later are collected as always."""
    gc.collect()
    gc.freeze()

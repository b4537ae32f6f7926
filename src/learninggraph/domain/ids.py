"""Ids for new resources: GUIDs that sort by creation time (UUID version 7, RFC 9562)."""

from __future__ import annotations

import os
import time


def new_id() -> str:
    """A version-7 UUID: 48 bits of Unix milliseconds, then 74 random bits.

    Graph's ids are GUIDs and clients treat them as opaque; ordered by time, new rows land at the end of
    every index keyed by id instead of on a random page, so inserts into a large table stay cheap and
    the default (id) order of a listing is the order of creation.
    """
    millis = time.time_ns() // 1_000_000
    value = (millis & 0xFFFF_FFFF_FFFF) << 80 | int.from_bytes(os.urandom(10)) & ((1 << 80) - 1)
    value = value & ~(0xF << 76) | 0x7 << 76  # version 7
    value = value & ~(0x3 << 62) | 0x2 << 62  # RFC 9562 variant
    text = f"{value:032x}"  # uuid.UUID's own text, without building the object (once per new row)
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"

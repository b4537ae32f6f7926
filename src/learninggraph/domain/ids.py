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
    raw = bytearray((time.time_ns() // 1_000_000 & 0xFFFF_FFFF_FFFF).to_bytes(6) + os.urandom(10))
    raw[6] = raw[6] & 0x0F | 0x70  # version 7
    raw[8] = raw[8] & 0x3F | 0x80  # RFC 9562 variant
    # uuid.UUID's own text, without building the object or a 128-bit integer (once per new row: half the time).
    text = raw.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"

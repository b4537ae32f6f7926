"""The rows of the benchmark data set, generated in blocks, cheaply and in key order.

Ids are version-4 UUIDs in ascending order: the first 32 bits of the ``n``-th of ``total`` are ``n`` times
``2**32 // total``, the other 90 random bits are drawn from the seeded ``random.Random``. Each table's primary
key (``tenant_id, id``) is then appended to rather than inserted into at random places, no list of ids has to be
sorted, and a block of ids is built with a few byte-string operations instead of a ``uuid.UUID`` per id. The
server never reads their order; to it they are as random as any. A data set of a given shape and seed is the
same every time.
"""

from __future__ import annotations

import array
import random
import sys
from collections.abc import Iterator, Sequence
from itertools import cycle, repeat

STATUSES = ("notStarted", "inProgress", "completed")
START = "2026-01-01T00:00:00.000000Z"
# Where the 30 free hex digits of an id go (8 from its place in the order, 22 random); the rest is fixed.
_LAYOUT = "xxxxxxxx-xxxx-4xxx-8xxx-xxxxxxxxxxxx"
_HEX_PLACES = [place for place, char in enumerate(_LAYOUT) if char == "x"]
_ORDER_DIGITS = 8
_RANDOM_DIGITS = len(_HEX_PLACES) - _ORDER_DIGITS


def sorted_ids(start: int, count: int, total: int, rng: random.Random) -> list[str]:
    """Ids ``start`` .. ``start + count - 1`` of ``total`` ascending version-4 UUID texts."""
    step = (1 << 32) // max(1, total)
    places = array.array("I", range(start * step, (start + count) * step, step))
    if sys.byteorder == "little":
        places.byteswap()
    ordered = places.tobytes().hex().encode()
    drawn = rng.randbytes(count * _RANDOM_DIGITS // 2).hex().encode()
    out = bytearray(len(_LAYOUT) * count)
    width = len(_LAYOUT)
    for place, char in enumerate(_LAYOUT):
        if char != "x":
            out[place::width] = char.encode() * count
    for k, place in enumerate(_HEX_PLACES):
        if k < _ORDER_DIGITS:
            out[place::width] = ordered[k::_ORDER_DIGITS]
        else:
            out[place::width] = drawn[k - _ORDER_DIGITS :: _RANDOM_DIGITS]
    text = out.decode()
    return [text[k : k + width] for k in range(0, width * count, width)]


def blocks(total: int, size: int) -> Iterator[tuple[int, int]]:
    """(start, count) of each block of ``size`` rows out of ``total``."""
    for start in range(0, total, size):
        yield start, min(size, total - start)


USER_COLUMNS = (
    "tenant_id",
    "id",
    "display_name",
    "user_principal_name",
    "has_learning_license",
    "created_at",
)


def user_rows(tenant_id: str, domain: str, ids: list[str], start: int) -> list[tuple[object, ...]]:
    """Licensed learners; their principal names ascend with their ids (the unique key is appended to too)."""
    return [
        (tenant_id, learner, f"Learner {n}", f"learner{n:09d}@{domain}", 1, "2026-01-01")
        for n, learner in enumerate(ids, start)
    ]


CONTENT_COLUMNS = (
    "tenant_id",
    "id",
    "provider_id",
    "external_id",
    "title",
    "content_web_url",
    "language_tag",
    "is_active",
    "is_premium",
    "is_searchable",
    "duration",
)


def content_rows(
    tenant_id: str, providers: Sequence[str], ids: list[str], start: int
) -> list[tuple[object, ...]]:
    """Contents in id order, dealt to the providers in turn."""
    return [
        (
            tenant_id,
            content,
            providers[n % len(providers)],
            f"course-{n:09d}",
            f"Course {n}",
            f"https://bench.example/c/{n}",
            "en-us",
            1,
            0,
            1,
            "PT1H",
        )
        for n, content in enumerate(ids, start)
    ]


ACTIVITY_COLUMNS = (
    "tenant_id",
    "id",
    "odata_type",
    "provider_id",
    "learner_user_id",
    "learning_content_id",
    "external_id",
    "status",
    "completion_percentage",
    "assigned_date_time",
    "assignment_type",
    "started_date_time",
)
# Row ``n`` is a self-initiated course when ``n % 3 == 0``, otherwise an assignment.
_KIND = (
    ("learningSelfInitiatedCourse", None, None, START),
    ("learningAssignment", START, "required", None),
    ("learningAssignment", START, "required", None),
)


def activity_rows(
    tenant_id: str,
    providers: Sequence[str],
    contents: dict[str, list[str]],
    learners: list[str],
    ids: list[str],
    start: int,
    rng: random.Random,
) -> list[tuple[object, ...]]:
    """Activities ``start`` .. of a tenant, in id order: providers in turn, each with one of its own contents,
    a random learner, status and completion. Built column by column (C loops) rather than row by row."""
    count = len(ids)
    provider_column: list[str] = [""] * count
    content_column: list[str] = [""] * count
    for k, provider in enumerate(providers):
        first = (k - start) % len(providers)
        provider_column[first :: len(providers)] = [provider] * len(range(first, count, len(providers)))
        content_column[first :: len(providers)] = rng.choices(
            contents[provider], k=len(range(first, count, len(providers)))
        )
    kinds = [_KIND[(start + n) % 3] for n in range(3)]
    # An assignment may not have started yet; a self-initiated course has.
    statuses = rng.choices(STATUSES, k=count)
    first_self = -start % 3
    statuses[first_self::3] = rng.choices(STATUSES[1:], k=len(range(first_self, count, 3)))
    return list(
        zip(
            repeat(tenant_id),
            ids,
            cycle([kind[0] for kind in kinds]),
            provider_column,
            rng.choices(learners, k=count),
            content_column,
            map(str.__add__, repeat("ext-"), ids),
            statuses,
            rng.choices(range(101), k=count),
            cycle([kind[1] for kind in kinds]),
            cycle([kind[2] for kind in kinds]),
            cycle([kind[3] for kind in kinds]),
            strict=False,
        )
    )


def activity_blocks(
    tenant_id: str,
    providers: Sequence[str],
    contents: dict[str, list[str]],
    learners: list[str],
    total: int,
    size: int,
    rng: random.Random,
) -> Iterator[tuple[int, list[str], list[tuple[object, ...]]]]:
    """(first, ids, rows) of each block of ``size`` of the tenant's ``total`` activities."""
    for first, count in blocks(total, size):
        ids = sorted_ids(first, count, total, rng)
        yield first, ids, activity_rows(tenant_id, providers, contents, learners, ids, first, rng)

"""Micro-benchmark: decoding and rendering 10,000 stored rows per resource, as a list page does.

    python bench/render.py [--rounds 15]

Rows are built as the database driver returns them (tuples in the records' column order), decoded into
typed records once per page (``Selection.all``) and rendered by attribute. Prints the best and median
CPU time (``time.process_time``, so other processes on a shared machine count less) of ``--rounds`` runs
per case; runs in one process, on one core, for a few seconds.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from learninggraph.http.odata_json import PolymorphicRenderer, Renderer
from learninggraph.resources.learning_contents.entity import LEARNING_CONTENT
from learninggraph.resources.learning_contents.records import CONTENT
from learninggraph.resources.learning_course_activities.entity import (
    LEARNING_ASSIGNMENT,
    LEARNING_SELF_INITIATED_COURSE,
)
from learninggraph.resources.learning_course_activities.records import ACTIVITY
from learninggraph.resources.learning_providers.entity import LEARNING_PROVIDER
from learninggraph.resources.learning_providers.records import PROVIDER

N = 10_000
T = "2024-05-01T10:00:00.000000+00:00"
DUE = '{"dateTime":"2024-05-01T10:00:00.0000000","timeZone":"UTC"}'
NOTES = '{"contentType":"text","content":"n"}'
TAGS = ('["a","b"]', '["c"]')
FLAGS = (1, 0, 1)
LEVEL = (T, "beginner", 10, '["s"]', "src", "https://x/t")
ASSIGNED = (T, "u2", "required", DUE, NOTES, None)


def _cases() -> dict[str, Callable[[], object]]:
    x = "https://x/"
    providers = [
        (f"p{i:05}", "Provider", 1, x + "login", x + "a", x + "b", x + "c", x + "d") for i in range(N)
    ]
    contents = [
        (f"c{i:05}", f"ext{i}", "Title", x + "c", "en-us", *TAGS, T, "desc", "PT1H", "video", *FLAGS, *LEVEL)
        for i in range(N)
    ]
    activities = [
        (f"a{i:05}", "learningAssignment", T, 50, f"e{i}", "u1", "c1", "p1", "inProgress", *ASSIGNED)
        for i in range(N)
    ]
    render_provider = Renderer(LEARNING_PROVIDER, with_odata_type=False).render
    render_content = Renderer(LEARNING_CONTENT, with_odata_type=False).render
    render_activity = PolymorphicRenderer(LEARNING_ASSIGNMENT, LEARNING_SELF_INITIATED_COURSE).render
    title_and_id = (LEARNING_CONTENT.property_named("title"), LEARNING_CONTENT.property_named("id"))
    select = tuple(p for p in title_and_id if p is not None)
    return {
        "providers": lambda: [render_provider(r) for r in PROVIDER.all(providers)],
        "contents": lambda: [render_content(r) for r in CONTENT.all(contents)],
        "contents $select=id,title": lambda: [
            render_content(r, select=select) for r in CONTENT.all(contents)
        ],
        "activities": lambda: [render_activity(r) for r in ACTIVITY.all(activities)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    for name, case in _cases().items():
        times = []
        for _ in range(args.rounds):
            started = time.process_time()
            case()
            times.append(time.process_time() - started)
        print(f"{name:28} best {min(times) * 1000:7.2f} ms  median {statistics.median(times) * 1000:7.2f} ms")


if __name__ == "__main__":
    main()

"""The request journal's CPU cost per request in one process, with no server: steadier than wrk on a busy machine.

    python bench/journal_inprocess.py --database sqlite:///bench.db --sample ids.json [--requests 2000] [--repeat 5]

Two apps on the same database, one journalling (the default) and one with the journal off, are sent the
same scenarios of ``bench/inprocess.py`` straight through ASGI, in interleaved batches. Each batch of the
journalling app ends by storing what its writer holds (``flush``), so the figure is the process's CPU time
per request, the writer thread's included. Prints the median of the batches, on against off, and how the
journalling app's time splits: its main thread (the requests, then the closing flush) against the writer's
thread, with the garbage collector's passes over the batch.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import random
import statistics
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from asgi_requests import call, requests  # noqa: E402
from dataset import PUBLIC_URL  # noqa: E402

from learninggraph.app import create_app  # noqa: E402
from learninggraph.settings import Settings  # noqa: E402


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", required=True)
    parser.add_argument("--sample", type=Path, required=True)
    parser.add_argument("--requests", type=int, default=2000, help="per batch")
    parser.add_argument("--repeat", type=int, default=5, help="batches per scenario and mode")
    parser.add_argument("--only", nargs="*", default=["get", "patch"])
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    import json

    makers = requests(json.loads(args.sample.read_text()), random.Random(7))
    apps = {
        mode: create_app(
            Settings(database_url=args.database, public_url=PUBLIC_URL, create_dev_identity=False, journal=on)
        )
        for mode, on in (("on", True), ("off", False))
    }
    for scenario in args.only:
        make = makers[scenario]
        for app in apps.values():  # warm caches: tokens, pages
            for _ in range(args.requests // 4):
                await call(app, make())
        cpu: dict[str, list[float]] = {mode: [] for mode in apps}
        # main thread during the requests, main thread's flush, writer thread, GC passes: µs (passes) a request
        split: dict[str, list[tuple[float, float, float, float]]] = {mode: [] for mode in apps}
        for repeat in range(args.repeat):
            for mode in list(apps) if repeat % 2 == 0 else list(reversed(apps)):
                app = apps[mode]
                prepared = [make() for _ in range(args.requests)]
                passes = sum(stat["collections"] for stat in gc.get_stats())
                writer = _writer_seconds(app)
                started, main = time.process_time(), time.thread_time()
                for request in prepared:
                    await call(app, request)
                answered = time.thread_time()
                if app.journal is not None:
                    app.journal.flush()
                per = 1e6 / args.requests
                cpu[mode].append((time.process_time() - started) * per)
                split[mode].append(
                    (
                        (answered - main) * per,
                        (time.thread_time() - answered) * per,
                        (_writer_seconds(app) - writer) * per,
                        (sum(stat["collections"] for stat in gc.get_stats()) - passes) / args.requests,
                    )
                )
        on, off = statistics.median(cpu["on"]), statistics.median(cpu["off"])
        print(
            f"{scenario:6s} CPU µs/request on {on:6.1f}  off {off:6.1f}  cost {100 * (on / off - 1):5.1f}%  "
            f"(on: {' '.join(f'{v:.0f}' for v in cpu['on'])}; off: {' '.join(f'{v:.0f}' for v in cpu['off'])})",
            flush=True,
        )
        for mode in apps:
            main, flush, writer, passes = (statistics.median(row[i] for row in split[mode]) for i in range(4))
            print(
                f"{'':6s} {mode:3s}: main thread {main:6.1f} µs/request answering + {flush:5.1f} flushing; "
                f"writer thread {writer:5.1f}; GC passes {passes * 1000:.1f} per 1,000 requests",
                flush=True,
            )
    for app in apps.values():
        assert app.on_shutdown is not None
        app.on_shutdown()


def _writer_seconds(app: object) -> float:
    """CPU seconds of the journal writer's thread so far (0 without a journal)."""
    journal = getattr(app, "journal", None)
    if journal is None:
        return 0.0
    thread: threading.Thread = journal.writer._thread
    if thread.ident is None or not thread.is_alive():
        return 0.0
    return time.clock_gettime(time.pthread_getcpuclockid(thread.ident))


if __name__ == "__main__":
    asyncio.run(main())

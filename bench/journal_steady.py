"""The journal writer's cost per entry in its steady state: a journal at its bound, turned over by real entries.

    python bench/journal_steady.py --database sqlite:///copy-of-bench.db --sample ids.json [--scenario get]
                                   [--batches 220] [--measure 5]

Answers ``--scenario`` requests of ``bench/inprocess.py`` in one process with the writer's thread stopped, and
keeps what the request path queued. Then stores ``--batches`` batches of 512 of them (tenants in random
order, as a server meets them) through the journal's store of the code on ``PYTHONPATH``: enough to turn a
journal of 10 tenants of 10,000 entries over once, so the entries evicted are ones this code stored (a fresh
or prefilled journal's oldest part is laid out by whoever filled it). Prints, for ``--measure`` more
batches, each started from an empty write-ahead log: the bytes written to the log an entry, and the CPU time an
entry of making its row (building, redacting, encoding) and of storing it (ids, insert, eviction, commit);
then the CPU time an entry of ``--continuous`` batches stored one after another (making and storing), the
checkpoints of the log included, as a server's writer runs them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from asgi_requests import call, requests  # noqa: E402
from dataset import PUBLIC_URL  # noqa: E402

from learninggraph.app import create_app  # noqa: E402
from learninggraph.journal.store import stored_row  # noqa: E402
from learninggraph.settings import Settings  # noqa: E402

BATCH = 512


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", required=True, help="a SQLite data set (its journal file is written)")
    parser.add_argument("--sample", type=Path, required=True)
    parser.add_argument("--scenario", default="get")
    parser.add_argument("--batches", type=int, default=220)
    parser.add_argument("--measure", type=int, default=5)
    parser.add_argument(
        "--continuous", type=int, default=40, help="batches stored one after another at the end"
    )
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    makers = requests(json.loads(args.sample.read_text()), random.Random(7))
    app: Any = create_app(
        Settings(database_url=args.database, public_url=PUBLIC_URL, create_dev_identity=False, journal=True)
    )
    writer = app.journal.writer
    writer._closing = True
    writer._wake.set()
    writer._thread.join()
    store = app.journal.store
    journal_file = app.journal.database.url.removeprefix("sqlite:///")
    for _ in range(4 * BATCH):
        await call(app, makers[args.scenario]())
    items = list(writer._queue)
    writer._queue.clear()

    def row_of(item: Any) -> list[Any]:
        if hasattr(store, "row_of"):  # this code: a row straight from what was captured, where it can
            return list(store.row_of(item))
        return list(stored_row(item if not callable(item) else item()))

    rng = random.Random(3)
    for _ in range(args.batches):
        store.append_rows([row_of(item) for item in rng.sample(items, BATCH)])
    logged, making, storing = [], [], []
    for _ in range(args.measure):
        raw = sqlite3.connect(journal_file)
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        raw.close()
        chosen = rng.sample(items, BATCH)
        started = time.thread_time()
        rows = [row_of(item) for item in chosen]
        made = time.thread_time()
        store.append_rows(rows)
        making.append(1e6 * (made - started) / BATCH)
        storing.append(1e6 * (time.thread_time() - made) / BATCH)
        logged.append(os.path.getsize(f"{journal_file}-wal") / BATCH)
    # Then as a server stores them: one batch after another, the log checkpointed by the writer's own commits.
    started = time.thread_time()
    for _ in range(args.continuous):
        store.append_rows([row_of(item) for item in rng.sample(items, BATCH)])
    continuous = 1e6 * (time.thread_time() - started) / (args.continuous * BATCH)
    print(
        f"{args.scenario}: {args.continuous} batches in a row, checkpoints included: {continuous:.1f} µs/entry in all",
        flush=True,
    )
    print(
        f"{args.scenario}: log {statistics.median(logged):,.0f} B/entry; CPU µs/entry: making the row "
        f"{statistics.median(making):.1f}, storing it {statistics.median(storing):.1f} "
        f"(medians of {args.measure} batches of {BATCH}; storing: {' '.join(f'{v:.0f}' for v in storing)}; "
        f"load {' '.join(Path('/proc/loadavg').read_text().split()[:3])})",
        flush=True,
    )
    assert app.on_shutdown is not None
    app.on_shutdown()


if __name__ == "__main__":
    asyncio.run(main())

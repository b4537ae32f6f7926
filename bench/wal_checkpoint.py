"""What SQLite's checkpoint interval costs a bulk create, in SQLite alone: a course activity's INSERT, 20 a commit.

    python bench/wal_checkpoint.py --database bench.db [--rows 40000] [--rounds 3] [--intervals 1000 10000]

Each interval (``PRAGMA wal_autocheckpoint``, pages) gets its own copy of the data set; rounds alternate which
interval goes first. Each round inserts ``--rows`` new activities into the first provider of the first tenant,
learners and contents taken in turn from its existing activities, 20 a transaction, as a ``$batch`` of 20
POSTs writes them (no Python request path, no journal). Reported per row: the process's CPU, the CPU of the
COMMIT statements alone (the log's pages written, and at the interval a checkpoint), and the wall time (a
checkpoint also syncs the log and the file to disk).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

INSERT = (
    "INSERT INTO learning_course_activities (tenant_id, id, odata_type, provider_id, learner_user_id,"
    " learning_content_id, external_id, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


def insert_rows(
    path: Path, interval: int, pairs: list[tuple[str, str, str, str]], first: int, rows: int
) -> str:
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in (
        "PRAGMA journal_mode=WAL",
        "PRAGMA synchronous=NORMAL",
        "PRAGMA foreign_keys=ON",
        "PRAGMA cache_size=-32768",
        f"PRAGMA wal_autocheckpoint={interval}",
    ):
        connection.execute(pragma)
    commit = 0.0
    cpu, wall = time.process_time(), time.perf_counter()
    for start in range(first, first + rows, 20):
        connection.execute("BEGIN IMMEDIATE")
        for number in range(start, start + 20):
            tenant, provider, learner, content = pairs[number % len(pairs)]
            row_id = f"{time.time_ns():016x}-{number:016x}"
            values = (
                tenant,
                row_id,
                "#microsoft.graph.learningSelfInitiatedCourse",
                provider,
                learner,
                content,
            )
            connection.execute(INSERT, (*values, f"checkpoint-{number}", "inProgress"))
        before = time.process_time()
        connection.execute("COMMIT")
        commit += time.process_time() - before
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    connection.close()
    return (
        f"interval {interval:>6}: CPU {cpu / rows * 1e6:6.1f} µs a row, of which COMMIT {commit / rows * 1e6:5.1f};"
        f" wall {wall / rows * 1e6:6.1f} µs a row"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database", type=Path, required=True, help="a loaded data set (copied, never written)"
    )
    parser.add_argument("--rows", type=int, default=40_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--intervals", type=int, nargs="+", default=[1000, 10_000])
    args = parser.parse_args()
    source = sqlite3.connect(f"file:{args.database}?mode=ro", uri=True)
    first = source.execute("SELECT tenant_id, provider_id FROM learning_course_activities LIMIT 1").fetchone()
    pairs = source.execute(
        "SELECT tenant_id, provider_id, learner_user_id, learning_content_id FROM learning_course_activities"
        " WHERE tenant_id = ? AND provider_id = ? LIMIT 5000",
        first,
    ).fetchall()
    source.close()
    work = Path(tempfile.mkdtemp(prefix="learninggraph-checkpoint-"))
    copies = {interval: work / f"copy-{interval}.db" for interval in args.intervals}
    for copy in copies.values():
        shutil.copyfile(args.database, copy)
    for round_number in range(args.rounds):
        order = args.intervals if round_number % 2 == 0 else list(reversed(args.intervals))
        for interval in order:
            print(
                f"round {round_number + 1}, "
                + insert_rows(copies[interval], interval, pairs, round_number * args.rows, args.rows)
            )
    print(f"load average at the end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()

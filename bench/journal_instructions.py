"""The request journal's cost in instructions under callgrind: the request path's share and the writer's, per
request, a count the machine's load does not move.

    python bench/journal_instructions.py --database sqlite:///copy-of-bench.db --sample ids.json \
        [--baseline OTHER_TREE] [--only get patch] [--requests 1000]

For each scenario and tree (this one, ``--baseline``'s ``src/`` when given), worker processes run under
``valgrind --tool=callgrind --instr-atstart=no`` on a copy of the data set of their own (the journal file
included, so each tree's writer meets the same journal):

- ``off`` and ``on``: the app with the journal off, then on with its writer's thread stopped (what the request
  path queued is kept, not stored), answers 300 requests to warm up, then ``--requests`` more counted: the
  difference is what recording costs the request path's own thread;
- ``making`` and ``storing``: the app with the journal on answers ``--requests`` requests (its writer stopped),
  then makes the rows of what was queued (``JournalStore.row_of``: redaction, encoding) and stores them in
  batches of ``--batch`` (512 unless told; ids, insert, eviction, commit), as the writer's thread does (a
  server's writer stores what a wake-up found: at a few thousand requests a second, batches of about 100); the one part or the other counted
  (``storing`` first stores the warm-up's entries uncounted, so its statements are already prepared).

Instructions are not time (cache misses and system calls are not weighted), but they rank the same Python and
SQLite work to within a few percent on a machine too busy for CPU-time figures. Fill the journal to its bound
first (``bench/journal_prefill.py``) so storing includes eviction, as in a server that has run a while.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BATCH = 512
MODES = ("off", "on", "making", "storing")


def _toggle(state: str) -> None:
    """Asks callgrind to turn instrumentation on or off for this process (see ``bench/instructions.py``), waiting
    asleep: a busy wait was counted as part of the work, more the busier the machine."""
    control = subprocess.Popen(
        ["callgrind_control", "-i", state, str(os.getpid())], stdout=subprocess.DEVNULL
    )
    while control.poll() is None:
        time.sleep(0.001)


def worker(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(HERE))
    import logging

    from asgi_requests import call, requests
    from dataset import PUBLIC_URL

    from learninggraph.app import create_app
    from learninggraph.settings import Settings

    logging.disable(logging.WARNING)

    async def run() -> None:
        makers = requests(json.loads(Path(args.sample).read_text()), random.Random(1))
        make = makers[args.worker]
        app: Any = create_app(
            Settings(
                database_url=args.database,
                public_url=PUBLIC_URL,
                create_dev_identity=False,
                journal=args.mode != "off",
            )
        )
        writer = None
        if app.journal is not None:
            writer = app.journal.writer
            writer._closing = True  # the thread stops; what is recorded stays queued
            writer._wake.set()
            writer._thread.join()
        for _ in range(300):
            request = make()
            if await call(app, request) >= 400:
                raise SystemExit(f"{request[0]} {request[1]} was refused")
        if writer is not None:
            warm = list(writer._queue)
            writer._queue.clear()
            if args.mode == "storing":
                # The warm-up's entries stored uncounted: the statements are prepared once, as a running
                # server's writer has them (preparing the 64-row INSERT was a count of its own).
                store = app.journal.store
                store.append_rows([store.row_of(item) for item in warm])
        prepared = [make() for _ in range(args.requests)]
        counted = args.mode in ("off", "on")
        if counted:
            _toggle("on")
        for request in prepared:
            await call(app, request)
        if counted:
            _toggle("off")
            return
        assert writer is not None
        store = app.journal.store
        items = list(writer._queue)
        writer._queue.clear()
        if args.mode == "making":
            _toggle("on")
        rows = [store.row_of(item) for item in items]
        if args.mode == "making":
            _toggle("off")
            return
        _toggle("on")
        for start in range(0, len(rows), args.batch):
            store.append_rows(rows[start : start + args.batch])
        _toggle("off")

    asyncio.run(run())


def measure(
    tree: Path, scenario: str, mode: str, database: str, args: argparse.Namespace
) -> subprocess.Popen[str]:
    command = [
        "valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={args.work}/%p.out",
        sys.executable, str(Path(__file__).resolve()), "--database", database, "--sample", str(args.sample),
        "--requests", str(args.requests), "--batch", str(args.batch), "--worker", scenario, "--mode", mode,
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def collected(process: subprocess.Popen[str]) -> int:
    _, err = process.communicate()
    found = re.search(r"Collected : (\d+)", err)
    if process.returncode != 0 or found is None:
        raise SystemExit(f"a worker failed:\n{err[-2000:]}")
    return int(found.group(1))


def _copy(database: str, target: Path) -> str:
    """A copy of the SQLite data set and its journal file (with their logs) in ``target``, for one worker."""
    source = Path(database.removeprefix("sqlite:///"))
    target.mkdir(parents=True)
    journal = source.with_name(f"{source.stem}.journal{source.suffix}")
    for name in (source.name, f"{source.name}-wal", journal.name, f"{journal.name}-wal"):
        if (source.parent / name).exists():
            shutil.copyfile(source.parent / name, target / name)
    return f"sqlite:///{target / source.name}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", required=True)
    parser.add_argument("--sample", type=Path, required=True)
    parser.add_argument("--baseline", type=Path, help="another learninggraph source tree")
    parser.add_argument("--only", nargs="*", default=["get", "patch"])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument(
        "--batch", type=int, default=BATCH, help="entries a stored batch (default %(default)s)"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--mode", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    args.work = tempfile.mkdtemp(prefix="learninggraph-journal-instructions-")
    work = Path(args.work)
    trees = {"this tree": HERE.parent}
    if args.baseline is not None:
        trees["baseline"] = args.baseline.resolve()
    print(
        "| scenario | code | request path, journal off | on | recording's share | writer: making the row "
        "| storing it | the journal in all |"
    )
    print("|---|---|---|---|---|---|---|---|")
    try:
        for scenario in args.only:
            runs = {}
            for label, tree in trees.items():
                for mode in MODES:
                    copy = _copy(args.database, work / scenario / label.replace(" ", "-") / mode)
                    runs[label, mode] = measure(tree, scenario, mode, copy, args)
            counts = {key: collected(run) / args.requests for key, run in runs.items()}
            shutil.rmtree(work / scenario, ignore_errors=True)  # eight copies of the data set a scenario
            for label in trees:
                off, on, made, stored = (counts[label, mode] for mode in MODES)
                journal = on - off + made + stored
                print(
                    f"| {scenario} | {label} | {off:,.0f} | {on:,.0f} | {on - off:,.0f} "
                    f"({100 * (on / off - 1):.1f}%) | {made:,.0f} | {stored:,.0f} "
                    f"| {journal:,.0f} ({100 * journal / off:.1f}%) |",
                    flush=True,
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

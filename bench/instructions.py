"""Instructions per request under callgrind, in-process: a count the machine's load does not move.

    python bench/instructions.py --database sqlite:///bench.db --sample ids.json \
        [--baseline OTHER_TREE] [--only get patch list post token] [--requests 1000] [--minimal]

For each scenario, a worker process per tree (this one, ``--baseline``'s ``src/`` when given) runs under
``valgrind --tool=callgrind --instr-atstart=no``: it builds the app (journal off), answers 300 requests of
``bench/asgi_requests.py``'s makers to warm up, turns callgrind's instrumentation on (``callgrind_control -i on`` on
itself), answers ``--requests`` more and turns it off (``--journal``: the journal on, what they queued stored
before it is turned off); the figure is the instructions counted ÷ requests. The trees
of one scenario run side by side. ``--minimal`` measures ``bench/ceiling.py``'s minimal handlers too. Instructions
are not time (cache misses, system calls and the RSA signature's machine code are not weighted), but they rank our
own Python work to within a few percent on a machine too busy for wall-clock or CPU-time figures. Each worker
takes about half a minute; valgrind must be installed.
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
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _toggle(state: str) -> None:
    """Asks callgrind to turn instrumentation on or off for this process, spinning until it is done (callgrind
    reads its commands while the process runs, not while it waits)."""
    control = subprocess.Popen(
        ["callgrind_control", "-i", state, str(os.getpid())], stdout=subprocess.DEVNULL
    )
    while control.poll() is None:
        sum(range(1000))


def worker(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(HERE))
    from asgi_requests import call, requests
    from ceiling import make_app
    from dataset import PUBLIC_URL
    from floor import make_floor
    from inprocess import PAIRS

    from learninggraph.app import create_app
    from learninggraph.settings import Settings
    from learninggraph.storage.database import Database

    async def run() -> None:
        sample = json.loads(Path(args.sample).read_text())
        makers = requests(sample, random.Random(1))
        if args.worker_minimal:
            app = make_app(Database(args.database))
            make = makers[PAIRS[args.worker]]
        elif args.worker_floor:
            app = make_floor(args.database, PUBLIC_URL)
            make = makers[args.worker]
        else:
            app = create_app(
                Settings(
                    database_url=args.database,
                    public_url=PUBLIC_URL,
                    create_dev_identity=False,
                    journal=args.journal,
                )
            )
            make = makers[args.worker]
            if args.worker == "list":  # the learners' tokens verified once, as a running server has them
                for tenant in sample["tenants"]:
                    for learner, token in tenant["learnerTokens"]:
                        path = f"/v1.0/users/{learner}/employeeExperience/learningCourseActivities"
                        await call(
                            app,
                            ("GET", path, "$top=1", [(b"authorization", f"Bearer {token}".encode())], b""),
                        )
        for _ in range(300):
            request = make()
            if await call(app, request) >= 400:
                raise SystemExit(f"{request[0]} {request[1]} was refused")
        prepared = [make() for _ in range(args.requests)]
        if args.journal:
            app.journal.flush()
        _toggle("on")
        for request in prepared:
            await call(app, request)
        if args.journal:  # what the requests queued, stored inside the count
            app.journal.flush()
        _toggle("off")
        if args.journal:
            app.on_shutdown()

    asyncio.run(run())


def measure(tree: Path, scenario: str, args: argparse.Namespace, kind: str = "") -> subprocess.Popen[str]:
    """A worker counting ``scenario`` through our app (``kind`` empty), the minimal handler or the floor."""
    database = args.database
    if args.journal and database.startswith("sqlite:///"):
        # A copy per worker: two journal writers under valgrind would wait on each other's file lock.
        copy = Path(args.work) / f"{len(os.listdir(args.work))}.db"
        shutil.copyfile(database.removeprefix("sqlite:///"), copy)
        database = f"sqlite:///{copy}"
    command = [
        "valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={args.work}/%p.out",
        *(["--cache-sim=yes", "--branch-sim=yes"] if args.cache_sim else []),
        sys.executable, str(Path(__file__).resolve()), "--database", database, "--sample", str(args.sample),
        "--requests", str(args.requests), "--worker", scenario, *([f"--worker-{kind}"] if kind else []),
        *(["--journal"] if args.journal else []),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def collected(process: subprocess.Popen[str]) -> dict[str, int]:
    """The worker's event totals by name (``Ir`` alone, or with ``--cache-sim`` the caches' and branches' too)."""
    _, err = process.communicate()
    found = re.search(r"Collected : ([\d ]+)", err)
    events = re.search(r"Events    : ([\w ]+)", err)
    if process.returncode != 0 or found is None:
        raise SystemExit(f"a worker failed:\n{err[-2000:]}")
    names = events.group(1).split() if events else ["Ir"]
    return dict(zip(names, map(int, found.group(1).split()), strict=True))


def estimated_cycles(events: dict[str, int]) -> int:
    """Callgrind's own cycle estimate: an instruction 1, a first-level miss 10, a last-level miss 100, a
    mispredicted branch 10 (the weights ``callgrind_annotate`` and KCachegrind use)."""
    first = events["I1mr"] + events["D1mr"] + events["D1mw"]
    last = events["ILmr"] + events["DLmr"] + events["DLmw"]
    branches = events.get("Bcm", 0) + events.get("Bim", 0)
    return events["Ir"] + 10 * first + 100 * last + 10 * branches


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", required=True)
    parser.add_argument("--sample", type=Path, required=True)
    parser.add_argument("--baseline", type=Path, help="another learninggraph source tree")
    parser.add_argument("--only", nargs="*", default=["get", "patch", "list", "post", "token"])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--minimal", action="store_true", help="the minimal handlers too")
    parser.add_argument(
        "--journal", action="store_true", help="the request journal on, its writer's work counted (flushed)"
    )
    parser.add_argument(
        "--cache-sim",
        action="store_true",
        help="simulate the caches and branch predictor too; print instructions and estimated cycles",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--floor", action="store_true", help="GET: bench/floor.py's Graph-faithful floor too")
    parser.add_argument("--worker-minimal", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--worker-floor", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    args.work = tempfile.mkdtemp(prefix="learninggraph-instructions-")
    trees = {"this tree": HERE.parent}
    if args.baseline is not None:
        trees["baseline"] = args.baseline.resolve()
    print(
        "| scenario | "
        + " | ".join(trees)
        + (" | minimal" if args.minimal else "")
        + (" | floor" if args.floor else "")
        + " |"
    )
    print("|---" * (len(trees) + 1 + args.minimal + args.floor) + "|")
    for scenario in args.only:
        runs = [measure(tree, scenario, args) for tree in trees.values()]
        if args.minimal:
            runs.append(measure(HERE.parent, scenario, args, "minimal"))
        if args.floor and scenario == "get":
            runs.append(measure(HERE.parent, scenario, args, "floor"))
        totals = [collected(run) for run in runs]
        counts = [events["Ir"] // args.requests for events in totals]
        print(f"| {scenario} | " + " | ".join(f"{count:,}" for count in counts) + " |", flush=True)
        if args.cache_sim:
            cycles = [estimated_cycles(events) // args.requests for events in totals]
            print(f"| {scenario}, est. cycles | " + " | ".join(f"{c:,}" for c in cycles) + " |", flush=True)
            for name in ("D1mr", "D1mw", "DLmr", "DLmw", "I1mr", "ILmr", "Bcm", "Bim"):
                per = [events[name] / args.requests for events in totals]
                print(f"| {scenario}, {name} | " + " | ".join(f"{p:,.0f}" for p in per) + " |", flush=True)


if __name__ == "__main__":
    main()

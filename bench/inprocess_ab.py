"""CPU per request of this tree against another tree, in-process, batches interleaved in time.

    python bench/inprocess_ab.py --database sqlite:///bench.db --sample ids.json --baseline ../main \
        [--only get patch list post] [--requests 300] [--rounds 8]

Two worker processes, one per tree (the baseline's own ``.venv/bin/python`` importing its own ``src``), each
with the app (journal off) and ``bench/ceiling.py``'s minimal handlers built once and the same requests
(``bench/asgi_requests.py``'s makers, the same seed). The coordinator asks each in turn for a batch of one scenario,
alternating which goes first, so a neighbour's load falls on both alike; each worker measures its own
process's CPU seconds. Reported: the fastest and the median batch of each, and this tree's minimal handler.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def worker(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(HERE))
    from asgi_requests import call, requests
    from ceiling import make_app
    from dataset import PUBLIC_URL
    from inprocess import PAIRS, measure

    from learninggraph.app import create_app
    from learninggraph.settings import Settings
    from learninggraph.storage.database import Database

    async def run() -> None:
        sample = json.loads(Path(args.sample).read_text())
        makers = requests(sample, random.Random(1))
        ours = create_app(
            Settings(
                database_url=args.database, public_url=PUBLIC_URL, create_dev_identity=False, journal=False
            )
        )
        minimal = make_app(Database(args.database))
        for tenant in sample["tenants"]:
            for learner, token in tenant["learnerTokens"]:
                path = f"/v1.0/users/{learner}/employeeExperience/learningCourseActivities"
                headers = [(b"authorization", f"Bearer {token}".encode())]
                await call(ours, ("GET", path, "$top=1", headers, b""))
        for name in args.only:
            await measure(ours, makers[name], 200)
            await measure(minimal, makers[PAIRS[name]], 200)
        print("ready", flush=True)
        for line in sys.stdin:
            which, name, count = line.split()
            app, scenario = (ours, name) if which == "ours" else (minimal, PAIRS[name])
            us = await measure(app, makers[scenario], int(count), warm=False)
            print(f"{us:.3f}", flush=True)

    asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", required=True)
    parser.add_argument("--sample", required=True)
    parser.add_argument("--baseline", type=Path, help="the other tree (its .venv/bin/python)")
    parser.add_argument("--only", nargs="*", default=["get", "patch", "list", "post"])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    assert args.baseline is not None, "--baseline is needed"
    command = [
        __file__, "--worker", "--database", args.database, "--sample", args.sample, "--only", *args.only
    ]  # fmt: skip
    trees = {"this": sys.executable, "baseline": str(args.baseline / ".venv" / "bin" / "python")}
    workers = {
        name: subprocess.Popen(
            [python, *command], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=HERE
        )
        for name, python in trees.items()
    }
    for process in workers.values():
        assert process.stdout is not None
        if process.stdout.readline().strip() != "ready":
            raise SystemExit("a worker did not start")

    def batch(name: str, which: str, scenario: str) -> float:
        process = workers[name]
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(f"{which} {scenario} {args.requests}\n")
        process.stdin.flush()
        return float(process.stdout.readline())

    figures: dict[tuple[str, str], list[float]] = {}
    for round_number in range(args.rounds):
        order = ["this", "baseline"] if round_number % 2 == 0 else ["baseline", "this"]
        for scenario in args.only:
            for name in order:
                figures.setdefault((name, scenario), []).append(batch(name, "ours", scenario))
            figures.setdefault(("minimal", scenario), []).append(batch("this", "min", scenario))
    for process in workers.values():
        assert process.stdin is not None
        process.stdin.close()
        process.wait(timeout=30)
    print(f"load average at the end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print("| scenario | this tree µs (best / median) | baseline µs (best / median) | this ÷ baseline (best) "
          "| minimal µs (best) | minimal ÷ this |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for scenario in args.only:
        this, base, least = (figures[(name, scenario)] for name in ("this", "baseline", "minimal"))
        print(
            f"| {scenario} | {min(this):.0f} / {statistics.median(this):.0f} "
            f"| {min(base):.0f} / {statistics.median(base):.0f} | {min(this) / min(base):.2f} "
            f"| {min(least):.0f} | {min(least) / min(this):.2f} |"
        )


if __name__ == "__main__":
    main()

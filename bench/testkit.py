"""What the test kit costs a vendor's suite: the first test in a new process, and each further test's tenant.

    python bench/testkit.py [--processes 5] [--tenants 50]

Each run is a new Python process doing what the pytest plugin does (``learninggraph.testing.local_server``
on a throwaway SQLite file, then ``new_tenant()`` per test), timed inside it from the interpreter's start:
imports, the server up, the first tenant; then ``--tenants`` further tenants, one after another. Reports the
median over ``--processes`` processes, with the CPU seconds of the process beside the wall time (the machine
may be shared).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

CHILD = r"""
import json, os, sys, tempfile, time
from pathlib import Path
started_wall = float(sys.argv[1])
def since():
    return time.time() - started_wall, time.process_time()
marks = {"interpreter": since()}
from learninggraph.testing import local_server
marks["imports"] = since()
with tempfile.TemporaryDirectory() as folder:
    with local_server(Path(folder) / "learninggraph.db") as server:
        marks["server"] = since()
        server.new_tenant()
        marks["first_tenant"] = since()
        tenants = []
        for _ in range(int(sys.argv[2])):
            t = time.perf_counter()
            server.new_tenant()
            tenants.append(time.perf_counter() - t)
print(json.dumps({"marks": marks, "tenants": tenants}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--processes", type=int, default=5)
    parser.add_argument("--tenants", type=int, default=50)
    parser.add_argument(
        "--baseline",
        help="another source tree (its src/ first on the path), run alternately with ours: before and after",
    )
    args = parser.parse_args()
    import time

    trees = {"ours": None} if args.baseline is None else {"baseline": args.baseline, "ours": None}
    runs: dict[str, list[dict]] = {name: [] for name in trees}
    for _ in range(args.processes):
        for name, tree in trees.items():
            env = dict(os.environ)
            if tree is not None:
                env["PYTHONPATH"] = os.pathsep.join(
                    [os.path.join(tree, "src"), *filter(None, [env.get("PYTHONPATH")])]
                )
            out = subprocess.run(
                [sys.executable, "-c", CHILD, repr(time.time()), str(args.tenants)],
                capture_output=True,
                text=True,
                check=True,
                env=env,
            ).stdout
            runs[name].append(json.loads(out.strip().splitlines()[-1]))
    print(f"load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    for name, done in runs.items():
        print(f"\n{name}:")
        print("| step (from the process's start) | wall s, median | CPU s, median |")
        print("|---|---|---|")
        for mark in ("interpreter", "imports", "server", "first_tenant"):
            wall = statistics.median(run["marks"][mark][0] for run in done)
            cpu = statistics.median(run["marks"][mark][1] for run in done)
            print(f"| {mark} | {wall:.3f} | {cpu:.3f} |")
        each = [t for run in done for t in run["tenants"]]
        print(
            f"| each further tenant (over {len(each)}) | median {statistics.median(each) * 1000:.1f} ms,"
            f" p90 {statistics.quantiles(each, n=10)[-1] * 1000:.1f} ms | |"
        )


if __name__ == "__main__":
    main()

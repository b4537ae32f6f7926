"""What the test kit costs a vendor's suite: the first test in a new process, and each further test's tenant.

    python bench/testkit.py [--processes 5] [--tenants 50] [--baseline OTHER-TREE]

Each run is a new Python process doing what the pytest plugin does (``learninggraph.testing.local_server``
on a throwaway SQLite file, then ``new_tenant()`` per test), timed inside it from the interpreter's start:
imports, the server up, the first tenant; then what a first test itself would do first (an application token
and one Graph request, so work moved from the start to first use is seen); then ``--tenants`` further tenants,
one after another. Reports the median over ``--processes`` processes, with the CPU seconds of the process
(every thread) and of its main thread beside the wall time (the machine may be shared).

Byte-code is cached as in an installed package, under a folder of its own per tree (``PYTHONPYCACHEPREFIX``, so
nothing is written into either tree), after one unmeasured warm-up process per tree; ``--no-bytecode`` compiles
every module in every process instead. With ``--baseline`` the other tree's ``src/`` goes first on the path
and the two trees run alternately, one process each in turn.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

CHILD = r"""
import json, os, sys, tempfile, threading, time
from pathlib import Path
started_wall = float(sys.argv[1])
def since():
    return time.time() - started_wall, time.process_time(), time.thread_time()
marks = {"interpreter": since()}
from learninggraph.testing import local_server
marks["imports"] = since()
with tempfile.TemporaryDirectory() as folder:
    with local_server(Path(folder) / "learninggraph.db") as server:
        marks["server"] = since()
        tenant = server.new_tenant()
        marks["first_tenant"] = since()
        import urllib.request
        request = urllib.request.Request(
            tenant.graph_url + "/employeeExperience/learningCourseActivities",
            headers={"Authorization": "Bearer " + tenant.app_token()},
        )
        with urllib.request.urlopen(request) as answer:
            assert answer.status == 200, answer.status
        marks["first_request"] = since()
        tenants = []
        for _ in range(int(sys.argv[2])):
            t = time.perf_counter()
            server.new_tenant()
            tenants.append(time.perf_counter() - t)
print(json.dumps({"marks": marks, "tenants": tenants, "modules": sorted(sys.modules)}))
"""

MARKS = {
    "interpreter": "interpreter up",
    "imports": "`learninggraph.testing` imported",
    "server": "server serving",
    "first_tenant": "first tenant ready (the first test can start)",
    "first_request": "the test's first token and Graph request done",
}


def run_child(tree: str | None, tenants: int, cache: str | None) -> dict:
    env = dict(os.environ)
    if tree is not None:
        env["PYTHONPATH"] = os.pathsep.join(
            [os.path.join(tree, "src"), *filter(None, [env.get("PYTHONPATH")])]
        )
    if cache is None:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = cache
    out = subprocess.run(
        [sys.executable, "-c", CHILD, repr(time.time()), str(tenants)],
        capture_output=True,
        text=True,
        env=env,
    )
    if out.returncode != 0:
        sys.exit(f"a measured process failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


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
    parser.add_argument("--no-bytecode", action="store_true", help="compile every module in every process")
    args = parser.parse_args()

    trees = {"ours": None} if args.baseline is None else {"baseline": args.baseline, "ours": None}
    with tempfile.TemporaryDirectory(prefix="testkit-bytecode-") as caches:
        cache = {name: None if args.no_bytecode else os.path.join(caches, name) for name in trees}
        if not args.no_bytecode:
            for name, tree in trees.items():
                run_child(tree, 1, cache[name])  # the warm-up: writes the byte-code
        runs: dict[str, list[dict]] = {name: [] for name in trees}
        for _ in range(args.processes):
            for name, tree in trees.items():
                runs[name].append(run_child(tree, args.tenants, cache[name]))
    print(f"load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    for name, done in runs.items():
        print(f"\n{name} ({len(done[0]['modules'])} modules loaded):")
        print("| step (from the process's start) | wall s | CPU s, all threads | CPU s, main thread |")
        print("|---|---|---|---|")
        for mark, label in MARKS.items():
            wall, cpu, main_cpu = (statistics.median(run["marks"][mark][i] for run in done) for i in range(3))
            print(f"| {label} | {wall:.3f} | {cpu:.3f} | {main_cpu:.3f} |")
        each = [t for run in done for t in run["tenants"]]
        print(
            f"| each further tenant (over {len(each)}) | median {statistics.median(each) * 1000:.1f} ms,"
            f" p90 {statistics.quantiles(each, n=10)[-1] * 1000:.1f} ms | | |"
        )


if __name__ == "__main__":
    main()

"""Two servers on one SQLite file, each dropping the other's page cache: does a ``$batch`` then grow a worker?

    python bench/memory_step.py --database-url sqlite:///copy.db --sample ids.json --out DIR \
        --baseline OTHER_TREE [--rounds 2] [--duration 6]

SQLite drops a connection's whole page cache when another process has written to the file since its last
read. ``bench/run.py`` serves this tree and ``--baseline`` on the same file, so each server's writes empty the
other's cache, and the pages are read back by whichever request comes first: on the event loop, or in the
``$batch`` thread. This script does exactly that, side by side: in each round, on each server in turn, GET, the
list page and PATCH (its cache filled on the event loop; the PATCHes empty the other's), then on each server a
``$batch`` scenario (its first read finds the cache dropped; the batch thread reads the pages back). Both
servers run under ``bench/soak_probe.py`` (a sample every half second, into ``DIR/ours.jsonl`` and
``DIR/base.jsonl``), pinned to CPU 1, wrk on CPU 0 with 32 connections. Prints, after each scenario, the server's
RSS, SQLite's memory and glibc's heap (in use / free inside it).
"""

from __future__ import annotations

import argparse
import json
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import processes
import wrk_scripts

HERE = Path(__file__).resolve().parent
FILL = ("get", "list", "patch")


def last_sample(path: Path) -> dict[str, Any]:
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    sample: dict[str, Any] = json.loads(lines[-1])
    return sample


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--sample", type=Path, required=True, help="the ids file dataset.py wrote for it")
    parser.add_argument("--out", type=Path, required=True, help="a folder for the probes' JSON lines")
    parser.add_argument("--baseline", type=Path, required=True, help="another tree, served beside this one")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--duration", type=int, default=6, help="seconds per scenario")
    args = parser.parse_args()
    wrk = processes.ensure_wrk()
    args.out.mkdir(parents=True, exist_ok=True)
    scripts = wrk_scripts.write_scripts(json.loads(args.sample.read_text()), args.out)
    trees = {"ours": HERE.parent, "base": args.baseline.resolve()}
    with ExitStack() as stack:
        servers: dict[str, tuple[int, int, Path]] = {}
        for label, tree in trees.items():
            port = processes.free_port()
            serve = processes.serve_command(args.database_url, port)
            probe = args.out / f"{label}.jsonl"
            probe.unlink(missing_ok=True)
            # ``python -m learninggraph serve ...`` run by the probe's wrapper: the same arguments after ``-m``'s.
            probed = [serve[0], str(HERE / "soak_probe.py"), str(probe), "0.5", "--", *serve[3:]]
            env = {"PYTHONPATH": str(tree / "src")}
            proc = stack.enter_context(processes.process(probed, cpu="1", env=env))
            servers[label] = (port, proc.pid, probe)
        for port, _, _ in servers.values():
            processes.wait_ready(f"http://127.0.0.1:{port}/health")
        print("| round | server | scenario | req/s | RSS MB | SQLite MB | glibc in use / free MB |")
        print("|---|---|---|---|---|---|---|")
        for number in range(1, args.rounds + 1):
            steps = [(label, name) for label in servers for name in FILL]
            steps += [(label, "batch") for label in servers]
            for label, name in steps:
                port, pid, probe = servers[label]
                rps, *_ = processes.run_wrk(
                    wrk, f"http://127.0.0.1:{port}", scripts[name], args.duration, pid
                )
                time.sleep(0.6)  # one more probe sample after the load
                s = last_sample(probe)
                print(
                    f"| {number} | {label} | {name} | {rps:.0f} | {s['rss_kb'] / 1024:.1f} "
                    f"| {s['sqlite_used_kb'] / 1024:.1f} "
                    f"| {s['malloc_in_use_kb'] / 1024:.1f} / {s['malloc_free_kb'] / 1024:.1f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()

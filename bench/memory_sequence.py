"""Our server alone through ``bench/run.py``'s scenarios in a given order, its memory probed as it goes.

    python bench/memory_sequence.py --database-url sqlite:///copy.db --sample ids.json --out probe.jsonl \
        [--tree OTHER_TREE] [--order get,patch,...] [--duration 6]

Serves ``--tree``'s ``src/`` (default: this one) under ``bench/soak_probe.py`` (a sample every half second: RSS
and its parts, SQLite's and glibc's memory, Python's blocks, the journal's queued entries), pinned to CPU 1, and
drives it with wrk on CPU 0, one scenario after another, as ``run.py`` does (32 connections). The default order
is run.py's with two rounds: the warm-up, the first round, the second round reversed. Prints each scenario's
rate and the peak RSS seen while it ran; the probe's lines are in ``--out``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import processes
import wrk_scripts

HERE = Path(__file__).resolve().parent
RUN_ORDER = ["get", "patch", "post", "list", "batch", "token"]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--sample", type=Path, required=True, help="the ids file dataset.py wrote for it")
    parser.add_argument("--out", type=Path, required=True, help="the probe's JSON lines")
    parser.add_argument("--tree", type=Path, default=HERE.parent, help="the source tree whose src/ is served")
    parser.add_argument("--order", default=",".join(RUN_ORDER * 2 + RUN_ORDER[::-1]))
    parser.add_argument("--duration", type=int, default=6, help="seconds per scenario")
    args = parser.parse_args()
    wrk = processes.ensure_wrk()
    work = args.out.parent / f"{args.out.stem}-scripts"
    work.mkdir(parents=True, exist_ok=True)
    scripts = wrk_scripts.write_scripts(json.loads(args.sample.read_text()), work)
    port = processes.free_port()
    serve = processes.serve_command(args.database_url, port)
    # ``python -m learninggraph serve ...`` run by the probe's wrapper instead: the same arguments after ``-m``'s.
    probed = [serve[0], str(HERE / "soak_probe.py"), str(args.out), "0.5", "--", *serve[3:]]
    args.out.unlink(missing_ok=True)
    with processes.process(probed, cpu="1", env={"PYTHONPATH": str(args.tree.resolve() / "src")}) as server:
        processes.wait_ready(f"http://127.0.0.1:{port}/health")
        for name in args.order.split(","):
            rps, _, _, errors, peak = processes.run_wrk(
                wrk, f"http://127.0.0.1:{port}", scripts[name], args.duration, server.pid
            )
            print(f"{name:8s} {rps:8.0f} req/s  non-2xx {errors}  peak RSS {peak:.0f} MB", flush=True)
        time.sleep(2)


if __name__ == "__main__":
    main()

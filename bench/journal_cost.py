"""What the request journal costs: GET and PATCH throughput with the journal on and off, side by side.

    python bench/journal_cost.py [--database sqlite|postgresql] [--scale 0.2] [--duration 10] [--rounds 3]

Two servers on the same data set, one with the journal (the default) and one with ``--no-journal``, both
pinned to CPU 1 and measured in turn (wrk pinned to CPU 0), in interleaved rounds; each figure is the
median of the rounds. The cost is ``1 - on/off`` of the requests per second, and, steadier on a shared
machine, the server process's CPU time per request (all its threads: the journal's writer included),
on against off. Uses ``bench/run.py``'s data set, wrk scripts and process handling.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from run import (
    HERE,
    PYTHON,
    durable_postgres,
    ensure_wrk,
    free_port,
    process,
    run_wrk,
    serve_command,
    wait_ready,
)
from run import write_scripts as wrk_scripts

SCENARIOS = ("get", "patch")
_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of the process, every thread included."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def other_threads_cpu_seconds(pid: int) -> float:
    """CPU time of the process's threads but the main one (the journal's writer, executors)."""
    total = 0.0
    for task in Path(f"/proc/{pid}/task").iterdir():
        if int(task.name) == pid:
            continue
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / _TICKS
    return total


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--scale", type=float, default=0.2)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    wrk = ensure_wrk()
    work = Path(tempfile.mkdtemp(prefix="learninggraph-journal-cost-"))
    postgres = None
    if args.database == "postgresql":
        postgres = durable_postgres()
        url = postgres.create_database("journalcost")
    else:
        url = f"sqlite:///{work}/bench.db"
    ids = work / "ids.json"
    print(f"loading the data set (scale {args.scale}) into {url}", flush=True)
    subprocess.run(
        [PYTHON, str(HERE / "dataset.py"), "--database", url, "--out", str(ids), "--scale", str(args.scale)],
        check=True,
    )
    scripts = wrk_scripts(json.loads(ids.read_text()), work)
    on_port, off_port = free_port(), free_port()
    rps: dict[str, list[float]] = {f"{s} {m}": [] for s in SCENARIOS for m in ("on", "off")}
    p99: dict[str, list[float]] = {name: [] for name in rps}
    cpu: dict[str, list[float]] = {name: [] for name in rps}
    try:
        with (
            process(serve_command(url, on_port), cpu="1") as on,
            process([*serve_command(url, off_port), "--no-journal"], cpu="1") as off,
        ):
            wait_ready(f"http://127.0.0.1:{on_port}/health")
            wait_ready(f"http://127.0.0.1:{off_port}/health")
            for round_number in range(args.rounds):
                for scenario in SCENARIOS:
                    # Alternate which goes first, so neither always meets the other's leftovers.
                    order = [("on", on_port, on.pid), ("off", off_port, off.pid)]
                    if round_number % 2:
                        order.reverse()
                    for mode, port, pid in order:
                        before = cpu_seconds(pid)
                        before_others = other_threads_cpu_seconds(pid)
                        result = run_wrk(
                            wrk,
                            f"http://127.0.0.1:{port}",
                            scripts[scenario],
                            args.duration,
                            pid,
                            args.connections,
                        )
                        # The writer may still be storing the last entries: count its CPU too.
                        time.sleep(0.5)
                        name = f"{scenario} {mode}"
                        rps[name].append(result[0])
                        p99[name].append(result[2])
                        requests = result[0] * args.duration
                        cpu[name].append(1e6 * (cpu_seconds(pid) - before) / requests)
                        others = 1e6 * (other_threads_cpu_seconds(pid) - before_others) / requests
                        print(
                            f"round {round_number + 1} {name:9s} {result[0]:8.0f} req/s  p50 {result[1]:6.2f} ms  "
                            f"p99 {result[2]:7.2f} ms  non-2xx {result[3]}  CPU {cpu[name][-1]:.0f} µs/request "
                            f"(other threads than the main one: {others:.0f})",
                            flush=True,
                        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if postgres is not None:
            postgres.close()
    print(f"\n({args.database}; medians of {args.rounds} rounds of {args.duration} s)")
    print("| scenario | req/s on | req/s off | throughput cost | CPU µs/request on | off | CPU cost |")
    print("|---|---|---|---|---|---|---|")
    for scenario in SCENARIOS:
        on_rps, off_rps = (statistics.median(rps[f"{scenario} {m}"]) for m in ("on", "off"))
        on_cpu, off_cpu = (statistics.median(cpu[f"{scenario} {m}"]) for m in ("on", "off"))
        print(
            f"| {scenario.upper()} | {on_rps:.0f} | {off_rps:.0f} | {100 * (1 - on_rps / off_rps):.1f}% "
            f"| {on_cpu:.0f} | {off_cpu:.0f} | {100 * (on_cpu / off_cpu - 1):.1f}% |"
        )


if __name__ == "__main__":
    main()

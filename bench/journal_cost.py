"""What the request journal costs: GET and PATCH throughput with the journal on and off, side by side.

    python bench/journal_cost.py [--database sqlite|postgresql] [--scale 0.2] [--duration 10] [--rounds 3]
                                 [--baseline SOURCE_TREE] [--prefill 10000]

Two servers on the same data set, one with the journal (the default) and one with ``--no-journal``, both
pinned to CPU 1 and measured in turn (wrk pinned to CPU 0), in interleaved rounds; each figure is the
median of the rounds. The cost is ``1 - on/off`` of the requests per second, and, steadier on a shared
machine, the server process's CPU time per request (all its threads: the journal's writer included),
on against off. Uses ``bench/run.py``'s data set, wrk scripts and process handling.

``--baseline`` also measures the code of another source tree (a checkout: its ``src`` is put first on
``PYTHONPATH``) with the journal on and off, on a copy of the data set of its own, interleaved with this
tree's servers in the same rounds: before and after a change, side by side in one run.

``--prefill N`` first stores N entries a tenant in each journal (``bench/journal_prefill.py``): a journal at its
per-tenant bound, where every batch also evicts, costs more than the young one a short run otherwise sees.
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
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from processes import (
    HERE,
    PYTHON,
    cpu_seconds,
    durable_postgres,
    ensure_wrk,
    free_port,
    process,
    run_wrk,
    serve_command,
    wait_ready,
)
from wrk_scripts import write_scripts as wrk_scripts

SCENARIOS = ("get", "patch")
_TICKS = os.sysconf("SC_CLK_TCK")


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


def context_switches(pid: int) -> int:
    """Context switches of every thread of the process so far (voluntary and not): each hand-off of the
    interpreter's lock between the event loop and the journal's writer is one or two."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            lines = (task / "status").read_text().splitlines()
        except OSError:
            continue
        total += sum(int(line.split()[1]) for line in lines if "ctxt_switches:" in line)
    return total


def _copy(url: str, label: str, postgres: Any) -> str:
    """A copy of the data set at ``url`` for the servers of one tree (its own database: its own schema)."""
    if postgres is None:
        source = Path(url.removeprefix("sqlite:///"))
        target = source.parent.parent / label / "bench.db"
        target.parent.mkdir()
        shutil.copyfile(source, target)
        return f"sqlite:///{target}"
    import psycopg

    name = f"journalcost_{label}"
    with psycopg.connect(postgres.url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{urlsplit(url).path.lstrip("/")}"')
    return str(postgres.url(name))


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--scale", type=float, default=0.2)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--baseline", type=Path, help="another source tree to measure alongside (before and after)"
    )
    parser.add_argument(
        "--prefill",
        type=int,
        default=0,
        help="entries per tenant stored in each journal first (10000: the default bound, so every batch evicts)",
    )
    parser.add_argument(
        "--prefill-turnovers",
        type=int,
        default=1,
        help="with --prefill: store that many times the entries first (a journal after a long run)",
    )
    args = parser.parse_args()
    wrk = ensure_wrk()
    work = Path(tempfile.mkdtemp(prefix="learninggraph-journal-cost-"))
    postgres = None
    # code label → (database URL, environment of its processes)
    codes: dict[str, tuple[str, dict[str, str]]] = {}
    trees = {"this": {}}
    if args.baseline is not None:
        source = str((args.baseline / "src").resolve())
        trees = {"baseline": {"PYTHONPATH": source}, "this": {}}
    if args.database == "postgresql":
        postgres = durable_postgres()
    ids = work / "ids.json"
    # One data set, loaded by the first tree's code (the baseline's, the older schema), copied for the others.
    first_env = next(iter(trees.values()))
    if postgres is not None:
        url = postgres.create_database("journalcost")
    else:
        (work / "data").mkdir()
        url = f"sqlite:///{work}/data/bench.db"
    print(f"loading the data set (scale {args.scale}) into {url}", flush=True)
    subprocess.run(
        [PYTHON, str(HERE / "dataset.py"), "--database", url, "--out", str(ids), "--scale", str(args.scale)],
        check=True,
        env={**os.environ, **first_env},
    )
    for label, env in trees.items():
        codes[label] = (_copy(url, label, postgres), env)
        if args.prefill:
            print(f"filling the journal of {label} to {args.prefill} entries a tenant", flush=True)
            prefill = ["--sample", str(ids), "--entries", str(args.prefill)]
            prefill += ["--turnovers", str(args.prefill_turnovers)]
            subprocess.run(
                [PYTHON, str(HERE / "journal_prefill.py"), "--database", codes[label][0], *prefill],
                check=True,
                env={**os.environ, **env},
            )
    scripts = wrk_scripts(json.loads(ids.read_text()), work)
    names = [f"{label} {mode}" for label in codes for mode in ("on", "off")]
    rows = {f"{scenario} {name}": name for scenario in SCENARIOS for name in names}
    rps: dict[str, list[float]] = {row: [] for row in rows}
    cpu: dict[str, list[float]] = {row: [] for row in rows}
    writer: dict[str, list[float]] = {row: [] for row in rows}
    switches: dict[str, list[float]] = {row: [] for row in rows}
    loads: list[str] = [load_average()]
    try:
        with ExitStack() as stack:
            servers: dict[str, tuple[int, int]] = {}
            for label, (url, env) in codes.items():
                for mode in ("on", "off"):
                    port = free_port()
                    command = serve_command(url, port) + (["--no-journal"] if mode == "off" else [])
                    proc = stack.enter_context(process(command, cpu="1", env=env))
                    servers[f"{label} {mode}"] = (port, proc.pid)
            for port, _ in servers.values():
                wait_ready(f"http://127.0.0.1:{port}/health")
            for round_number in range(args.rounds):
                for scenario in SCENARIOS:
                    # Alternate the order, so no server always meets another's leftovers.
                    order = list(servers.items())
                    if round_number % 2:
                        order.reverse()
                    for name, (port, pid) in order:
                        before = cpu_seconds(pid)
                        before_others = other_threads_cpu_seconds(pid)
                        before_switches = context_switches(pid)
                        result = run_wrk(
                            wrk,
                            f"http://127.0.0.1:{port}",
                            scripts[scenario],
                            args.duration,
                            pid,
                            args.connections,
                        )
                        # The writer may still be storing the last entries: count its CPU too.
                        time.sleep(1.5)
                        row = f"{scenario} {name}"
                        rps[row].append(result[0])
                        requests = result[0] * args.duration
                        cpu[row].append(1e6 * (cpu_seconds(pid) - before) / requests)
                        others = 1e6 * (other_threads_cpu_seconds(pid) - before_others) / requests
                        writer[row].append(others)
                        switches[row].append((context_switches(pid) - before_switches) / requests)
                        print(
                            f"round {round_number + 1} {row:18s} {result[0]:8.0f} req/s  p50 {result[1]:6.2f} ms  "
                            f"p99 {result[2]:7.2f} ms  non-2xx {result[3]}  CPU {cpu[row][-1]:.0f} µs/request "
                            f"(threads other than the main one: {others:.0f}; context switches {switches[row][-1]:.2f}/request)  "
                            f"load {load_average()}",
                            flush=True,
                        )
                loads.append(load_average())
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if postgres is not None:
            postgres.close()
    print(
        f"\n({args.database}; medians of {args.rounds} rounds of {args.duration} s; load average {', '.join(loads)})"
    )
    print(
        "| code | scenario | req/s on | req/s off | throughput cost | CPU µs/request on | off | CPU cost "
        "| other threads µs/request on | context switches/request on | off |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for label in codes:
        for scenario in SCENARIOS:
            on, off = f"{scenario} {label} on", f"{scenario} {label} off"
            on_rps, off_rps = statistics.median(rps[on]), statistics.median(rps[off])
            on_cpu, off_cpu = statistics.median(cpu[on]), statistics.median(cpu[off])
            print(
                f"| {label} | {scenario.upper()} | {on_rps:.0f} | {off_rps:.0f} | {100 * (1 - on_rps / off_rps):.1f}% "
                f"| {on_cpu:.0f} | {off_cpu:.0f} | {100 * (on_cpu / off_cpu - 1):.1f}% "
                f"| {statistics.median(writer[on]):.0f} | {statistics.median(switches[on]):.2f} "
                f"| {statistics.median(switches[off]):.2f} |"
            )


if __name__ == "__main__":
    main()

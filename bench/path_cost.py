"""The server's CPU per request on our request path, against the minimal handlers and another source tree.

    python bench/path_cost.py --database-url sqlite:///bench.db --sample ids.json \
        [--baseline OTHER_TREE] [--only get patch list token] [--duration 5] [--rounds 3] [--profile DIR]

Our server (this tree), the same server from ``--baseline``'s ``src/`` and ``bench/ceiling.py``'s minimal handlers,
each pinned to CPU 1 (wrk to CPU 0), all with the request journal off, measured in turn on each scenario, in
interleaved rounds. Every round starts the servers afresh, in alternating order, so that what belongs to one
process (its memory layout, its hash seed, being started first) does not stay with one tree: kept for a whole run,
that alone moved the same code by up to 20% between the two slots. Each figure is the server process's own CPU time
per answered request (user and system, every thread), the median of the rounds: unlike requests per second, it
holds still while other work shares the machine. The ratio column is the minimal handler's CPU per request ÷ ours,
the throughput ratio ``bench/run.py`` reports when the server's core is the bottleneck. ``--profile DIR``: a py-spy
``raw`` profile of each server and scenario of the last round into DIR. On PostgreSQL the CPU of the database's
backend processes per request is reported beside it (``pg``: every connection to the data set's database; the
servers not measured send nothing): a round trip costs both sides.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
from contextlib import ExitStack
from pathlib import Path

import psycopg
from journal_cost import cpu_seconds
from processes import HERE, PYTHON, ensure_wrk, free_port, process, run_wrk, serve_command, wait_ready
from wrk_scripts import write_scripts as wrk_scripts


def backends_cpu(url: str) -> dict[int, float]:
    """CPU seconds of each client backend connected to ``url``'s database (PostgreSQL), this query's aside
    (one that exits during a run is not counted: the servers' pools keep theirs)."""
    with psycopg.connect(url, autocommit=True) as conn:
        pids = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND backend_type = 'client backend'"  # not autovacuum's workers
        ).fetchall()
    return {pid: cpu_seconds(pid) for (pid,) in pids}


PAIRS = {"get": "min_get", "patch": "min_patch", "list": "min_list", "token": "min_token", "post": "min_post"}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True, help="a database holding dataset.py's data set")
    parser.add_argument("--sample", type=Path, required=True, help="the ids file dataset.py wrote for it")
    parser.add_argument("--baseline", type=Path, help="another learninggraph source tree, served too")
    parser.add_argument("--only", nargs="*", default=["get", "patch", "list", "token"])
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--profile", type=Path, help="py-spy raw profiles of the last round into this folder")
    parser.add_argument(
        "--floor", action="store_true", help="GET: bench/floor.py's Graph-faithful floor served too"
    )
    args = parser.parse_args()
    wrk = ensure_wrk()
    work = Path(tempfile.mkdtemp(prefix="learninggraph-path-cost-"))
    scripts = wrk_scripts(json.loads(args.sample.read_text()), work)
    off = {"LEARNINGGRAPH_JOURNAL": "0"}
    url = args.database_url
    servers: dict[str, tuple[list[str], dict[str, str]]] = {
        "ours": ([*serve_command(url, free_port()), "--no-journal"], off)
    }
    if args.baseline is not None:
        servers["base"] = (
            [*serve_command(url, free_port()), "--no-journal"],
            {**off, "PYTHONPATH": str(args.baseline.resolve() / "src")},
        )
    min_port = free_port()
    servers["min"] = ([PYTHON, str(HERE / "ceiling.py"), url, str(min_port), "1"], {})
    floor_port = free_port()
    if args.floor:
        command = [PYTHON, str(HERE / "ceiling.py"), url, str(floor_port), "1"]
        servers["floor"] = (command, {"CEILING_APP": "floor"})
    served_alone = {"min", "floor"}  # the ceiling's servers: answer /hello, have no tree of ours
    cpu: dict[str, list[float]] = {}
    database_cpu: dict[str, list[float]] = {}
    postgres = url.startswith(("postgresql:", "postgres:"))
    rps: dict[str, list[float]] = {}
    ports = {
        name: {"min": min_port, "floor": floor_port}.get(name) or int(cmd[cmd.index("--port") + 1])
        for name, (cmd, _) in servers.items()
    }
    runs = [(name, scenario) for scenario in args.only for name in servers if name not in served_alone]
    runs += [("min", PAIRS[s]) for s in args.only if s in PAIRS]
    runs += [("floor", "get")] if args.floor and "get" in args.only else []
    try:
        for round_number in range(args.rounds):
            # Fresh processes each round, started in alternating order: a process's own luck (its memory
            # layout, its hash seed, which slot started first) is spread over the trees, not kept by one.
            names = list(servers) if round_number % 2 == 0 else list(reversed(servers))
            with ExitStack() as stack:
                procs = {
                    name: stack.enter_context(process(servers[name][0], cpu="1", env=servers[name][1]))
                    for name in names
                }
                for name, port in ports.items():
                    wait_ready(f"http://127.0.0.1:{port}/{'hello' if name in served_alone else 'health'}")
                for name, scenario in runs:  # warm: tokens verified, statements and filters cached
                    # The list's learners each have a token of their own: long enough to verify most of them.
                    seconds = 10 if scenario == "list" else 2
                    run_wrk(
                        wrk, f"http://127.0.0.1:{ports[name]}", scripts[scenario], seconds, procs[name].pid
                    )
                ordered = runs if round_number % 2 == 0 else list(reversed(runs))
                last = round_number == args.rounds - 1
                for name, scenario in ordered:
                    pid = procs[name].pid
                    spy = None
                    if last and args.profile is not None:
                        args.profile.mkdir(parents=True, exist_ok=True)
                        spy = subprocess.Popen(
                            [
                                shutil.which("py-spy") or "py-spy", "record", "-p", str(pid), "-d", str(args.duration), "-r", "500",
                                "-f", "raw", "--nonblocking",
                                "-o", str(args.profile / f"{name}-{scenario}.raw"),
                            ],
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL,
                        )  # fmt: skip
                    backends = backends_cpu(url) if postgres else {}
                    before = cpu_seconds(pid)
                    result = run_wrk(
                        wrk, f"http://127.0.0.1:{ports[name]}", scripts[scenario], args.duration, pid,
                        args.connections,
                    )  # fmt: skip
                    used = cpu_seconds(pid) - before
                    # A backend the pool connected during the run counts from nothing.
                    backend_used = (
                        sum(t - backends.get(b, 0.0) for b, t in backends_cpu(url).items())
                        if postgres
                        else 0.0
                    )
                    if spy is not None:
                        spy.wait(timeout=60)
                    key = f"{name}:{scenario}"
                    per = 1e6 * used / (result[0] * args.duration)
                    cpu.setdefault(key, []).append(per)
                    database_cpu.setdefault(key, []).append(1e6 * backend_used / (result[0] * args.duration))
                    rps.setdefault(key, []).append(result[0])
                    print(
                        f"round {round_number + 1} {key:16s} {result[0]:8.0f} req/s  CPU {per:6.1f} µs/request"
                        + (f" + pg {database_cpu[key][-1]:6.1f}" if postgres else "")
                        + f"  non-2xx {result[3]}",
                        flush=True,
                    )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nload average at the end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"(medians of {args.rounds} rounds of {args.duration} s; journal off; CPU = the server process's)")
    names = [n for n in servers if n not in served_alone]
    print(
        "| scenario | " + " | ".join(f"{n} CPU µs/req | {n} ratio" for n in names) + " | minimal CPU µs/req |"
    )
    print("|---" * (2 * len(names) + 2) + "|")
    for scenario in args.only:
        minimal = statistics.median(cpu[f"min:{PAIRS[scenario]}"])
        cells = []
        for n in names:
            ours = statistics.median(cpu[f"{n}:{scenario}"])
            cells.append(f"{ours:.0f} | {minimal / ours:.2f}")
        print(f"| {scenario} | {' | '.join(cells)} | {minimal:.0f} |")
    if args.floor and "get" in args.only:
        floor = statistics.median(cpu["floor:get"])
        minimal = statistics.median(cpu["min:min_get"])
        print(f"| get, floor | {floor:.0f} | {minimal / floor:.2f} | (minimal ÷ floor) |")
    if postgres:
        print(
            "\nPostgreSQL's backends, CPU µs per request (medians), and server + backends (ratio: minimal ÷ ours):"
        )
        for scenario in args.only:
            row = [f"min:{PAIRS[scenario]}", *(f"{n}:{scenario}" for n in names)]
            pg = {k: statistics.median(database_cpu[k]) for k in row}
            both = {
                k: statistics.median([a + b for a, b in zip(cpu[k], database_cpu[k], strict=True)])
                for k in row
            }
            print(
                f"  {scenario:6s} "
                + ", ".join(
                    f"{k.split(':')[0]} {pg[k]:.0f} / {both[k]:.0f} ({both[row[0]] / both[k]:.2f})"
                    for k in row
                )
            )
    if "base" in servers:
        print("\nours ÷ base, CPU per request, round by round (below 1: ours costs less):")
        for scenario in args.only:
            pairs = zip(cpu[f"ours:{scenario}"], cpu[f"base:{scenario}"], strict=True)
            print(f"  {scenario:6s} " + ", ".join(f"{a / b:.2f}" for a, b in pairs))


if __name__ == "__main__":
    main()

"""``serve --workers N`` against one worker, in the same run: throughput as a ratio to the bare hello at the same
worker count, and the servers' CPU time per request.

    python bench/workers.py [--database sqlite|postgresql | --database-url URL --sample IDS] [--workers 1 2]
        [--duration 4] [--rounds 3] [--only hello get patch list min_get min_patch min_list] [--baseline TREE]

For each worker count a server of ours and the ceiling (``bench/ceiling.py``) run side by side, pinned as
``bench/run.py`` pins them (one worker to CPU 1, several unpinned; wrk on CPU 0). The rounds alternate the worker
counts (and, with ``--baseline``, a server from another source tree at each count), so a busy neighbour weighs on
every side alike. Each figure is the median of the rounds; ``÷ hello`` is the scenario's req/s divided by the
hello of the same worker count, and the scaling is the N-worker ÷ hello over the one-worker ÷ hello (the target:
at least 0.9). CPU µs per request is the user and system time of the server's whole process tree (supervisor and
workers, every thread) during the scenario, divided by the requests wrk completed: unlike req/s it hardly moves
with the machine's load, and a second worker that waits (a lock) rather than works shows in req/s, not in it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from processes import (
    PYTHON,
    durable_postgres,
    ensure_wrk,
    free_port,
    process,
    run_wrk,
    serve_command,
    wait_ready,
)
from run import CEILING, OURS
from wrk_scripts import lua_table, write_scripts

HERE = Path(__file__).resolve().parent
_TICKS = os.sysconf("SC_CLK_TCK")
DEFAULT_SCENARIOS = ("hello", "get", "patch", "list", "min_get", "min_patch", "min_list")


def tree_cpu_seconds(root: int) -> float:
    """User and system CPU time of ``root`` and every process below it (uvicorn's workers), all threads."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        times[pid] = (int(fields[11]) + int(fields[12])) / _TICKS
    total = 0.0
    for pid, seconds in times.items():
        ancestor = pid
        while ancestor > 1 and ancestor != root:
            ancestor = parents.get(ancestor, 0)
        if ancestor == root:
            total += seconds
    return total


def token_walk(sample: dict[str, Any], folder: Path) -> Path:
    """A wrk script that sends every learner's token in turn (a one-item page), over and over.

    Each worker verifies a token the first time it sees it and keeps it for the token's life; the list scenario
    draws from 2,000 learners, so in a short run most of its requests would pay that first verification, once
    per worker. Walking the tokens in order through every connection a few times fills each worker's cache,
    as a server that has run for a while has it."""
    learners = [[token, uid] for tenant in sample["tenants"] for uid, token in tenant["learnerTokens"]]
    path = folder / "warm_tokens.lua"
    path.write_text(
        f"""learners = {lua_table(learners)}
counter = 0
request = function()
  counter = counter + 1
  local l = learners[(counter % #learners) + 1]
  return wrk.format("GET", "/v1.0/users/" .. l[2] .. "/employeeExperience/learningCourseActivities?$top=1",
    {{["Authorization"] = "Bearer " .. l[1]}})
end"""
    )
    return path


def completed_requests(output: str) -> int:
    for line in output.splitlines():
        words = line.split()
        if len(words) > 2 and words[1] == "requests" and words[2] == "in":
            return int(words[0])
    raise ValueError("wrk printed no request count")


@contextmanager
def servers(
    url: str, counts: list[int], baseline: Path | None, logs: Path
) -> Iterator[dict[tuple[str, int], tuple[int, int]]]:
    """(side, workers) -> (port, pid): ``ours``, ``ceiling`` and, with a baseline, ``base`` at each count.

    Started one after another (each may migrate or open the database), their stderr in ``logs``."""
    with ExitStack() as stack:
        found: dict[tuple[str, int], tuple[int, int]] = {}
        for count in counts:
            cpu = "1" if count == 1 else "0,1"
            commands = {"ours": (serve_command, {})}
            if baseline is not None:
                commands["base"] = (serve_command, {"PYTHONPATH": str(baseline.resolve() / "src")})
            for side, (command, env) in commands.items():
                port = free_port()
                log = logs / f"{side}-{count}.log"
                started = stack.enter_context(
                    process(command(url, port, workers=count), cpu=cpu, env=env, stderr=log)
                )
                wait_ready(f"http://127.0.0.1:{port}/health", timeout=120)
                found[(side, count)] = (port, started.pid)
            port = free_port()
            ceiling = stack.enter_context(
                process(
                    [PYTHON, str(HERE / "ceiling.py"), url, str(port), str(count)],
                    cpu=cpu,
                    stderr=logs / f"ceiling-{count}.log",
                )
            )
            wait_ready(f"http://127.0.0.1:{port}/hello", timeout=120)
            found[("ceiling", count)] = (port, ceiling.pid)
        yield found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--database-url", help="a database holding the data set (a copy: PATCHes write to it)"
    )
    parser.add_argument("--sample", type=Path, help="the ids file dataset.py wrote for --database-url")
    parser.add_argument("--scale", type=float, default=0.2, help="the data set's size without --database-url")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--duration", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument(
        "--warm-tokens",
        type=int,
        default=6,
        help="seconds of walking every learner's token, in order, through each of our servers first",
    )
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--only", nargs="*", default=list(DEFAULT_SCENARIOS))
    parser.add_argument("--baseline", type=Path, help="another source tree (its src/), served too as 'base'")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()
    wrk = ensure_wrk()
    work = Path(tempfile.mkdtemp(prefix="learninggraph-workers-"))
    postgres = None
    url, sample_path = args.database_url, args.sample
    if url is None:
        if args.database == "postgresql":
            postgres = durable_postgres()
            url = postgres.create_database("workers")
        else:
            url = f"sqlite:///{work}/bench.db"
        sample_path = work / "ids.json"
        subprocess.run(
            [
                PYTHON,
                str(HERE / "dataset.py"),
                "--database",
                url,
                "--out",
                str(sample_path),
                "--scale",
                str(args.scale),
            ],
            check=True,
        )
    sample = json.loads(sample_path.read_text())
    scripts = write_scripts(sample, work)
    scripts["warm_tokens"] = token_walk(sample, work)
    scenarios = [name for name in args.only if name in OURS or name in CEILING]
    sides = ["ours", *(["base"] if args.baseline else [])]
    rps: dict[tuple[str, str, int], list[float]] = {}
    cpu: dict[tuple[str, str, int], list[float]] = {}
    errors: dict[tuple[str, str, int], int] = {}
    try:
        with servers(url, args.workers, args.baseline, work) as found:

            def measure(side: str, count: int, scenario: str, seconds: int, keep: bool) -> None:
                side = "ceiling" if scenario in CEILING else side
                port, pid = found[(side, count)]
                outputs: list[str] = []
                before = tree_cpu_seconds(pid)
                rate, _, p99, bad, _ = run_wrk(
                    wrk,
                    f"http://127.0.0.1:{port}",
                    scripts[scenario],
                    seconds,
                    pid,
                    args.connections,
                    on_output=outputs.append,
                )
                used = tree_cpu_seconds(pid) - before
                if not keep:
                    return
                key = (scenario, side, count)
                done = completed_requests(outputs[0])
                rps.setdefault(key, []).append(rate)
                cpu.setdefault(key, []).append(1e6 * used / max(done, 1))
                errors[key] = errors.get(key, 0) + bad
                print(
                    f"{side:7s} {count}w {scenario:9s} {rate:8.0f} req/s  p99 {p99:7.2f} ms  "
                    f"CPU {cpu[key][-1]:5.0f} µs/request  non-2xx {bad}  load {os.getloadavg()[0]:.1f}",
                    flush=True,
                )

            for count in args.workers:
                if "list" in scenarios and args.warm_tokens > 0:
                    for side in sides:
                        measure(side, count, "warm_tokens", args.warm_tokens, keep=False)
                for scenario in scenarios:
                    for side in sides if scenario in OURS else ["ceiling"]:
                        measure(side, count, scenario, args.warmup, keep=False)
            for round_number in range(args.rounds):
                counts = args.workers if round_number % 2 == 0 else list(reversed(args.workers))
                for count in counts:
                    order = scenarios if round_number % 2 == 0 else list(reversed(scenarios))
                    for scenario in order:
                        for side in sides if scenario in OURS else ["ceiling"]:
                            measure(side, count, scenario, args.duration, keep=True)
    except BaseException:
        for log in sorted(work.glob("*.log")):
            print(f"--- {log.name}\n{log.read_text()[-2000:]}", file=sys.stderr)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if postgres is not None:
            postgres.close()
    load = os.getloadavg()
    report = summary(rps, cpu, errors, scenarios, sides, args.workers)
    print(
        f"\n{args.database if args.database_url is None else url.split(':')[0]}; medians of {args.rounds} rounds "
        f"of {args.duration} s; load average at the end {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
    )
    for line in report:
        print(line)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (args.out / f"{stamp}-workers.json").write_text(
        json.dumps(
            {
                "meta": {
                    "workers": args.workers,
                    "duration": args.duration,
                    "rounds": args.rounds,
                    "load": load,
                },
                "rps": {" ".join(map(str, k)): v for k, v in rps.items()},
                "cpu_us": {" ".join(map(str, k)): v for k, v in cpu.items()},
            },
            indent=1,
        )
    )


def summary(
    rps: dict[tuple[str, str, int], list[float]],
    cpu: dict[tuple[str, str, int], list[float]],
    errors: dict[tuple[str, str, int], int],
    scenarios: list[str],
    sides: list[str],
    counts: list[int],
) -> list[str]:
    """The markdown table: per scenario and side, each count's req/s (÷ hello), CPU µs, and the scaling."""
    first = counts[0]
    head = "| scenario | " + " | ".join(f"{n} worker{'s' * (n > 1)} req/s (÷ hello) | CPU µs" for n in counts)
    head += "".join(f" | {n}w ratio ÷ {first}w ratio" for n in counts[1:]) + " | non-2xx |"
    lines = [head, "|" + "---|" * (2 + 2 * len(counts) + len(counts) - 1)]
    for scenario in scenarios:
        for side in sides if scenario in OURS else ["ceiling"]:
            cells, ratios = [], {}
            for n in counts:
                key = (scenario, side, n)
                if key not in rps:
                    cells += ["", ""]
                    continue
                rate = statistics.median(rps[key])
                hello = rps.get(("hello", "ceiling", n))
                ratio = rate / statistics.median(hello) if hello and scenario != "hello" else None
                ratios[n] = ratio
                cells.append(f"{rate:,.0f}" + (f" ({ratio:.3f})" if ratio is not None else ""))
                cells.append(f"{statistics.median(cpu[key]):.0f}")
            for n in counts[1:]:
                base, other = ratios.get(first), ratios.get(n)
                cells.append(f"{other / base:.2f}" if base and other else "")
            bad = sum(errors.get((scenario, side, n), 0) for n in counts)
            label = scenario if side in ("ours", "ceiling") else f"{scenario}@{side}"
            lines.append(f"| {label} | " + " | ".join(cells) + f" | {bad} |")
    return lines


if __name__ == "__main__":
    sys.exit(main())

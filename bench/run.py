"""Drives learninggraph and the ceiling of its own stack over loopback with wrk, side by side in one run.

    python bench/run.py [--database sqlite|postgresql] [--scale 1.0] [--duration 10] [--rounds 3]

Each figure is the median of ``--rounds`` interleaved rounds; every figure of ours is reported as a ratio to
the ceiling measured in the same run (``/hello`` for the stack, the minimal GET/PATCH handlers for the same
operations), so the numbers mean something on any machine. The server is pinned to CPU 1, wrk to CPU 0.
The peers a user might pick instead (Prism mocking our /openapi.json, json-server) are measured in the same
rounds on the same GET and PATCH, pinned the same way (``bench/peers.py``; ``--no-peers`` skips them).
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
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import peers
from processes import (
    durable_postgres,
    ensure_wrk,
    free_port,
    process,
    run_wrk,
    serve_command,
    wait_idle,
    wait_ready,
    wrk_counts,
    wrk_extra,
)
from wrk_scripts import write_scripts

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable


@dataclass
class Measurement:
    name: str
    rps: list[float] = field(default_factory=list)
    p50_ms: list[float] = field(default_factory=list)
    p99_ms: list[float] = field(default_factory=list)
    errors: int = 0
    rss_mb: float = 0.0

    def median(self) -> dict[str, float]:
        return {
            "rps": statistics.median(self.rps),
            "p50_ms": statistics.median(self.p50_ms),
            "p99_ms": statistics.median(self.p99_ms),
            "errors": self.errors,
            "rss_mb": self.rss_mb,
        }


OURS = ("get", "patch", "post", "list", "batch", "token")
CEILING = ("hello", "min_get", "min_patch", "min_post", "min_list", "min_token")
RATIOS = {
    "get": "min_get",
    "patch": "min_patch",
    "post": "min_post",
    "list": "min_list",
    "batch": "min_patch",
    "token": "min_token",
}


def _copy_for_baseline(url: str, work: Path, postgres: Any) -> str:
    """A copy of the data set at ``url`` for the baseline's server (SQLite: the file; PostgreSQL: a database
    made from it as a template)."""
    if postgres is None:
        target = work / "base.db"
        shutil.copyfile(url.removeprefix("sqlite:///"), target)
        return f"sqlite:///{target}"
    import psycopg

    with psycopg.connect(postgres.url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "bench_base" TEMPLATE "{urlsplit(url).path.lstrip("/")}"')
    return str(postgres.url("bench_base"))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--database-url", help="use this database instead of a fresh one (must hold the data set)"
    )
    parser.add_argument("--sample", type=Path, help="the ids file written by dataset.py for --database-url")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--only", nargs="*", help="scenario names to run ('peers' for the four peer scenarios)"
    )
    parser.add_argument("--no-peers", action="store_true", help="skip the peers (Prism, json-server)")
    parser.add_argument(
        "--peer-rows",
        type=int,
        default=peers.DEFAULT_ROWS,
        help="json-server's activities: the data set's, at most this many",
    )
    parser.add_argument(
        "--connections", type=int, default=32, help="concurrent connections (1 for latency alone)"
    )
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes of our server and of the ceiling (unpinned if > 1)",
    )
    parser.add_argument("--warmup", type=int, default=2, help="seconds of each scenario before round 1")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another learninggraph source tree (its src/) served too: each scenario of ours also as NAME@base",
    )
    parser.add_argument(
        "--access-log",
        nargs="*",
        choices=("text", "json"),
        default=[],
        help="also serve ours with the access log on (to a file): each scenario of ours also as NAME@log-FORMAT",
    )
    args = parser.parse_args()
    wrk = ensure_wrk()
    work = Path(tempfile.mkdtemp(prefix="learninggraph-bench-"))
    url = args.database_url
    sample_path = args.sample
    base_url = url  # the baseline's database: a copy of its own when the data set is loaded here
    postgres = None
    if url is None:
        if args.database == "postgresql":
            postgres = durable_postgres()
            url = postgres.create_database("bench")
        else:
            url = f"sqlite:///{work}/bench.db"
        sample_path = work / "ids.json"
        print(f"loading the data set (scale {args.scale}) into {url}", flush=True)
        # With a baseline, its code loads the data set (the older schema), and the baseline gets a copy of its
        # own: ours upgrades the one it serves, which the older code might not read or write (its journal).
        loader = {} if args.baseline is None else {"PYTHONPATH": str(args.baseline.resolve() / "src")}
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
            env={**os.environ, **loader},
        )
        if args.baseline is not None:
            base_url = _copy_for_baseline(url, work, postgres)
    assert sample_path is not None
    sample = json.loads(sample_path.read_text())
    scripts = write_scripts(sample, work)
    ours_port, ceiling_port = free_port(), free_port()
    # Further servers of ours, measured on the same scenarios in the same rounds: label -> (command, env, log).
    variants: dict[str, tuple[list[str], dict[str, str], Path | None]] = {}
    if args.baseline is not None:
        variants["base"] = (
            serve_command(base_url, free_port(), workers=args.workers),
            {"PYTHONPATH": str(args.baseline.resolve() / "src")},
            None,
        )
    for log_format in args.access_log:
        variants[f"log-{log_format}"] = (
            serve_command(url, free_port(), workers=args.workers, log=log_format),
            {},
            work / f"access-{log_format}.log",
        )
    variant_names = [f"{name}@{label}" for label in variants for name in OURS]
    results = {name: Measurement(name) for name in (*OURS, *CEILING, *peers.SCENARIOS, *variant_names)}
    only = set(args.only or ()) | (set(peers.SCENARIOS) if "peers" in (args.only or ()) else set())
    selected = [
        n
        for n in results
        if (not only or n.split("@")[0] in only) and not (args.no_peers and n in peers.SCENARIOS)
    ]
    server = serve_command(url, ours_port, workers=args.workers)
    ceiling = [PYTHON, str(HERE / "ceiling.py"), url, str(ceiling_port), str(args.workers)]
    cpu = "1" if args.workers == 1 else "0,1"
    with (
        process(server, cpu=cpu) as ours,
        process(ceiling, cpu=cpu) as floor,
        ExitStack() as stack,
    ):
        others = {
            label: (
                int(command[command.index("--port") + 1]),
                stack.enter_context(process(command, cpu=cpu, env=env, stderr=log)),
            )
            for label, (command, env, log) in variants.items()
        }
        wait_ready(f"http://127.0.0.1:{ours_port}/health")
        wait_ready(f"http://127.0.0.1:{ceiling_port}/hello")
        for port, _ in others.values():
            wait_ready(f"http://127.0.0.1:{port}/health")
        # The peers sit on the server's core too, idle while the others are measured.
        running_peers = peers.start(
            stack,
            process,
            names=selected,
            ours_url=f"http://127.0.0.1:{ours_port}",
            sample=sample,
            scripts=scripts,
            work=work,
            rows=args.peer_rows,
        )

        def target(name: str) -> tuple[int, int]:
            scenario, _, label = name.partition("@")
            if label:
                port, proc = others[label]
                return port, proc.pid
            return (ours_port, ours.pid) if scenario in OURS else (ceiling_port, floor.pid)

        if args.warmup > 0:
            # Caches filled (verified tokens, parsed filters, statements, pages) before anything counts.
            for name in selected:
                if name not in peers.SCENARIOS:
                    port, pid = target(name)
                    run_wrk(
                        wrk,
                        f"http://127.0.0.1:{port}",
                        scripts[name.split("@")[0]],
                        args.warmup,
                        pid,
                        args.connections,
                    )
        for round_number in range(args.rounds):
            # Every other round in reverse order, so neither side always runs first.
            ordered = selected if round_number % 2 == 0 else list(reversed(selected))
            for name in ordered:
                if name in peers.SCENARIOS:
                    rps, p50, p99, errors, peak = run_peer(
                        wrk, name, running_peers, args.duration, args.connections
                    )
                else:
                    port, pid = target(name)
                    rps, p50, p99, errors, peak = run_wrk(
                        wrk,
                        f"http://127.0.0.1:{port}",
                        scripts[name.split("@")[0]],
                        args.duration,
                        pid,
                        args.connections,
                    )
                m = results[name]
                m.rps.append(rps)
                m.p50_ms.append(p50)
                m.p99_ms.append(p99)
                m.errors += errors
                m.rss_mb = max(m.rss_mb, peak)
                print(
                    f"round {round_number + 1} {name:14s} {rps:9.0f} req/s  p50 {p50:6.2f} ms  p99 {p99:7.2f} ms  non-2xx {errors}  rss {peak:.0f} MB",
                    flush=True,
                )
    report = {n: results[n].median() for n in selected}
    for name in report:
        scenario, _, label = name.partition("@")
        base = RATIOS.get(scenario)
        if base is not None and base in report:
            # A batch carries 20 PATCHes: compare the PATCHes it applies per second.
            per_request = 20 if scenario == "batch" else 1
            report[name]["ratio"] = round(per_request * report[name]["rps"] / report[base]["rps"], 3)
            report[name]["ratio_to"] = base  # type: ignore[assignment]
        if label and scenario in report:
            report[name]["to_main"] = round(report[name]["rps"] / report[scenario]["rps"], 3)
    if "hello" in report:
        for name in report:
            if name != "hello":
                report[name]["to_hello"] = round(report[name]["rps"] / report["hello"]["rps"], 3)
    for ours_name, peer, peer_ratio in peers.compare(report):
        report[peer]["ours"] = ours_name  # type: ignore[assignment]
        report[peer]["ours_ratio"] = round(peer_ratio, 3) if peer_ratio is not None else None  # type: ignore[assignment]
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    meta = {
        "database": args.database if args.database_url is None else url.split(":", 1)[0],
        "scale": args.scale if args.database_url is None else None,
        "shape": sample.get("shape"),
        "duration": args.duration,
        "rounds": args.rounds,
        "cpus": os.cpu_count(),
        "workers": args.workers,
        "load_average_at_end": os.getloadavg(),
        "peers": running_peers.meta,
    }
    (args.out / f"{stamp}-{meta['database']}.json").write_text(
        json.dumps({"meta": meta, "results": report}, indent=1)
    )
    print(f"\nload average at the end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(
        "\n| scenario | req/s | p50 ms | p99 ms | non-2xx | peak RSS MB | ratio | ÷ hello | ÷ same scenario of the main server |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, r in report.items():
        ratio = f"{r['ratio']:.2f} × {r['ratio_to']}" if "ratio" in r else ""
        extra = f" | {r['to_hello']:.3f}" if "to_hello" in r else " | "
        extra += f" | {r['to_main']:.3f}" if "to_main" in r else " | "
        if "ours" in r:
            ratio = f"{r['ours']} = " + (
                f"{r['ours_ratio']:.2f} × this" if r["ours_ratio"] else "n/a (no 2xx)"
            )
        print(
            f"| {name} | {r['rps']:.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['errors']:.0f} | {r['rss_mb']:.0f} | {ratio}{extra} |"
        )
    for line in peers.summary(running_peers.meta):
        print(f"\n{line}")
    shutil.rmtree(work, ignore_errors=True)
    if postgres is not None:
        postgres.close()


def run_peer(
    wrk: str, name: str, running: peers.Peers, duration: int, connections: int
) -> tuple[float, float, float, int, float]:
    """A peer scenario through our wrk command line. Only its 2xx answers count as req/s; its non-2xx
    answers and socket errors are its errors. Then waits until the peer has worked off what wrk left."""
    port, pid = running.targets[name]
    outputs: list[str] = []
    _, p50, p99, _, peak = run_wrk(
        wrk,
        f"http://127.0.0.1:{port}",
        running.scripts[name],
        duration,
        pid,
        connections,
        extra=wrk_extra(duration),
        on_output=outputs.append,
    )
    counts = wrk_counts(outputs[0])
    waited = wait_idle(pid)
    if waited > 2:
        print(f"  {name}: {waited:.0f} s until the peer was idle again", flush=True)
    return round(counts.ok_rps, 2), p50, p99, counts.non_2xx + counts.socket_errors, peak


if __name__ == "__main__":
    main()

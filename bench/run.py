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
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import peers
from dataset import PUBLIC_URL

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
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


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    return "wrk"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def process(
    args: list[str], *, cpu: str, env: dict[str, str] | None = None, stderr: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """``args`` pinned to ``cpu``; its stderr to the file ``stderr`` (a log read later) or a pipe."""
    log = stderr.open("ab") if stderr is not None else None
    proc = subprocess.Popen(
        ["taskset", "-c", cpu, *args],
        stdout=subprocess.DEVNULL,
        stderr=log if log is not None else subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        if log is not None:
            log.close()


def wait_ready(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status < 500:
                    return
        except Exception:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_wrk(
    wrk: str,
    url: str,
    script: Path,
    duration: int,
    pid: int,
    connections: int = 32,
    *,
    extra: Sequence[str] = (),
    on_output: Callable[[str], None] | None = None,
) -> tuple[float, float, float, int, float]:
    peak = [rss_mb(pid)]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.5):
            peak[0] = max(peak[0], rss_mb(pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out = subprocess.run(
        [
            "taskset",
            "-c",
            "0",
            wrk,
            "-t1",
            f"-c{connections}",
            f"-d{duration}s",
            "--latency",
            *extra,
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    stop.set()
    sampler.join()
    if on_output is not None:
        on_output(out)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _latency(out, "50%")
    p99 = _latency(out, "99%")
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = int(bad.group(1)) if bad else 0
    return rps, p50, p99, errors, peak[0]


def _latency(out: str, label: str) -> float:
    match = re.search(rf"{re.escape(label)}\s+([\d.]+)(us|ms|s)", out)
    if match is None:
        return float("nan")
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def lua_table(rows: list[list[str]]) -> str:
    return "{" + ",".join("{" + ",".join(json.dumps(v) for v in row) + "}" for row in rows) + "}"


# A self-initiated course for posts[i] = {token, provider, content, learner, tenant}, with a fresh external id.
_NEW_ACTIVITY = """new_activity = function(p)
  counter = counter + 1
  return '{"@odata.type":"#microsoft.graph.learningSelfInitiatedCourse","learnerUserId":"' .. p[4] ..
    '","learningContentId":"' .. p[3] .. '","status":"inProgress","externalcourseActivityId":"bench-' ..
    os.time() .. '-' .. math.random(1, 1000000000) .. '-' .. counter .. '"}'
end
"""


def serve_command(url: str, port: int, *, workers: int = 1, log: str = "off") -> list[str]:
    """Our server on ``url`` at 127.0.0.1:``port``, without the development identity.

    ``log``: ``off`` (no access line), ``text`` or ``json`` (one access line per request, to stderr).
    """
    logging = ["--log-level", "warning"] if log == "off" else ["--log-level", "info", "--log-format", log]
    return [
        PYTHON,
        "-m",
        "learninggraph",
        "serve",
        "--database",
        url,
        "--port",
        str(port),
        "--no-dev-identity",
        "--public-url",
        PUBLIC_URL,
        "--workers",
        str(workers),
        # By default without the per-request access line: the figures are the API's.
        *logging,
    ]


def write_scripts(sample: dict[str, Any], folder: Path) -> dict[str, Path]:
    """One wrk script per scenario, each picking a random tenant's ids and token per request."""
    acts, learners, posts, batches = [], [], [], []
    learner_ids: list[list[str]] = []
    for tenant in sample["tenants"]:
        token = tenant["appToken"]
        acts += [[token, a, tenant["tenantId"]] for a in tenant["activities"][:2000]]
        learners += [[t, uid] for uid, t in tenant["learnerTokens"]]
        learner_ids += [[tenant["tenantId"], uid] for uid, _ in tenant["learnerTokens"]]
        for provider, contents in tenant["contents"].items():
            posts += [
                [token, provider, content, learner, tenant["tenantId"]]
                for content, learner in zip(contents[:50], tenant["learners"][:50], strict=False)
            ]
        batches.append([token, *tenant["activities"][:400]])
    common = "math.randomseed(os.time())\ncounter = 0\n" + _NEW_ACTIVITY
    scripts = {
        "get": f"""{common}acts = {lua_table(acts)}
request = function()
  local a = acts[math.random(#acts)]
  return wrk.format("GET", "/v1.0/employeeExperience/learningCourseActivities/" .. a[2], {{["Authorization"] = "Bearer " .. a[1]}})
end""",
        "patch": f"""{common}acts = {lua_table(acts)}
request = function()
  local a = acts[math.random(#acts)]
  local body = '{{"completionPercentage":' .. math.random(0, 100) .. '}}'
  return wrk.format("PATCH", "/v1.0/employeeExperience/learningCourseActivities/" .. a[2],
    {{["Authorization"] = "Bearer " .. a[1], ["Content-Type"] = "application/json"}}, body)
end""",
        "post": f"""{common}posts = {lua_table(posts)}
request = function()
  local p = posts[math.random(#posts)]
  local body = new_activity(p)
  return wrk.format("POST", "/v1.0/employeeExperience/learningProviders/" .. p[2] .. "/learningCourseActivities",
    {{["Authorization"] = "Bearer " .. p[1], ["Content-Type"] = "application/json"}}, body)
end""",
        "list": f"""{common}learners = {lua_table(learners)}
request = function()
  local l = learners[math.random(#learners)]
  return wrk.format("GET", "/v1.0/users/" .. l[2] .. "/employeeExperience/learningCourseActivities?$filter=status%20ne%20%27completed%27&$top=50",
    {{["Authorization"] = "Bearer " .. l[1]}})
end""",
        "batch": f"""{common}batches = {lua_table(batches)}
request = function()
  local b = batches[math.random(#batches)]
  local items = {{}}
  for i = 1, 20 do
    local id = b[math.random(2, #b)]
    items[i] = '{{"id":"' .. i .. '","method":"PATCH","url":"/employeeExperience/learningCourseActivities/' .. id ..
      '","headers":{{"Content-Type":"application/json"}},"body":{{"completionPercentage":' .. math.random(0, 100) .. '}}}}'
  end
  return wrk.format("POST", "/v1.0/$batch", {{["Authorization"] = "Bearer " .. b[1], ["Content-Type"] = "application/json"}},
    '{{"requests":[' .. table.concat(items, ",") .. ']}}')
end""",
        "token": f"""{common}clients = {lua_table([[t["tenantId"], t["clientId"], t["clientSecret"]] for t in sample["tenants"]])}
request = function()
  local c = clients[math.random(#clients)]
  return wrk.format("POST", "/" .. c[1] .. "/oauth2/v2.0/token", {{["Content-Type"] = "application/x-www-form-urlencoded"}},
    "grant_type=client_credentials&client_id=" .. c[2] .. "&client_secret=" .. c[3] .. "&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default")
end""",
        "hello": "request = function() return wrk.format('GET', '/hello') end",
        "min_get": f"""{common}acts = {lua_table(acts)}
request = function()
  local a = acts[math.random(#acts)]
  return wrk.format("GET", "/min/" .. a[3] .. "/activities/" .. a[2])
end""",
        "min_post": f"""{common}posts = {lua_table(posts)}
request = function()
  local p = posts[math.random(#posts)]
  local body = new_activity(p)
  return wrk.format("POST", "/min/" .. p[5] .. "/activities/" .. p[2], {{["Content-Type"] = "application/json"}}, body)
end""",
        "min_list": f"""{common}learners = {lua_table(learner_ids)}
request = function()
  local l = learners[math.random(#learners)]
  return wrk.format("GET", "/min/" .. l[1] .. "/learners/" .. l[2] .. "/page")
end""",
        "min_token": f"""{common}clients = {lua_table([[t["tenantId"], t["clientId"], t["clientSecret"]] for t in sample["tenants"]])}
request = function()
  local c = clients[math.random(#clients)]
  return wrk.format("POST", "/min/" .. c[1] .. "/token/x", {{["Content-Type"] = "application/x-www-form-urlencoded"}},
    "grant_type=client_credentials&client_id=" .. c[2] .. "&client_secret=" .. c[3] .. "&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default")
end""",
        "min_patch": f"""{common}acts = {lua_table(acts)}
request = function()
  local a = acts[math.random(#acts)]
  return wrk.format("PATCH", "/min/" .. a[3] .. "/activities/" .. a[2], {{["Content-Type"] = "application/json"}},
    '{{"status":"inProgress","completionPercentage":' .. math.random(0, 100) .. '}}')
end""",
    }
    paths = {}
    for name, text in scripts.items():
        path = folder / f"{name}.lua"
        path.write_text(text)
        paths[name] = path
    return paths


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
    postgres = None
    if url is None:
        if args.database == "postgresql":
            postgres = durable_postgres()
            url = postgres.create_database("bench")
        else:
            url = f"sqlite:///{work}/bench.db"
        sample_path = work / "ids.json"
        print(f"loading the data set (scale {args.scale}) into {url}", flush=True)
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
    assert sample_path is not None
    sample = json.loads(sample_path.read_text())
    scripts = write_scripts(sample, work)
    ours_port, ceiling_port = free_port(), free_port()
    # Further servers of ours, measured on the same scenarios in the same rounds: label -> (command, env, log).
    variants: dict[str, tuple[list[str], dict[str, str], Path | None]] = {}
    if args.baseline is not None:
        variants["base"] = (
            serve_command(url, free_port(), workers=args.workers),
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
        extra=peers.wrk_extra(duration),
        on_output=outputs.append,
    )
    counts = peers.wrk_counts(outputs[0])
    waited = peers.wait_idle(pid)
    if waited > 2:
        print(f"  {name}: {waited:.0f} s until the peer was idle again", flush=True)
    return round(counts.ok_rps, 2), p50, p99, counts.non_2xx + counts.socket_errors, peak


def durable_postgres() -> Any:
    """A private PostgreSQL cluster on a unix socket, with the durable settings a real one runs."""
    sys.path.insert(0, str(ROOT))
    from tests.postgres_server import PostgresServer, find_bin_dir

    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise SystemExit("PostgreSQL is not installed: apt-get install postgresql")
    server = PostgresServer(bin_dir)
    with (server.data / "postgresql.conf").open("a") as conf:
        conf.write("fsync = on\nsynchronous_commit = on\nfull_page_writes = on\nshared_buffers = '1GB'\n")
    server.stop()
    server.start()
    return server


if __name__ == "__main__":
    main()

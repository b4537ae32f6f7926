"""CPU time per request of our request path and of the minimal handlers, in one process, with no server.

    python bench/inprocess.py --database sqlite:///bench.db --sample ids.json [--requests 3000] [--profile get]

Each scenario of ``bench/run.py`` is sent straight to the ASGI callables (our ``Edge`` and ``bench/ceiling.py``'s
app) on one event loop, interleaved, so the figures hold still on a shared machine where wrk's do not: the
process's own CPU seconds per request, best of ``--repeat``. ``--profile NAME`` prints a cProfile of that
scenario through our app instead.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import logging
import os
import pstats
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from asgi_requests import App, Request, call, requests  # noqa: E402
from ceiling import make_app  # noqa: E402
from dataset import PUBLIC_URL  # noqa: E402

from learninggraph.app import create_app  # noqa: E402
from learninggraph.settings import Settings  # noqa: E402
from learninggraph.storage.database import Database  # noqa: E402


async def measure(app: App, make: Callable[[], Request], count: int, *, warm: bool = True) -> float:
    """CPU microseconds per request (the process's time, so thread lanes count too)."""
    for _ in range(max(1, count // 2) if warm else 0):  # warm caches: tokens, filters, pages
        request = make()
        status = await call(app, request)
        if status >= 400:
            raise SystemExit(f"{request[0]} {request[1]} answered {status}")
    prepared = [make() for _ in range(count)]
    started = time.process_time()
    for request in prepared:
        await call(app, request)
    return (time.process_time() - started) / count * 1e6


PAIRS = {
    "get": "min_get",
    "patch": "min_patch",
    "post": "min_post",
    "list": "min_list",
    "batch": "min_patch",
    "batch_post": "min_post",
    "token": "min_token",
}


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", required=True)
    parser.add_argument("--sample", type=Path, required=True)
    parser.add_argument("--requests", type=int, default=300, help="per batch")
    parser.add_argument("--repeat", type=int, default=10, help="batches per scenario")
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--profile", help="a scenario to profile through our app")
    parser.add_argument(
        "--access-log",
        action="store_true",
        help="instead: our app with the access log off, as text and as JSON (to a file), interleaved",
    )
    parser.add_argument("--no-journal", action="store_true", help="our app with the request journal off")
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--lines", type=int, default=40)
    args = parser.parse_args()
    sample = json.loads(args.sample.read_text())
    rng = random.Random(1)
    makers = requests(sample, rng)
    ours = create_app(
        Settings(
            database_url=args.database,
            public_url=PUBLIC_URL,
            create_dev_identity=False,
            journal=not args.no_journal,
        )
    )
    ceiling = make_app(Database(args.database))
    # Every learner token verified once, as a running server has after its first seconds.
    for tenant in sample["tenants"]:
        for learner, token in tenant["learnerTokens"]:
            path = f"/v1.0/users/{learner}/employeeExperience/learningCourseActivities"
            await call(ours, ("GET", path, "$top=1", [(b"authorization", f"Bearer {token}".encode())], b""))
    if args.profile:
        count = args.requests
        await measure(ours, makers[args.profile], count // 10)
        if (
            args.sort == "none"
        ):  # for a sampling profiler outside: py-spy record -- python bench/inprocess.py ...
            print(f"{await measure(ours, makers[args.profile], count):.0f} µs per request")
            return
        profiler = cProfile.Profile()
        profiler.enable()
        await measure(ours, makers[args.profile], count)
        profiler.disable()
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.lines)
        return
    if args.access_log:
        await access_log_costs(args, makers)
        return
    names = [n for n in PAIRS if not args.only or n in args.only]
    best: dict[str, float] = {}
    for name in names:  # warm every scenario once: caches, statements, pages
        await measure(ours, makers[name], 20 if name.startswith("batch") else 200)
        await measure(ceiling, makers[PAIRS[name]], 200)
    # Many short interleaved batches, the fastest of each kept: a neighbour's load only ever adds time.
    for _ in range(args.repeat):
        for name in names:
            for which, app, scenario in (("ours", ours, name), ("min", ceiling, PAIRS[name])):
                count = args.requests // (20 if scenario.startswith("batch") else 1)
                us = await measure(app, makers[scenario], count, warm=False)
                key = f"{which}:{scenario}"
                best[key] = min(best.get(key, us), us)
    print("| scenario | ours µs/request | minimal µs/request | ratio (minimal ÷ ours) |")
    print("|---|---|---|---|")
    for name in names:
        ours_us, min_us = best[f"ours:{name}"], best[f"min:{PAIRS[name]}"]
        per = ours_us / 20 if name.startswith("batch") else ours_us
        print(f"| {name} | {ours_us:.0f} | {min_us:.0f} | {min_us / per:.2f} |")


async def access_log_costs(args: argparse.Namespace, makers: dict[str, Callable[[], Request]]) -> None:
    """CPU per request with the access line off, and as text and as JSON written to a file, each the way it was
    written before (through the logging module: a record, a formatter, a flushed write per line, ``json.dumps``)
    and the way it is now (the console's buffer): the same process, the same requests, the modes interleaved
    batch by batch."""
    import tempfile

    from learninggraph.http import access_log
    from learninggraph.http.access_log import configure_logging

    folder = Path(tempfile.mkdtemp(prefix="learninggraph-access-"))
    modes = ("off", "text before", "text now", "json before", "json now")
    apps = {
        mode: create_app(
            Settings(
                database_url=args.database,
                public_url=PUBLIC_URL,
                create_dev_identity=False,
                log_format="json" if mode.startswith("json") else "text",
            )
        )
        for mode in modes
    }
    handlers: dict[str, logging.Handler] = {}
    for mode in ("text", "json"):
        stream = open(folder / f"{mode}-before.log", "a")  # noqa: SIM115 (closed with the process)
        before = logging.StreamHandler(stream)
        before.setFormatter(
            _BeforeJsonFormatter()
            if mode == "json"
            else logging.Formatter("%(asctime)s %(levelname)s %(message)s")
        )
        handlers[f"{mode} before"] = before
        configure_logging(level="info", json_lines=mode == "json")
        now = logging.getLogger("learninggraph").handlers[0]
        now.stream = open(folder / f"{mode}-now.log", "a")  # type: ignore[attr-defined]  # noqa: SIM115
        handlers[f"{mode} now"] = now
    msgspec_encode = access_log._encode

    def dumps_encode(entry: object) -> bytes:
        return json.dumps(entry, separators=(",", ":")).encode()

    root = logging.getLogger("learninggraph")
    names = [n for n in ("get", "patch", "list") if not args.only or n in args.only]
    best: dict[str, float] = {}
    exchange = access_log.Exchange(
        "GET",
        "/v1.0/employeeExperience/learningProviders/7d3c1a52-4bbf-4a2e-9c7e-1f0f1e1b2c3d",
        "/v1.0/employeeExperience/learningProviders/{provider}",
        200,
        0.000734,
        "b0c1d2e3-f4a5-4b6c-8d7e-9f0a1b2c3d4e",
        "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        "11111111-2222-4333-8444-555555555555",
        operation="learningProviders.get",
        rule="ok",
    )
    for _ in range(args.repeat):
        for mode in modes[1:]:
            root.setLevel(logging.INFO)
            root.handlers[:] = [handlers[mode]]
            access_log._encode = dumps_encode if mode.endswith("before") else msgspec_encode
            line = access_log.AccessLog(json_lines=mode.startswith("json"))
            started = time.process_time()
            for _ in range(5000):
                line(exchange)
            handlers[mode].flush()
            us = (time.process_time() - started) / 5000 * 1e6
            best[f"line {mode}"] = min(best.get(f"line {mode}", us), us)
    print("CPU µs per access line alone (best of --repeat, 5,000 lines each, flushes included):")
    print(" | ".join(f"{m}: {best[f'line {m}']:.1f}" for m in modes[1:]))
    for _ in range(args.repeat):
        for name in names:
            for mode, app in apps.items():
                root.setLevel(logging.WARNING if mode == "off" else logging.INFO)
                root.handlers[:] = [handlers[mode]] if mode != "off" else [handlers["text now"]]
                access_log._encode = dumps_encode if mode.endswith("before") else msgspec_encode
                us = await measure(app, makers[name], args.requests)
                best[f"{name} {mode}"] = min(best.get(f"{name} {mode}", us), us)
    for handler in handlers.values():
        handler.flush()
    lines = {path.name: sum(1 for _ in path.open()) for path in sorted(folder.glob("*.log"))}
    print(f"load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())}; access lines written: {lines}")
    print(
        "| scenario | log off µs | "
        + " | ".join(f"{m} µs" for m in modes[1:])
        + " | "
        + " | ".join(f"{m}: line's share of the request" for m in modes[1:])
        + " |"
    )
    print("|---" * (2 * len(modes)) + "|")
    for name in names:
        off = best[f"{name} off"]
        figures = [best[f"{name} {m}"] for m in modes[1:]]
        shares = [max(0.0, (f - off) / off) for f in figures]
        print(
            f"| {name} | {off:.0f} | "
            + " | ".join(f"{f:.0f}" for f in figures)
            + " | "
            + " | ".join(f"{share:.0%}" for share in shares)
            + " |"
        )


class _BeforeJsonFormatter(logging.Formatter):
    """The JSON formatter the console used before (``time`` put first in the access log's object)."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        return f'{{"time":{json.dumps(self.formatTime(record))},{message[1:]}'


if __name__ == "__main__":
    asyncio.run(main())

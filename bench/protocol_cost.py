"""CPU per request through the connection layer too: raw HTTP bytes into the server's protocol, no socket.

    python bench/protocol_cost.py --database sqlite:///bench.db --sample ids.json [--only get patch] \
        [--requests 300] [--repeat 10] [--profile get]

Like ``bench/inprocess.py``, but each request enters as the bytes a client sends, through uvicorn's httptools
protocol with our connection guards (``http.connections.GuardedProtocol``, as ``serve`` runs it), and leaves
as the bytes written back, on uvloop; only the kernel's socket work is left out. Our app and
``bench/ceiling.py``'s minimal one are measured in turn, interleaved, the best of ``--repeat`` batches kept.
The difference from ``bench/inprocess.py``'s figures is what the connection layer spends on each app's
requests (the headers it checks and writes, its timers); ``--profile NAME`` prints a cProfile of NAME.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvloop

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from asgi_requests import Request, call, requests  # noqa: E402
from ceiling import make_app  # noqa: E402
from dataset import PUBLIC_URL  # noqa: E402
from inprocess import PAIRS  # noqa: E402

from learninggraph.app import create_app  # noqa: E402
from learninggraph.http.connections import GuardedProtocol, server_config  # noqa: E402
from learninggraph.settings import Settings  # noqa: E402
from learninggraph.storage.database import Database  # noqa: E402


class MemoryTransport(asyncio.Transport):
    """What the protocol writes, kept; the end of each answer wakes whoever waits for it."""

    def __init__(self) -> None:
        super().__init__()
        self.written: list[bytes] = []
        self.closing = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8000)}.get(name, default)


def raw_request(request: Request) -> bytes:
    method, path, query, headers, body = request
    target = path + ("?" + query if query else "")
    lines = [f"{method} {target} HTTP/1.1".encode(), b"host: 127.0.0.1:8000"]
    lines += [name + b": " + value for name, value in headers if name != b"host"]
    if body:
        lines.append(b"content-length: " + str(len(body)).encode())
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


class Connection:
    """One keep-alive connection into a protocol serving ``app``."""

    def __init__(self, app: Any) -> None:
        config = server_config(app, Settings(), log_level="warning", access_log=False, lifespan="off")
        config.load()
        from uvicorn.server import ServerState

        self.transport = MemoryTransport()
        self.protocol = GuardedProtocol(config, ServerState(), {}, asyncio.get_running_loop())
        self.protocol.connection_made(self.transport)

    async def send(self, raw: bytes) -> bytes:
        self.transport.written.clear()
        self.protocol.data_received(raw)
        tasks = list(self.protocol.tasks)
        await asyncio.gather(*tasks)
        return b"".join(self.transport.written)


async def measure(connection: Connection, make: Callable[[], Request], count: int) -> float:
    prepared = [raw_request(make()) for _ in range(count)]
    started = time.process_time()
    for raw in prepared:
        await connection.send(raw)
    return (time.process_time() - started) / count * 1e6


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", required=True)
    parser.add_argument("--sample", type=Path, required=True)
    parser.add_argument("--requests", type=int, default=300, help="per batch")
    parser.add_argument("--repeat", type=int, default=10, help="batches per scenario")
    parser.add_argument("--only", nargs="*", default=["get", "patch", "list", "token"])
    parser.add_argument("--profile", help="a scenario to profile through our app")
    parser.add_argument("--show", help="print one answer of this scenario through our app, then stop")
    parser.add_argument(
        "--sort", default="tottime", help="cProfile's order; 'none': no cProfile (for py-spy record -- ...)"
    )
    parser.add_argument("--lines", type=int, default=45)
    args = parser.parse_args()
    sample = json.loads(args.sample.read_text())
    makers = requests(sample, random.Random(1))
    settings = Settings(
        database_url=args.database, public_url=PUBLIC_URL, create_dev_identity=False, journal=False
    )
    app = create_app(settings)
    ours, minimal = Connection(app), Connection(make_app(Database(args.database)))
    for tenant in sample["tenants"]:  # every learner token verified once, as in a running server
        for learner, token in tenant["learnerTokens"]:
            path = f"/v1.0/users/{learner}/employeeExperience/learningCourseActivities"
            await call(app, ("GET", path, "$top=1", [(b"authorization", f"Bearer {token}".encode())], b""))
    if args.show:
        print((await ours.send(raw_request(makers[args.show]()))).decode())
        return
    if args.profile:
        await measure(ours, makers[args.profile], args.requests)
        if args.sort == "none":
            print(f"{await measure(ours, makers[args.profile], args.requests):.0f} µs per request")
            return
        profiler = cProfile.Profile()
        profiler.enable()
        await measure(ours, makers[args.profile], args.requests)
        profiler.disable()
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.lines)
        return
    names = [n for n in args.only if n in PAIRS]
    for name in names:
        await measure(ours, makers[name], 200)
        await measure(minimal, makers[PAIRS[name]], 200)
    best: dict[str, float] = {}
    for _ in range(args.repeat):
        for name in names:
            for which, connection, scenario in (("ours", ours, name), ("min", minimal, PAIRS[name])):
                us = await measure(connection, makers[scenario], args.requests)
                best[f"{which}:{scenario}"] = min(best.get(f"{which}:{scenario}", us), us)
    print("| scenario | ours µs/request | minimal µs/request | ratio (minimal ÷ ours) |")
    print("|---|---|---|---|")
    for name in names:
        ours_us, min_us = best[f"ours:{name}"], best[f"min:{PAIRS[name]}"]
        print(f"| {name} | {ours_us:.0f} | {min_us:.0f} | {min_us / ours_us:.2f} |")


if __name__ == "__main__":
    uvloop.run(main())

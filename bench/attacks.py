"""Exhaustion attacks against one server: a normal GET's latency idle vs during each attack, and memory after.

    python bench/attacks.py [--seconds 8] [--only NAME ...]

Starts ``learninggraph serve`` (SQLite, default limits) on 127.0.0.1 with a tenant, an app, a learner and a
provider holding large contents, then runs each attack for ``--seconds`` (each stops by itself):

- ``repeated-headers``: requests with 150,000 copies of one header (1.2 MB), back to back;
- ``huge-header``: requests with one 48 MB header, back to back;
- ``slow-headers``: 200 connections sending one header line a second, never ending their headers (reopened when
  the server closes them);
- ``idle-sockets``: 900 connections that send nothing (within the default cap of 1000), reopened when closed;
- ``big-batch``: two clients posting a ``$batch`` of 20 listings with ``$top=1000`` over large contents;
- ``sign-ins``: 20 clients signing in with the password grant as fast as they can.

Meanwhile one client sends a normal Graph GET (a learning content by id, with an app token) in a loop. Targets, per
attack: the median latency of that GET during the attack at most 10x its idle median, and the server's RSS
a few seconds after the attack within 20% of its idle RSS. Prints a table with a verdict per attack.
"""

from __future__ import annotations

import argparse
import resource
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from processes import free_port, process, rss_mb, serve_command, wait_ready  # noqa: E402

from learninggraph.identity.directory import Directory  # noqa: E402
from learninggraph.identity.keys import SigningKeys  # noqa: E402
from learninggraph.identity.tokens import TokenIssuer  # noqa: E402
from learninggraph.settings import Settings  # noqa: E402
from learninggraph.storage.database import Database  # noqa: E402
from learninggraph.storage.migrations import upgrade  # noqa: E402

LATENCY_FACTOR = 10.0
MEMORY_FACTOR = 1.2
SETTLE_SECONDS = 3.0
CONTENTS = 1000
PASSWORD = "correct horse battery staple"
PERMISSIONS = ["LearningContent.Read.All", "LearningContent.ReadWrite.All"]


@dataclass
class World:
    base: str
    tenant_id: str
    client_id: str
    client_secret: str
    user: str
    token: str
    provider: str
    content: str


@dataclass
class Outcome:
    name: str
    idle_ms: float
    during_ms: float
    during_p95_ms: float
    idle_mb: float
    after_mb: float
    peak_mb: float
    attack_requests: int

    @property
    def latency_ok(self) -> bool:
        return self.during_ms <= LATENCY_FACTOR * self.idle_ms

    @property
    def memory_ok(self) -> bool:
        return self.after_mb <= MEMORY_FACTOR * self.idle_mb


def prepare(database_url: str, base: str) -> World:
    database = Database(database_url)
    upgrade(database)
    directory = Directory(database)
    settings = Settings(database_url=database_url)
    issuer = TokenIssuer(keys=SigningKeys.load_or_create(database), settings=settings)
    tenant = directory.create_tenant(name="Contoso")
    app, secret = directory.create_application(tenant_id=tenant.id, name="bench", permissions=PERMISSIONS)
    user = directory.create_user(tenant_id=tenant.id, display_name="Ada", licensed=True, password=PASSWORD)
    token, _ = issuer.application_token(app)
    database.close()
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        delegated, _ = issuer.delegated_token(app.client_id, user, ["LearningProvider.ReadWrite"])
        created = client.post(
            "/v1.0/employeeExperience/learningProviders",
            headers={"Authorization": f"Bearer {delegated}"},
            json={
                "displayName": "Bench",
                "loginWebUrl": "https://bench.example/login",
                **{
                    f"{shape}LogoWebUrlFor{theme}Theme": f"https://bench.example/{shape}-{theme}.png"
                    for shape in ("long", "square")
                    for theme in ("Dark", "Light")
                },
                "isCourseActivitySyncEnabled": True,
            },
        )
        created.raise_for_status()
        provider = created.json()["id"]
        for start in range(0, CONTENTS, 20):
            requests = [
                {
                    "id": str(n),
                    "method": "PATCH",
                    "url": f"/employeeExperience/learningProviders/{provider}/learningContents(externalId='c{n}')",
                    "body": {
                        "title": f"Course {n}",
                        "contentWebUrl": f"https://bench.example/c/{n}",
                        "languageTag": "en-us",
                        "description": "d" * 8000,
                    },
                }
                for n in range(start, start + 20)
            ]
            client.post("/v1.0/$batch", json={"requests": requests}).raise_for_status()
        first = client.get(
            f"/v1.0/employeeExperience/learningProviders/{provider}/learningContents(externalId='c0')"
        )
        first.raise_for_status()
    return World(
        base, tenant.id, app.client_id, secret, user.user_principal_name, token, provider, first.json()["id"]
    )


def normal_latencies(world: World, until: Callable[[], bool]) -> list[float]:
    latencies: list[float] = []
    with httpx.Client(base_url=world.base, timeout=60) as client:
        url = f"/v1.0/employeeExperience/learningProviders/{world.provider}/learningContents/{world.content}"
        headers = {"Authorization": f"Bearer {world.token}"}
        while not until():
            started = time.perf_counter()
            response = client.get(url, headers=headers)
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"the normal GET was answered {response.status_code}")
            time.sleep(0.02)
    return latencies


def _port(world: World) -> int:
    return int(world.base.rsplit(":", 1)[1])


def _raw(world: World, payload: bytes) -> None:
    try:
        with socket.create_connection(("127.0.0.1", _port(world)), timeout=30) as sock:
            for offset in range(0, len(payload), 1 << 16):
                sock.sendall(payload[offset : offset + (1 << 16)])
            sock.recv(4096)
    except OSError:
        pass


def repeated_headers(world: World, stop: threading.Event) -> int:
    payload = b"GET /health HTTP/1.1\r\nHost: x\r\n" + b"x-repeated: a\r\n" * 150_000 + b"\r\n"
    count = 0
    while not stop.is_set():
        _raw(world, payload)
        count += 1
    return count


def huge_header(world: World, stop: threading.Event) -> int:
    payload = b"GET /health HTTP/1.1\r\nHost: x\r\nx-big: " + b"a" * (48 << 20) + b"\r\n\r\n"
    count = 0
    while not stop.is_set():
        _raw(world, payload)
        count += 1
    return count


def _hold_sockets(world: World, stop: threading.Event, count: int, drip: bytes, opening: bytes = b"") -> int:
    opened = 0
    sockets: list[socket.socket | None] = [None] * count
    try:
        while not stop.is_set():
            for index, sock in enumerate(sockets):
                try:
                    if sock is None:
                        sock = socket.create_connection(("127.0.0.1", _port(world)), timeout=5)
                        sock.setblocking(False)
                        sockets[index] = sock
                        opened += 1
                        if opening:
                            sock.send(opening)
                    if drip:
                        sock.send(drip)
                except OSError:
                    if sock is not None:
                        sock.close()
                    sockets[index] = None
            stop.wait(1.0)
    finally:
        for sock in sockets:
            if sock is not None:
                sock.close()
    return opened


def slow_headers(world: World, stop: threading.Event) -> int:
    return _hold_sockets(world, stop, 200, b"x-slow: a\r\n", b"GET /health HTTP/1.1\r\nHost: x\r\n")


def idle_sockets(world: World, stop: threading.Event) -> int:
    return _hold_sockets(world, stop, 900, b"")


def big_batch(world: World, stop: threading.Event) -> int:
    listing = f"/employeeExperience/learningProviders/{world.provider}/learningContents?$top=1000"
    body = {"requests": [{"id": str(n), "method": "GET", "url": listing} for n in range(20)]}
    count = 0
    with httpx.Client(
        base_url=world.base, headers={"Authorization": f"Bearer {world.token}"}, timeout=120
    ) as c:
        while not stop.is_set():
            c.post("/v1.0/$batch", json=body)
            count += 1
    return count


def sign_ins(world: World, stop: threading.Event) -> int:
    form = {
        "grant_type": "password",
        "client_id": world.client_id,
        "client_secret": world.client_secret,
        "username": world.user,
        "password": PASSWORD,
        "scope": "https://graph.microsoft.com/LearningProvider.Read",
    }
    count = 0
    with httpx.Client(base_url=world.base, timeout=60) as client:
        while not stop.is_set():
            client.post(f"/{world.tenant_id}/oauth2/v2.0/token", data=form)
            count += 1
    return count


ATTACKS: dict[str, tuple[Callable[[World, threading.Event], int], int]] = {
    "repeated-headers": (repeated_headers, 2),
    "huge-header": (huge_header, 1),
    "slow-headers": (slow_headers, 1),
    "idle-sockets": (idle_sockets, 1),
    "big-batch": (big_batch, 2),
    "sign-ins": (sign_ins, 20),
}


def measure(world: World, pid: int, name: str, seconds: float) -> Outcome:
    attack, threads = ATTACKS[name]
    idle_until = time.monotonic() + 3
    idle = normal_latencies(world, lambda: time.monotonic() > idle_until)
    idle_mb = rss_mb(pid)
    stop = threading.Event()
    counts: list[int] = []
    workers = [
        threading.Thread(target=lambda: counts.append(attack(world, stop)), daemon=True)
        for _ in range(threads)
    ]
    peak = [idle_mb]

    def sample() -> bool:
        peak[0] = max(peak[0], rss_mb(pid))
        return stop.is_set()

    for worker in workers:
        worker.start()
    timer = threading.Timer(seconds, stop.set)
    timer.start()
    time.sleep(0.5)
    during = normal_latencies(world, sample)
    for worker in workers:
        worker.join(timeout=120)
    time.sleep(SETTLE_SECONDS)
    return Outcome(
        name,
        statistics.median(idle),
        statistics.median(during) if during else float("nan"),
        statistics.quantiles(during, n=20)[-1] if len(during) > 1 else float("nan"),
        idle_mb,
        rss_mb(pid),
        peak[0],
        sum(counts),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--only", nargs="*", choices=sorted(ATTACKS), default=None)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{scratch}/attacks.db"
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with process(serve_command(url, port), cpu="0") as server:
            wait_ready(f"{base}/health")
            world = prepare(url, base)
            for name in args.only or list(ATTACKS):
                outcome = measure(world, server.pid, name, args.seconds)
                outcomes.append(outcome)
                print(
                    f"  {name}: done ({outcome.attack_requests} attack requests or connections)", flush=True
                )
    print()
    print(
        f"{'attack':<18}{'idle GET ms':>12}{'during ms':>11}{'p95 ms':>9}{'x':>7}"
        f"{'idle MB':>9}{'peak MB':>9}{'after MB':>10}{'latency':>9}{'memory':>8}"
    )
    for o in outcomes:
        print(
            f"{o.name:<18}{o.idle_ms:>12.1f}{o.during_ms:>11.1f}{o.during_p95_ms:>9.1f}"
            f"{o.during_ms / o.idle_ms:>7.1f}{o.idle_mb:>9.0f}{o.peak_mb:>9.0f}{o.after_mb:>10.0f}"
            f"{'pass' if o.latency_ok else 'FAIL':>9}{'pass' if o.memory_ok else 'FAIL':>8}"
        )
    return 0 if all(o.latency_ok and o.memory_ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())

"""Password sign-ins from many clients at once, and a health check's latency meanwhile.

``python bench/sign_in_storm.py --clients 40 --seconds 10`` against a fresh SQLite server on loopback;
figures on stdout: sign-ins a second, and the median and 95th-percentile latency of ``GET /health`` while
idle and during the storm.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from learninggraph.domain.permissions import PROVIDER_READ
from learninggraph.identity.directory import Directory
from learninggraph.settings import Settings
from learninggraph.storage.database import Database
from learninggraph.testing import running_server

PASSWORD = "storm-password-1"


def _health_latencies(base_url: str, until: float) -> list[float]:
    latencies: list[float] = []
    with httpx.Client(timeout=120) as client:
        while time.monotonic() < until:
            started = time.perf_counter()
            client.get(f"{base_url}/health")
            latencies.append(time.perf_counter() - started)
            time.sleep(0.02)
    return latencies


def _describe(name: str, latencies: list[float]) -> str:
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"{name}: median {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms ({len(ordered)} requests)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings(
            database_url=f"sqlite:///{Path(scratch) / 'storm.db'}",
            create_dev_identity=False,
            login_failure_limit=None,
        )
        with running_server(settings) as base_url:
            database = Database(settings.database_url)
            directory = Directory(database)
            tenant = directory.create_tenant(name="Storm")
            app, secret = directory.create_application(
                tenant_id=tenant.id, name="storm", permissions=[], delegated_permissions=[PROVIDER_READ]
            )
            user = directory.create_user(
                tenant_id=tenant.id, display_name="Ada", licensed=True, password=PASSWORD
            )
            database.close()
            form = {
                "grant_type": "password",
                "client_id": app.client_id,
                "client_secret": secret,
                "username": user.user_principal_name,
                "password": PASSWORD,
                "scope": PROVIDER_READ,
            }
            idle = _health_latencies(base_url, time.monotonic() + 2)
            until = time.monotonic() + args.seconds
            done: list[int] = []

            def sign_in() -> None:
                with httpx.Client(timeout=120) as client:
                    while time.monotonic() < until:
                        status = client.post(
                            f"{base_url}/{tenant.id}/oauth2/v2.0/token", data=form
                        ).status_code
                        done.append(status)

            started = time.monotonic()
            clients = [threading.Thread(target=sign_in) for _ in range(args.clients)]
            for client in clients:
                client.start()
            storm = _health_latencies(base_url, until)
            for client in clients:
                client.join()
            elapsed = time.monotonic() - started
    ok = sum(1 for status in done if status == 200)
    print(
        f"{args.clients} clients for {elapsed:.1f} s: {ok / elapsed:.1f} sign-ins/s ({len(done) - ok} refused)"
    )
    print(_describe("health while idle", idle))
    print(_describe("health during the storm", storm))


if __name__ == "__main__":
    main()

"""The soak: a steady mixed load on one server for ``--minutes``, its resident memory sampled throughout.

    python bench/soak.py [--database sqlite|postgresql] [--minutes 30] [--rate 200] [--sample-every 10]
    python bench/soak.py --database-url sqlite:///10m.db --sample 10m-ids.json --minutes 15 --probe 30

Loads a small data set (``bench/dataset.py``), or drives one loaded before (``--database-url``, its ids file as
``--sample``; its rows are written to), starts ``learninggraph serve`` on 127.0.0.1 and drives it from
``--clients`` threads at ``--rate`` requests a second in all (0: as fast as they go) with a mix of GET, PATCH,
POST and DELETE of activities, a learner's list page with ``$filter``, ``$batch`` and the token endpoint. The
activities a client creates it deletes again later, so the database keeps its size and a growing page cache
is not mistaken for a leak. The load stops by itself after ``--minutes``.

Before the timed load, ``--fill-token-cache`` tokens (the server's verified-token cache's ceiling by default) are
minted and each used once, so that bounded cache is full from the start instead of filling for half an hour at
the mix's pace. ``--probe SECONDS`` runs the server under ``bench/soak_probe.py``, which writes its memory split
by part (SQLite per connection, glibc's heap, Python's blocks, the token cache) beside the results.

The server's RSS (``VmRSS``) is sampled every ``--sample-every`` seconds. The first third of the run is
warm-up (caches filling, the allocator's arenas). Verdict: *growing* when the least-squares slope over the last
two thirds is above 4 MB an hour (about 100 MB a day) and the median of the last third is above the median of
the middle third by more than 1 MB (so a fit through noise alone does not count); otherwise *flat*. Runs under
10 minutes are not judged. Figures on stdout, samples and counts in bench/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from dataset import Shape, load  # noqa: E402 (bench scripts run from a checkout)
from processes import durable_postgres, free_port, process, rss_mb, serve_command, wait_ready  # noqa: E402
from soak_tenants import (  # noqa: E402
    TenantLoad,
    fill_token_cache,
    refresh_app_tokens,
    refresh_learner_tokens,
    sign_in,
    tenants_from,
)
from soak_verdict import verdict  # noqa: E402

from learninggraph.identity.tokens import CACHE_ENTRIES  # noqa: E402

# Operation weights of the mix (a $batch counts as one request; it carries BATCH_ITEMS items).
MIX = {"get": 30, "patch": 18, "post": 8, "delete": 8, "list": 20, "batch": 6, "token": 10}
BATCH_ITEMS = 10
# Delegated tokens from the data set live an hour; longer soaks mint new ones before then.
LEARNER_TOKEN_REFRESH_SECONDS = 45 * 60


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    by_operation: Counter[str] = field(default_factory=Counter)
    server_errors: Counter[str] = field(default_factory=Counter)
    transport_errors: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, operation: str, status: int) -> None:
        with self.lock:
            self.statuses[status] += 1
            self.by_operation[operation] += 1
            if status >= 500:
                self.server_errors[operation] += 1

    @property
    def requests(self) -> int:
        return sum(self.statuses.values()) + self.transport_errors


class Client:
    """One connection's worth of load: picks an operation by weight, at its share of the rate, until the end."""

    def __init__(
        self, base_url: str, tenants: list[TenantLoad], tally: Tally, deadline: float, rate: float, seed: int
    ) -> None:
        self.base_url = base_url
        self.tenants = tenants
        self.tally = tally
        self.deadline = deadline
        self.interval = 1 / rate if rate > 0 else 0.0
        self.rng = random.Random(seed)
        self.created: list[tuple[TenantLoad, str]] = []
        self.operations = list(MIX)
        self.weights = list(MIX.values())

    def run(self) -> None:
        next_at = time.monotonic()
        with httpx.Client(base_url=self.base_url, timeout=30) as http:
            while time.monotonic() < self.deadline:
                if self.interval:
                    # Paced, catching up at most a second's worth after a slow answer.
                    next_at = max(next_at + self.interval, time.monotonic() - 1)
                    pause = next_at - time.monotonic()
                    if pause > 0:
                        time.sleep(pause)
                operation = self.rng.choices(self.operations, self.weights)[0]
                if operation == "delete" and not self.created:
                    operation = "get"
                try:
                    response = getattr(self, f"op_{operation}")(http, self.rng.choice(self.tenants))
                except httpx.TransportError:
                    with self.tally.lock:
                        self.tally.transport_errors += 1
                    continue
                self.tally.record(operation, response.status_code)

    @staticmethod
    def _bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def op_get(self, http: httpx.Client, tenant: TenantLoad) -> httpx.Response:
        activity = self.rng.choice(tenant.activities)
        return http.get(
            f"/v1.0/employeeExperience/learningCourseActivities/{activity}",
            headers=self._bearer(tenant.app_token),
        )

    def op_patch(self, http: httpx.Client, tenant: TenantLoad) -> httpx.Response:
        activity = self.rng.choice(tenant.activities)
        return http.patch(
            f"/v1.0/employeeExperience/learningCourseActivities/{activity}",
            headers=self._bearer(tenant.app_token),
            json={"completionPercentage": self.rng.randrange(101)},
        )

    def op_post(self, http: httpx.Client, tenant: TenantLoad) -> httpx.Response:
        provider, content, learner = self.rng.choice(tenant.posts)
        response = http.post(
            f"/v1.0/employeeExperience/learningProviders/{provider}/learningCourseActivities",
            headers=self._bearer(tenant.app_token),
            json={
                "@odata.type": "#microsoft.graph.learningSelfInitiatedCourse",
                "learnerUserId": learner,
                "learningContentId": content,
                "status": "inProgress",
                "externalcourseActivityId": f"soak-{uuid.uuid4()}",
            },
        )
        if response.status_code == 201:
            self.created.append((tenant, response.json()["id"]))
        return response

    def op_delete(self, http: httpx.Client, _: TenantLoad) -> httpx.Response:
        tenant, activity = self.created.pop(0)
        return http.delete(
            f"/v1.0/employeeExperience/learningCourseActivities/{activity}",
            headers=self._bearer(tenant.app_token),
        )

    def op_list(self, http: httpx.Client, tenant: TenantLoad) -> httpx.Response:
        learner, token = self.rng.choice(tenant.learner_tokens)
        return http.get(
            f"/v1.0/users/{learner}/employeeExperience/learningCourseActivities",
            params={"$filter": "status ne 'completed'", "$top": "50"},
            headers=self._bearer(token),
        )

    def op_batch(self, http: httpx.Client, tenant: TenantLoad) -> httpx.Response:
        items: list[dict[str, Any]] = []
        for n in range(BATCH_ITEMS):
            url = f"/employeeExperience/learningCourseActivities/{self.rng.choice(tenant.activities)}"
            if n % 2:
                items.append({"id": str(n), "method": "GET", "url": url})
            else:
                items.append(
                    {
                        "id": str(n),
                        "method": "PATCH",
                        "url": url,
                        "headers": {"Content-Type": "application/json"},
                        "body": {"completionPercentage": self.rng.randrange(101)},
                    }
                )
        return http.post("/v1.0/$batch", headers=self._bearer(tenant.app_token), json={"requests": items})

    def op_token(self, http: httpx.Client, tenant: TenantLoad) -> httpx.Response:
        response = sign_in(http, tenant)
        if response.status_code == 200:
            # What a real client does with it: use it from now on (the old one stays valid until it expires).
            tenant.app_token = response.json()["access_token"]
        return response


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--rate", type=float, default=200, help="requests a second in all (0: unlimited)")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--sample-every", type=float, default=10, help="seconds between RSS samples")
    parser.add_argument("--scale", type=float, default=0.01, help="data set scale (bench/dataset.py)")
    parser.add_argument(
        "--database-url", help="drive this database instead of a fresh one (a data set dataset.py loaded)"
    )
    parser.add_argument("--sample", type=Path, help="the ids file dataset.py wrote for --database-url")
    parser.add_argument(
        "--probe-trim",
        action="store_true",
        help="with --probe: glibc's malloc_trim(0) in the server after each probe sample, timed",
    )
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument(
        "--fill-token-cache",
        type=int,
        default=CACHE_ENTRIES,
        help="tokens minted and used once before the timed load, so the server's verified-token cache is "
        "at its ceiling from the start (0: none)",
    )
    parser.add_argument(
        "--probe",
        type=float,
        default=0,
        help="every this many seconds, the server's memory split by part (bench/soak_probe.py); 0: off",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="learninggraph-soak-"))
    postgres = None
    if args.database_url is not None:
        if args.sample is None:
            parser.error("--database-url needs --sample (the ids file dataset.py wrote for it)")
        url = args.database_url
        # The backend the URL names, for the report and its file name (--database is for a new data set).
        args.database = "postgresql" if url.startswith("postgresql") else "sqlite"
        loaded = json.loads(args.sample.read_text())
        print(f"driving the data set at {url} ({loaded.get('shape')})", flush=True)
        tenants = tenants_from(loaded)
        # Its tokens may be older than an hour: fresh ones, as the soak mints them after 45 minutes anyway.
        refresh_app_tokens(url, tenants)
        refresh_learner_tokens(url, tenants)
    else:
        postgres = durable_postgres() if args.database == "postgresql" else None
        url = postgres.create_database("soak") if postgres is not None else f"sqlite:///{work}/soak.db"
        shape = Shape.scaled(args.scale)
        print(f"loading the data set (scale {args.scale}) into {url}", flush=True)
        loaded = load(url, shape, work / "ids.json")
        tenants = tenants_from(loaded)
    port = free_port()
    server = serve_command(url, port)
    probe_path = args.out / f"{time.strftime('%Y%m%d-%H%M%S')}-soak-{args.database}-probe.jsonl"
    if args.probe > 0:
        args.out.mkdir(parents=True, exist_ok=True)
        # The same command line, run by the probe's wrapper in the same process.
        trim = ["--trim"] if args.probe_trim else []
        server = [
            server[0],
            str(HERE / "soak_probe.py"),
            str(probe_path),
            str(args.probe),
            *trim,
            "--",
            *server[3:],
        ]
    tally = Tally()
    samples: list[dict[str, float]] = []
    cpus = f"0-{(os.cpu_count() or 1) - 1}"
    try:
        with process(server, cpu=cpus) as proc:
            wait_ready(f"http://127.0.0.1:{port}/health")
            if args.fill_token_cache > 0:
                filled = time.monotonic()
                fill_token_cache(f"http://127.0.0.1:{port}", tenants, args.fill_token_cache, args.clients)
                print(
                    f"filled the verified-token cache with {args.fill_token_cache} tokens in "
                    f"{time.monotonic() - filled:.0f} s; rss {rss_mb(proc.pid):.1f} MB",
                    flush=True,
                )
            started = time.monotonic()
            deadline = started + args.minutes * 60
            clients = [
                Client(
                    f"http://127.0.0.1:{port}",
                    tenants,
                    tally,
                    deadline,
                    args.rate / args.clients,
                    seed,
                )
                for seed in range(args.clients)
            ]
            threads = [threading.Thread(target=client.run, daemon=True) for client in clients]
            for thread in threads:
                thread.start()
            tokens_minted = started
            while True:
                now = time.monotonic()
                samples.append(
                    {
                        "seconds": round(now - started, 1),
                        "rss_mb": round(rss_mb(proc.pid), 2),
                        "requests": tally.requests,
                        "server_errors": sum(tally.server_errors.values()),
                    }
                )
                print(
                    f"{samples[-1]['seconds']:7.0f} s  rss {samples[-1]['rss_mb']:6.1f} MB  "
                    f"requests {tally.requests}  5xx {samples[-1]['server_errors']:.0f}",
                    flush=True,
                )
                if now >= deadline:
                    break
                if now - tokens_minted > LEARNER_TOKEN_REFRESH_SECONDS:
                    refresh_learner_tokens(url, tenants)
                    tokens_minted = now
                time.sleep(min(args.sample_every, max(0.0, deadline - now)))
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - started
            if proc.poll() is not None:
                raise SystemExit(f"the server exited during the soak ({proc.returncode})")
    finally:
        if postgres is not None:
            postgres.close()
        shutil.rmtree(work, ignore_errors=True)
    middle = min(samples, key=lambda s: abs(s["seconds"] - elapsed / 2))
    report = {
        "meta": {
            "database": args.database,
            "minutes": args.minutes,
            "rate": args.rate,
            "clients": args.clients,
            "scale": args.scale if args.database_url is None else None,
            "shape": loaded.get("shape"),
            "sample_every": args.sample_every,
            "filled_token_cache": args.fill_token_cache,
            "probe": str(probe_path) if args.probe > 0 else None,
            "probe_trim": args.probe_trim,
            "cpus": os.cpu_count(),
            "mix": MIX,
        },
        "seconds": round(elapsed, 1),
        "requests": tally.requests,
        "requests_per_second": round(tally.requests / elapsed, 1),
        "by_operation": dict(tally.by_operation),
        "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
        "server_errors": sum(tally.server_errors.values()),
        "server_errors_by_operation": dict(tally.server_errors),
        "transport_errors": tally.transport_errors,
        "rss_mb": {"start": samples[0]["rss_mb"], "middle": middle["rss_mb"], "end": samples[-1]["rss_mb"]},
        "rss_peak_mb": max(s["rss_mb"] for s in samples),
        **verdict(samples),
        "samples": samples,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{time.strftime('%Y%m%d-%H%M%S')}-soak-{args.database}.json"
    path.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps({k: v for k, v in report.items() if k != "samples"}, indent=1))
    print(f"written to {path}")


if __name__ == "__main__":
    main()

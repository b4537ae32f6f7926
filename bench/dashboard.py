"""Times the dashboard's pages on one tenant holding 1,000,000 course activities, through the real server.

    python bench/dashboard.py --database sqlite:///dashboard-bench.db

The database is loaded with ``bench/dataset.py``'s tables (one tenant, ``--activities`` course activities) if it
holds no tenant. An administrator signs in through the sign-in form; each page is then fetched ``--rounds`` times
over loopback, and the median and 95th percentile of the whole request are printed as a Markdown table.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dataset import Shape, load

from learninggraph.domain.roles import KNOWLEDGE_ADMINISTRATOR
from learninggraph.identity.directory import Directory
from learninggraph.settings import Settings
from learninggraph.storage.database import Database
from learninggraph.testing import running_server

PREFIX = "/_learninggraph/dashboard"
PASSWORD = "dashboard-bench-password"


def prepared(url: str, activities: int) -> tuple[str, str, str, str]:
    """(tenant id, admin user name, a provider id, a learner id), loading the data set when the database is empty."""
    database = Database(url)
    try:
        if database_is_empty(database):
            shape = Shape(tenants=1, learners=20_000, providers=5, contents=2_000, activities=activities)
            load(url, shape, Path(tempfile.mkdtemp()) / "ids.json")
        directory = Directory(database)
        with database.snapshot() as conn:
            tenant_row = conn.fetch_one("SELECT id FROM tenants ORDER BY created_at LIMIT 1")
            assert tenant_row is not None
            tenant = str(tenant_row[0])
            provider = conn.fetch_one(
                "SELECT id FROM learning_providers WHERE tenant_id = ? LIMIT 1", (tenant,)
            )
            learner = conn.fetch_one("SELECT id FROM users WHERE tenant_id = ? LIMIT 1", (tenant,))
            admin = conn.fetch_one(
                "SELECT user_principal_name FROM users WHERE tenant_id = ? AND display_name = 'Bench Admin'",
                (tenant,),
            )
        assert provider is not None and learner is not None
        if admin is None:
            user = directory.create_user(
                tenant_id=tenant, display_name="Bench Admin", licensed=True, password=PASSWORD,
                roles=[KNOWLEDGE_ADMINISTRATOR],
            )  # fmt: skip
            name = user.user_principal_name
        else:
            name = str(admin[0])
        return tenant, name, str(provider[0]), str(learner[0])
    finally:
        database.close()


def database_is_empty(database: Database) -> bool:
    from learninggraph.storage.migrations import upgrade

    upgrade(database)
    with database.snapshot() as conn:
        return conn.fetch_one("SELECT 1 FROM tenants LIMIT 1") is None


def signed_in(base: str, tenant: str, user: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=120)
    form = client.get(f"{PREFIX}/sign-in").text
    match = re.search(r'name="csrf" value="([^"]+)"', form)
    assert match is not None
    answer = client.post(
        f"{PREFIX}/sign-in", data={"csrf": match[1], "tenant": tenant, "username": user, "password": PASSWORD}
    )
    assert answer.status_code == 303, answer.text
    return client


def timed(client: httpx.Client, path: str, rounds: int) -> tuple[float, float]:
    durations = []
    for _ in range(rounds):
        started = time.perf_counter()
        answer = client.get(path)
        durations.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, f"{path}: {answer.status_code}"
    durations.sort()
    return statistics.median(durations), durations[max(0, int(len(durations) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", required=True)
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    tenant, user, provider, learner = prepared(args.database, args.activities)
    with running_server(Settings(database_url=args.database, login_failure_limit=None)) as base:
        client = signed_in(base, tenant, user)
        activities = f"{PREFIX}/providers/{provider}/activities"
        deep = client.get(activities)
        for _ in range(40):  # forty pages in: keyset paging costs what the first page does
            token = re.search(r'activities\?page=([^"&]+)"', deep.text)
            assert token is not None
            deep = client.get(f"{activities}?page={token[1]}")
        pages = {
            "providers": f"{PREFIX}/providers",
            "activities of a provider, first page": activities,
            "activities of a provider, 41st page": str(deep.url.raw_path.decode()),
            "activities of a provider, status=completed": f"{activities}?status=completed",
            "activities of a provider, one learner": f"{activities}?learner={learner}",
            "activities of a provider, one external ID": f"{activities}?external=ext-500000",
            "contents of a provider": f"{PREFIX}/providers/{provider}/contents",
            "learners": f"{PREFIX}/learners",
            "one learner's My learning": f"{PREFIX}/learners/{learner}",
            "organisation page (figures load after)": f"{PREFIX}/overview",
        }
        sys.stdout.write("| page | median ms | p95 ms |\n|---|---:|---:|\n")
        for name, path in pages.items():
            median, p95 = timed(client, path, args.rounds)
            sys.stdout.write(f"| {name} | {median:.1f} | {p95:.1f} |\n")
            sys.stdout.flush()
        figures(client, activities, args.rounds)


def figures(client: httpx.Client, page: str, rounds: int) -> None:
    """The organisation's figures: their first computation in the background, pages meanwhile, then the copy."""
    started = time.perf_counter()
    assert client.get(f"{PREFIX}/overview/data.json").status_code == 202
    meanwhile = []
    while True:
        began = time.perf_counter()
        assert client.get(page).status_code == 200
        meanwhile.append((time.perf_counter() - began) * 1000)
        if client.get(f"{PREFIX}/overview/data.json").status_code == 200:
            break
    computed = time.perf_counter() - started
    median, p95 = timed(client, f"{PREFIX}/overview/data.json", rounds)
    meanwhile.sort()
    sys.stdout.write(
        f"| activities page while the figures compute ({len(meanwhile)} requests) | "
        f"{statistics.median(meanwhile):.1f} | {meanwhile[max(0, int(len(meanwhile) * 0.95) - 1)]:.1f} |\n"
        f"| organisation figures, kept copy (JSON) | {median:.1f} | {p95:.1f} |\n"
        f"\nThe figures' first computation took {computed:.1f} s in the background.\n"
    )


if __name__ == "__main__":
    main()

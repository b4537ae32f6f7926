"""Times the dashboard's journal, fault-rules and minimal-permissions pages on a full journal, through the real
server.

    python bench/dashboard_journal.py --database sqlite:///journal-bench.db

A fresh database gets one tenant whose journal holds ``--entries`` entries (the per-tenant bound by default) and
``--others`` entries of other tenants, with bodies of a few kilobytes, as a busy vendor's would. An administrator
signs in through the sign-in form; each page is fetched ``--rounds`` times over loopback, and the median and 95th
percentile of the whole request are printed as a Markdown table.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dashboard import PASSWORD, PREFIX, signed_in, timed
from learninggraph.domain.permissions import APPLICATION_PERMISSIONS
from learninggraph.domain.roles import KNOWLEDGE_ADMINISTRATOR
from learninggraph.faults.rules import new_rule
from learninggraph.faults.store import add_rule
from learninggraph.identity.directory import Directory
from learninggraph.journal.entry import Body, Caller, Decision, JournalEntry
from learninggraph.journal.store import DEFAULT_MAX_ENTRIES_PER_TENANT, JournalStore
from learninggraph.settings import Settings
from learninggraph.storage.database import Database
from learninggraph.storage.migrations import upgrade
from learninggraph.testing import running_server

ROUTE = "/v1.0/employeeExperience/learningProviders/{provider}/learningContents"
APP_ID = "bench-app"
_BODY = (
    '{"value":[' + ",".join(['{"id":"c","title":"A course of some length","duration":"PT1H"}'] * 40) + "]}"
)


def entry(tenant_id: str, n: int, start: datetime) -> JournalEntry:
    """The n-th request of a busy app: mostly reads, some writes, some refused, a few injected faults."""
    kind = n % 20
    status, method, rule, hint, operation = 200, "GET", "ok", None, "learningContents.list"
    if kind == 0:
        status, rule, hint = 403, "error.Forbidden", "The app holds none of LearningProvider.Read."
        operation = "learningProviders.list"
    elif kind == 1:
        status, rule, hint = 503, "fault.injected", "injected by fault rule r-1: answer 503 to GET any route"
    elif kind in (2, 3):
        status, method, operation = 202, "PATCH", "learningContents.upsertByExternalId"
    return JournalEntry(
        at=start + timedelta(milliseconds=n),
        tenant_id=tenant_id,
        caller=Caller("application", APP_ID, permissions=tuple(sorted(APPLICATION_PERMISSIONS))),
        method=method,
        url=f"/v1.0/employeeExperience/learningProviders/p-1/learningContents?n={n}",
        status=status,
        duration_ms=2.5,
        request_id=str(uuid.uuid4()),
        decision=Decision(rule, hint),
        route=ROUTE,
        operation=operation,
        request_headers=(("Authorization", "Bearer [redacted]"), ("Accept", "application/json")),
        request_body=Body(_BODY[:600], 600) if method == "PATCH" else Body(),
        response_headers=(("Content-Type", "application/json"),),
        response_body=Body(_BODY, len(_BODY)) if status < 300 else Body('{"error":{}}', 12),
    )


def prepared(url: str, entries: int, others: int) -> tuple[str, str]:
    """(tenant id, admin user name), loading the journal when the database holds no tenant."""
    database = Database(url)
    try:
        upgrade(database)
        directory = Directory(database)
        with database.snapshot() as conn:
            row = conn.fetch_one("SELECT id FROM tenants ORDER BY created_at LIMIT 1")
        if row is not None:
            tenant = str(row[0])
            with database.snapshot() as conn:
                admin = conn.fetch_one(
                    "SELECT user_principal_name FROM users WHERE tenant_id = ? AND display_name = 'Bench Admin'",
                    (tenant,),
                )
            assert admin is not None
            return tenant, str(admin[0])
        with directory.atomic() as tx:
            tenant = tx.create_tenant(name="Journal bench").id
            user = tx.create_user(
                tenant_id=tenant, display_name="Bench Admin", licensed=True, password=PASSWORD,
                roles=[KNOWLEDGE_ADMINISTRATOR],
            )  # fmt: skip
        store = JournalStore(database, max_entries_per_tenant=max(entries, DEFAULT_MAX_ENTRIES_PER_TENANT))
        start = datetime.now(UTC) - timedelta(hours=1)
        started = time.perf_counter()
        for first in range(0, others, 1000):
            store.append(
                [entry(f"other-{n % 50}", n, start) for n in range(first, min(first + 1000, others))]
            )
        for first in range(0, entries, 1000):
            store.append([entry(tenant, n, start) for n in range(first, min(first + 1000, entries))])
        sys.stdout.write(f"loaded {entries + others} entries in {time.perf_counter() - started:.1f} s\n\n")
        for n in range(5):
            add_rule(database, new_rule(tenant, status=503, method="GET", route=f"*route{n}*", count=3))
        return tenant, user.user_principal_name
    finally:
        database.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", required=True)
    parser.add_argument("--entries", type=int, default=DEFAULT_MAX_ENTRIES_PER_TENANT)
    parser.add_argument("--others", type=int, default=90_000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    tenant, user = prepared(args.database, args.entries, args.others)
    with running_server(Settings(database_url=args.database, login_failure_limit=None)) as base:
        client = signed_in(base, tenant, user)
        journal = f"{PREFIX}/journal"
        deep = client.get(journal)
        for _ in range(39):  # forty pages in: paging by id costs what the first page does
            token = re.search(r'journal\?page=(\d+)"', deep.text)
            assert token is not None
            deep = client.get(f"{journal}?page={token[1]}")
        request_id = re.search(r'data-request-id="([^"]+)"', deep.text)
        assert request_id is not None
        pages = {
            "journal, first page": journal,
            "journal, 40th page": str(deep.url.raw_path.decode()),
            "journal, status=4xx": f"{journal}?status=4xx",
            "journal, rule=fault.injected": f"{journal}?rule=fault.injected",
            "journal, one app and route": f"{journal}?app={APP_ID}&route={ROUTE}",
            "journal, one entry's page": f"{journal}/{request_id[1]}",
            "fault rules": f"{PREFIX}/faults",
            "minimal permissions of the app (10,000 entries)": f"{PREFIX}/permissions?app={APP_ID}",
        }
        sys.stdout.write("| page | median ms | p95 ms |\n|---|---:|---:|\n")
        for name, path in pages.items():
            median, p95 = timed(client, path, args.rounds)
            sys.stdout.write(f"| {name} | {median:.1f} | {p95:.1f} |\n")
            sys.stdout.flush()
        polled(client, journal, args.rounds)


def polled(client: httpx.Client, journal: str, rounds: int) -> None:
    """The live view's poll when nothing is new (204), what an open page costs every 2 seconds."""
    cursor = re.search(r"journal/live\?after=(\d+)", client.get(journal).text)
    assert cursor is not None
    durations = []
    for _ in range(rounds):
        began = time.perf_counter()
        assert client.get(f"{journal}/live?after={cursor[1]}").status_code == 204
        durations.append((time.perf_counter() - began) * 1000)
    durations.sort()
    sys.stdout.write(
        f"| journal, live poll with nothing new (204) | {statistics.median(durations):.1f} | "
        f"{durations[max(0, int(len(durations) * 0.95) - 1)]:.1f} |\n"
    )


if __name__ == "__main__":
    main()

"""Times the request journal's writer: entries stored per second and the CPU each entry costs.

    python bench/journal.py --database sqlite:///journal-bench.db [--entries 50000] [--bound 10000]

Entries look like a learning API's traffic: a bearer token and six more request headers, a PATCH body of
300 bytes, a JSON response, ten tenants. ``record`` is what a request pays (a queue append); the CPU per
entry is the whole process's (the writer thread's redaction, encoding and database calls included) divided by
the entries, which is what the journal takes from a worker's request throughput.
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from datetime import UTC, datetime

from learninggraph.journal.entry import Body, Caller, Decision, JournalEntry
from learninggraph.journal.store import JournalStore
from learninggraph.journal.writer import JournalWriter
from learninggraph.storage.database import Database
from learninggraph.storage.migrations import upgrade

TOKEN = (
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9." + "eyJhdWQiOiJodHRwczovL2dyYXBoIn0" * 20 + ".c2lnbmF0dXJl" * 20
)
BODY = json.dumps(
    {"@odata.type": "#microsoft.graph.learningAssignment", "status": "inProgress", "completionPercentage": 40}
    | {"notes": {"contentType": "text", "content": "x" * 150}}
)


def _entry(number: int) -> JournalEntry:
    return JournalEntry(
        at=datetime.now(UTC),
        tenant_id=f"tenant-{number % 10}",
        caller=Caller("application", "app", None, ("LearningAssignedCourse.ReadWrite.All",)),
        method="PATCH",
        url=f"/v1.0/employeeExperience/learningProviders/p/learningCourseActivities/{uuid.uuid4()}",
        status=204,
        duration_ms=1.7,
        request_id=str(uuid.uuid4()),
        decision=Decision("ok"),
        route="/employeeExperience/learningProviders/{id}/learningCourseActivities/{id}",
        operation="updateLearningCourseActivity",
        request_headers=(
            ("host", "127.0.0.1:8000"),
            ("authorization", f"Bearer {TOKEN}"),
            ("content-type", "application/json"),
            ("accept", "application/json"),
            ("user-agent", "python-httpx/0.27"),
            ("client-request-id", str(uuid.uuid4())),
            ("sdkversion", "graph-python/1.0"),
        ),
        request_body=Body(BODY, len(BODY)),
        response_headers=(("request-id", "r"), ("client-request-id", "c")),
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", required=True)
    parser.add_argument("--entries", type=int, default=50_000)
    parser.add_argument("--bound", type=int, default=10_000, help="entries kept per tenant")
    args = parser.parse_args()
    database = Database(args.database)
    upgrade(database)
    entries = [_entry(number) for number in range(args.entries)]
    writer = JournalWriter(JournalStore(database, max_entries_per_tenant=args.bound))
    cpu, wall = time.process_time(), time.perf_counter()
    for entry in entries:
        writer.record(entry)
    recorded = time.perf_counter() - wall
    writer.close()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    database.close()
    print(
        f"{database.dialect}: {args.entries / wall:,.0f} entries/s stored, "
        f"record() {recorded / args.entries * 1e6:.2f} µs, CPU {cpu / args.entries * 1e6:.1f} µs per entry, "
        f"{writer.stats.written:,} written, {writer.stats.dropped:,} dropped"
    )


if __name__ == "__main__":
    main()

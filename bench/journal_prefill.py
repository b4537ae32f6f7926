"""Fills the journal of a data set to its per-tenant bound, so a benchmark measures a journal in its steady
state (each batch also evicting as many entries as it adds) rather than a young one.

    python bench/journal_prefill.py --database URL --sample ids.json [--entries 10000]

Entries are GETs of a course activity as the server journals them (a bearer token, a 700-byte JSON answer),
the same number for each of the data set's tenants in a random order, stored through the journal's own store (the code on ``PYTHONPATH``).
"""

from __future__ import annotations

import argparse
import json
import random
import uuid
from datetime import UTC, datetime
from pathlib import Path

from learninggraph.journal.entry import Body, Caller, Decision, JournalEntry
from learninggraph.journal.storage import open_journal_database
from learninggraph.journal.store import JournalStore

BATCH = 512


def sample_entry(tenant_id: str, token: str) -> JournalEntry:
    request_id = str(uuid.uuid4())
    activity = str(uuid.uuid4())
    answer = json.dumps(
        {
            "@odata.context": "http://127.0.0.1/v1.0/$metadata#employeeExperience/learningCourseActivities/$entity",
            "@odata.type": "#microsoft.graph.learningAssignment",
            "id": activity,
            "completionPercentage": 70,
            "externalcourseActivityId": "ext-650",
            "learnerUserId": str(uuid.uuid4()),
            "learningContentId": str(uuid.uuid4()),
            "learningProviderId": str(uuid.uuid4()),
            "status": "completed",
            "assignedDateTime": "2026-01-01T00:00:00Z",
            "assignmentType": "required",
        },
        separators=(",", ":"),
    )
    return JournalEntry(
        at=datetime.now(UTC),
        tenant_id=tenant_id,
        caller=Caller("application", str(uuid.uuid4()), None, ("LearningContent.Read.All",)),
        method="GET",
        url=f"/v1.0/employeeExperience/learningCourseActivities/{activity}",
        status=200,
        duration_ms=0.5,
        request_id=request_id,
        decision=Decision("ok"),
        route="/v1.0/employeeExperience/learningCourseActivities/{activity}",
        operation="learningCourseActivities.get",
        client_request_id=request_id,
        request_headers=(("host", "127.0.0.1"), ("authorization", f"Bearer {token}")),
        response_headers=(("request-id", request_id), ("client-request-id", request_id)),
        response_body=Body(answer, len(answer)),
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", required=True)
    parser.add_argument("--sample", type=Path, required=True)
    parser.add_argument("--entries", type=int, default=10_000, help="per tenant")
    parser.add_argument(
        "--turnovers",
        type=int,
        default=1,
        help="store this many times the entries (each tenant keeping its newest --entries): a journal as a "
        "server leaves it after a long run, its tenants drifted apart",
    )
    args = parser.parse_args()
    tenants = [(t["tenantId"], t["appToken"]) for t in json.loads(args.sample.read_text())["tenants"]]
    journal = open_journal_database(args.database)
    try:
        store = JournalStore(journal, max_entries_per_tenant=args.entries)
        # Each tenant's entries, in a random order (seeded): a server's tenants do not take turns, and how
        # their entries interleave decides which pages an eviction touches later.
        order = [tenant for tenant in tenants for _ in range(args.entries * args.turnovers)]
        random.Random(11).shuffle(order)
        for start in range(0, len(order), BATCH):
            store.append([sample_entry(*tenant) for tenant in order[start : start + BATCH]])
    finally:
        journal.close()


if __name__ == "__main__":
    main()

"""The long schemathesis run: ``python bench/fuzz.py --examples 200`` against a fresh server; figures on stdout."""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import schemathesis
from tests.builders import ALL_DELEGATED_READS
from tests.http.test_fuzzing import run_operations

from learninggraph.domain.permissions import APPLICATION_PERMISSIONS, DELEGATED_PERMISSIONS
from learninggraph.domain.roles import KNOWLEDGE_ADMINISTRATOR
from learninggraph.identity.directory import Directory
from learninggraph.identity.keys import SigningKeys
from learninggraph.identity.tokens import TokenIssuer
from learninggraph.settings import Settings
from learninggraph.storage.database import Database
from learninggraph.testing import running_server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=200, help="generated requests per operation")
    args = parser.parse_args()
    statuses: Counter[int] = Counter()
    original_call = schemathesis.Case.call

    def counting_call(self: Any, *a: Any, **k: Any) -> Any:
        response = original_call(self, *a, **k)
        statuses[response.status_code] += 1
        return response

    schemathesis.Case.call = counting_call  # type: ignore[method-assign]
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="learninggraph-fuzz-") as folder:
        settings = Settings(database_url=f"sqlite:///{folder}/fuzz.db", create_dev_identity=False)
        with running_server(settings) as base_url:
            database = Database(settings.database_url)
            directory = Directory(database)
            minting = dataclasses.replace(settings, public_url=base_url)
            issuer = TokenIssuer(keys=SigningKeys.load_or_create(database), settings=minting)
            tenant = directory.create_tenant(name="Fuzz")
            user = directory.create_user(
                tenant_id=tenant.id,
                display_name="Fuzz Learner",
                licensed=True,
                roles=[KNOWLEDGE_ADMINISTRATOR],
            )
            app, _ = directory.create_application(
                tenant_id=tenant.id,
                name="fuzz",
                permissions=APPLICATION_PERMISSIONS,
                delegated_permissions=DELEGATED_PERMISSIONS,
            )
            tokens = {
                "application": issuer.application_token(app)[0],
                "delegated": issuer.delegated_token(
                    app.client_id, user, [*ALL_DELEGATED_READS, "LearningAssignedCourse.Read"]
                )[0],
            }
            failure = None
            try:
                sent = run_operations(base_url, tokens, max_examples=args.examples)
            except AssertionError as exc:  # report the figures, then the first failure
                failure, sent = exc, sum(statuses.values())
            database.close()
    print(f"requests fuzzed: {sent}")
    print(f"5xx seen: {sum(n for s, n in statuses.items() if s >= 500)}")
    print(f"statuses: {dict(sorted(statuses.items()))}")
    print(f"duration: {time.monotonic() - started:.0f} s")
    if failure is not None:
        print(f"first failure: {failure}")
        raise SystemExit(1)


if __name__ == "__main__":
    main()

"""The long schemathesis runs against a fresh server; figures on stdout.

``python bench/fuzz.py --examples 200`` fuzzes each operation alone. ``python bench/fuzz.py --stateful
--requests 100000 --seconds 7200`` follows the document's links (create, read, update and delete sequences,
signed in with several roles) until the request budget or the time bound is spent, and reports the answers
per operation and status. Either mode fails on any 5xx and on any answer that does not conform to the
document.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import schemathesis
from tests.http.test_fuzzing import FuzzIdentities, Tally, run_operations, run_stateful

from learninggraph.identity.directory import Directory
from learninggraph.identity.keys import SigningKeys
from learninggraph.identity.tokens import TokenIssuer
from learninggraph.settings import Settings
from learninggraph.storage.database import Database
from learninggraph.testing import running_server


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--examples", type=int, default=200, help="generated requests per operation (stateless)"
    )
    parser.add_argument("--stateful", action="store_true", help="follow the document's links")
    parser.add_argument("--requests", type=int, default=10_000, help="request budget (stateful)")
    parser.add_argument("--seconds", type=float, default=600, help="time bound (stateful)")
    parser.add_argument("--steps", type=int, default=40, help="steps per fuzzed scenario (stateful)")
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the token and learner choices (stateful)"
    )
    parser.add_argument("--json", type=Path, help="also write the stateful figures to this file")
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="learninggraph-fuzz-") as folder:
        settings = Settings(database_url=f"sqlite:///{folder}/fuzz.db", create_dev_identity=False)
        with running_server(settings) as base_url:
            database = Database(settings.database_url)
            directory = Directory(database)
            minting = dataclasses.replace(settings, public_url=base_url)
            issuer = TokenIssuer(keys=SigningKeys.load_or_create(database), settings=minting)
            tenant = directory.create_tenant(name="Fuzz")
            identities = FuzzIdentities.create(directory, tenant.id)
            if args.stateful:
                failed = _stateful(base_url, identities, issuer, args, started)
            else:
                failed = _stateless(base_url, identities, issuer, args.examples)
            database.close()
    print(f"duration: {time.monotonic() - started:.0f} s")
    if failed:
        raise SystemExit(1)


def _stateless(base_url: str, identities: FuzzIdentities, issuer: TokenIssuer, examples: int) -> bool:
    statuses: Counter[int] = Counter()
    original_call = schemathesis.Case.call

    def counting_call(self: Any, *a: Any, **k: Any) -> Any:
        response = original_call(self, *a, **k)
        statuses[response.status_code] += 1
        return response

    schemathesis.Case.call = counting_call  # type: ignore[method-assign]
    tokens = identities.tokens(issuer)
    failure = None
    try:
        sent = run_operations(
            base_url,
            {"application": tokens["application"], "delegated": tokens["administrator"]},
            max_examples=examples,
        )
    except AssertionError as exc:  # report the figures, then the first failure
        failure, sent = exc, sum(statuses.values())
    print(f"requests fuzzed: {sent}")
    print(f"5xx seen: {sum(n for s, n in statuses.items() if s >= 500)}")
    print(f"statuses: {dict(sorted(statuses.items()))}")
    if failure is not None:
        print(f"first failure: {failure}")
    return failure is not None


def _stateful(
    base_url: str, identities: FuzzIdentities, issuer: TokenIssuer, args: argparse.Namespace, started: float
) -> bool:
    def progress(tally: Tally) -> None:
        print(
            f"[{time.monotonic() - started:6.0f} s] requests {tally.requests}, 5xx {tally.server_errors}, "
            f"broken answers {len(tally.failures)}, operations succeeded {len(tally.successes())}",
            flush=True,
        )

    tally = run_stateful(
        base_url,
        lambda: identities.tokens(issuer),
        identities.learners,
        max_requests=args.requests,
        max_seconds=args.seconds,
        steps=args.steps,
        seed=args.seed,
        on_round=progress,
    )
    document = httpx.get(f"{base_url}/openapi.json").json()
    operations = [f"{m.upper()} {p}" for p, methods in document["paths"].items() for m in methods]
    successes = tally.successes()
    statuses: Counter[int] = Counter()
    for (_, status), n in tally.statuses.items():
        statuses[status] += n
    print(f"requests: {tally.requests}")
    print(f"statuses: {dict(sorted(statuses.items()))}")
    print(f"5xx: {tally.server_errors}")
    print(f"answers not conforming to the document: {len(tally.failures)}")
    print(
        f"operations reaching their success status: {sum(1 for o in operations if successes[o])}/{len(operations)}"
    )
    for operation in operations:
        answered = {s: n for (label, s), n in sorted(tally.statuses.items()) if label == operation}
        print(f"  {successes[operation]:7d} ok  {operation}  {answered}")
    for failure in tally.failures[:20]:
        print(f"FAILURE {failure}")
    if args.json is not None:
        args.json.write_text(
            json.dumps(
                {
                    "requests": tally.requests,
                    "statuses": {f"{label} {status}": n for (label, status), n in tally.statuses.items()},
                    "failures": tally.failures,
                    "operations": operations,
                }
            )
        )
    missing = [o for o in operations if not successes[o]]
    return bool(tally.failures) or tally.server_errors > 0 or bool(missing)


if __name__ == "__main__":
    main()

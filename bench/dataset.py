"""Loads the benchmark data set into a learninggraph database and writes the ids the load scripts use.

Shape (defaults): 10 tenants, 100,000 learners, 20 providers, 50,000 contents, 1,000,000 course activities,
spread evenly over the tenants. Rows go in through the same migrations and tables the server uses.
"""

from __future__ import annotations

import argparse
import json
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from learninggraph.domain.permissions import APPLICATION_PERMISSIONS
from learninggraph.identity.directory import Directory
from learninggraph.identity.keys import SigningKeys
from learninggraph.identity.tokens import TokenIssuer
from learninggraph.progress import progress
from learninggraph.settings import Settings
from learninggraph.storage.database import Database
from learninggraph.storage.migrations import upgrade

STATUSES = ("notStarted", "inProgress", "completed")
# The issuer origin of the data set's tokens: bench servers are started with it as their --public-url.
PUBLIC_URL = "http://learninggraph.bench"
BATCH = 5_000


@dataclass(frozen=True)
class Shape:
    tenants: int = 10
    learners: int = 100_000
    providers: int = 20
    contents: int = 50_000
    activities: int = 1_000_000

    @classmethod
    def scaled(cls, scale: float) -> Shape:
        """Every count times ``scale``, with at least one learner and activity per tenant, one content per provider."""
        base = cls()
        return cls(
            tenants=base.tenants,
            learners=max(base.tenants, int(base.learners * scale)),
            providers=base.providers,
            contents=max(base.providers, int(base.contents * scale)),
            activities=max(base.tenants, int(base.activities * scale)),
        )


def load(database_url: str, shape: Shape, out: Path, *, seed: int = 7) -> dict[str, Any]:
    """Fills an empty database; returns (and writes to ``out``) what the load generator needs."""
    rng = random.Random(seed)
    database = Database(database_url)
    upgrade(database)
    directory = Directory(database)
    issuer = TokenIssuer(
        keys=SigningKeys.load_or_create(database),
        settings=Settings(database_url=database_url, public_url=PUBLIC_URL),
    )
    started = time.monotonic()
    sample: dict[str, Any] = {"tenants": []}
    learners_per_tenant = shape.learners // shape.tenants
    providers_per_tenant = max(1, shape.providers // shape.tenants)
    contents_per_provider = shape.contents // shape.providers
    activities_per_tenant = shape.activities // shape.tenants
    bar = progress(
        shape.tenants
        * (learners_per_tenant + providers_per_tenant * contents_per_provider + activities_per_tenant),
        "load",
    )
    for t in range(shape.tenants):
        tenant = directory.create_tenant(name=f"Bench tenant {t}")
        app, secret = directory.create_application(
            tenant_id=tenant.id, name="bench sync", permissions=APPLICATION_PERMISSIONS
        )
        learner_ids = [
            str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(learners_per_tenant)
        ]
        _insert_learners(database, tenant.id, learner_ids)
        bar.update(len(learner_ids))
        providers = [str(uuid.uuid4()) for _ in range(providers_per_tenant)]
        contents: dict[str, list[str]] = {}
        with database.transaction() as conn:
            for p in providers:
                conn.execute(
                    "INSERT INTO learning_providers (tenant_id, id, display_name, is_course_activity_sync_enabled,"
                    " long_logo_web_url_for_dark_theme, long_logo_web_url_for_light_theme,"
                    " square_logo_web_url_for_dark_theme, square_logo_web_url_for_light_theme, created_at)"
                    " VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?)",
                    (
                        tenant.id,
                        p,
                        f"Provider {p[:8]}",
                        *["https://bench.example/logo.png"] * 4,
                        "2026-01-01",
                    ),
                )
                contents[p] = []
                for c in range(contents_per_provider):
                    content_id = str(uuid.uuid4())
                    contents[p].append(content_id)
                    conn.execute(
                        "INSERT INTO learning_contents (tenant_id, id, provider_id, external_id, title,"
                        " content_web_url, language_tag, is_active, is_premium, is_searchable, duration)"
                        " VALUES (?, ?, ?, ?, ?, ?, 'en-us', 1, 0, 1, 'PT1H')",
                        (
                            tenant.id,
                            content_id,
                            p,
                            f"course-{c}",
                            f"Course {c}",
                            f"https://bench.example/c/{c}",
                        ),
                    )
        bar.update(sum(len(c) for c in contents.values()))
        activity_ids = _insert_activities(
            database, tenant.id, providers, contents, learner_ids, activities_per_tenant, rng, bar.update
        )
        listing_learners = rng.sample(learner_ids, min(200, len(learner_ids)))
        app_token, _ = issuer.application_token(app)
        learner_tokens = []
        for learner_id in listing_learners:
            user = directory.user(tenant.id, learner_id)
            assert user is not None
            token, _ = issuer.delegated_token(
                app.client_id, user, ["LearningAssignedCourse.Read", "LearningSelfInitiatedCourse.Read"]
            )
            learner_tokens.append([learner_id, token])
        sample["tenants"].append(
            {
                "tenantId": tenant.id,
                "clientId": app.client_id,
                "clientSecret": secret,
                "appToken": app_token,
                "providers": providers,
                "contents": {p: rng.sample(c, min(200, len(c))) for p, c in contents.items()},
                "learners": rng.sample(learner_ids, min(2_000, len(learner_ids))),
                "activities": rng.sample(activity_ids, min(5_000, len(activity_ids))),
                "learnerTokens": learner_tokens,
            }
        )
        bar.write(f"  tenant {t + 1}/{shape.tenants} loaded ({time.monotonic() - started:.0f} s)")
    bar.close()
    database.close()
    sample["shape"] = shape.__dict__
    sample["loadSeconds"] = round(time.monotonic() - started, 1)
    out.write_text(json.dumps(sample))
    return sample


def _insert_learners(database: Database, tenant_id: str, learner_ids: list[str]) -> None:
    for start in range(0, len(learner_ids), BATCH):
        with database.transaction() as conn:
            for n, learner_id in enumerate(learner_ids[start : start + BATCH], start):
                conn.execute(
                    "INSERT INTO users (tenant_id, id, display_name, user_principal_name, has_learning_license,"
                    " created_at) VALUES (?, ?, ?, ?, 1, '2026-01-01')",
                    (tenant_id, learner_id, f"Learner {n}", f"learner{n}@{tenant_id[:8]}.bench.test"),
                )


def _insert_activities(
    database: Database,
    tenant_id: str,
    providers: list[str],
    contents: dict[str, list[str]],
    learner_ids: list[str],
    count: int,
    rng: random.Random,
    advance: Callable[[int], object],
) -> list[str]:
    ids: list[str] = []
    for start in range(0, count, BATCH):
        with database.transaction() as conn:
            for n in range(start, min(count, start + BATCH)):
                provider = providers[n % len(providers)]
                activity_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                ids.append(activity_id)
                is_assignment = n % 3 != 0
                conn.execute(
                    "INSERT INTO learning_course_activities (tenant_id, id, odata_type, provider_id, learner_user_id,"
                    " learning_content_id, external_id, status, completion_percentage, assigned_date_time,"
                    " assignment_type, started_date_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        tenant_id,
                        activity_id,
                        "learningAssignment" if is_assignment else "learningSelfInitiatedCourse",
                        provider,
                        rng.choice(learner_ids),
                        rng.choice(contents[provider]),
                        f"ext-{n}",
                        rng.choice(STATUSES[1:] if not is_assignment else STATUSES),
                        rng.randrange(0, 101),
                        "2026-01-01T00:00:00.000000Z" if is_assignment else None,
                        "required" if is_assignment else None,
                        None if is_assignment else "2026-01-01T00:00:00.000000Z",
                    ),
                )
        advance(min(count, start + BATCH) - start)
    return ids


def refresh_tokens(url: str, ids_path: Path) -> None:
    """Mints new tokens into an ids file, so a data set loaded earlier can be driven after they expire."""
    database = Database(url)
    directory = Directory(database)
    issuer = TokenIssuer(
        keys=SigningKeys.load_or_create(database), settings=Settings(database_url=url, public_url=PUBLIC_URL)
    )
    sample = json.loads(ids_path.read_text())
    for tenant in sample["tenants"]:
        app = directory.application(tenant["clientId"])
        assert app is not None
        tenant["appToken"], _ = issuer.application_token(app)
        for pair in tenant["learnerTokens"]:
            user = directory.user(tenant["tenantId"], pair[0])
            assert user is not None
            pair[1], _ = issuer.delegated_token(
                app.client_id, user, ["LearningAssignedCourse.Read", "LearningSelfInitiatedCourse.Read"]
            )
    ids_path.write_text(json.dumps(sample))
    database.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply every count (0.01 for a smoke run)"
    )
    parser.add_argument(
        "--refresh-tokens", action="store_true", help="only mint new tokens into --out for a loaded data set"
    )
    args = parser.parse_args()
    if args.refresh_tokens:
        refresh_tokens(args.database, args.out)
        return
    shape = Shape.scaled(args.scale)
    load(args.database, shape, args.out)


if __name__ == "__main__":
    main()

"""Loads the benchmark data set into a learninggraph database and writes the ids the load scripts use.

Shape (defaults): 10 tenants, 100,000 learners, 20 providers, 50,000 contents, 1,000,000 course activities,
spread evenly over the tenants; ``--tenants 1 --activities 10000000`` for one big tenant, the other counts in
proportion (``Shape.sized``). Rows go into the tables the server's migrations create, generated in id order in
blocks (``dataset_rows``) and written in one bulk transaction with the indexes built at the end
(``dataset_bulk``), with a progress bar on a terminal.

    python bench/dataset.py --database sqlite:///big.db --out ids.json --tenants 1 --activities 10000000
"""

from __future__ import annotations

import argparse
import json
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dataset_bulk import bulk_writer, generated_ahead
from dataset_rows import (
    ACTIVITY_COLUMNS,
    CONTENT_COLUMNS,
    USER_COLUMNS,
    activity_blocks,
    blocks,
    content_rows,
    sorted_ids,
    user_rows,
)

from learninggraph.domain.permissions import APPLICATION_PERMISSIONS
from learninggraph.identity.directory import Application, Directory
from learninggraph.identity.keys import SigningKeys
from learninggraph.identity.tokens import TokenIssuer
from learninggraph.progress import progress
from learninggraph.settings import Settings
from learninggraph.storage.database import Database
from learninggraph.storage.migrations import upgrade

# The issuer origin of the data set's tokens: bench servers are started with it as their --public-url.
PUBLIC_URL = "http://learninggraph.bench"
# Rows generated and inserted together.
BLOCK = 100_000
# What the ids file keeps of each tenant, at most.
SAMPLED_ACTIVITIES = 5_000
SAMPLED_LEARNERS = 2_000
LISTING_LEARNERS = 200
LEARNER_SCOPES = ["LearningAssignedCourse.Read", "LearningSelfInitiatedCourse.Read"]


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

    @classmethod
    def sized(cls, tenants: int, activities: int) -> Shape:
        """``activities`` over ``tenants`` in the default's proportions: two providers a tenant, ten activities
        a learner, twenty a content (so a learner's list page is the same size at any size)."""
        base = cls()
        return cls(
            tenants=tenants,
            learners=max(tenants, activities * base.learners // base.activities),
            providers=2 * tenants,
            contents=max(2 * tenants, activities * base.contents // base.activities),
            activities=max(tenants, activities),
        )


def load(database_url: str, shape: Shape, out: Path, *, seed: int = 7) -> dict[str, Any]:
    """Fills an empty database; returns (and writes to ``out``) what the load generator needs."""
    rng = random.Random(seed)
    # What the ids file samples, drawn apart from the rows (those are drawn on a thread of their own).
    picker = random.Random(seed + 1)
    started = time.monotonic()
    database = Database(database_url)
    upgrade(database)
    directory = Directory(database)
    apps = []
    for t in range(shape.tenants):
        tenant = directory.create_tenant(name=f"Bench tenant {t}")
        apps.append(
            directory.create_application(
                tenant_id=tenant.id, name="bench sync", permissions=APPLICATION_PERMISSIONS
            )
        )
    database.close()
    learners_per_tenant = shape.learners // shape.tenants
    providers_per_tenant = max(1, shape.providers // shape.tenants)
    contents_per_provider = shape.contents // shape.providers
    activities_per_tenant = shape.activities // shape.tenants
    writer = bulk_writer(database_url)
    bar = progress(
        shape.tenants
        * (learners_per_tenant + providers_per_tenant * contents_per_provider + activities_per_tenant),
        "load",
    )
    picked: list[dict[str, Any]] = []
    for t, (app, _) in enumerate(apps):
        tenant_id = app.tenant_id
        learner_ids: list[str] = []
        for first, count in blocks(learners_per_tenant, BLOCK):
            ids = sorted_ids(first, count, learners_per_tenant, rng)
            writer.insert(
                "users", USER_COLUMNS, user_rows(tenant_id, f"{tenant_id[:8]}.bench.test", ids, first)
            )
            learner_ids += ids
            bar.update(count)
        providers = sorted_ids(0, providers_per_tenant, providers_per_tenant, rng)
        writer.insert(
            "learning_providers",
            PROVIDER_COLUMNS,
            [(tenant_id, p, f"Provider {p[:8]}", 1, *[LOGO] * 4, "2026-01-01") for p in providers],
        )
        contents: dict[str, list[str]] = {p: [] for p in providers}
        content_count = providers_per_tenant * contents_per_provider
        for first, count in blocks(content_count, BLOCK):
            ids = sorted_ids(first, count, content_count, rng)
            writer.insert(
                "learning_contents", CONTENT_COLUMNS, content_rows(tenant_id, providers, ids, first)
            )
            for n, content in enumerate(ids, first):
                contents[providers[n % len(providers)]].append(content)
            bar.update(count)
        activity_sample: list[str] = []
        # The next block is generated on a thread while SQLite inserts this one (it lets go of the GIL).
        generated = activity_blocks(
            tenant_id, providers, contents, learner_ids, activities_per_tenant, BLOCK, rng
        )
        for first, ids, rows in generated_ahead(generated):
            writer.insert("learning_course_activities", ACTIVITY_COLUMNS, rows)
            # This block's share of the sample.
            share = SAMPLED_ACTIVITIES * (first + len(ids)) // activities_per_tenant - len(activity_sample)
            activity_sample += picker.sample(ids, min(len(ids), max(0, share)))
            bar.update(len(ids))
        picked.append(
            {
                "providers": providers,
                "contents": {p: picker.sample(c, min(200, len(c))) for p, c in contents.items()},
                "learners": picker.sample(learner_ids, min(SAMPLED_LEARNERS, len(learner_ids))),
                "listing": picker.sample(learner_ids, min(LISTING_LEARNERS, len(learner_ids))),
                "activities": activity_sample,
            }
        )
        bar.write(f"  tenant {t + 1}/{shape.tenants} loaded ({time.monotonic() - started:.0f} s)")
    bar.close()
    writer.finish()
    sample = {"tenants": _credentials(database_url, apps, picked)}
    sample["shape"] = shape.__dict__
    sample["loadSeconds"] = round(time.monotonic() - started, 1)
    out.write_text(json.dumps(sample))
    return sample


PROVIDER_COLUMNS = (
    "tenant_id",
    "id",
    "display_name",
    "is_course_activity_sync_enabled",
    "long_logo_web_url_for_dark_theme",
    "long_logo_web_url_for_light_theme",
    "square_logo_web_url_for_dark_theme",
    "square_logo_web_url_for_light_theme",
    "created_at",
)
LOGO = "https://bench.example/logo.png"


def _credentials(
    database_url: str, apps: list[tuple[Application, str]], picked: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Each tenant's part of the ids file: its app's credentials and tokens, and the ids picked."""
    database = Database(database_url)
    directory = Directory(database)
    issuer = TokenIssuer(
        keys=SigningKeys.load_or_create(database),
        settings=Settings(database_url=database_url, public_url=PUBLIC_URL),
    )
    tenants = []
    for (app, secret), ids in zip(apps, picked, strict=True):
        app_token, _ = issuer.application_token(app)
        learner_tokens = []
        for learner_id in ids.pop("listing"):
            user = directory.user(app.tenant_id, learner_id)
            assert user is not None
            token, _ = issuer.delegated_token(app.client_id, user, LEARNER_SCOPES)
            learner_tokens.append([learner_id, token])
        tenants.append(
            {
                "tenantId": app.tenant_id,
                "clientId": app.client_id,
                "clientSecret": secret,
                "appToken": app_token,
                **ids,
                "learnerTokens": learner_tokens,
            }
        )
    database.close()
    return tenants


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
            pair[1], _ = issuer.delegated_token(app.client_id, user, LEARNER_SCOPES)
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
        "--activities",
        type=int,
        help="course activities in all (instead of --scale), with learners, providers and contents in proportion",
    )
    parser.add_argument(
        "--tenants", type=int, help="tenants sharing them (default 10, or 1 with --activities)"
    )
    parser.add_argument(
        "--refresh-tokens", action="store_true", help="only mint new tokens into --out for a loaded data set"
    )
    args = parser.parse_args()
    if args.refresh_tokens:
        refresh_tokens(args.database, args.out)
        return
    if args.activities is not None:
        shape = Shape.sized(args.tenants or 1, args.activities)
    else:
        shape = Shape.scaled(args.scale)
        if args.tenants is not None:
            shape = Shape.sized(args.tenants, shape.activities)
    load(args.database, shape, args.out)


if __name__ == "__main__":
    main()

"""The soak's tenants: ids and credentials from a data set, their tokens refreshed, the token cache filled."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from dataset import PUBLIC_URL

from learninggraph.identity.directory import Directory
from learninggraph.identity.keys import SigningKeys
from learninggraph.identity.tokens import TokenIssuer
from learninggraph.settings import Settings
from learninggraph.storage.database import Database

LEARNER_SCOPES = ["LearningAssignedCourse.Read", "LearningSelfInitiatedCourse.Read"]


@dataclass
class TenantLoad:
    """One tenant's ids and credentials, from the data set; ``app_token`` is replaced by the token calls."""

    tenant_id: str
    client_id: str
    client_secret: str
    app_token: str
    activities: list[str]
    posts: list[tuple[str, str, str]]  # provider, content, learner
    learner_tokens: list[tuple[str, str]]  # learner id, delegated token


def sign_in(http: httpx.Client, tenant: TenantLoad) -> httpx.Response:
    """A client-credentials token request for the tenant's application."""
    return http.post(
        f"/{tenant.tenant_id}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": tenant.client_id,
            "client_secret": tenant.client_secret,
            "scope": "https://graph.microsoft.com/.default",
        },
    )


def fill_token_cache(base_url: str, tenants: list[TenantLoad], count: int, threads: int) -> None:
    """``count`` application tokens minted and each used once (a GET), from ``threads`` threads.

    The server keeps every token it verified in a cache of ``CACHE_ENTRIES``: under the mix, which mints a
    token in one request out of ten, that cache fills at the pace of the load (about half an hour at 6 new
    tokens a second). Filled first, it is at its ceiling for the whole run, so memory that grows after the
    warm-up is growth the verdict should see, not a bounded cache still filling.
    """

    refused: Counter[int] = Counter()

    def mint(share: int, seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(base_url=base_url, timeout=30) as http:
            for _ in range(share):
                tenant = rng.choice(tenants)
                response = sign_in(http, tenant)
                if response.status_code != 200:
                    refused[response.status_code] += 1
                    continue
                token = response.json()["access_token"]
                response = http.get(
                    f"/v1.0/employeeExperience/learningCourseActivities/{rng.choice(tenant.activities)}",
                    headers={"Authorization": f"Bearer {token}"},
                )
                if response.status_code != 200:
                    refused[response.status_code] += 1

    workers = [
        threading.Thread(target=mint, args=(count // threads + (n < count % threads), 1000 + n), daemon=True)
        for n in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if refused:
        print(f"while filling the token cache, answers other than 200: {dict(refused)}", flush=True)


def tenants_from(sample: dict[str, Any]) -> list[TenantLoad]:
    tenants = []
    for t in sample["tenants"]:
        posts = [
            (provider, content, learner)
            for provider, contents in t["contents"].items()
            for content, learner in zip(contents[:50], t["learners"][:50], strict=False)
        ]
        tenants.append(
            TenantLoad(
                tenant_id=t["tenantId"],
                client_id=t["clientId"],
                client_secret=t["clientSecret"],
                app_token=t["appToken"],
                activities=t["activities"],
                posts=posts,
                learner_tokens=[(learner, token) for learner, token in t["learnerTokens"]],
            )
        )
    return tenants


@contextmanager
def _minting(database_url: str) -> Iterator[tuple[Directory, TokenIssuer]]:
    """The data set's directory and a token issuer for it, as the data set minted its first tokens."""
    database = Database(database_url)
    try:
        issuer = TokenIssuer(
            keys=SigningKeys.load_or_create(database),
            settings=Settings(database_url=database_url, public_url=PUBLIC_URL),
        )
        yield Directory(database), issuer
    finally:
        database.close()


def refresh_learner_tokens(database_url: str, tenants: list[TenantLoad]) -> None:
    """New delegated tokens for the listing learners."""
    with _minting(database_url) as (directory, issuer):
        for tenant in tenants:
            fresh = []
            for learner_id, _ in tenant.learner_tokens:
                user = directory.user(tenant.tenant_id, learner_id)
                assert user is not None
                token, _ = issuer.delegated_token(tenant.client_id, user, LEARNER_SCOPES)
                fresh.append((learner_id, token))
            tenant.learner_tokens = fresh


def refresh_app_tokens(database_url: str, tenants: list[TenantLoad]) -> None:
    """A new application token for each tenant's app (an ids file's may have expired)."""
    with _minting(database_url) as (directory, issuer):
        for tenant in tenants:
            app = directory.application(tenant.client_id)
            assert app is not None
            tenant.app_token, _ = issuer.application_token(app)

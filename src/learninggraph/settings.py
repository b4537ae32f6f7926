"""Settings: one frozen value built by the CLI or the environment, handed to create_app."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_DATABASE_URL = "sqlite:///./learninggraph.db"
DEFAULT_ISSUER_BASE = "https://login.learninggraph.local"


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    # Tokens minted here carry iss = f"{issuer_base}/{tenantId}/v2.0".
    issuer_base: str = DEFAULT_ISSUER_BASE
    token_lifetime_seconds: int = 3600
    clock_skew_seconds: int = 120
    # Outside OpenID Connect issuers whose tokens are accepted too (e.g. a real Entra ID tenant).
    trusted_issuers: tuple[str, ...] = ()
    extra_audiences: tuple[str, ...] = ()
    # The well-known development identity: created on an empty database when serving on loopback;
    # False disables an existing one (its tokens are refused, its credentials do not sign in).
    create_dev_identity: bool = True
    # Create it even when serving on a non-loopback address (loudly warned).
    force_dev_identity: bool = False
    max_body_bytes: int = 1_048_576
    default_page_size: int = 100
    max_page_size: int = 1000
    trust_forwarded_headers: bool = False
    # Graph requests per window per app (application calls) or per user of an app (delegated calls);
    # None turns throttling off. Counted in the database, so the limit holds across workers and servers.
    throttle_limit: int | None = None
    throttle_window_seconds: float = 10.0
    # Failed sign-ins at the token endpoint per window, per client id and source address (and per user
    # and address); None: off. Per client id, per address and per user alone: the ceiling (None: ten times the limit).
    login_failure_limit: int | None = 10
    login_failure_ceiling: int | None = None
    login_failure_window_seconds: float = 60.0
    extra: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("throttle_limit", "login_failure_limit", "login_failure_ceiling"):
            limit = getattr(self, name)
            if limit is not None and limit < 1:
                raise ValueError(f"{name} must be at least 1 (leave it unset to turn it off), not {limit}.")
        for name in ("throttle_window_seconds", "login_failure_window_seconds"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be more than 0 seconds, not {getattr(self, name)}.")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        if "LEARNINGGRAPH_DATABASE_URL" in env:
            values["database_url"] = env["LEARNINGGRAPH_DATABASE_URL"]
        if "LEARNINGGRAPH_ISSUER_BASE" in env:
            values["issuer_base"] = env["LEARNINGGRAPH_ISSUER_BASE"]
        if env.get("LEARNINGGRAPH_DEV_IDENTITY", "1") in ("0", "false", "no"):
            values["create_dev_identity"] = False
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

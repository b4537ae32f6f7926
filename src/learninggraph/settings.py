"""Settings: one frozen value built by the CLI or the environment, handed to create_app."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

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
    # The origin clients reach this server at (scheme://host[:port]): the token service's issuer is
    # f"{public_url}/{tenantId}/v2.0". None: serve and running_server fill in the address they listen on
    # (without a server, tokens fall back to issuer_base).
    public_url: str | None = None
    # Request line and headers: total bytes (431 at the connection layer past it) and header count (431).
    max_header_bytes: int = 65_536
    max_header_count: int = 200
    # Seconds a client may take to send a request's headers, and then its body (408 past them).
    header_timeout_seconds: float = 10.0
    body_timeout_seconds: float = 30.0
    # Seconds an idle keep-alive connection stays open between requests.
    keep_alive_timeout_seconds: float = 5.0
    # Open connections per worker; past it, the connection waiting longest for its headers is closed.
    max_connections: int | None = 1000
    # Bytes the responses of one $batch may add up to; later items are answered 503 instead.
    max_batch_response_bytes: int = 16 * 1024 * 1024
    # The console log: one line per request at "info"; "text" (readable) or "json" (a JSON object a line).
    log_format: str = "text"
    log_level: str = "info"
    # Prometheus metrics: "off", "public" (GET /metrics on the server's own port) or "[HOST:]PORT" (a separate
    # listener; HOST defaults to 127.0.0.1). metrics_token: the bearer token /metrics asks for in "public" mode.
    metrics: str = "off"
    metrics_token: str | None = None
    # The request journal: every request and its decision, stored in the database, at most this many
    # entries per tenant (the oldest dropped first). False: nothing is recorded.
    journal: bool = True
    journal_max_entries_per_tenant: int = 10_000
    # Injected faults: rules given to serve (``--fault`` specs and a ``--faults-file``), stored when it starts;
    # fault_seed seeds the probability rolls (None: unpredictable).
    faults: tuple[str, ...] = ()
    faults_file: str | None = None
    fault_seed: int | None = None

    def __post_init__(self) -> None:
        _check_observability(self)
        for name in ("throttle_limit", "login_failure_limit", "login_failure_ceiling"):
            limit = getattr(self, name)
            if limit is not None and limit < 1:
                raise ValueError(f"{name} must be at least 1 (leave it unset to turn it off), not {limit}.")
        for name in (
            "max_header_bytes",
            "max_header_count",
            "max_batch_response_bytes",
            "max_body_bytes",
            "journal_max_entries_per_tenant",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)}.")
        if self.max_connections is not None and self.max_connections < 1:
            raise ValueError(f"max_connections must be at least 1, not {self.max_connections}.")
        for name in (
            "throttle_window_seconds",
            "login_failure_window_seconds",
            "header_timeout_seconds",
            "body_timeout_seconds",
            "keep_alive_timeout_seconds",
        ):
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
        if env.get("LEARNINGGRAPH_PUBLIC_URL"):
            values["public_url"] = public_origin(env["LEARNINGGRAPH_PUBLIC_URL"])
        if env.get("LEARNINGGRAPH_DEV_IDENTITY", "1") in ("0", "false", "no"):
            values["create_dev_identity"] = False
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]


LOG_FORMATS = ("text", "json")
LOG_LEVELS = ("debug", "info", "warning", "error")


def _check_observability(settings: Settings) -> None:
    if settings.log_format not in LOG_FORMATS:
        raise ValueError(f"log_format must be one of {', '.join(LOG_FORMATS)}, not {settings.log_format!r}.")
    if settings.log_level.lower() not in LOG_LEVELS:
        raise ValueError(f"log_level must be one of {', '.join(LOG_LEVELS)}, not {settings.log_level!r}.")
    metrics_listener(settings.metrics)


def metrics_listener(metrics: str) -> tuple[str, int] | None:
    """The separate metrics listener's (host, port) for ``[HOST:]PORT``; None for "off" and "public"."""
    if metrics in ("off", "public"):
        return None
    host, _, port = metrics.rpartition(":")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"metrics must be off, public or [HOST:]PORT, not {metrics!r}.")
    return host.strip("[]") or "127.0.0.1", int(port)


_DEFAULT_PORTS = {"http": 80, "https": 443}
# Where `serve` listens unless told otherwise, and so the server a CLI-minted token is for by default.
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"


def public_origin(url: str) -> str:
    """``url`` as an origin, ``scheme://host[:port]`` (lower case, no default port, no trailing slash).

    ``ValueError`` for anything else: another scheme, a path, a query, credentials.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"the public URL {url!r} has an invalid port") from None
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"the public URL {url!r} must be http(s)://HOST[:PORT]")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(f"the public URL {url!r} must be an origin only, http(s)://HOST[:PORT]")
    return listening_origin(parts.hostname, port or _DEFAULT_PORTS[scheme], tls=scheme == "https")


def listening_origin(host: str, port: int, *, tls: bool) -> str:
    """The origin a server listening on ``host:port`` is reached at; a wildcard address means loopback."""
    scheme = "https" if tls else "http"
    name = host.strip("[]").lower()
    name = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(name, name)
    if ":" in name:
        name = f"[{name}]"
    suffix = "" if _DEFAULT_PORTS[scheme] == port else f":{port}"
    return f"{scheme}://{name}{suffix}"

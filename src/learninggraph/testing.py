"""Test against learninggraph: an in-process server, loopback credentials and per-test tenants.

Imports without pytest; the ``learninggraph`` fixture itself lives in ``learninggraph.pytest_plugin``.
"""

from __future__ import annotations

import functools
import importlib
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from learninggraph.local_credentials import (
    GRAPH_SCOPE,
    LocalClientSecretCredential,
    LocalUsernamePasswordCredential,
    TokenRequestError,
    request_token,
)
from learninggraph.settings import Settings, listening_origin

if TYPE_CHECKING:
    from learninggraph.admin_client import AdminClient, AdminError, Faults, InjectedFaultRule, RecordedRequest
    from learninggraph.identity.administration import DirectoryAdmin
    from learninggraph.identity.directory import Directory
    from learninggraph.journal.minimal_permissions import PermissionReport
    from learninggraph.resources.descriptor import Resource

__all__ = [
    "GRAPH_SCOPE",
    "AdminError",
    "InjectedFaultRule",
    "LearningGraph",
    "LearningGraphServer",
    "LocalClientSecretCredential",
    "LocalUsernamePasswordCredential",
    "RecordedRequest",
    "TokenRequestError",
    "graph_service_client",
    "local_server",
    "request_token",
    "running_server",
]

# Generated request builders of msgraph-sdk and msgraph-beta-sdk warn as they are imported; not the test's fault.
SDK_IMPORT_WARNINGS = (
    "ignore:This class is deprecated. Please use the generic RequestConfiguration class:DeprecationWarning",
    "ignore:GetQueryParameters is deprecated:DeprecationWarning",
)
# scrypt's N for the test users' random passwords (the server's own default is 2**14).
TEST_PASSWORD_COST = 2**4
# What ``learninggraph.admin_client`` holds (urllib's HTTP client, the journal's records) is imported when a test
# first reads a journal or sets a fault, or names one of these.
_ADMIN_CLIENT_NAMES = frozenset({"AdminError", "InjectedFaultRule", "RecordedRequest"})
_SDK_PACKAGES = {"v1.0": ("msgraph", "msgraph-sdk"), "beta": ("msgraph_beta", "msgraph-beta-sdk")}


def __getattr__(name: str) -> Any:
    if name in _ADMIN_CLIENT_NAMES:
        from learninggraph import admin_client

        return getattr(admin_client, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@contextmanager
def running_server(
    settings: Settings,
    resources: Sequence[Resource] = (),
    /,
    *,
    budget_clock: Callable[[], float] = time.time,
    **uvicorn_options: Any,
) -> Iterator[str]:
    """Serves create_app(settings) on 127.0.0.1 until the block ends; yields the base URL.

    ``resources``: resources served beside the registered ones (a test's own example, say). ``budget_clock``:
    the clock of the request throttle and the sign-in guard (see ``create_app``), for a test that decides
    when a budget refills.

    Without ``settings.public_url`` the server's tokens name the bound address as their issuer
    (``http(s)://127.0.0.1:PORT/{tenantId}/v2.0``); mint tokens for it with ``public_url`` set to the URL yielded.
    """
    from learninggraph.kit_start import start_server

    server, thread, sock, port, tls = start_server(settings, resources, budget_clock, uvicorn_options)
    try:
        yield listening_origin("127.0.0.1", port, tls=tls)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def graph_service_client(graph_url: str, credential: Any, *, scopes: Sequence[str] = (GRAPH_SCOPE,)) -> Any:
    """A ``GraphServiceClient`` for ``graph_url``: msgraph-sdk for ``…/v1.0``, msgraph-beta-sdk for ``…/beta``.

    The SDK's own middleware and authentication provider, over an HTTP client that keeps no idle
    connection, so the client works across any number of ``asyncio.run`` calls and needs no closing.
    """
    base = graph_url.rstrip("/")
    version = base.rsplit("/", 1)[-1]
    if version not in _SDK_PACKAGES:
        raise ValueError(f"graph_url must end in /v1.0 or /beta, not {graph_url!r}")
    package, distribution = _SDK_PACKAGES[version]
    try:
        import httpx
        from kiota_authentication_azure.azure_identity_authentication_provider import (
            AzureIdentityAuthenticationProvider,
        )
        from msgraph_core import GraphClientFactory

        sdk = importlib.import_module(package)
        adapters = importlib.import_module(f"{package}.graph_request_adapter")
    except ImportError as missing:
        raise ImportError(
            f"a Graph client for {version} needs {distribution}: pip install {distribution}"
        ) from missing
    http_client = GraphClientFactory.create_with_default_middleware(
        client=httpx.AsyncClient(
            timeout=httpx.Timeout(100, connect=30),
            http2=True,
            limits=httpx.Limits(max_keepalive_connections=0),
        ),
        options=adapters.options,
    )
    adapter = adapters.GraphRequestAdapter(
        AzureIdentityAuthenticationProvider(credential, scopes=list(scopes)), client=http_client
    )
    adapter.base_url = base
    return sdk.GraphServiceClient(request_adapter=adapter)


class LearningGraph:
    """One tenant on a running learninggraph: an app holding every learning application permission and
    consented to every delegated one, a licensed Knowledge Administrator with a password, and tokens and
    Graph clients for both; and, through the admin API, the tenant's request journal, fault rules and
    minimal permissions (the admin token is fetched on first use, so a tenant costs nothing more to set up)."""

    def __init__(
        self,
        *,
        base_url: str,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        user_id: str,
        user_principal_name: str,
        password: str,
    ) -> None:
        self.base_url = base_url
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.user_id = user_id
        self.user_principal_name = user_principal_name
        self.password = password

    @functools.cached_property
    def _admin(self) -> AdminClient:
        from learninggraph.admin_client import AdminClient, CachedToken

        return AdminClient(self.base_url, CachedToken(self._app_token_and_lifetime))

    @functools.cached_property
    def faults(self) -> Faults:
        """The tenant's fault rules: ``add``, ``list``, ``clear`` and ``with faults.inject(...):``."""
        from learninggraph.admin_client import Faults

        return Faults(self._admin)

    def __repr__(self) -> str:
        return f"LearningGraph(base_url={self.base_url!r}, tenant_id={self.tenant_id!r})"

    @property
    def graph_url(self) -> str:
        return f"{self.base_url}/v1.0"

    @property
    def beta_url(self) -> str:
        return f"{self.base_url}/beta"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/{self.tenant_id}/oauth2/v2.0/token"

    def app_token(self) -> str:
        """An application token (client credentials): every learning application permission as ``roles``."""
        return self._app_token_and_lifetime()[0]

    def _app_token_and_lifetime(self) -> tuple[str, int]:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "scope": GRAPH_SCOPE,
        }
        return request_token(self.token_url, form)

    def journal(
        self, *, newest_first: bool = False, limit: int | None = None, **filters: object
    ) -> list[RecordedRequest]:
        """The tenant's journalled requests, oldest first (``newest_first=True`` for the reverse).

        Filters: ``app`` (client id), ``user`` (user id), ``status`` (``403`` or ``"4xx"``), ``method``,
        ``route`` (template), ``operation``, ``rule``, ``since``/``until`` (datetimes). Each entry has the
        fields of ``learninggraph.journal.entry.JournalEntry``, ``request_json()`` and ``explanation``.
        """
        return self._admin.journal(newest_first=newest_first, limit=limit, **filters)

    def explain(self, request_id: str) -> RecordedRequest:
        """The journal entry of the answer that carried ``request-id``: ``.decision.rule``, ``.decision.hint``,
        ``.decision.details`` and the whole story in ``.explanation``; ``LookupError`` if there is none."""
        return self._admin.explain(request_id)

    def minimal_permissions(
        self, *, app: str | None = None, user: str | None = None
    ) -> dict[str, PermissionReport]:
        """What an app (default: this tenant's app) or a user needed, by kind of caller (``"application"``,
        ``"delegated"``): ``least_privileged``, ``held``, ``unneeded``, ``operations`` and ``refused``."""
        if app is None and user is None:
            app = self.client_id
        return self._admin.minimal_permissions(app=app, user=user)

    def reset(self) -> None:
        """Forgets the tenant's journal and fault rules (its accounts and data stay)."""
        self._admin.reset()

    def user_token(self, scopes: Sequence[str] = (GRAPH_SCOPE,)) -> str:
        """A delegated token of the user (password grant); ``.default`` means every consented permission."""
        form = {
            "grant_type": "password",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "username": self.user_principal_name,
            "password": self.password,
            "scope": " ".join(scopes),
        }
        return request_token(self.token_url, form)[0]

    def credential(self) -> LocalClientSecretCredential:
        return LocalClientSecretCredential(self.token_url, self.client_id, self.client_secret)

    def user_credential(self) -> LocalUsernamePasswordCredential:
        return LocalUsernamePasswordCredential(
            self.token_url, self.client_id, self.user_principal_name, self.password, self.client_secret
        )

    def graph_client(self, version: str = "v1.0", *, delegated: bool = False) -> Any:
        """A ready ``GraphServiceClient`` (``version`` ``"v1.0"`` or ``"beta"``), as the app or as the user.

        Registering a provider and ``/me`` need ``delegated=True``; contents and activities are the app's.
        """
        credential = self.user_credential() if delegated else self.credential()
        return graph_service_client(f"{self.base_url}/{version}", credential)


class LearningGraphServer:
    """A learninggraph serving on loopback, and the directory of its database to add tenants to.

    ``dev_identity_on_first_use``: create the development identity when ``dev`` is first asked for (the test
    kit's servers), not expect it to be there already (a server started with ``serve``).
    """

    def __init__(
        self,
        base_url: str,
        directory: Directory,
        *,
        dev_identity_on_first_use: bool = False,
    ) -> None:
        self.base_url = base_url
        self.directory = directory
        self._password_pair: tuple[str, str] | None = None
        self._dev_pending = dev_identity_on_first_use
        self._dev_lock = threading.Lock()

    def _password(self) -> tuple[str, str]:
        """The test users' password (random, one per server) and its hash, at scrypt's lowest cost: a random
        throwaway password needs no slow hash, and each sign-in then costs a tenth of a millisecond, not 50."""
        if self._password_pair is None:
            from learninggraph.identity.passwords import hash_password

            password = secrets.token_urlsafe(18)
            self._password_pair = password, hash_password(password, cost=TEST_PASSWORD_COST)
        return self._password_pair

    @property
    def admin(self) -> DirectoryAdmin:
        """Changes to existing accounts: roles, licences, consents, secrets (``DirectoryAdmin``)."""
        from learninggraph.identity.administration import DirectoryAdmin

        return DirectoryAdmin(self.directory.database)

    def new_tenant(self, name: str = "Contoso") -> LearningGraph:
        """A fresh tenant with the learning service plan, an all-permissions app (public client flows allowed,
        as the dev app) and a licensed user who is a Knowledge Administrator (so it may register providers)."""
        from learninggraph.domain.permissions import APPLICATION_PERMISSIONS, DELEGATED_PERMISSIONS
        from learninggraph.domain.roles import KNOWLEDGE_ADMINISTRATOR

        password, password_hash = self._password()
        with self.directory.atomic() as tx:
            tenant = tx.create_tenant(name=name)
            app, client_secret = tx.create_application(
                tenant_id=tenant.id,
                name="learninggraph test app",
                permissions=APPLICATION_PERMISSIONS,
                delegated_permissions=DELEGATED_PERMISSIONS,
                # "Allow public client flows", as the dev app: password sign-ins may leave the secret out.
                public_client=True,
            )
            user = tx.create_user(
                tenant_id=tenant.id,
                display_name="Ada Learner",
                licensed=True,
                password_hash=password_hash,
                roles=[KNOWLEDGE_ADMINISTRATOR],
            )
        return LearningGraph(
            base_url=self.base_url,
            tenant_id=tenant.id,
            client_id=app.client_id,
            client_secret=client_secret,
            user_id=user.id,
            user_principal_name=user.user_principal_name,
            password=password,
        )

    @property
    def dev(self) -> LearningGraph:
        """The well-known development identity (``learninggraph dev-credentials``), shared by every test."""
        from learninggraph.identity import dev

        with self._dev_lock:
            if self._dev_pending:
                dev.add_dev_identity(self.directory)
                self._dev_pending = False
        return LearningGraph(
            base_url=self.base_url,
            tenant_id=dev.DEV_TENANT_ID,
            client_id=dev.DEV_CLIENT_ID,
            client_secret=dev.DEV_CLIENT_SECRET,
            user_id=dev.DEV_USER_ID,
            user_principal_name=dev.DEV_USER_PRINCIPAL_NAME,
            password=dev.DEV_PASSWORD,
        )


@contextmanager
def local_server(database_path: Path | str, **uvicorn_options: Any) -> Iterator[LearningGraphServer]:
    """Serves learninggraph on a free loopback port with the SQLite file ``database_path``, and the dev identity
    from the first use of ``.dev``.

    Tuned for tests: no sign-in lockout; a new database signs with the test kit's key kept per machine
    (``learninggraph.kit_key``: generated by the first test process, kept owner-only in the user's cache).
    """
    from learninggraph import kit_key
    from learninggraph.collector import collector_paused
    from learninggraph.identity.directory import Directory
    from learninggraph.storage.database import Database

    # No sign-in lockout: every test signs in from 127.0.0.1, and one suite's bad-password tests must
    # not lock out the rest of it.
    settings = Settings(database_url=f"sqlite:///{Path(database_path).resolve()}", login_failure_limit=None)
    database = Database(settings.database_url)
    try:
        with collector_paused():
            keep_key_after = not kit_key.bring_kept_key(database)
        with running_server(settings, **uvicorn_options) as base_url:
            directory = Directory(database)
            yield LearningGraphServer(base_url, directory, dev_identity_on_first_use=True)
        if keep_key_after:
            kit_key.keep_key_of(database)
    finally:
        database.close()

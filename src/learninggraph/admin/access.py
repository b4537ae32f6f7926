"""Who may call the admin API: a bearer token of the token service, for its own tenant only.

An application's token of the tenant may (a vendor's integration or CI manages its own test tenant), and so
may a signed-in user holding Global Administrator or Knowledge Administrator; any other user is refused (403),
and so is a request without a valid token (401, as Graph answers). The tenant is always the token's: no
parameter names another one.
"""

from __future__ import annotations

from typing import Protocol

from learninggraph.domain.errors import Forbidden
from learninggraph.domain.principal import Principal
from learninggraph.domain.roles import PROVIDER_ADMINISTRATORS
from learninggraph.http.context import RequestContext

ADMIN_PREFIX = "/_learninggraph/admin"
NOT_AN_ADMINISTRATOR = (
    "The admin API needs an application's token of the tenant, or a signed-in user who is a Global "
    "Administrator or Knowledge Administrator."
)


class Authenticator(Protocol):
    def authenticate(self, authorization: str | None) -> Principal: ...


class AdminAccess:
    """Checks a request's token and returns its caller, whose tenant every admin answer is limited to."""

    def __init__(self, authenticator: Authenticator) -> None:
        self.authenticator = authenticator

    def caller(self, context: RequestContext) -> Principal:
        principal = self.authenticator.authenticate(context.request.headers.get("authorization"))
        if not may_administer(principal):
            raise Forbidden(NOT_AN_ADMINISTRATOR)
        # Left out of ``context.principal`` on purpose: the request journal files a public route under the
        # caller's tenant only when it knows one, and the admin API's own calls are kept out of the journal
        # it reads (reading it would otherwise change it).
        return principal


def may_administer(principal: Principal) -> bool:
    """An application of the tenant, or a user holding an administrator's directory role."""
    return principal.is_application or principal.holds_role(PROVIDER_ADMINISTRATORS)

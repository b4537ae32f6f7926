"""Who is looking at the dashboard: the signed-in user, whether they administer the tenant, as a Principal."""

from __future__ import annotations

from dataclasses import dataclass

from learninggraph.domain.permissions import (
    ASSIGNED_READ_ALL,
    CONTENT_READ_ALL,
    PROVIDER_READ,
    SELF_INITIATED_READ_ALL,
)
from learninggraph.domain.principal import CallerKind, Principal
from learninggraph.domain.roles import LEARNER_READERS, PROVIDER_ADMINISTRATORS, template_ids
from learninggraph.identity.directory import Tenant, User

# The dashboard reads as a delegated caller holding the read scopes; the services then apply the user's
# directory roles as they would for a token (only an administrator reads other learners).
DASHBOARD_APP_ID = "learninggraph-dashboard"
READ_SCOPES = frozenset({PROVIDER_READ, CONTENT_READ_ALL, ASSIGNED_READ_ALL, SELF_INITIATED_READ_ALL})


@dataclass(frozen=True, slots=True)
class Viewer:
    tenant: Tenant
    user: User
    csrf: str

    @property
    def principal(self) -> Principal:
        return Principal(
            tenant_id=self.tenant.id,
            app_id=DASHBOARD_APP_ID,
            kind=CallerKind.DELEGATED,
            permissions=READ_SCOPES,
            user_id=self.user.id,
            has_learning_plan=self.tenant.has_learning_plan,
            directory_roles=frozenset(template_ids(self.user.directory_roles)),
        )

    @property
    def is_admin(self) -> bool:
        """Global Administrator, Knowledge Administrator or Global Reader: sees the whole tenant."""
        return self.principal.holds_role(LEARNER_READERS)

    @property
    def may_change(self) -> bool:
        """Global Administrator or Knowledge Administrator: may change the tenant's fault rules (a Global
        Reader only reads)."""
        return self.principal.holds_role(PROVIDER_ADMINISTRATORS)

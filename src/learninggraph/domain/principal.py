"""Who is calling: an application (roles) or a signed-in user (scopes), always inside one tenant."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CallerKind(StrEnum):
    APPLICATION = "application"
    DELEGATED = "delegated"


@dataclass(frozen=True, slots=True)
class Principal:
    tenant_id: str
    app_id: str
    kind: CallerKind
    permissions: frozenset[str]
    user_id: str | None = None
    # The tenant's Viva Learning service plan, as the directory last said (re-read every minute).
    has_learning_plan: bool = True

    @property
    def is_application(self) -> bool:
        return self.kind is CallerKind.APPLICATION

    def holds_any(self, permissions: frozenset[str]) -> bool:
        return not self.permissions.isdisjoint(permissions)


@dataclass(frozen=True, slots=True)
class Permissions:
    """What an operation accepts; an empty set means that kind of caller is not supported."""

    application: frozenset[str] = frozenset()
    delegated: frozenset[str] = frozenset()

    def granted_to(self, caller: Principal) -> bool:
        accepted = self.application if caller.is_application else self.delegated
        return caller.holds_any(accepted)

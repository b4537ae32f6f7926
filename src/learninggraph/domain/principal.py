"""Who is calling: an application (roles) or a signed-in user (scopes), always inside one tenant."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CallerKind(StrEnum):
    APPLICATION = "application"
    DELEGATED = "delegated"


_APPLICATION = CallerKind.APPLICATION


@dataclass(frozen=True, slots=True)
class Principal:
    tenant_id: str
    app_id: str
    kind: CallerKind
    permissions: frozenset[str]
    user_id: str | None = None
    # The tenant's Viva Learning service plan, as the directory last said (re-read every minute).
    has_learning_plan: bool = True
    # Template ids of the signed-in user's directory roles (the token's ``wids``); empty for applications.
    directory_roles: frozenset[str] = frozenset()

    @property
    def is_application(self) -> bool:
        # A module constant, not ``CallerKind.APPLICATION``: an enum member read through its class runs a
        # descriptor in Python, several times this whole check, and the check runs several times a request.
        return self.kind is _APPLICATION

    def holds_any(self, permissions: frozenset[str]) -> bool:
        return not self.permissions.isdisjoint(permissions)

    def holds_role(self, template_ids: frozenset[str]) -> bool:
        return not self.directory_roles.isdisjoint(template_ids)


@dataclass(frozen=True, slots=True)
class Permissions:
    """What an operation accepts; an empty set means that kind of caller is not supported."""

    application: frozenset[str] = frozenset()
    delegated: frozenset[str] = frozenset()
    # Directory roles (template ids) a signed-in user must also hold one of; empty: no role needed.
    delegated_roles: frozenset[str] = frozenset()

    def granted_to(self, caller: Principal) -> bool:
        # ``is_application``, ``holds_any`` and ``holds_role`` inline: this runs two or three times a request.
        if caller.kind is _APPLICATION:
            return not caller.permissions.isdisjoint(self.application)
        if self.delegated_roles and caller.directory_roles.isdisjoint(self.delegated_roles):
            return False
        return not caller.permissions.isdisjoint(self.delegated)

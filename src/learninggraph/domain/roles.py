"""Entra directory roles a user may hold, their template ids (a token's ``wids``), and what each allows here."""

from __future__ import annotations

from collections.abc import Iterable

GLOBAL_ADMINISTRATOR = "Global Administrator"
KNOWLEDGE_ADMINISTRATOR = "Knowledge Administrator"
KNOWLEDGE_MANAGER = "Knowledge Manager"
GLOBAL_READER = "Global Reader"

# Entra's role template ids: the same in every tenant, and what a token's `wids` claim lists.
TEMPLATE_IDS: dict[str, str] = {
    GLOBAL_ADMINISTRATOR: "62e90394-69f5-4237-9190-012177145e10",
    KNOWLEDGE_ADMINISTRATOR: "b5a8dcf3-09d5-43a9-a639-8e29ef291470",
    KNOWLEDGE_MANAGER: "744ec460-397e-42ad-a462-8b3f9747a02c",
    GLOBAL_READER: "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
}
# Every member user's `wids` lists the default user role too, as Entra's tokens do; it grants nothing here.
MEMBER_TEMPLATE_ID = "b79fbf4d-3ef9-4689-8143-76b194e85509"
ROLE_NAMES = frozenset(TEMPLATE_IDS)
_BY_LOWER_NAME = {name.lower(): name for name in TEMPLATE_IDS}

# Create, update and delete a learning provider: Knowledge Administrator or higher (the create page).
PROVIDER_ADMINISTRATORS = frozenset(
    {TEMPLATE_IDS[GLOBAL_ADMINISTRATOR], TEMPLATE_IDS[KNOWLEDGE_ADMINISTRATOR]}
)
# Read another user's course activities with a delegated token (besides a `.Read.All` scope).
LEARNER_READERS = PROVIDER_ADMINISTRATORS | {TEMPLATE_IDS[GLOBAL_READER]}


def canonical_role(name: str) -> str:
    """The role's catalogue name, matched without regard to case; ``ValueError`` lists the valid ones."""
    canonical = _BY_LOWER_NAME.get(" ".join(name.split()).lower())
    if canonical is None:
        raise ValueError(
            f"Unknown directory role {name!r}; valid roles are: {', '.join(sorted(ROLE_NAMES))}."
        )
    return canonical


def template_ids(names: Iterable[str]) -> list[str]:
    """A token's ``wids``: the template ids of the roles held, then the default user role's."""
    return [*sorted(TEMPLATE_IDS[name] for name in names if name in TEMPLATE_IDS), MEMBER_TEMPLATE_ID]

"""What the learningContent operations answer when the content they name is not there."""

from __future__ import annotations

from collections.abc import Sequence

from learninggraph.domain.errors import Conflict, Explanation, NotFound


def content_not_found(
    content_id: str | None, external_id: str | None, nearby: Sequence[str] = ()
) -> NotFound:
    """``nearby``: the provider's externalIds sorted next to the one asked for, for the journal's hint."""
    named = f"id '{content_id}'" if content_id is not None else f"externalId '{external_id}'"
    if content_id is not None:
        explanation = Explanation(
            "entity.notFound",
            f"This provider has no learning content with id '{content_id}'.",
            {"entity": "learningContent", "id": content_id},
        )
    else:
        explanation = Explanation(
            "key.notFound",
            f"This provider has no learning content with externalId '{external_id}'; the key is the "
            "externalId the content was created with (it is case-sensitive, and belongs to one provider)."
            + (f" Nearby externalIds: {', '.join(nearby)}." if nearby else ""),
            {"key": "externalId", "value": external_id, "nearby": list(nearby)},
        )
    return NotFound(
        f"The learning content with {named} was not found for this provider.", explanation=explanation
    )


def external_id_taken(external_id: object) -> Conflict:
    return Conflict(f"A learning content with externalId '{external_id}' already exists for this provider.")

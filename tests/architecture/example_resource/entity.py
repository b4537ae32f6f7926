"""learningNote: a short note a tenant's apps keep, with an id and its text."""

from __future__ import annotations

from learninggraph.domain.entity import EntityType, Kind, Property

TEXT_LENGTH = 280

LEARNING_NOTE = EntityType(
    name="learningNote",
    properties=(
        Property("id", Kind.STRING, "id", nullable=False),
        Property("text", Kind.STRING, "text", nullable=False, max_length=TEXT_LENGTH),
    ),
)

"""The container types: ``employeeExperience`` (no properties, no key) and ``employeeExperienceUser`` (an id)."""

from __future__ import annotations

from learninggraph.domain.entity import EntityType, Kind, Property

# The singleton derives from no type: it has neither an id nor any other structural property.
EMPLOYEE_EXPERIENCE = EntityType(name="employeeExperience", properties=(), base="")
# A user's container; its id is the user's id.
EMPLOYEE_EXPERIENCE_USER = EntityType(
    name="employeeExperienceUser", properties=(Property("id", Kind.STRING, "id", nullable=False),)
)

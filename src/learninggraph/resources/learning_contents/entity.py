"""The learningContent entity type."""

from __future__ import annotations

from learninggraph.domain.entity import EntityType, Kind, Property
from learninggraph.domain.values import LEVEL

EXTERNAL_ID = Property("externalId", Kind.STRING, "external_id", nullable=False, max_length=256)
LEARNING_CONTENT = EntityType(
    name="learningContent",
    properties=(
        Property("id", Kind.STRING, "id", nullable=False),
        EXTERNAL_ID,
        Property("title", Kind.STRING, "title", nullable=False, max_length=1024),
        Property("contentWebUrl", Kind.STRING, "content_web_url", nullable=False, is_url=True),
        Property("languageTag", Kind.STRING, "language_tag", nullable=False, max_length=35),
        Property("additionalTags", Kind.STRING_LIST, "additional_tags", max_length=256),
        Property("contributors", Kind.STRING_LIST, "contributors", max_length=256),
        Property("createdDateTime", Kind.DATETIME, "created_date_time"),
        Property("description", Kind.STRING, "description", max_length=8192),
        Property("duration", Kind.DURATION, "duration"),
        Property("format", Kind.STRING, "format", max_length=256),
        Property("isActive", Kind.BOOLEAN, "is_active"),
        Property("isPremium", Kind.BOOLEAN, "is_premium"),
        Property("isSearchable", Kind.BOOLEAN, "is_searchable"),
        Property("lastModifiedDateTime", Kind.DATETIME, "last_modified_date_time"),
        Property("level", Kind.ENUM, "level", enum=LEVEL),
        Property("numberOfPages", Kind.INT32, "number_of_pages"),
        Property("skillTags", Kind.STRING_LIST, "skill_tags", max_length=256),
        Property("sourceName", Kind.STRING, "source_name", max_length=256),
        Property("thumbnailWebUrl", Kind.STRING, "thumbnail_web_url", is_url=True),
    ),
)

WRITABLE = frozenset(p.name for p in LEARNING_CONTENT.properties if p.name != "id")
REQUIRED_ON_CREATE = ("externalId", "title", "contentWebUrl", "languageTag")
DEFAULTS = {"isActive": True, "isPremium": False, "isSearchable": True}

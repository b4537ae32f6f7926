"""The learningProvider entity type."""

from __future__ import annotations

from learninggraph.domain.entity import EntityType, Kind, Property

LEARNING_PROVIDER = EntityType(
    name="learningProvider",
    properties=(
        Property("id", Kind.STRING, "id", nullable=False),
        Property("displayName", Kind.STRING, "display_name", nullable=False, max_length=256),
        Property("isCourseActivitySyncEnabled", Kind.BOOLEAN, "is_course_activity_sync_enabled"),
        Property("loginWebUrl", Kind.STRING, "login_web_url", is_url=True),
        Property(
            "longLogoWebUrlForDarkTheme",
            Kind.STRING,
            "long_logo_web_url_for_dark_theme",
            nullable=False,
            is_url=True,
        ),
        Property(
            "longLogoWebUrlForLightTheme",
            Kind.STRING,
            "long_logo_web_url_for_light_theme",
            nullable=False,
            is_url=True,
        ),
        Property(
            "squareLogoWebUrlForDarkTheme",
            Kind.STRING,
            "square_logo_web_url_for_dark_theme",
            nullable=False,
            is_url=True,
        ),
        Property(
            "squareLogoWebUrlForLightTheme",
            Kind.STRING,
            "square_logo_web_url_for_light_theme",
            nullable=False,
            is_url=True,
        ),
    ),
)

WRITABLE = frozenset(p.name for p in LEARNING_PROVIDER.properties if p.name != "id")
REQUIRED_ON_CREATE = (
    "displayName",
    "longLogoWebUrlForDarkTheme",
    "longLogoWebUrlForLightTheme",
    "squareLogoWebUrlForDarkTheme",
    "squareLogoWebUrlForLightTheme",
)

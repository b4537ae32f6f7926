"""The stored learningProvider as services and the renderer read it: one typed field per column."""

from __future__ import annotations

from learninggraph.resources.learning_providers.entity import LEARNING_PROVIDER
from learninggraph.storage.rows import Record, Selection


class ProviderRecord(Record, frozen=True):
    display_name: str
    is_course_activity_sync_enabled: bool
    login_web_url: str | None
    long_logo_web_url_for_dark_theme: str
    long_logo_web_url_for_light_theme: str
    square_logo_web_url_for_dark_theme: str
    square_logo_web_url_for_light_theme: str


PROVIDER = Selection(ProviderRecord, covers=(p.column for p in LEARNING_PROVIDER.properties))


class ProviderSyncRecord(Record, frozen=True):
    """Just what other resources ask of a provider: whether it syncs course activities."""

    is_course_activity_sync_enabled: bool


SYNC = Selection(ProviderSyncRecord)

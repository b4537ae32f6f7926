"""The stored learningContent as services and the renderer read it: one typed field per column."""

from __future__ import annotations

from learninggraph.resources.learning_contents.entity import LEARNING_CONTENT
from learninggraph.storage.rows import Record, Selection


class ContentRecord(Record, frozen=True):
    """Collections and itemBody-like values are the stored JSON text; date-times the stored UTC text."""

    external_id: str
    title: str
    content_web_url: str
    language_tag: str
    additional_tags: str | None
    contributors: str | None
    created_date_time: str | None
    description: str | None
    duration: str | None
    format: str | None
    is_active: bool | None
    is_premium: bool | None
    is_searchable: bool | None
    last_modified_date_time: str | None
    level: str | None
    number_of_pages: int | None
    skill_tags: str | None
    source_name: str | None
    thumbnail_web_url: str | None


CONTENT = Selection(ContentRecord, covers=(p.column for p in LEARNING_CONTENT.properties))


class ContentOwnerRecord(Record, frozen=True):
    """Just what other resources ask of a content: the provider it belongs to."""

    provider_id: str


OWNER = Selection(ContentOwnerRecord)

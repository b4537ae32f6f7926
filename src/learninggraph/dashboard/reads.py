"""Every read of the dashboard's pages, in one place: resource services (their permission and tenant rules
apply) and the dashboard's own queries, returned as plain dicts keyed by Graph property names.

A change in what the services return is adapted here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec

from learninggraph.dashboard import queries
from learninggraph.dashboard.viewer import Viewer
from learninggraph.domain.entity import EntityType
from learninggraph.http.odata_json import PolymorphicRenderer, Renderer
from learninggraph.identity.directory import User
from learninggraph.odata.options import parse_query_options
from learninggraph.resources.learning_contents.entity import LEARNING_CONTENT
from learninggraph.resources.learning_contents.service import LearningContentService
from learninggraph.resources.learning_course_activities.entity import (
    LEARNING_ASSIGNMENT,
    LEARNING_COURSE_ACTIVITY,
    LEARNING_SELF_INITIATED_COURSE,
)
from learninggraph.resources.learning_course_activities.records import ActivityRecord
from learninggraph.resources.learning_course_activities.service import LearningCourseActivityService
from learninggraph.resources.learning_providers.entity import LEARNING_PROVIDER
from learninggraph.resources.learning_providers.service import LearningProviderService
from learninggraph.storage.database import Database

PAGE_SIZE = 25
STATUSES = ("notStarted", "inProgress", "completed")
_provider = Renderer(LEARNING_PROVIDER, with_odata_type=False).render
_content = Renderer(LEARNING_CONTENT, with_odata_type=False).render
_activity = PolymorphicRenderer(LEARNING_ASSIGNMENT, LEARNING_SELF_INITIATED_COURSE).render


@dataclass(frozen=True, slots=True)
class Listed:
    """One page of a table and the opaque token of the next (None on the last page)."""

    items: list[dict[str, Any]]
    next_page: str | None


@dataclass(frozen=True, slots=True)
class ActivitySearch:
    """The activities table's search fields: a learner (id or user name), a status, an external ID."""

    learner: str = ""
    status: str = ""
    external: str = ""

    @classmethod
    def of(cls, query: dict[str, str]) -> ActivitySearch:
        status = query.get("status", "")
        return cls(
            query.get("learner", "").strip(),
            status if status in STATUSES else "",
            query.get("external", "").strip(),
        )

    def filter_text(self) -> str:
        parts = [f"status eq {literal(self.status)}"] if self.status else []
        if self.external:
            parts.append(f"externalcourseActivityId eq {literal(self.external)}")
        return " and ".join(parts)


def literal(value: str) -> str:
    """An OData string literal."""
    return "'" + value.replace("'", "''") + "'"


def _plain(rendered: dict[str, Any]) -> dict[str, Any]:
    # Rendered objects embed stored JSON as msgspec.Raw: one round trip makes them plain values.
    plain: dict[str, Any] = msgspec.json.decode(msgspec.json.encode(rendered))
    return plain


def _activity_of(record: ActivityRecord) -> dict[str, Any]:
    return _plain(_activity(record))


class Reads:
    def __init__(self, database: Database, *, max_page_size: int) -> None:
        self._database = database
        self._providers = LearningProviderService(database)
        self._contents = LearningContentService(database)
        self._activities = LearningCourseActivityService(database)
        self._max = max_page_size

    def _options(self, entity: EntityType, filter_text: str, page: str | None, size: int) -> Any:
        raw = {"$top": str(min(size, self._max))}
        if filter_text:
            raw["$filter"] = filter_text
        if page:
            raw["$skiptoken"] = page
        return parse_query_options(raw, entity, max_top=self._max)

    def providers(self, viewer: Viewer, page: str | None, size: int = PAGE_SIZE) -> Listed:
        options = self._options(LEARNING_PROVIDER, "", page, size)
        listed = self._providers.list(viewer.principal, options, page_size=size)
        return Listed([_plain(_provider(row)) for row in listed.records], listed.next_token)

    def provider(self, viewer: Viewer, provider_id: str) -> dict[str, Any]:
        return _plain(_provider(self._providers.get(viewer.principal, provider_id)))

    def contents(
        self, viewer: Viewer, provider_id: str, search: str, page: str | None, size: int = PAGE_SIZE
    ) -> Listed:
        text = f"contains(title, {literal(search)})" if search else ""
        options = self._options(LEARNING_CONTENT, text, page, size)
        listed = self._contents.list(viewer.principal, provider_id, options, page_size=size)
        return Listed([_plain(_content(row)) for row in listed.records], listed.next_token)

    def activities(
        self,
        viewer: Viewer,
        *,
        filter_text: str,
        page: str | None,
        provider_id: str | None = None,
        learner_id: str | None = None,
        size: int = PAGE_SIZE,
    ) -> Listed:
        options = self._options(LEARNING_COURSE_ACTIVITY, filter_text, page, size)
        listed = self._activities.list(
            viewer.principal, options, provider_id=provider_id, learner_id=learner_id, page_size=size
        )
        items = [_activity_of(row) for row in listed.records]
        self._name_contents(viewer, items)
        return Listed(items, listed.next_token)

    def provider_activities(
        self,
        viewer: Viewer,
        provider_id: str,
        search: ActivitySearch,
        page: str | None,
        size: int = PAGE_SIZE,
    ) -> Listed:
        """A provider's activities matching ``search``; one learner's are read through the learner's index."""
        if not search.learner:
            return self.activities(
                viewer, filter_text=search.filter_text(), page=page, provider_id=provider_id, size=size
            )
        learner_id = self.learner_named(viewer, search.learner) or search.learner
        with self._database.snapshot() as conn:
            rows, next_page = queries.learner_activities_of_provider(
                conn, self._database.dialect, viewer.tenant.id, provider_id, learner_id,
                status=search.status, external=search.external, page=page, size=min(size, self._max),
            )  # fmt: skip
        items = [_activity_of(row) for row in rows]
        self._name_contents(viewer, items)
        return Listed(items, next_page)

    def _name_contents(self, viewer: Viewer, items: Sequence[dict[str, Any]]) -> None:
        """Adds each activity's content title, learner name and whether it is overdue (by primary keys)."""
        contents = sorted({str(item["learningContentId"]) for item in items})
        learners = sorted({str(item["learnerUserId"]) for item in items})
        with self._database.snapshot() as conn:
            titles = queries.content_titles(conn, viewer.tenant.id, contents)
            names = queries.user_names(conn, viewer.tenant.id, learners)
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
        for item in items:
            item["contentTitle"] = titles.get(str(item["learningContentId"]), "")
            item["learnerName"] = names.get(str(item["learnerUserId"]), "")
            item["overdue"] = _overdue(item, now)

    def learners(self, viewer: Viewer, search: str, page: str | None, size: int = PAGE_SIZE) -> Listed:
        with self._database.snapshot() as conn:
            users, next_page = queries.learners(conn, viewer.tenant.id, search, page, size)
        return Listed([_user(user) for user in users], next_page)

    def learner(self, viewer: Viewer, user_id: str) -> dict[str, Any] | None:
        with self._database.snapshot() as conn:
            user = queries.learner(conn, viewer.tenant.id, user_id)
        return None if user is None else _user(user)

    def learner_named(self, viewer: Viewer, id_or_name: str) -> str | None:
        """The id of the tenant's user with that id or user principal name."""
        with self._database.snapshot() as conn:
            return queries.learner_id(conn, viewer.tenant.id, id_or_name)


def _overdue(item: dict[str, Any], now: str) -> bool:
    """An activity not completed whose due date (read as UTC) has passed."""
    due = item.get("dueDateTime")
    if not isinstance(due, dict) or item.get("status") == "completed":
        return False
    return str(due.get("dateTime", ""))[:19] < now


def _user(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "displayName": user.display_name,
        "userPrincipalName": user.user_principal_name,
        "hasLearningLicense": user.has_learning_license,
        "directoryRoles": sorted(user.directory_roles),
    }

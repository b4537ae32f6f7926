"""learningCourseActivities through the SDKs: both types through every request builder the SDKs expose."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.sdk.conftest import ASSIGNMENT, SELF_INITIATED_COURSE, Sdk

TENANT_LIST = "employee_experience.learning_course_activities.learning_course_activities"
TENANT_COUNT = "employee_experience.learning_course_activities.count.count"
USER_LIST = "users.item.employee_experience.learning_course_activities.learning_course_activities"
USER_COUNT = "users.item.employee_experience.learning_course_activities.count.count"


@dataclass(frozen=True)
class Catalogue:
    """A sync-enabled provider with one content, ready for course activities."""

    provider_id: str
    content_id: str


@pytest.fixture(scope="module")
def catalogue(sdk: Sdk) -> Catalogue:
    provider = sdk.provider().id
    return Catalogue(provider, sdk.content(provider).id)


def _provider(sdk: Sdk, catalogue: Catalogue) -> Any:
    return sdk.app.employee_experience.learning_providers.by_learning_provider_id(catalogue.provider_id)


def _create(sdk: Sdk, catalogue: Catalogue, kind: str, **values: Any) -> Any:
    body = sdk.activity(kind, catalogue.content_id, **values)
    return sdk.run(_provider(sdk, catalogue).learning_course_activities.post(body))


def _type(sdk: Sdk, kind: str) -> Any:
    m = sdk.models
    return m.LearningAssignment if kind == "assignment" else m.LearningSelfInitiatedCourse


class TestProviderCollection:
    def test_a_created_activity_comes_back_typed_with_its_id_and_provider(
        self, sdk: Sdk, catalogue: Catalogue, kind: str
    ) -> None:
        created = _create(sdk, catalogue, kind)

        assert isinstance(created, _type(sdk, kind))
        assert created.id
        assert created.odata_type == (ASSIGNMENT if kind == "assignment" else SELF_INITIATED_COURSE)
        assert created.learning_provider_id == catalogue.provider_id
        assert created.learning_content_id == catalogue.content_id
        assert created.learner_user_id == sdk.tenant.user_id

    def test_an_assignment_keeps_its_dates_notes_and_assignment_type(
        self, sdk: Sdk, catalogue: Catalogue
    ) -> None:
        m = sdk.models

        created = _create(sdk, catalogue, "assignment")

        assert created.status == m.CourseStatus.NotStarted
        assert created.completion_percentage == 0
        assert created.assigned_date_time == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
        assert created.assigner_user_id == "manager-1"
        assert created.assignment_type == m.AssignmentType.Required
        assert isinstance(created.due_date_time, m.DateTimeTimeZone)
        assert created.due_date_time.date_time.startswith("2024-06-01T10:00:00")
        assert created.due_date_time.time_zone == "UTC"
        assert isinstance(created.notes, m.ItemBody)
        assert (created.notes.content, created.notes.content_type) == ("Please finish", m.BodyType.Text)

    def test_a_self_initiated_course_keeps_its_start_date_and_progress(
        self, sdk: Sdk, catalogue: Catalogue
    ) -> None:
        created = _create(sdk, catalogue, "selfInitiatedCourse")

        assert created.started_date_time == datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
        assert created.status == sdk.models.CourseStatus.InProgress
        assert created.completion_percentage == 10

    def test_the_list_returns_each_activity_as_its_own_type(self, sdk: Sdk) -> None:
        provider = sdk.provider().id
        fresh = Catalogue(provider, sdk.content(provider).id)
        assignment = _create(sdk, fresh, "assignment")
        course = _create(sdk, fresh, "selfInitiatedCourse")

        page = sdk.run(_provider(sdk, fresh).learning_course_activities.get())

        by_id = {a.id: a for a in page.value}
        assert set(by_id) == {assignment.id, course.id}
        assert isinstance(by_id[assignment.id], sdk.models.LearningAssignment)
        assert isinstance(by_id[course.id], sdk.models.LearningSelfInitiatedCourse)

    def test_the_count_builder_counts_the_providers_activities(self, sdk: Sdk) -> None:
        provider = sdk.provider().id
        fresh = Catalogue(provider, sdk.content(provider).id)
        _create(sdk, fresh, "assignment")
        _create(sdk, fresh, "selfInitiatedCourse")

        assert sdk.run(_provider(sdk, fresh).learning_course_activities.count.get()) == 2


class TestProviderItem:
    def test_an_activity_is_read_by_id(self, sdk: Sdk, catalogue: Catalogue, kind: str) -> None:
        created = _create(sdk, catalogue, kind)
        item = _provider(sdk, catalogue).learning_course_activities.by_learning_course_activity_id(created.id)

        read = sdk.run(item.get())

        assert isinstance(read, _type(sdk, kind))
        assert (read.id, read.externalcourse_activity_id) == (created.id, created.externalcourse_activity_id)

    def test_a_patch_by_id_records_progress(self, sdk: Sdk, catalogue: Catalogue, kind: str) -> None:
        m = sdk.models
        created = _create(sdk, catalogue, kind)
        item = _provider(sdk, catalogue).learning_course_activities.by_learning_course_activity_id(created.id)
        change = _type(sdk, kind)(
            odata_type=created.odata_type,
            status=m.CourseStatus.Completed,
            completion_percentage=100,
            completed_date_time=datetime(2024, 5, 3, 10, 0, tzinfo=UTC),
        )

        answer = sdk.run(item.patch(change))

        read = sdk.run(item.get())
        assert answer is None
        assert read.status == m.CourseStatus.Completed
        assert read.completion_percentage == 100
        assert read.completed_date_time == datetime(2024, 5, 3, 10, 0, tzinfo=UTC)

    def test_an_activity_read_and_sent_back_whole_is_accepted(
        self, sdk: Sdk, catalogue: Catalogue, kind: str
    ) -> None:
        created = _create(sdk, catalogue, kind)
        item = _provider(sdk, catalogue).learning_course_activities.by_learning_course_activity_id(created.id)
        read = sdk.run(item.get())
        read.completion_percentage = 55

        sdk.run(item.patch(read))

        assert sdk.run(item.get()).completion_percentage == 55

    def test_a_delete_by_id_removes_the_activity(self, sdk: Sdk, catalogue: Catalogue, kind: str) -> None:
        created = _create(sdk, catalogue, kind)
        item = _provider(sdk, catalogue).learning_course_activities.by_learning_course_activity_id(created.id)

        answer = sdk.run(item.delete())

        assert answer is None
        assert sdk.error(item.get()).response_status_code == 404


class TestProviderAlternateKey:
    def test_an_activity_is_read_by_external_id(self, sdk: Sdk, catalogue: Catalogue, kind: str) -> None:
        created = _create(sdk, catalogue, kind, externalcourse_activity_id=f"a/b c'd&e?f#g-{kind}")
        key = _provider(sdk, catalogue).learning_course_activities_with_externalcourse_activity_id(
            created.externalcourse_activity_id
        )

        read = sdk.run(key.get())

        assert isinstance(read, _type(sdk, kind))
        assert read.id == created.id
        assert read.externalcourse_activity_id == f"a/b c'd&e?f#g-{kind}"

    def test_a_patch_by_external_id_records_progress(self, sdk: Sdk, catalogue: Catalogue, kind: str) -> None:
        created = _create(sdk, catalogue, kind)
        key = _provider(sdk, catalogue).learning_course_activities_with_externalcourse_activity_id(
            created.externalcourse_activity_id
        )

        sdk.run(key.patch(_type(sdk, kind)(odata_type=created.odata_type, completion_percentage=70)))

        assert sdk.run(key.get()).completion_percentage == 70

    def test_a_delete_by_external_id_removes_the_activity(
        self, sdk: Sdk, catalogue: Catalogue, kind: str
    ) -> None:
        created = _create(sdk, catalogue, kind)
        key = _provider(sdk, catalogue).learning_course_activities_with_externalcourse_activity_id(
            created.externalcourse_activity_id
        )

        sdk.run(key.delete())

        assert sdk.error(key.get()).response_status_code == 404


class TestTenantCollection:
    def test_an_activity_is_created_for_the_provider_named_in_the_body(
        self, sdk: Sdk, catalogue: Catalogue, kind: str
    ) -> None:
        body = sdk.activity(kind, catalogue.content_id, learning_provider_id=catalogue.provider_id)

        created = sdk.run(sdk.app.employee_experience.learning_course_activities.post(body))

        assert isinstance(created, _type(sdk, kind))
        assert created.learning_provider_id == catalogue.provider_id

    def test_the_list_holds_the_activity_typed(self, sdk: Sdk, catalogue: Catalogue, kind: str) -> None:
        created = _create(sdk, catalogue, kind)
        query = sdk.query(
            TENANT_LIST, filter=f"externalcourseActivityId eq '{created.externalcourse_activity_id}'"
        )

        page = sdk.run(sdk.app.employee_experience.learning_course_activities.get(query))

        assert [a.id for a in page.value] == [created.id]
        assert isinstance(page.value[0], _type(sdk, kind))

    def test_a_selected_list_still_returns_each_activity_as_its_own_type(
        self, sdk: Sdk, catalogue: Catalogue, kind: str
    ) -> None:
        created = _create(sdk, catalogue, kind)
        query = sdk.query(
            TENANT_LIST,
            filter=f"externalcourseActivityId eq '{created.externalcourse_activity_id}'",
            select=["id", "status"],
        )

        page = sdk.run(sdk.app.employee_experience.learning_course_activities.get(query))

        assert isinstance(page.value[0], _type(sdk, kind))
        assert (page.value[0].status, page.value[0].learner_user_id) == (created.status, None)

    def test_the_count_builder_counts_what_its_filter_matches(self, sdk: Sdk) -> None:
        provider = sdk.provider().id
        fresh = Catalogue(provider, sdk.content(provider).id)
        for kind in ("assignment", "assignment", "selfInitiatedCourse"):
            _create(sdk, fresh, kind)
        query = sdk.query(TENANT_COUNT, filter=f"learningProviderId eq '{provider}'")

        count = sdk.run(sdk.app.employee_experience.learning_course_activities.count.get(query))

        assert count == 3


class TestTenantItem:
    def test_an_activity_is_read_by_id(self, sdk: Sdk, catalogue: Catalogue, kind: str) -> None:
        created = _create(sdk, catalogue, kind)

        read = sdk.run(
            sdk.app.employee_experience.learning_course_activities.by_learning_course_activity_id(
                created.id
            ).get()
        )

        assert isinstance(read, _type(sdk, kind))
        assert read.id == created.id

    def test_a_patch_by_id_records_progress(self, sdk: Sdk, catalogue: Catalogue, kind: str) -> None:
        created = _create(sdk, catalogue, kind)
        item = sdk.app.employee_experience.learning_course_activities.by_learning_course_activity_id(
            created.id
        )

        sdk.run(item.patch(_type(sdk, kind)(odata_type=created.odata_type, completion_percentage=42)))

        assert sdk.run(item.get()).completion_percentage == 42

    def test_a_delete_by_id_removes_the_activity(self, sdk: Sdk, catalogue: Catalogue, kind: str) -> None:
        created = _create(sdk, catalogue, kind)
        item = sdk.app.employee_experience.learning_course_activities.by_learning_course_activity_id(
            created.id
        )

        sdk.run(item.delete())

        assert sdk.error(item.get()).response_status_code == 404


class TestTenantAlternateKey:
    def test_an_activity_is_read_by_external_id(self, sdk: Sdk, catalogue: Catalogue, kind: str) -> None:
        created = _create(sdk, catalogue, kind)
        key = sdk.app.employee_experience.learning_course_activities_with_externalcourse_activity_id(
            created.externalcourse_activity_id
        )

        read = sdk.run(key.get())

        assert isinstance(read, _type(sdk, kind))
        assert read.id == created.id

    def test_a_patch_by_external_id_records_progress(self, sdk: Sdk, catalogue: Catalogue, kind: str) -> None:
        created = _create(sdk, catalogue, kind)
        key = sdk.app.employee_experience.learning_course_activities_with_externalcourse_activity_id(
            created.externalcourse_activity_id
        )

        sdk.run(key.patch(_type(sdk, kind)(odata_type=created.odata_type, completion_percentage=33)))

        assert sdk.run(key.get()).completion_percentage == 33

    def test_a_delete_by_external_id_removes_the_activity(
        self, sdk: Sdk, catalogue: Catalogue, kind: str
    ) -> None:
        created = _create(sdk, catalogue, kind)
        key = sdk.app.employee_experience.learning_course_activities_with_externalcourse_activity_id(
            created.externalcourse_activity_id
        )

        sdk.run(key.delete())

        assert sdk.error(key.get()).response_status_code == 404


class TestUsers:
    def test_a_learners_activities_are_listed_typed(self, sdk: Sdk, catalogue: Catalogue, kind: str) -> None:
        created = _create(sdk, catalogue, kind)
        activities = sdk.user.users.by_user_id(
            sdk.tenant.user_id
        ).employee_experience.learning_course_activities
        query = sdk.query(
            USER_LIST, filter=f"externalcourseActivityId eq '{created.externalcourse_activity_id}'"
        )

        page = sdk.run(activities.get(query))

        assert [a.id for a in page.value] == [created.id]
        assert isinstance(page.value[0], _type(sdk, kind))

    def test_a_learners_activity_is_read_by_id(self, sdk: Sdk, catalogue: Catalogue, kind: str) -> None:
        created = _create(sdk, catalogue, kind)
        activities = sdk.app.users.by_user_id(
            sdk.tenant.user_id
        ).employee_experience.learning_course_activities

        read = sdk.run(activities.by_learning_course_activity_id(created.id).get())

        assert isinstance(read, _type(sdk, kind))
        assert read.id == created.id

    def test_a_learners_activity_is_read_by_external_id(
        self, sdk: Sdk, catalogue: Catalogue, kind: str
    ) -> None:
        created = _create(sdk, catalogue, kind)
        view = sdk.app.users.by_user_id(sdk.tenant.user_id).employee_experience

        read = sdk.run(
            view.learning_course_activities_with_externalcourse_activity_id(
                created.externalcourse_activity_id
            ).get()
        )

        assert isinstance(read, _type(sdk, kind))
        assert read.id == created.id

    def test_the_count_builder_counts_the_learners_activities(self, sdk: Sdk) -> None:
        provider = sdk.provider().id
        fresh = Catalogue(provider, sdk.content(provider).id)
        _create(sdk, fresh, "assignment")
        _create(sdk, fresh, "selfInitiatedCourse")
        activities = sdk.user.users.by_user_id(
            sdk.tenant.user_id
        ).employee_experience.learning_course_activities

        count = sdk.run(
            activities.count.get(sdk.query(USER_COUNT, filter=f"learningProviderId eq '{provider}'"))
        )

        assert count == 2


class TestMe:
    def test_me_lists_the_signed_in_learners_activities_typed(
        self, sdk: Sdk, catalogue: Catalogue, kind: str
    ) -> None:
        created = _create(sdk, catalogue, kind)

        query = sdk.query(
            USER_LIST, filter=f"externalcourseActivityId eq '{created.externalcourse_activity_id}'"
        )

        page = sdk.run(sdk.me().employee_experience.learning_course_activities.get(query))

        assert [a.id for a in page.value] == [created.id]
        assert isinstance(page.value[0], _type(sdk, kind))
        assert page.value[0].learner_user_id == sdk.tenant.user_id

    def test_me_reads_an_activity_by_id(self, sdk: Sdk, catalogue: Catalogue, kind: str) -> None:
        created = _create(sdk, catalogue, kind)
        activities = sdk.me().employee_experience.learning_course_activities

        read = sdk.run(activities.by_learning_course_activity_id(created.id).get())

        assert isinstance(read, _type(sdk, kind))
        assert read.id == created.id

    def test_me_reads_an_activity_by_external_id(self, sdk: Sdk, catalogue: Catalogue, kind: str) -> None:
        created = _create(sdk, catalogue, kind)
        view = sdk.me().employee_experience

        read = sdk.run(
            view.learning_course_activities_with_externalcourse_activity_id(
                created.externalcourse_activity_id
            ).get()
        )

        assert isinstance(read, _type(sdk, kind))
        assert read.id == created.id

    def test_the_count_builder_counts_the_signed_in_learners_activities(self, sdk: Sdk) -> None:
        provider = sdk.provider().id
        fresh = Catalogue(provider, sdk.content(provider).id)
        _create(sdk, fresh, "selfInitiatedCourse")
        activities = sdk.me().employee_experience.learning_course_activities

        count = sdk.run(
            activities.count.get(sdk.query(USER_COUNT, filter=f"learningProviderId eq '{provider}'"))
        )

        assert count == 1

"""Entity answers rendered in one dict (``@odata.context`` first) and pages rendered with one plan give the same
bytes as the object rendered alone and copied behind its context: for every entity type, with and without
``$select``, with and without evolvable members, and for both API versions' context URLs."""

from __future__ import annotations

from itertools import combinations
from typing import Any
from urllib.parse import quote

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from learninggraph.domain.entity import EntityType, Kind, Property
from learninggraph.domain.values import emit_datetime
from learninggraph.http.odata_json import PolymorphicRenderer, Renderer, quote_key
from learninggraph.resources.employee_experience.entity import EMPLOYEE_EXPERIENCE_USER
from learninggraph.resources.employee_experience.records import UserContainerRecord
from learninggraph.resources.learning_contents.entity import LEARNING_CONTENT
from learninggraph.resources.learning_contents.records import ContentRecord
from learninggraph.resources.learning_course_activities.entity import (
    LEARNING_ASSIGNMENT,
    LEARNING_SELF_INITIATED_COURSE,
)
from learninggraph.resources.learning_course_activities.records import ACTIVITY, ActivityRecord
from learninggraph.resources.learning_providers.entity import LEARNING_PROVIDER
from learninggraph.resources.learning_providers.records import ProviderRecord
from learninggraph.storage.rows import Record

CONTEXTS = [
    f"http://localhost:8000/{version}/$metadata#employeeExperience/learningCourseActivities/$entity"
    for version in ("v1.0", "beta")
]


def _stored(prop: Property, *, late: bool) -> object:
    """A stored value of ``prop`` as a record holds it; ``late``: an enum's evolvable member where it has one."""
    if prop.kind is Kind.ENUM:
        assert prop.enum is not None
        return prop.enum.evolvable[0] if late and prop.enum.evolvable else prop.enum.members[0]
    return {
        Kind.STRING: f"value of {prop.name} \u00e9\"'",
        Kind.BOOLEAN: True,
        Kind.INT32: 42,
        Kind.DATETIME: "2024-05-01T10:00:00.250000+00:00",
        Kind.DURATION: "PT1H30M",
        Kind.STRING_LIST: '["a","b"]',
        Kind.DATETIME_TIME_ZONE: '{"dateTime":"2024-05-01T10:00:00","timeZone":"UTC"}',
        Kind.ITEM_BODY: '{"content":"c","contentType":"text"}',
    }[prop.kind]


def _record(record_type: type[Record], entity: EntityType, *, late: bool, empty: bool) -> Record:
    """A record of ``entity`` with every property stored (or every nullable one None)."""
    values: dict[str, Any] = {"id": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"}
    for field in record_type.__struct_fields__:
        values.setdefault(field, None)
    for prop in entity.properties:
        if prop.name != "id":
            values[prop.column] = None if empty and prop.nullable else _stored(prop, late=late)
    if "odata_type" in values:
        values["odata_type"] = entity.name
    return record_type(**values)


CASES: list[tuple[type[Record], EntityType, bool]] = [
    (ProviderRecord, LEARNING_PROVIDER, False),
    (ContentRecord, LEARNING_CONTENT, False),
    (ActivityRecord, LEARNING_ASSIGNMENT, True),
    (ActivityRecord, LEARNING_SELF_INITIATED_COURSE, True),
]


def _selections(entity: EntityType) -> list[tuple[Property, ...]]:
    props = entity.properties
    return [(), *((p,) for p in props), *combinations(props[:5], 2), tuple(reversed(props))]


def _encoded(value: object) -> bytes:
    return msgspec.json.encode(value)


@pytest.mark.parametrize(("record_type", "entity", "typed"), CASES, ids=lambda v: getattr(v, "name", ""))
def test_an_entity_answer_is_the_object_behind_its_context_byte_for_byte(
    record_type: type[Record], entity: EntityType, typed: bool
) -> None:
    renderer = Renderer(entity, with_odata_type=typed)
    for late in (False, True):
        for empty in (False, True):
            record = _record(record_type, entity, late=late, empty=empty)
            for select in _selections(entity):
                for include_unknown in (False, True):
                    for context in CONTEXTS:
                        alone = renderer.render(record, select=select, include_unknown=include_unknown)
                        at_once = renderer.render_entity(
                            record, context, select=select, include_unknown=include_unknown
                        )
                        assert _encoded(at_once) == _encoded({"@odata.context": context, **alone})


def test_an_activity_answer_is_rendered_as_its_own_type_behind_its_context() -> None:
    renderer = PolymorphicRenderer(LEARNING_ASSIGNMENT, LEARNING_SELF_INITIATED_COURSE)
    for entity in (LEARNING_ASSIGNMENT, LEARNING_SELF_INITIATED_COURSE):
        record = _record(ActivityRecord, entity, late=True, empty=False)
        for context in CONTEXTS:
            at_once = renderer.render_entity(record, context, include_unknown=True)
            alone = renderer.render(record, include_unknown=True)
            assert _encoded(at_once) == _encoded({"@odata.context": context, **alone})
            assert msgspec.json.decode(_encoded(at_once))["@odata.type"] == entity.odata_type


@pytest.mark.parametrize(("record_type", "entity", "typed"), CASES, ids=lambda v: getattr(v, "name", ""))
def test_a_page_renders_as_each_of_its_records_alone(
    record_type: type[Record], entity: EntityType, typed: bool
) -> None:
    renderer = Renderer(entity, with_odata_type=typed)
    records = [
        _record(record_type, entity, late=late, empty=empty)
        for late in (False, True)
        for empty in (False, True)
    ]
    for select in _selections(entity):
        for include_unknown in (False, True):
            page = renderer.render_all(records, select=select, include_unknown=include_unknown)
            one_by_one = [renderer.render(r, select=select, include_unknown=include_unknown) for r in records]
            assert _encoded(page) == _encoded(one_by_one)


def test_a_page_of_both_activity_types_renders_each_as_its_own_type() -> None:
    renderer = PolymorphicRenderer(LEARNING_ASSIGNMENT, LEARNING_SELF_INITIATED_COURSE)
    records = [
        _record(ActivityRecord, entity, late=late, empty=empty)
        for entity in (LEARNING_ASSIGNMENT, LEARNING_SELF_INITIATED_COURSE, LEARNING_ASSIGNMENT)
        for late in (False, True)
        for empty in (False, True)
    ]
    for select in _selections(LEARNING_ASSIGNMENT):
        for include_unknown in (False, True):
            page = renderer.render_all(records, select=select, include_unknown=include_unknown)
            one_by_one = [renderer.render(r, select=select, include_unknown=include_unknown) for r in records]
            assert _encoded(page) == _encoded(one_by_one)
            names = [getattr(record, "odata_type") for record in records]  # noqa: B009 (a Record in general)
            types = [item["@odata.type"] for item in msgspec.json.decode(_encoded(page))]
            assert types == [f"#microsoft.graph.{name}" for name in names]


def test_a_page_of_rows_renders_as_the_page_of_their_records() -> None:
    renderer = PolymorphicRenderer(
        LEARNING_ASSIGNMENT, LEARNING_SELF_INITIATED_COURSE, row_fields=ACTIVITY.fields
    )
    records = [
        _record(ActivityRecord, entity, late=late, empty=empty)
        for entity in (LEARNING_ASSIGNMENT, LEARNING_SELF_INITIATED_COURSE, LEARNING_ASSIGNMENT)
        for late in (False, True)
        for empty in (False, True)
    ]
    rows = [msgspec.structs.astuple(record) for record in records]
    for select in _selections(LEARNING_ASSIGNMENT):
        for include_unknown in (False, True):
            by_rows = renderer.render_rows(rows, select=select, include_unknown=include_unknown)
            by_records = renderer.render_all(records, select=select, include_unknown=include_unknown)
            assert _encoded(by_rows) == _encoded(by_records)


@pytest.mark.parametrize(
    "stored",
    [
        "2024-05-01T10:00:00.000000+00:00",
        "2024-05-01T10:00:00.250000+00:00",
        "2024-05-01T10:00:00.000001+00:00",
        "2024-05-01T10:00:00+00:00",
        "2024-05-01T10:00:00",
    ],
)
def test_a_date_time_renders_as_its_stored_form_is_emitted_whole_second_or_not(stored: str) -> None:
    renderer = PolymorphicRenderer(
        LEARNING_ASSIGNMENT, LEARNING_SELF_INITIATED_COURSE, row_fields=ACTIVITY.fields
    )
    record = _record(ActivityRecord, LEARNING_ASSIGNMENT, late=False, empty=False)
    record = msgspec.structs.replace(record, completed_date_time=stored)
    expected = emit_datetime(stored)
    assert renderer.render(record)["completedDateTime"] == expected
    for rendered in (
        renderer.render_all([record]),
        renderer.render_rows([msgspec.structs.astuple(record)]),
        [renderer.render_entity(record, CONTEXTS[0])],
    ):
        assert msgspec.json.decode(_encoded(rendered))[0]["completedDateTime"] == expected


def test_the_user_container_renders_the_same_behind_its_context() -> None:
    renderer = Renderer(EMPLOYEE_EXPERIENCE_USER, with_odata_type=False)
    record = UserContainerRecord("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")
    for context in CONTEXTS:
        alone = renderer.render(record)
        assert _encoded(renderer.render_entity(record, context)) == _encoded(
            {"@odata.context": context, **alone}
        )


def test_every_stored_enum_member_renders_as_its_enum_type_emits_it() -> None:
    for entity in (LEARNING_CONTENT, LEARNING_ASSIGNMENT, LEARNING_SELF_INITIATED_COURSE, LEARNING_PROVIDER):
        for prop in entity.properties:
            if prop.enum is None:
                continue
            renderer = Renderer(entity, with_odata_type=False)
            for member in (*prop.enum.members, None):
                for include_unknown in (False, True):
                    record = msgspec.structs.replace(
                        _record(_RECORD_TYPES[entity.name], entity, late=False, empty=False),
                        **{prop.column: member},
                    )
                    expected = (
                        None
                        if member is None
                        else prop.enum.emit(member, include_unknown_members=include_unknown)
                    )
                    rendered = renderer.render(record, select=(prop,), include_unknown=include_unknown)
                    assert rendered == {prop.name: expected}


_RECORD_TYPES: dict[str, type[Record]] = {entity.name: record_type for record_type, entity, _ in CASES}


@given(st.text(max_size=40))
def test_a_key_in_a_context_url_is_percent_encoded_as_quote_encodes_it(value: str) -> None:
    assert quote_key(value) == quote(value.replace("'", "''"), safe="")


def test_a_guid_key_in_a_context_url_is_left_as_it_is() -> None:
    assert quote_key("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d") == "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    assert quote_key("o'k/é") == "o%27%27k%2F%C3%A9"

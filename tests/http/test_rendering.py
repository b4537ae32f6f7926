"""Records rendered as Graph JSON: each property read from its column's attribute, in declaration order."""

from __future__ import annotations

import msgspec

from learninggraph.domain.entity import EntityType, Kind, Property
from learninggraph.domain.values import ASSIGNMENT_TYPE
from learninggraph.http.odata_json import PolymorphicRenderer, Renderer
from learninggraph.storage.rows import Record

NAME = Property("displayName", Kind.STRING, "display_name")
ON = Property("isOn", Kind.BOOLEAN, "is_on")
WHEN = Property("changedDateTime", Kind.DATETIME, "changed_at")
TAGS = Property("tags", Kind.STRING_LIST, "tags")
KIND = Property("assignmentType", Kind.ENUM, "assignment_type", enum=ASSIGNMENT_TYPE)
ID = Property("id", Kind.STRING, "id")
THING = EntityType("thing", (ID, NAME, ON, WHEN, TAGS, KIND))
SMALL = EntityType("smallThing", (ID, NAME), base="thing")


class ThingRecord(Record, frozen=True):
    # Deliberately not in the declaration's order: the renderer reads names, not positions.
    assignment_type: str | None
    tags: str | None
    changed_at: str | None
    is_on: bool
    display_name: str
    odata_type: str = "thing"


RECORD = ThingRecord("t1", "required", '["a","b"]', "2024-05-01T10:00:00.250000+00:00", False, "Thing")


def encoded(value: object) -> bytes:
    return msgspec.json.encode(value)


def test_a_record_renders_by_attribute_in_the_declarations_order() -> None:
    rendered = Renderer(THING, with_odata_type=False).render(RECORD)

    assert encoded(rendered) == (
        b'{"id":"t1","displayName":"Thing","isOn":false,"changedDateTime":"2024-05-01T10:00:00.25Z",'
        b'"tags":["a","b"],"assignmentType":"required"}'
    )


def test_select_shows_only_the_selected_properties_in_the_declarations_order() -> None:
    renderer = Renderer(THING, with_odata_type=False)

    rendered = renderer.render(RECORD, select=(KIND, NAME))

    assert list(rendered) == ["displayName", "assignmentType"]


def test_the_same_selection_renders_the_same_for_every_record_of_a_page() -> None:
    renderer = Renderer(THING, with_odata_type=False)
    select = (NAME,)
    other = ThingRecord("t2", None, None, None, True, "Other")

    rendered = [renderer.render(record, select=select) for record in (RECORD, other, RECORD)]

    assert rendered == [{"displayName": "Thing"}, {"displayName": "Other"}, {"displayName": "Thing"}]


def test_many_distinct_selections_keep_a_bounded_number_of_plans() -> None:
    renderer = Renderer(THING, with_odata_type=False)
    choices = [(a, b) for a in THING.properties for b in THING.properties] * 3

    for select in choices:
        renderer.render(RECORD, select=list(select))

    assert len(renderer._plans) <= 64


def test_an_evolvable_member_is_the_sentinel_unless_the_client_asked_for_it() -> None:
    late = msgspec.structs.replace(RECORD, assignment_type="peerRecommended")
    renderer = Renderer(THING, with_odata_type=False)

    assert renderer.render(late, select=(KIND,)) == {"assignmentType": "unknownFutureValue"}
    assert renderer.render(late, select=(KIND,), include_unknown=True) == {
        "assignmentType": "peerRecommended"
    }


def test_a_polymorphic_record_renders_as_the_type_its_odata_type_names() -> None:
    renderer = PolymorphicRenderer(THING, SMALL)
    small = msgspec.structs.replace(RECORD, odata_type="smallThing")

    assert renderer.render(small) == {
        "@odata.type": "#microsoft.graph.smallThing",
        "id": "t1",
        "displayName": "Thing",
    }
    assert list(renderer.render(RECORD))[:3] == ["@odata.type", "id", "displayName"]

"""What the request path keeps between requests stays bounded and is never mistaken for another request's:
the router's candidates per path shape, the SQL of a parsed ``$filter``, and the observers' interest."""

from __future__ import annotations

import contextlib
import logging

import pytest

from learninggraph.domain.errors import MethodNotAllowed, NotFound
from learninggraph.http.access_log import AccessLog, Exchange
from learninggraph.http.context import Key, Operation, Param, RequestContext
from learninggraph.http.edge import Edge
from learninggraph.http.messages import Response, Segment, parse_path
from learninggraph.http.pipeline import Pipeline
from learninggraph.http.reading import Reading
from learninggraph.http.routing import Router
from learninggraph.odata.filter import parse_filter
from learninggraph.resources.learning_course_activities.entity import LEARNING_COURSE_ACTIVITY
from learninggraph.storage import listing


def _answer(context: RequestContext) -> Response:
    return Response(200)


OPERATIONS = [
    Operation("things.list", "GET", ("things",), _answer),
    Operation("things.get", "GET", ("things", Param("thing")), _answer),
    Operation("things.count", "GET", ("things", "$count"), _answer),
    Operation("things.byName", "GET", (Key("things", ("name",), "name"),), _answer),
    Operation("parts.get", "GET", (Param("owner"), "parts", Param("part")), _answer),
    Operation("things.parts", "GET", ("things", Param("thing"), "parts"), _answer),
]


def _resolve(router: Router, method: str, path: str) -> tuple[str, dict[str, str]]:
    match = router.resolve(method, parse_path(path))
    return match.operation.name, match.params


def test_each_path_shape_resolves_to_its_route_with_its_parameters() -> None:
    router = Router(OPERATIONS)

    assert _resolve(router, "GET", "/things") == ("things.list", {})
    assert _resolve(router, "GET", "/Things/abc") == ("things.get", {"thing": "abc"})
    assert _resolve(router, "GET", "/things/$count") == ("things.count", {})
    assert _resolve(router, "GET", "/things(name='a%2Fb')") == ("things.byName", {"name": "a/b"})
    assert _resolve(router, "GET", "/things/abc/parts") == ("things.parts", {"thing": "abc"})
    assert _resolve(router, "GET", "/owner-1/parts/p2") == ("parts.get", {"owner": "owner-1", "part": "p2"})


def test_a_key_segment_where_a_plain_one_is_declared_matches_nothing() -> None:
    router = Router(OPERATIONS)

    with pytest.raises(NotFound):
        router.resolve("GET", (Segment("things"), Segment("x", "id", "abc")))


def test_a_parameter_never_takes_a_dollar_name_nor_an_empty_one() -> None:
    router = Router(OPERATIONS)

    with pytest.raises(NotFound):
        router.resolve("GET", (Segment("things"), Segment("$ref")))
    with pytest.raises(NotFound):
        router.resolve("GET", (Segment("things"), Segment("")))


def test_a_served_path_with_another_method_is_still_a_405() -> None:
    with pytest.raises(MethodNotAllowed):
        Router(OPERATIONS).resolve("DELETE", parse_path("/things/abc"))


def test_paths_of_any_length_and_names_keep_a_bounded_table_of_candidates() -> None:
    router = Router(OPERATIONS)

    for n in range(1, 300):
        for path in (f"/x{n}/y{n}", f"/things/y{n}/z", "/a" * n, f"/x{n}/parts/p"):
            with contextlib.suppress(NotFound):
                router.resolve("GET", parse_path(path))

    # Lengths up to the longest route's (3), first and second names the routes' own or none.
    assert len(router._candidates) <= 3 * 3 * 3


def test_a_filter_keeps_its_sql_for_the_same_parsed_object_only() -> None:
    completed = parse_filter("status eq 'completed'", LEARNING_COURSE_ACTIVITY)
    other = parse_filter("status ne 'completed'", LEARNING_COURSE_ACTIVITY)

    first = listing._filter_sql(completed)
    again = listing._filter_sql(completed)
    different = listing._filter_sql(other)

    assert first == again
    assert "=" in first[0] and "<>" in different[0]
    assert first[1] == different[1] == ("completed",)


def test_many_filters_keep_a_bounded_number_of_rendered_statements() -> None:
    for n in range(1_200):
        listing._filter_sql(parse_filter(f"completionPercentage eq {n}", LEARNING_COURSE_ACTIVITY))

    assert len(listing._filters) <= 512


def _edge(observers: list[object]) -> Edge:
    return Edge(pipeline=Pipeline(), reading=Reading(max_body_bytes=10), observers=observers)  # type: ignore[arg-type]


def test_observers_set_after_the_edge_is_built_decide_whether_an_exchange_is_made() -> None:
    seen: list[Exchange] = []
    logger = logging.getLogger("tests.request_path_tables.quiet")
    logger.setLevel(logging.WARNING)
    quiet = AccessLog(logger=logger)
    edge = _edge([quiet])

    assert not edge._listened()
    edge.observers = (*edge.observers, seen.append)
    assert edge._listened()


def test_a_parsed_request_holds_each_part_of_the_request_in_its_own_field() -> None:
    scope = {
        "method": "patch",
        "scheme": "https",
        "path": "/v1.0//things/abc/",
        "raw_path": b"/v1.0//things/abc/",
        "query_string": b"$top=5",
        "client": ("192.0.2.7", 5000),
    }
    headers = {"host": "graph.example:8443", "prefer": "return=representation"}

    request = Reading(max_body_bytes=100).parse_request(scope, headers, b"{}", "request-1", "client-1")

    assert (request.method, request.path, request.query) == ("PATCH", "/v1.0/things/abc", {"$top": "5"})
    assert request.segments == (Segment("v1.0"), Segment("things"), Segment("abc"))
    assert (request.headers, request.body) == (headers, b"{}")
    assert request.base_url == "https://graph.example:8443"
    assert (request.request_id, request.client_request_id) == ("request-1", "client-1")
    assert request.prefer == frozenset({"return=representation"})
    assert request.client_address == "192.0.2.7"

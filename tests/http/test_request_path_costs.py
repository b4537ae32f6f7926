"""The request path skips work it can: no body wait without a body, queries and options parsed once, and
client-secret sign-ins on the handlers' lane (only password sign-ins take the sign-in threads)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

from learninggraph.domain.entity import EntityType
from learninggraph.domain.principal import Permissions
from learninggraph.http.access_log import AccessLog, Exchange
from learninggraph.http.context import Operation, RequestContext
from learninggraph.http.edge import Edge, is_client_credentials, new_request_id
from learninggraph.http.messages import Request, Response, parse_query
from learninggraph.http.pipeline import ParseOptions, Pipeline
from learninggraph.http.reading import Reading
from learninggraph.resources.learning_course_activities.entity import LEARNING_COURSE_ACTIVITY


def _request(method: str, path: str, body: bytes = b"", query: dict[str, str] | None = None) -> Request:
    reading = Reading(max_body_bytes=1024)
    scope: dict[str, Any] = {"method": method, "path": path, "raw_path": path.encode(), "query_string": b""}
    request = reading.parse_request(scope, {}, body, "r", "c")
    if query is not None:
        request.query = query
    return request


def _token_request(body: bytes) -> Request:
    return _request("POST", "/contoso/oauth2/v2.0/token", body)


def test_a_request_without_a_body_is_read_without_waiting_for_one() -> None:
    async def never_sends() -> dict[str, Any]:
        await asyncio.sleep(3600)
        return {}

    reading = Reading(max_body_bytes=1024, body_timeout_seconds=0.05)
    body = asyncio.run(reading.read_body({"host": "example"}, never_sends))
    assert body == b""


def test_a_request_with_a_content_length_is_still_timed_while_its_body_arrives() -> None:
    async def never_sends() -> dict[str, Any]:
        await asyncio.sleep(3600)
        return {}

    reading = Reading(max_body_bytes=1024, body_timeout_seconds=0.05)
    try:
        asyncio.run(reading.read_body({"content-length": "10"}, never_sends))
    except Exception as error:
        assert getattr(error, "status", None) == 408
    else:
        raise AssertionError("a body that never came was not refused")


def test_each_parse_of_a_repeated_query_string_gets_its_own_options() -> None:
    first = parse_query("$top=5&$filter=status%20eq%20%27completed%27")
    first["$top"] = "changed"
    second = parse_query("$top=5&$filter=status%20eq%20%27completed%27")
    assert second == {"$top": "5", "$filter": "status eq 'completed'"}


def test_a_repeated_query_reuses_the_options_parsed_for_its_operation() -> None:
    entity: EntityType = LEARNING_COURSE_ACTIVITY
    operation = Operation(
        "activities.list",
        "GET",
        ("activities",),
        lambda context: Response(200),
        permissions=Permissions(),
        entity=entity,
        options=frozenset({"$top", "$filter"}),
    )
    step = ParseOptions(max_top=100)
    contexts = []
    for _ in range(2):
        context = RequestContext(_request("GET", "/activities", query={"$top": "7"}))
        context.operation = operation
        step(context)
        contexts.append(context)
    assert contexts[0].options.top == 7
    assert contexts[1].options is contexts[0].options


def test_a_client_secret_sign_in_is_recognised_as_client_credentials() -> None:
    form = b"client_id=a&grant_type=client_credentials&client_secret=s&scope=x%2F.default"
    assert is_client_credentials(_token_request(form))
    assert is_client_credentials(_token_request(b"grant_type=client_credentials&client_id=a"))


def test_a_password_sign_in_or_an_ambiguous_form_is_not_client_credentials() -> None:
    assert not is_client_credentials(_token_request(b"grant_type=password&username=u&password=p"))
    assert not is_client_credentials(
        _token_request(b"grant_type=client_credentials&grant_type=password&password=p")
    )
    assert not is_client_credentials(_token_request(b"x=grant_type=client_credentials&grant_type=password"))
    assert not is_client_credentials(_token_request(b"xgrant_type=client_credentials"))


def test_only_password_sign_ins_run_on_the_sign_in_threads() -> None:
    edge = Edge(pipeline=Pipeline(), reading=Reading(max_body_bytes=1024))
    client_credentials = _token_request(b"grant_type=client_credentials&client_id=a&client_secret=s")
    password = _token_request(b"grant_type=password&username=u&password=p")
    assert edge._executor_for(client_credentials) is None
    assert edge._executor_for(password) is edge._sign_in_lane


def test_request_ids_are_version_4_guids() -> None:
    for _ in range(1000):
        request_id = new_request_id()
        parsed = uuid.UUID(request_id)
        assert str(parsed) == request_id
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122


class _CountingAccessLog(AccessLog):
    """The access log, counting the exchanges the edge hands it."""

    def __init__(self, logger: logging.Logger) -> None:
        super().__init__(logger=logger)
        self.handed: list[Exchange] = []

    def __call__(self, exchange: Exchange) -> None:
        self.handed.append(exchange)
        super().__call__(exchange)


def _answer_one(edge: Edge) -> None:
    scope: dict[str, Any] = {"type": "http", "method": "GET", "path": "/ping", "raw_path": b"/ping"}
    scope |= {"query_string": b"", "headers": [(b"host", b"example")], "scheme": "http"}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        pass

    asyncio.run(edge(scope, receive, send))


def _edge_with(*observers: Any) -> Edge:
    pipeline = Pipeline([lambda context: Response(204)])
    return Edge(pipeline=pipeline, reading=Reading(max_body_bytes=1024), observers=observers)


def test_an_access_log_that_writes_nothing_is_not_handed_an_exchange() -> None:
    logger = logging.getLogger(f"learninggraph.test-access-off-{uuid.uuid4()}")
    logger.setLevel(logging.WARNING)
    access_log = _CountingAccessLog(logger)

    _answer_one(_edge_with(access_log))

    assert access_log.handed == []


def test_an_access_log_that_writes_is_handed_each_exchange() -> None:
    logger = logging.getLogger(f"learninggraph.test-access-on-{uuid.uuid4()}")
    logger.setLevel(logging.INFO)
    logger.addHandler(logging.NullHandler())
    access_log = _CountingAccessLog(logger)

    _answer_one(_edge_with(access_log))

    assert [(e.method, e.path, e.status) for e in access_log.handed] == [("GET", "/ping", 204)]


def test_another_observer_is_handed_each_exchange_even_with_the_access_log_off() -> None:
    logger = logging.getLogger(f"learninggraph.test-access-other-{uuid.uuid4()}")
    logger.setLevel(logging.WARNING)
    seen: list[Exchange] = []

    _answer_one(_edge_with(_CountingAccessLog(logger), seen.append))

    assert [e.status for e in seen] == [204]


class _ServerCycle:
    """What the edge's ``receive`` is bound to under uvicorn: its request cycle, here with the body in hand."""

    def __init__(self, body: bytes, *, complete: bool) -> None:
        self.body = body
        self.more_body = not complete

    async def receive(self) -> dict[str, Any]:
        await asyncio.sleep(0)  # a turn of the loop, as a server's receive may take
        return {"type": "http.request", "body": self.body, "more_body": False}


def test_a_body_the_server_already_holds_whole_is_read_without_its_timer() -> None:
    reading = Reading(max_body_bytes=1024, body_timeout_seconds=1e-9)
    cycle = _ServerCycle(b'{"a":1}', complete=True)

    body = asyncio.run(reading.read_body({"content-length": "7"}, cycle.receive))

    assert body == b'{"a":1}'


def test_a_body_still_arriving_at_the_server_keeps_its_timer() -> None:
    reading = Reading(max_body_bytes=1024, body_timeout_seconds=1e-9)
    cycle = _ServerCycle(b'{"a":1}', complete=False)
    try:
        asyncio.run(reading.read_body({"content-length": "7"}, cycle.receive))
    except Exception as error:
        assert getattr(error, "status", None) == 408
    else:
        raise AssertionError("a body still arriving was read without its timer")


def test_a_body_the_server_holds_whole_is_still_refused_past_the_size_limit() -> None:
    reading = Reading(max_body_bytes=4)
    cycle = _ServerCycle(b"0123456789", complete=True)
    try:
        asyncio.run(reading.read_body({"transfer-encoding": "chunked"}, cycle.receive))
    except Exception as error:
        assert getattr(error, "status", None) == 413
    else:
        raise AssertionError("a body past the limit was accepted")


class _Chunks:
    """A body handed over in several messages, as a chunked upload arrives."""

    def __init__(self, *chunks: bytes) -> None:
        self.messages = [
            {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
            for i, chunk in enumerate(chunks)
        ]

    async def receive(self) -> dict[str, Any]:
        return self.messages.pop(0)


def test_a_body_in_several_messages_is_read_whole() -> None:
    reading = Reading(max_body_bytes=1024)

    body = asyncio.run(
        reading.read_body({"transfer-encoding": "chunked"}, _Chunks(b'{"a":', b"1", b"}").receive)
    )

    assert body == b'{"a":1}'


def test_a_body_in_several_messages_is_refused_once_they_pass_the_size_limit() -> None:
    reading = Reading(max_body_bytes=5)
    try:
        asyncio.run(reading.read_body({"transfer-encoding": "chunked"}, _Chunks(b"0123", b"4567").receive))
    except Exception as error:
        assert getattr(error, "status", None) == 413
    else:
        raise AssertionError("a body past the limit was accepted")

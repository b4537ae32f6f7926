"""An unexpected failure inside a handler is a 500 in the Graph envelope, without a stack trace."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from learninggraph.domain.principal import CallerKind, Permissions, Principal
from learninggraph.http.context import RequestContext
from learninggraph.http.edge import Edge
from learninggraph.http.messages import Response
from learninggraph.http.pipeline import request_steps
from learninggraph.http.reading import Reading
from learninggraph.http.routing import Operation, Router


class _AnyCaller:
    def authenticate(self, authorization: str | None) -> Principal:
        return Principal("t", "a", CallerKind.APPLICATION, frozenset({"Any"}))


def _explode(context: RequestContext) -> Response:
    raise RuntimeError("secret internal detail")


@pytest.fixture(scope="module")
def failing_server() -> Iterator[str]:
    anyone = Permissions(application=frozenset({"Any"}))
    edge = Edge(
        pipeline=request_steps(
            graph=Router([Operation("boom", "GET", ("boom",), _explode, anyone)]),
            public=Router([]),
            authenticator=_AnyCaller(),
        ),
        reading=Reading(max_body_bytes=1024),
    )
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(edge, log_level="critical", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.005)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def test_an_unexpected_error_is_500_internal_server_error_in_the_envelope(
    failing_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.CRITICAL, logger="learninggraph"):
        response = httpx.get(f"{failing_server}/v1.0/boom")

    error = response.json()["error"]
    assert response.status_code == 500
    assert error["code"] == "internalServerError"
    assert error["message"] == "Internal server error."
    assert "secret internal detail" not in response.text
    assert "Traceback" not in response.text

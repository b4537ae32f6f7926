"""The console's line per request: the operation and the rule that produced the answer, text or JSON; and
``serve`` prints it without being asked."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from learninggraph.domain.permissions import CONTENT_READ_ALL
from learninggraph.http.access_log import ACCESS_LOGGER, AccessLog, Exchange
from tests.builders import Catalogue, Tenant

PROVIDERS = "/v1.0/employeeExperience/learningProviders"


def _line_of(caplog: pytest.LogCaptureFixture, request_id: str) -> str:
    return next(
        r.getMessage() for r in caplog.records if r.name == ACCESS_LOGGER and request_id in r.getMessage()
    )


def test_a_refusal_line_names_the_operation_and_the_rule(
    tenant: Tenant, catalogue: Catalogue, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        response = tenant.app([CONTENT_READ_ALL]).post(
            catalogue.activities_url, json=tenant.assignment_body(catalogue.content_id)
        )

    line = _line_of(caplog, response.headers["request-id"])
    assert " 403 " in line
    assert " learningProviders.learningCourseActivities.create rule=permissions.missing " in line


def test_a_json_line_carries_the_operation_and_the_rule() -> None:
    exchange = Exchange(
        "GET", "/v1.0/x", "/v1.0/x", 404, 0.002, "rid", "t", "c", operation="x.get", rule="route.notFound"
    )

    entry = json.loads(AccessLog(json_lines=True).line(exchange))

    assert (entry["operation"], entry["rule"], entry["requestId"]) == ("x.get", "route.notFound", "rid")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.backend_independent
def test_serve_prints_one_line_per_request_by_default(tmp_path: Path) -> None:
    port = _free_port()
    log = tmp_path / "stderr.txt"
    command = [sys.executable, "-m", "learninggraph", "serve", "--port", str(port)]
    command += ["--database", f"sqlite:///{tmp_path / 'serve.db'}", "--no-dev-identity"]
    with log.open("w") as stderr:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr, env=dict(os.environ))
        try:
            assert _wait(lambda: _answers(port), 60)
            request_id = httpx.get(f"http://127.0.0.1:{port}{PROVIDERS}").headers["request-id"]
            assert _wait(lambda: request_id in log.read_text(), 10)
        finally:
            process.terminate()
            process.wait(timeout=30)

    [line] = [line for line in log.read_text().splitlines() if request_id in line]
    assert f"GET {PROVIDERS} 401 " in line
    assert "rule=token.missing" in line


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False

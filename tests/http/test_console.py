"""The console writer of ``serve``: lines as the logging module wrote them, in order, none lost at exit."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import time

from learninggraph.http.access_log import AccessLog, Exchange
from learninggraph.http.console import Console

CHILD = r"""
import logging, sys
from learninggraph.http.access_log import configure_logging, Exchange
log = configure_logging(level="info", json_lines=sys.argv[1] == "json")
other = logging.getLogger("learninggraph.other")
for n in range(2000):
    log(Exchange("GET", f"/v1.0/x/{n}", "/v1.0/x/{id}", 200, 0.001, f"rid-{n}", "t", "c"))
    if n == 1000:
        other.info("between %d and %d", 1000, 1001)
"""


def _serve_lines(log_format: str) -> list[str]:
    return subprocess.run(
        [sys.executable, "-c", CHILD, log_format], capture_output=True, text=True, check=True, timeout=60
    ).stderr.splitlines()


def test_every_buffered_line_is_written_in_order_when_the_process_exits() -> None:
    lines = _serve_lines("text")

    ids = [line.split("request-id=")[1].split(" ")[0] for line in lines if "request-id=" in line]
    assert ids == [f"rid-{n}" for n in range(2000)]
    assert (
        lines.index(next(line for line in lines if "between 1000 and 1001" in line)) == 1001
    )  # after rid-0 … rid-1000


def test_json_lines_are_written_with_the_time_first() -> None:
    entries = [json.loads(line) for line in _serve_lines("json")]

    assert list(entries[0])[:3] == ["time", "method", "path"]
    assert [e["requestId"] for e in entries if "requestId" in e] == [f"rid-{n}" for n in range(2000)]


def test_a_text_line_is_what_the_logging_formatter_wrote() -> None:
    record = logging.LogRecord("learninggraph.x", logging.INFO, __file__, 1, "hello %s", ("you",), None)
    console = Console(sys.stderr)

    expected = logging.Formatter("%(asctime)s %(levelname)s %(message)s").format(record)

    assert console.format(record) == expected


def test_a_json_access_line_is_what_json_dumps_wrote_even_for_non_ascii_paths() -> None:
    for path in ("/v1.0/plain", "/v1.0/caf\u00e9"):
        exchange = Exchange("GET", path, "/r", 404, 0.0123, "rid", "", "c", operation="x.get")
        fields = json.loads(AccessLog(json_lines=True).line(exchange))

        assert AccessLog(json_lines=True).line(exchange) == json.dumps(fields, separators=(",", ":"))


def test_the_stamp_matches_asctime_across_seconds() -> None:
    console = Console(sys.stderr)
    formatter = logging.Formatter()
    for now in (time.time(), time.time() + 1.5, time.time() + 3600.999):
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", (), None)
        record.created, record.msecs = now, int((now - int(now)) * 1000)
        assert console.stamp(now) == formatter.formatTime(record)


def test_a_waiting_line_is_written_without_waiting_for_more() -> None:
    stream = io.StringIO()
    console = Console(stream)
    console.append("the only line")

    deadline = time.monotonic() + 5
    while not stream.getvalue() and time.monotonic() < deadline:
        time.sleep(0.02)

    assert stream.getvalue() == "the only line\n"


def test_a_warning_is_written_at_once_after_the_lines_before_it() -> None:
    stream = io.StringIO()
    console = Console(stream)
    console.append("first")
    record = logging.LogRecord("learninggraph.x", logging.WARNING, __file__, 1, "careful", (), None)

    console.handle(record)

    assert stream.getvalue().splitlines()[0] == "first"
    assert stream.getvalue().splitlines()[1].endswith(" WARNING careful")

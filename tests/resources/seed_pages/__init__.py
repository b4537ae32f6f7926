"""The example requests of the seed pages, read verbatim, and their ids swapped for real ones."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PAGES = Path(__file__).parent
DOCUMENTED_BASE = "https://graph.microsoft.com"

# The ids the pages use, by what they name.
PROVIDER = "01e8f81b-3060-4dec-acf0-0389665a0a38"
CONTENT = "57baf9dc-e020-11ec-9d64-0242ac120002"
LEARNER = "7ba2228a-e020-11ec-9d64-0242ac120002"
ACTIVITY = "8ba2228a-e020-11ec-9d64-0242ac120003"
ACTIVITY_PLACEHOLDER = "{learningCourseActivityId}"
EXTERNAL = "12a2228a-e020-11ec-9d64-0242ac120002"
ASSIGNER = "cea1684d-57dc-438d-a9d1-e666ec1a7f3d"

_REQUEST_LINE = re.compile(r"^(GET|POST|PATCH|PUT|DELETE) (https://graph\.microsoft\.com/\S+)\s*$")
_STATUS_LINE = re.compile(r"^HTTP/1\.1 (\d{3})\b")


@dataclass(frozen=True)
class Example:
    """One example request of a page and the answer the page documents for it."""

    page: str
    method: str
    url: str
    headers: dict[str, str]
    body: str
    status: int
    response_body: str

    def swapped(self, base_url: str, ids: Mapping[str, str]) -> tuple[str, str]:
        """The URL (on ``base_url``) and the body, with the page's ids replaced and nothing else touched."""
        url, body = self.url.replace(DOCUMENTED_BASE, base_url, 1), self.body
        for documented, real in ids.items():
            url, body = url.replace(documented, real), body.replace(documented, real)
        return url, body


def examples(page: str) -> list[Example]:
    """The page's example requests in the order printed, each with the status of its documented response."""
    lines = (PAGES / f"{page}.txt").read_text(encoding="utf-8").splitlines()
    found: list[Example] = []
    at = 0
    while at < len(lines):
        request = _REQUEST_LINE.match(lines[at])
        if request is None:
            at += 1
            continue
        headers, at = _headers(lines, at + 1)
        body, at = _json_block(lines, at)
        while _STATUS_LINE.match(lines[at]) is None:
            at += 1
        status_match = _STATUS_LINE.match(lines[at])
        assert status_match is not None
        _, after_status = _headers(lines, at + 1)
        response_body, at = (
            _json_block(lines, after_status) if _opens_json(lines, after_status) else ("", at + 1)
        )
        found.append(
            Example(page, request[1], request[2], headers, body, int(status_match[1]), response_body)
        )
    return found


def _headers(lines: list[str], at: int) -> tuple[dict[str, str], int]:
    headers: dict[str, str] = {}
    while at < len(lines) and lines[at].strip() and ":" in lines[at] and not lines[at].startswith("{"):
        name, _, value = lines[at].partition(":")
        headers[name.strip()] = value.strip()
        at += 1
    return headers, at


def _opens_json(lines: list[str], at: int) -> bool:
    while at < len(lines) and not lines[at].strip():
        at += 1
    return at < len(lines) and lines[at] == "{"


def _json_block(lines: list[str], at: int) -> tuple[str, int]:
    """From the first line that is ``{`` to the first line that is ``}``, both included, as printed."""
    while lines[at] != "{":
        at += 1
    end = at
    while lines[end] != "}":
        end += 1
    return "\n".join(lines[at : end + 1]) + "\n", end + 1

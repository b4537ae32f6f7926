"""The values and request parts of ``bench/differential.py``'s probes: odd strings and numbers, encodings, bodies.

A probe names the ids it needs as markers (``@@provider@@``, ``@@content@@``, ...), filled in per server, since
each backend's fixtures get ids of their own. Values are drawn from one seeded generator, so both backends get
the same bytes.
"""

from __future__ import annotations

import base64
import json
import random
import string
from dataclasses import dataclass
from urllib.parse import quote

# Who signs the request: an application token, a signed-in user's token, nobody, or a malformed bearer.
AUTHS = ("app", "user", "none")


@dataclass(frozen=True)
class Probe:
    name: str
    method: str
    target: str
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    auth: str = "app"


def random_text(rng: random.Random, length: int) -> str:
    """Random letters and digits (nothing a compressor or an index prefix could shorten)."""
    return "".join(rng.choices(string.ascii_letters + string.digits, k=length))


def text_values(rng: random.Random) -> dict[str, str]:
    """Odd strings, by name: each goes into path keys, query options, headers and body fields."""
    return {
        "nul": "a\x00b",
        "surrogate": "a\ud800b",
        "long3k": random_text(rng, 3_000),
        "long9k": random_text(rng, 9_000),
        "astral": "\U0001f600\U0001d518\U00010348",
        "rtl-combining": "\u202eabc\u0301\u0308\u200f",
        "empty": "",
        "spaces": "   \t",
        "quote": "a'b\"c",
        "backslash": "a\\b%_",
    }


def body_text_values(rng: random.Random) -> dict[str, str]:
    return {**text_values(rng), "long100k": random_text(rng, 100_000)}


# Raw path-segment spellings that no encoding of a string gives.
RAW_SEGMENTS = {
    "pct-nul": "%00",
    "pct-slash": "a%2Fb",
    "overlong-slash": "%C0%AF",
    "invalid-pct": "%ZZ",
    "lone-pct": "%",
    "pct-ff": "%FF%FE",
    "pct-surrogate": "%ED%A0%80",
    # Not percent-encoded at all: UTF-8 bytes as they are in the request line.
    "raw-utf8": "\u00e9\U0001f600",
    "pct-plus": "a+b%20c",
}

NUMBERS: dict[str, bytes] = {
    "int64-max": b"9223372036854775807",
    "int64-past": b"9223372036854775808",
    "int64-min-past": b"-9223372036854775809",
    "huge-int": b"1" + b"0" * 400,
    "float-max-past": b"1e309",
    "tiny-float": b"5e-324",
    "neg-zero": b"-0",
    "neg-zero-float": b"-0.0",
    "fraction": b"10.5",
    "nan": b"NaN",
    "infinity": b"Infinity",
    "string-number": b'"10"',
    "true": b"true",
    "null": b"null",
    "array": b"[10]",
    "object": b'{"a": 10}',
}


def segment(value: str) -> str:
    """``value`` as a percent-encoded path segment (a lone surrogate as the bytes UTF-8 would give it)."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def json_string(value: str) -> bytes:
    """``value`` as a JSON string, escaped (NUL as ``\\u0000``, a lone surrogate as ``\\ud800``)."""
    return json.dumps(value).encode("ascii")


FORM = (("Content-Type", "application/x-www-form-urlencoded"),)
JSON_TYPE = (("Content-Type", "application/json"),)
GRAPH = "/v1.0/employeeExperience"
PROVIDER = f"{GRAPH}/learningProviders/@@provider@@"
CONTENTS = f"{PROVIDER}/learningContents"
ACTIVITIES = f"{PROVIDER}/learningCourseActivities"


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("utf-8", "surrogatepass")).decode().rstrip("=")


def provider_body(**fields: bytes) -> bytes:
    base: dict[str, bytes] = {
        "displayName": b'"Contoso Academy"',
        "loginWebUrl": b'"https://contoso.example/login"',
        "longLogoWebUrlForDarkTheme": b'"https://contoso.example/a.png"',
        "longLogoWebUrlForLightTheme": b'"https://contoso.example/b.png"',
        "squareLogoWebUrlForDarkTheme": b'"https://contoso.example/c.png"',
        "squareLogoWebUrlForLightTheme": b'"https://contoso.example/d.png"',
        "isCourseActivitySyncEnabled": b"true",
    }
    base.update(fields)
    return json_object(base)


def content_body(**fields: bytes) -> bytes:
    base: dict[str, bytes] = {
        "title": b'"Python 101"',
        "contentWebUrl": b'"https://contoso.example/courses/python-101"',
        "languageTag": b'"en-us"',
        "duration": b'"PT1H30M"',
        "level": b'"Beginner"',
    }
    base.update(fields)
    return json_object(base)


def activity_body(**fields: bytes) -> bytes:
    base: dict[str, bytes] = {
        "@odata.type": b'"#microsoft.graph.learningSelfInitiatedCourse"',
        "learnerUserId": b'"@@user@@"',
        "learningContentId": b'"@@content@@"',
        "status": b'"inProgress"',
        "startedDateTime": b'"2021-05-11T22:57:17Z"',
        "completionPercentage": b"10",
        "externalcourseActivityId": b'"@@fresh@@"',
    }
    base.update(fields)
    return json_object(base)


def json_object(fields: dict[str, bytes]) -> bytes:
    return b"{" + b",".join(json_string(k) + b":" + v for k, v in fields.items()) + b"}"


def token_form(overrides: dict[str, str], grant: str = "client_credentials") -> bytes:
    # Each grant its own app: the lockout counts wrong secrets per client id and address, and one grant's
    # wrong secrets would otherwise answer the other's probes 429.
    app = "" if grant == "client_credentials" else "_pw"
    form = {
        "grant_type": grant,
        "client_id": f"@@client{app}@@",
        "client_secret": f"@@secret{app}@@",
        "scope": "https://graph.microsoft.com/.default"
        if grant == "client_credentials"
        else "LearningProvider.Read",
    }
    if grant == "password":
        form.update(username="@@upn@@", password="@@password@@")
    form.update(overrides)
    return "&".join(
        f"{k}={quote(v.encode('utf-8', 'surrogatepass'), safe='@')}" for k, v in form.items()
    ).encode()

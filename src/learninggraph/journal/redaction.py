"""Redaction: the one function every journal entry passes through before it is stored or shown.

No token, secret or password may reach the journal: ``Authorization`` values (the scheme is kept),
cookies, the OAuth fields of form bodies, query strings and JSON bodies, and anything that looks like a JWT
wherever it appears. What cannot be parsed (a body cut at the size bound) is redacted by pattern instead,
erring towards removing too much.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_plus

import msgspec

from learninggraph.journal.entry import Body, Decision, Headers, JournalEntry

REDACTED = "[redacted]"

# Fields whose value is a credential, in form bodies, query strings and JSON bodies (compared lower-case).
SECRET_FIELDS = frozenset(
    {
        "client_secret",
        "password",
        "assertion",
        "client_assertion",
        "refresh_token",
        "access_token",
        "id_token",
        "code",
        "device_code",
        "code_verifier",
    }
)
# In JSON, ``code`` is a credential only at the top level (an authorization code); deeper it is Graph's
# error code (``{"error": {"code": "badRequest"}}``), which the journal exists to show.
_TOP_LEVEL_ONLY = frozenset({"code"})
# Headers whose whole value is a credential; for the authorization ones the scheme word is kept.
_AUTHORIZATION_HEADERS = frozenset({"authorization", "proxy-authorization"})
_SECRET_HEADERS = frozenset({"cookie", "set-cookie", "x-api-key", "api-key", "ocp-apim-subscription-key"})
_AUTHORIZATION, _SECRET, _PLAIN = "authorization", "secret", "plain"
# Each header name seen (as sent, any case) → its kind; bounded, as names are the client's to choose.
_header_kinds: dict[str, str] = {}
_HEADER_KINDS_KEPT = 1024
# Each ``Authorization`` scheme seen (``Bearer``) → its redacted value (``Bearer [redacted]``); bounded likewise.
_authorization_redacted: dict[str, str] = {}

# A JWT (or JWE): a base64url JSON header (``eyJ``), then at least one dot-separated part.
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{6,}(?:\.[A-Za-z0-9_-]*)+")
# A text must hold one of these words (lower-case: ``secret``, ``password``, ``assertion``, ``token``,
# ``code``, ``eyj``) to have anything to redact; see ``may_hold_a_secret``. Substring tests of the
# lower-cased text: a case-insensitive regex alternation measured ten times slower.
_NAMES = "|".join(sorted(SECRET_FIELDS))
# A secret field in JSON-like text that did not parse (cut short): its string value, closed or not.
_JSON_FIELD = re.compile(rf'("(?i:{_NAMES})"\s*:\s*)"(?:[^"\\]|\\.)*(?:"|\\?$)')
_JSON_BARE_FIELD = re.compile(rf'("(?i:{_NAMES})"\s*:\s*)(?!["\s{{\[]|null\b)[^,}}\]\s]+')


def redact(entry: JournalEntry) -> JournalEntry:
    """``entry`` with every token, secret and password replaced by ``[redacted]``; idempotent.

    Runs for every request: each part is checked cheaply first, and an entry with nothing to redact is
    returned as it is rather than rebuilt.
    """
    decision = entry.decision
    if decision.hint is not None or decision.details:
        hint = None if decision.hint is None else redact_text(decision.hint)
        details = _redact_value(decision.details, top=False)
        if hint != decision.hint or details != decision.details:
            decision = Decision(decision.rule, hint, details)
    url = redact_url(entry.url)
    client_request_id = entry.client_request_id
    if client_request_id is not None and "eyJ" in client_request_id:
        client_request_id = _JWT.sub(REDACTED, client_request_id)
    request_headers = redact_headers(entry.request_headers)
    response_headers = redact_headers(entry.response_headers)
    request_body = _redact_body(entry.request_body)
    response_body = _redact_body(entry.response_body)
    if (
        decision is entry.decision
        and url is entry.url
        and client_request_id is entry.client_request_id
        and request_headers is entry.request_headers
        and response_headers is entry.response_headers
        and request_body is entry.request_body
        and response_body is entry.response_body
    ):
        return entry
    # ``msgspec.structs.replace``: several times faster than building the struct anew.
    return msgspec.structs.replace(
        entry,
        decision=decision,
        url=url,
        client_request_id=client_request_id,
        request_headers=request_headers,
        response_headers=response_headers,
        request_body=request_body,
        response_body=response_body,
    )


def redact_headers(headers: Headers) -> Headers:
    """The headers with credentials redacted; the same tuple when there was nothing to redact."""
    changed: list[tuple[str, str]] | None = None
    for index, (name, value) in enumerate(headers):
        kind = _header_kinds.get(name)
        if kind is None:
            kind = _header_kind(name)
        if kind is _AUTHORIZATION:
            scheme, space, _ = value.strip().partition(" ")
            redacted = f"{scheme} {REDACTED}" if space and scheme != REDACTED else REDACTED
        elif kind is _SECRET:
            redacted = REDACTED
        elif "eyJ" in value:
            redacted = _JWT.sub(REDACTED, value)
        else:
            continue
        if redacted != value:
            if changed is None:
                changed = list(headers)
            changed[index] = (name, redacted)
    return headers if changed is None else tuple(changed)


def redact_header_map(headers: Mapping[str, str]) -> Headers:
    """``redact_headers(tuple(headers.items()))``, built in one pass: the request's headers as the request path
    holds them, with the ``Authorization`` value (nearly every request's) redacted without copying the token."""
    pairs: list[tuple[str, str]] = []
    append = pairs.append
    kinds = _header_kinds
    for name, value in headers.items():
        kind = kinds.get(name)
        if kind is None:
            kind = _header_kind(name)
        if kind is _AUTHORIZATION:
            stripped = value.strip()
            space = stripped.find(" ")
            scheme = stripped[:space] if space >= 0 else ""
            if space >= 0 and scheme != REDACTED:
                value = _authorization_redacted.get(scheme) or _redacted_scheme(scheme)
            else:
                value = REDACTED
        elif kind is _SECRET:
            value = REDACTED
        elif "eyJ" in value:
            value = _JWT.sub(REDACTED, value)
        append((name, value))
    return tuple(pairs)


def _redacted_scheme(scheme: str) -> str:
    redacted = f"{scheme} {REDACTED}"
    if len(_authorization_redacted) < _HEADER_KINDS_KEPT:
        _authorization_redacted[scheme] = redacted
    return redacted


def _header_kind(name: str) -> str:
    """Whether a header's value is an authorization (``_AUTHORIZATION``), a secret (``_SECRET``) or neither
    (``_PLAIN``), remembered by name: requests send the same few names again and again."""
    lower = name.lower()
    kind = (
        _AUTHORIZATION if lower in _AUTHORIZATION_HEADERS else _SECRET if lower in _SECRET_HEADERS else _PLAIN
    )
    if len(_header_kinds) < _HEADER_KINDS_KEPT:
        _header_kinds[name] = kind
    return kind


def redact_url(url: str) -> str:
    """The URL with secret query parameters and JWTs redacted."""
    path, mark, query = url.partition("?")
    if mark and may_hold_a_secret(query):
        redacted = _redact_form(query)
        if redacted != query:
            url = f"{path}?{redacted}"
    return _JWT.sub(REDACTED, url) if "eyJ" in url else url


def may_hold_a_secret(text: str) -> bool:
    """Whether ``text`` holds a suspect word, or an escape (``%77``, ``\\u0077``) that could spell one:
    most texts hold none and are left untouched. Written out rather than looped: this runs for most
    parts of every entry."""
    lower = text.lower()
    return (
        "secret" in lower
        or "password" in lower
        or "assertion" in lower
        or "token" in lower
        or "code" in lower
        or "eyj" in lower
        or "%" in text
        or "\\u" in text
    )


def redact_text(text: str) -> str:
    """Any text (a body, a hint): JSON, a form, or neither; secret fields and JWTs are redacted."""
    if not may_hold_a_secret(text):
        return text
    text = _redact_json(text) if text.lstrip().startswith(("{", "[")) else _redact_form(text)
    return _JWT.sub(REDACTED, text)


def _redact_body(body: Body) -> Body:
    if not body.text:
        return body
    text = redact_text(body.text)
    return body if text == body.text else Body(text, body.size, body.cut)


def _redact_form(text: str) -> str:
    """A form or query string with secret fields redacted; ``text`` itself when it holds none."""
    pairs = text.split("&")
    changed = False
    for index, pair in enumerate(pairs):
        key, equals, _ = pair.partition("=")
        if equals and unquote_plus(key).strip().lower() in SECRET_FIELDS:
            pairs[index] = f"{key}={REDACTED}"
            changed = True
    return "&".join(pairs) if changed else text


def _redact_json(text: str) -> str:
    try:
        value = msgspec.json.decode(text)
    except msgspec.DecodeError:
        # Cut at the size bound, or not JSON after all: by pattern, any depth, then as a form.
        text = _JSON_FIELD.sub(rf'\g<1>"{REDACTED}"', text)
        text = _JSON_BARE_FIELD.sub(rf'\g<1>"{REDACTED}"', text)
        return _redact_form(text)
    redacted = _redact_value(value, top=True)
    if redacted == value:
        return text
    return msgspec.json.encode(redacted).decode()


def _redact_value(value: Any, *, top: bool) -> Any:
    if isinstance(value, dict):
        result: dict[str, Any] = {}
        for key, item in value.items():
            lower = str(key).lower()
            secret = lower in SECRET_FIELDS and (top or lower not in _TOP_LEVEL_ONLY)
            result[key] = REDACTED if secret and item is not None else _redact_value(item, top=False)
        return result
    if isinstance(value, list):
        return [_redact_value(item, top=False) for item in value]
    if isinstance(value, str):
        return _JWT.sub(REDACTED, value) if "eyJ" in value else value
    return value

"""The adversarial bodies of ``bench/differential.py``: every write's fields, whole bodies, ``$batch`` and the
token endpoint's form, with ``differential_values``'s odd values."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator

from differential_values import (
    ACTIVITIES,
    FORM,
    GRAPH,
    JSON_TYPE,
    NUMBERS,
    PROVIDER,
    RAW_SEGMENTS,
    Probe,
    activity_body,
    body_text_values,
    content_body,
    json_string,
    provider_body,
    segment,
    text_values,
    token_form,
)

WRITES = {
    "provider-create": ("POST", f"{GRAPH}/learningProviders", "user", provider_body),
    "provider-patch": ("PATCH", PROVIDER, "user", provider_body),
    "content-upsert": (
        "PATCH",
        f"{PROVIDER}/learningContents(externalId='@@content_external@@')",
        "app",
        content_body,
    ),
    "activity-create": ("POST", ACTIVITIES, "app", activity_body),
    "activity-patch": ("PATCH", f"{ACTIVITIES}/@@activity@@", "app", activity_body),
}
STRING_FIELDS = {
    "provider-create": ("displayName", "loginWebUrl"),
    "provider-patch": ("displayName",),
    "content-upsert": ("title", "contentWebUrl", "languageTag", "duration", "level", "sourceName"),
    "activity-create": (
        "learnerUserId",
        "learningContentId",
        "externalcourseActivityId",
        "status",
        "startedDateTime",
    ),
    "activity-patch": ("status", "completedDateTime"),
}
NUMBER_FIELDS = {
    "content-upsert": ("numberOfPages",),
    "activity-create": ("completionPercentage",),
    "activity-patch": ("completionPercentage",),
    "provider-patch": ("isCourseActivitySyncEnabled",),
}


def body_probes(rng: random.Random) -> Iterator[Probe]:
    texts = body_text_values(rng)
    for write, (method, path, auth, build) in WRITES.items():
        for field in STRING_FIELDS[write]:
            for name, value in texts.items():
                body = build(**{field: json_string(value)})
                yield Probe(f"{write}.{field}[{name}]", method, path, body, JSON_TYPE, auth)
            yield Probe(
                f"{write}.{field}[raw-nul]", method, path, build(**{field: b'"a\x00b"'}), JSON_TYPE, auth
            )
            yield Probe(
                f"{write}.{field}[invalid-utf8]",
                method,
                path,
                build(**{field: b'"a\xff\xfeb"'}),
                JSON_TYPE,
                auth,
            )
            for number_name, number in NUMBERS.items():
                yield Probe(
                    f"{write}.{field}[{number_name}]", method, path, build(**{field: number}), JSON_TYPE, auth
                )
        for field in NUMBER_FIELDS.get(write, ()):
            for number_name, number in NUMBERS.items():
                yield Probe(
                    f"{write}.{field}[{number_name}]", method, path, build(**{field: number}), JSON_TYPE, auth
                )
        for name, body in _whole_bodies(build).items():
            yield Probe(f"{write}[{name}]", method, path, body, JSON_TYPE, auth)
    yield from _batch_probes(rng)
    yield from _token_probes(rng)
    for name, value in texts.items():
        for field in ("route", "app", "method", "count", "start", "for_seconds"):
            # Added to a rule that never matches a request, so the probes after it are answered for themselves.
            fault = json.dumps({"status": 503, "route": "/never/*", field: value}).encode()
            yield Probe(
                f"admin-fault-add.{field}[{name}]", "POST", "/_learninggraph/admin/faults", fault, JSON_TYPE
            )


def _whole_bodies(build: object) -> dict[str, bytes]:
    assert callable(build)
    base: bytes = build()
    return {
        "empty": b"",
        "spaces": b"   ",
        "array": b"[]",
        "string": b'"x"',
        "number": b"1",
        "null": b"null",
        "truncated": base[:-1],
        "bom": b"\xef\xbb\xbf" + base,
        "trailing-garbage": base + b"x",
        "duplicate-keys": base[:-1] + b',"displayName":"again","title":"again","status":"completed"}',
        "deep-array": b'{"title":' + b"[" * 20_000 + b"]" * 20_000 + b"}",
        "deep-object": b'{"title":' + b'{"a":' * 5_000 + b"1" + b"}" * 5_000 + b"}",
        "unknown-field-nul": base[:-1] + b',"x\\u0000y":1}',
        "key-surrogate": base[:-1] + b',"\\ud800":1}',
        "odata-type-nul": base[:-1] + b',"@odata.type":"#microsoft.graph.\\u0000"}',
        "invalid-utf8-key": base[:-1] + b',"\xff":1}',
    }


def _batch(items: list[bytes]) -> bytes:
    return b'{"requests":[' + b",".join(items) + b"]}"


def _batch_probes(rng: random.Random) -> Iterator[Probe]:
    batch = "/v1.0/$batch"
    good = b'{"id":"1","method":"GET","url":"/employeeExperience/learningProviders/@@provider@@/learningContents/@@content@@"}'
    for name, value in text_values(rng).items():
        text = json_string(value)
        encoded = segment(value).encode()
        cases = {
            "id": b'{"id":'
            + text
            + b',"method":"GET","url":"/employeeExperience/learningProviders/@@provider@@/learningContents"}',
            "method": b'{"id":"1","method":'
            + text
            + b',"url":"/employeeExperience/learningProviders/@@provider@@/learningContents"}',
            "url": b'{"id":"1","method":"GET","url":' + text + b"}",
            "url-key": b'{"id":"1","method":"GET","url":"/employeeExperience/learningProviders/@@provider@@/learningContents/'
            + encoded
            + b'"}',
            "header": b'{"id":"1","method":"GET","url":"/employeeExperience/learningProviders/@@provider@@/learningContents","headers":{"client-request-id":'
            + text
            + b"}}",
            "body": b'{"id":"1","method":"PATCH","url":"/employeeExperience/learningProviders/@@provider@@/learningContents(externalId=\'@@content_external@@\')","headers":{"Content-Type":"application/json"},"body":{"title":'
            + text
            + b"}}",
            "dependsOn": b'{"id":"1","method":"GET","url":"/employeeExperience/learningProviders/@@provider@@/learningContents","dependsOn":['
            + text
            + b"]}",
        }
        for where, item in cases.items():
            yield Probe(f"batch.{where}[{name}]", "POST", batch, _batch([item]), JSON_TYPE)
    for name, body in {
        "21-items": _batch([good.replace(b'"1"', f'"{i}"'.encode()) for i in range(21)]),
        "dup-ids": _batch([good, good]),
        "cycle": _batch(
            [good[:-1] + b',"dependsOn":["2"]}', good.replace(b'"1"', b'"2"')[:-1] + b',"dependsOn":["1"]}']
        ),
        "self-batch": _batch([b'{"id":"1","method":"POST","url":"/$batch","body":{"requests":[]}}']),
        "absolute-url": _batch([b'{"id":"1","method":"GET","url":"https://graph.microsoft.com/v1.0/me"}']),
        "token-url": _batch([b'{"id":"1","method":"POST","url":"/@@tenant@@/oauth2/v2.0/token"}']),
        "admin-url": _batch([b'{"id":"1","method":"GET","url":"/_learninggraph/admin/journal"}']),
        "requests-object": b'{"requests":{}}',
        "no-requests": b"{}",
        "requests-nul": b'{"requests":[],"\\u0000":1}',
        "item-number": _batch([b"1"]),
        "id-number": _batch(
            [
                b'{"id":9223372036854775808,"method":"GET","url":"/employeeExperience/learningProviders/@@provider@@/learningContents"}'
            ]
        ),
        "deep-body": _batch(
            [
                b'{"id":"1","method":"POST","url":"/employeeExperience/learningProviders/@@provider@@/learningContents","headers":{"Content-Type":"application/json"},"body":'
                + b"[" * 20_000
                + b"]" * 20_000
                + b"}"
            ]
        ),
        "body-string": _batch(
            [
                b'{"id":"1","method":"POST","url":"/employeeExperience/learningProviders/@@provider@@/learningContents","headers":{"Content-Type":"application/json"},"body":"\\u0000"}'
            ]
        ),
    }.items():
        yield Probe(f"batch[{name}]", "POST", batch, body, JSON_TYPE)


def _token_probes(rng: random.Random) -> Iterator[Probe]:
    token = "/@@tenant@@/oauth2/v2.0/token"
    values = body_text_values(rng)
    for grant, fields in (
        # The fields whose wrong values spend the lockout's budget last, so the others are answered for themselves.
        ("client_credentials", ("grant_type", "client_id", "scope", "client_secret")),
        ("password", ("client_id", "scope", "username", "password", "client_secret")),
    ):
        for field in fields:
            for name, value in values.items():
                yield Probe(
                    f"token-{grant}.{field}[{name}]",
                    "POST",
                    token,
                    token_form({field: value}, grant),
                    FORM,
                    "none",
                )
            for raw_name, raw in RAW_SEGMENTS.items():
                form = token_form({field: "RAW"}, grant).replace(b"RAW", raw.encode())
                yield Probe(f"token-{grant}.{field}[{raw_name}]", "POST", token, form, FORM, "none")
        yield Probe(
            f"token-{grant}[duplicate-fields]",
            "POST",
            token,
            token_form({}, grant) + b"&client_id=other",
            FORM,
            "none",
        )
        yield Probe(
            f"token-{grant}[json-body]",
            "POST",
            token,
            b'{"grant_type":"' + grant.encode() + b'"}',
            JSON_TYPE,
            "none",
        )
        yield Probe(
            f"token-{grant}[invalid-utf8]", "POST", token, token_form({}, grant) + b"&x=\xff", FORM, "none"
        )
        yield Probe(f"token-{grant}[ok]", "POST", token, token_form({}, grant), FORM, "none")

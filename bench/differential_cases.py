"""The adversarial requests of ``bench/differential.py`` in the path, the query and the headers: every route,
every place input enters, odd values (``differential_values``); bodies in ``differential_bodies``."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from urllib.parse import quote

from differential_bodies import body_probes
from differential_values import (
    ACTIVITIES,
    CONTENTS,
    FORM,
    GRAPH,
    JSON_TYPE,
    NUMBERS,
    PROVIDER,
    RAW_SEGMENTS,
    Probe,
    b64,
    content_body,
    random_text,
    segment,
    text_values,
    token_form,
)


def _keys(rng: random.Random) -> dict[str, str]:
    """Every path key's odd spellings, already encoded."""
    keys = {name: segment(value) for name, value in text_values(rng).items()}
    keys.update(RAW_SEGMENTS)
    return keys


def path_probes(rng: random.Random) -> Iterator[Probe]:
    """Odd keys in every route that takes one."""
    for name, key in _keys(rng).items():
        quoted = key.replace("%27", "''")
        yield Probe(f"provider-id[{name}]", "GET", f"{GRAPH}/learningProviders/{key}", auth="user")
        yield Probe(
            f"provider-id-patch[{name}]",
            "PATCH",
            f"{GRAPH}/learningProviders/{key}",
            b"{}",
            JSON_TYPE,
            "user",
        )
        yield Probe(f"provider-id-delete[{name}]", "DELETE", f"{GRAPH}/learningProviders/{key}", auth="user")
        yield Probe(f"content-id[{name}]", "GET", f"{CONTENTS}/{key}")
        yield Probe(f"content-id-delete[{name}]", "DELETE", f"{CONTENTS}/{key}")
        yield Probe(f"content-external[{name}]", "GET", f"{PROVIDER}/learningContents(externalId='{quoted}')")
        yield Probe(
            f"content-external-upsert[{name}]",
            "PATCH",
            f"{PROVIDER}/learningContents(externalId='{quoted}')",
            content_body(),
            JSON_TYPE,
        )
        yield Probe(f"activity-id[{name}]", "GET", f"{ACTIVITIES}/{key}")
        yield Probe(
            f"activity-id-patch[{name}]",
            "PATCH",
            f"{ACTIVITIES}/{key}",
            b'{"status": "completed"}',
            JSON_TYPE,
        )
        yield Probe(
            f"activity-external[{name}]",
            "GET",
            f"{PROVIDER}/learningCourseActivities(externalcourseActivityId='{quoted}')",
        )
        yield Probe(f"tenant-activity-id[{name}]", "GET", f"{GRAPH}/learningCourseActivities/{key}")
        yield Probe(
            f"user-activities[{name}]",
            "GET",
            f"/v1.0/users/{key}/employeeExperience/learningCourseActivities",
        )
        yield Probe(
            f"user-activities-quoted[{name}]",
            "GET",
            f"/v1.0/users('{quoted}')/employeeExperience/learningCourseActivities",
        )
        yield Probe(
            f"me-activity-id[{name}]",
            "GET",
            f"/v1.0/me/employeeExperience/learningCourseActivities/{key}",
            auth="user",
        )
        yield Probe(f"openid[{name}]", "GET", f"/{key}/v2.0/.well-known/openid-configuration", auth="none")
        yield Probe(f"keys[{name}]", "GET", f"/{key}/discovery/v2.0/keys", auth="none")
        yield Probe(
            f"token-tenant[{name}]", "POST", f"/{key}/oauth2/v2.0/token", token_form({}), FORM, "none"
        )
        yield Probe(f"admin-journal-id[{name}]", "GET", f"/_learninggraph/admin/journal/{key}")
        yield Probe(f"admin-fault-id[{name}]", "GET", f"/_learninggraph/admin/faults/{key}")
        yield Probe(f"admin-fault-delete[{name}]", "DELETE", f"/_learninggraph/admin/faults/{key}")
    for spelling in (
        "externalId=''",
        "externalId='a'',externalId='b'",
        "externalId='a',externalId='b'",
        "externalId='unclosed",
        "externalId=unquoted",
        "externalId=1e309",
        "externalId=null",
        "=''",
        "",
        "'a'",
    ):
        yield Probe(
            f"content-key-syntax[{spelling}]",
            "GET",
            f"{PROVIDER}/learningContents({quote(spelling, safe=chr(39) + '=,')})",
        )


LIST_ROUTES = {
    "providers": (f"{GRAPH}/learningProviders", "user"),
    "contents": (CONTENTS, "app"),
    "activities": (ACTIVITIES, "app"),
    "tenant-activities": (f"{GRAPH}/learningCourseActivities", "app"),
    "me-activities": ("/v1.0/me/employeeExperience/learningCourseActivities", "user"),
    "user-activities": ("/v1.0/users/@@user@@/employeeExperience/learningCourseActivities", "user"),
}
ITEM_ROUTES = {
    "provider": (PROVIDER, "user"),
    "content": (f"{CONTENTS}/@@content@@", "app"),
    "content-external": (f"{PROVIDER}/learningContents(externalId='@@content_external@@')", "app"),
    "activity": (f"{ACTIVITIES}/@@activity@@", "app"),
    "activity-external": (
        f"{PROVIDER}/learningCourseActivities(externalcourseActivityId='@@activity_external@@')",
        "app",
    ),
}


def _filters(rng: random.Random) -> dict[str, str]:
    filters = {
        f"string-{name}": f"externalId eq '{value.replace(chr(39), chr(39) * 2)}'"
        for name, value in text_values(rng).items()
    }
    filters.update(
        {
            f"number-{name}": f"completionPercentage eq {value.decode()}"
            for name, value in NUMBERS.items()
            if not value.startswith((b"[", b"{", b'"'))
        }
    )
    filters.update(
        {
            "deep-parens": "(" * 400 + "status eq 'completed'" + ")" * 400,
            "many-ors": " or ".join(["status eq 'completed'"] * 300),
            "many-nots": "not " * 300 + "(status eq 'completed')",
            "in-list-long": "externalId in (" + ",".join(f"'{i}'" for i in range(3_000)) + ")",
            "date-past": "completedDateTime gt 99999-01-01T00:00:00Z",
            "date-nonsense": "completedDateTime gt 2021-02-30T25:61:61Z",
            "unknown-property": "nosuch eq 1",
            "unterminated": "status eq 'completed",
            "int-title": "title eq 9223372036854775808",
            "startswith-nul": "startswith(title, 'a\x00')",
            "contains-long": f"contains(title, '{random_text(rng, 5_000)}')",
            "guid-edge": "id eq 00000000-0000-0000-0000-000000000000",
            "empty": "",
        }
    )
    return filters


def _option_values(rng: random.Random) -> dict[str, dict[str, str]]:
    texts = text_values(rng)
    numbers = {name: value.decode() for name, value in NUMBERS.items()}
    return {
        "$filter": _filters(rng),
        "$select": {**texts, "dup": "id,id", "many": ",".join(["id"] * 2_000), "star": "*"},
        "$top": {**numbers, **{f"text-{k}": v for k, v in texts.items() if k in ("nul", "empty", "spaces")}},
        "$skip": {**numbers, "big": "99999999999", "text-nul": "\x00"},
        "$orderby": {**texts, "dir": "id sideways", "dup": "id,id", "many": ",".join(["title desc"] * 500)},
        "$count": {"yes": "yes", "TRUE": "TRUE", "nul": "true\x00", "empty": ""},
        "$expand": {**texts, "star": "*", "learningContents": "learningContents"},
        "$skiptoken": {**texts, "b64": "eyJvZmZzZXQiOiAtMX0", "long": random_text(rng, 4_000)},
    }


def query_probes(rng: random.Random) -> Iterator[Probe]:
    for option, values in _option_values(rng).items():
        for value_name, value in values.items():
            encoded = quote(value.encode("utf-8", "surrogatepass"), safe="")
            for route_name, (path, auth) in LIST_ROUTES.items():
                yield Probe(
                    f"{route_name}?{option}[{value_name}]", "GET", f"{path}?{option}={encoded}", auth=auth
                )
            if option in ("$select", "$expand"):
                for route_name, (path, auth) in ITEM_ROUTES.items():
                    yield Probe(
                        f"{route_name}?{option}[{value_name}]", "GET", f"{path}?{option}={encoded}", auth=auth
                    )
    for raw_name, raw in {**RAW_SEGMENTS, "dup-top": "1&%24top=2", "plain-top": "1&top=2"}.items():
        for route_name, (path, auth) in LIST_ROUTES.items():
            yield Probe(f"{route_name}?$filter-raw[{raw_name}]", "GET", f"{path}?$filter={raw}", auth=auth)
            yield Probe(f"{route_name}?$top-raw[{raw_name}]", "GET", f"{path}?$top={raw}", auth=auth)
    for name, value in text_values(rng).items():
        encoded = segment(value)
        for param in ("app", "user", "status", "since", "limit", "before", "after", "route", "method"):
            yield Probe(
                f"admin-journal?{param}[{name}]", "GET", f"/_learninggraph/admin/journal?{param}={encoded}"
            )
        yield Probe(f"admin-permissions[{name}]", "GET", f"/_learninggraph/admin/permissions?app={encoded}")
    for number_name, number in NUMBERS.items():
        yield Probe(
            f"admin-journal?limit[{number_name}]",
            "GET",
            f"/_learninggraph/admin/journal?limit={quote(number)}",
        )
        yield Probe(
            f"admin-journal?after[{number_name}]",
            "GET",
            f"/_learninggraph/admin/journal?after={quote(number)}",
        )


def header_probes(rng: random.Random) -> Iterator[Probe]:
    texts = text_values(rng)
    texts["latin1"] = "caf\xe9"
    for name, value in texts.items():
        for header in (
            "client-request-id",
            "Prefer",
            "If-Match",
            "Content-Type",
            "ConsistencyLevel",
            "Authorization",
        ):
            yield Probe(
                f"provider-get-{header}[{name}]", "GET", PROVIDER, headers=((header, value),), auth="user"
            )
            yield Probe(
                f"content-upsert-{header}[{name}]",
                "PATCH",
                f"{PROVIDER}/learningContents(externalId='@@content_external@@')",
                content_body(),
                (*JSON_TYPE, (header, value)) if header != "Content-Type" else ((header, value),),
            )
            yield Probe(
                f"token-{header}[{name}]",
                "POST",
                "/@@tenant@@/oauth2/v2.0/token",
                token_form({}),
                (*FORM, (header, value)) if header != "Content-Type" else ((header, value),),
                "none",
            )
    for name, value in {
        "bearer-long": "Bearer " + random_text(rng, 20_000),
        "bearer-dots": "Bearer a.b.c",
        "bearer-nul-escape": "Bearer eyJhbGciOiJSUzI1NiJ9.eyJ0aWQiOiJcdTAwMDAifQ.c2ln",
        "bearer-long-tid": "Bearer eyJhbGciOiJSUzI1NiJ9."
        + b64(json.dumps({"tid": random_text(rng, 3_000)}))
        + ".c2ln",
        "bearer-surrogate-tid": "Bearer eyJhbGciOiJSUzI1NiJ9." + b64('{"tid": "\\ud800"}') + ".c2ln",
        "basic": "Basic Zm9vOmJhcg==",
        "empty-bearer": "Bearer ",
    }.items():
        yield Probe(
            f"provider-get-Authorization[{name}]",
            "GET",
            PROVIDER,
            headers=(("Authorization", value),),
            auth="none",
        )
        yield Probe(
            f"admin-Authorization[{name}]",
            "GET",
            "/_learninggraph/admin/journal",
            headers=(("Authorization", value),),
            auth="none",
        )
    for name, value in {
        "prefer-maxpagesize": "odata.maxpagesize=9223372036854775808",
        "prefer-neg": "odata.maxpagesize=-1",
        "prefer-zero": "odata.maxpagesize=0",
    }.items():
        yield Probe(
            f"providers-Prefer[{name}]",
            "GET",
            f"{GRAPH}/learningProviders",
            headers=(("Prefer", value),),
            auth="user",
        )


def all_probes(seed: int) -> list[Probe]:
    rng = random.Random(seed)
    return [*path_probes(rng), *query_probes(rng), *header_probes(rng), *body_probes(rng)]

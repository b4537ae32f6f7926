"""Redaction: no token, secret or password survives into a journal entry, whatever carries it."""

from __future__ import annotations

import json

import jwt
import pytest

from learninggraph.journal.entry import Body, Decision, bounded
from learninggraph.journal.redaction import (
    REDACTED,
    SECRET_FIELDS,
    may_hold_a_secret,
    redact,
    redact_headers,
    redact_text,
)
from tests.journal.entries import entry

pytestmark = pytest.mark.backend_independent

SECRET = "s3cr3t-Value~42"
TOKEN = jwt.encode({"sub": "someone", "scp": "LearningProvider.Read"}, "k" * 32, algorithm="HS256")
FORM_FIELDS = sorted(SECRET_FIELDS)


def test_a_bearer_token_in_the_authorization_header_is_redacted_and_the_scheme_kept() -> None:
    redacted = redact(entry(request_headers=(("Authorization", f"Bearer {TOKEN}"),)))

    assert redacted.request_headers == (("Authorization", f"Bearer {REDACTED}"),)


def test_basic_client_credentials_in_the_authorization_header_are_redacted() -> None:
    redacted = redact(entry(request_headers=(("authorization", "Basic YXBwOnNlY3JldA=="),)))

    assert redacted.request_headers == (("authorization", f"Basic {REDACTED}"),)


@pytest.mark.parametrize("name", ["Cookie", "Set-Cookie"])
def test_cookies_are_redacted_in_requests_and_responses(name: str) -> None:
    redacted = redact(
        entry(request_headers=((name, f"session={SECRET}"),), response_headers=((name, f"id={SECRET}"),))
    )

    assert redacted.request_headers == ((name, REDACTED),)
    assert redacted.response_headers == ((name, REDACTED),)


@pytest.mark.parametrize("field", FORM_FIELDS)
def test_each_secret_field_of_a_form_body_is_redacted(field: str) -> None:
    form = (
        f"grant_type=client_credentials&{field}={SECRET}&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"
    )

    text = redact(entry(request_body=Body(form, len(form)))).request_body.text

    assert SECRET not in text
    assert f"{field}={REDACTED}" in text
    assert "grant_type=client_credentials" in text


@pytest.mark.parametrize("field", FORM_FIELDS)
def test_each_secret_field_of_a_json_body_is_redacted(field: str) -> None:
    body = json.dumps({field: SECRET, "displayName": "Contoso"})

    text = redact(entry(request_body=Body(body, len(body)))).request_body.text

    assert SECRET not in text
    assert json.loads(text) == {field: REDACTED, "displayName": "Contoso"}


def test_a_password_nested_deep_in_a_json_body_is_redacted() -> None:
    body = json.dumps({"requests": [{"body": {"credentials": {"Password": SECRET}}}]})

    assert SECRET not in redact_text(body)


def test_graph_error_codes_in_a_json_response_are_kept() -> None:
    body = json.dumps({"error": {"code": "badRequest", "message": "Input field status is invalid"}})

    assert redact_text(body) == body


def test_a_secret_query_parameter_of_the_url_is_redacted() -> None:
    redacted = redact(entry(url=f"/oauth2/v2.0/authorize?client_id=a&code={SECRET}&state=x"))

    assert redacted.url == f"/oauth2/v2.0/authorize?client_id=a&code={REDACTED}&state=x"


@pytest.mark.parametrize(
    "where",
    ["custom header", "json value", "plain text", "url", "hint", "details"],
)
def test_anything_that_looks_like_a_jwt_is_redacted_wherever_it_is(where: str) -> None:
    body = {
        "json value": json.dumps({"note": f"token was {TOKEN}"}),
        "plain text": f"here: {TOKEN} end",
    }.get(where, "")
    redacted = redact(
        entry(
            request_headers=(("X-Forwarded-Token", TOKEN),) if where == "custom header" else (),
            request_body=Body(body, len(body)),
            url=f"/v1.0/me?t={TOKEN}" if where == "url" else "/v1.0/me",
            decision=Decision(
                "permission.missing",
                hint=f"the token {TOKEN}" if where == "hint" else None,
                details={"seen": [TOKEN]} if where == "details" else {},
            ),
        )
    )

    assert TOKEN not in repr(redacted)
    assert TOKEN.split(".")[2] not in repr(redacted)


def test_a_json_body_cut_inside_a_secret_value_is_redacted_by_pattern() -> None:
    body = json.dumps({"title": "x" * 40, "client_secret": SECRET * 4})
    cut = bounded(body, limit=len(body) - 10)

    redacted = redact(entry(request_body=cut)).request_body

    assert SECRET not in redacted.text
    assert redacted.cut
    assert '"client_secret": "[redacted]"' in redacted.text


def test_a_jwt_cut_after_its_payload_is_still_redacted() -> None:
    header, payload, _ = TOKEN.split(".")
    body = f'{{"assertionish": "{header}.{payload}'

    assert payload not in redact_text(body)


def test_redacting_twice_changes_nothing_more() -> None:
    once = redact(entry(request_headers=(("Authorization", f"Bearer {TOKEN}"),), url=f"/x?code={SECRET}"))

    assert redact(once) == once


def test_a_body_with_nothing_secret_is_kept_as_sent() -> None:
    body = '{ "displayName" : "Contoso",\n  "isCourseActivitySyncEnabled": true }'

    assert redact_text(body) == body


def test_an_entry_with_nothing_to_redact_is_kept_as_it_is_rather_than_rebuilt() -> None:
    plain = entry(request_body=Body("displayName=Contoso", 19), response_body=Body('{"value": []}', 13))

    assert redact(plain) is plain


def test_headers_with_nothing_to_redact_are_kept_as_they_are() -> None:
    headers = (("Accept", "application/json"), ("User-Agent", "kiota"))

    assert redact_headers(headers) is headers


def test_a_secret_field_whose_name_is_percent_encoded_in_a_form_body_is_redacted() -> None:
    redacted = redact_text(f"username=ada&pass%77ord={SECRET}")

    assert SECRET not in redacted


def test_a_secret_field_whose_name_is_escaped_in_a_json_body_is_redacted() -> None:
    redacted = redact_text('{"\\u0070assword": "' + SECRET + '"}')

    assert SECRET not in redacted


def test_a_percent_encoded_secret_query_parameter_is_redacted() -> None:
    redacted = redact(entry(url=f"/x?client_%73ecret={SECRET}")).url

    assert SECRET not in redacted


@pytest.mark.parametrize("field", sorted(SECRET_FIELDS))
def test_every_secret_field_name_is_one_the_quick_check_suspects(field: str) -> None:
    assert may_hold_a_secret(field.upper())


def test_a_secret_header_is_redacted_even_after_more_names_than_are_remembered() -> None:
    many = tuple((f"x-custom-{n}", "plain") for n in range(2_000))

    redacted = redact_headers((*many, ("X-API-Key", SECRET), ("PROXY-AUTHORIZATION", f"Basic {SECRET}")))

    assert redacted[:-2] == many
    assert redacted[-2:] == (("X-API-Key", REDACTED), ("PROXY-AUTHORIZATION", f"Basic {REDACTED}"))

"""Bodies are kept to a bound, cut on a character boundary and marked when cut."""

from __future__ import annotations

import pytest

from learninggraph.journal.entry import BODY_LIMIT_BYTES, Body, bounded, capture_body

pytestmark = pytest.mark.backend_independent


def test_a_body_within_the_bound_is_kept_whole_and_not_marked() -> None:
    body = bounded('{"a": 1}')

    assert (body.text, body.size, body.cut) == ('{"a": 1}', 8, False)


def test_a_body_past_the_bound_is_cut_to_it_and_marked_with_its_whole_size() -> None:
    body = bounded("x" * (BODY_LIMIT_BYTES + 100))

    assert len(body.text) == BODY_LIMIT_BYTES
    assert body.cut
    assert body.size == BODY_LIMIT_BYTES + 100


def test_a_cut_never_splits_a_character() -> None:
    body = bounded("é" * 10, limit=5)

    assert body.text == "éé"
    assert body.cut
    assert body.size == 20


def test_a_captured_body_keeps_its_whole_size_and_its_cut_mark() -> None:
    body = capture_body(b'{"title": "' + b"x" * 100 + b'"}', limit=20)

    assert body == Body('{"title": "xxxxxxxxx', 113, cut=True)


def test_an_empty_captured_body_is_empty() -> None:
    assert capture_body(b"") == Body()


def test_a_small_captured_body_is_its_text_whole_and_uncut() -> None:
    assert capture_body('{"title": "Café"}'.encode()) == Body('{"title": "Café"}', 18)


def test_a_small_body_that_is_not_utf8_is_captured_with_replacement_characters() -> None:
    body = capture_body(b'{"title": "caf\xe9"}')

    assert body.text == '{"title": "caf\ufffd"}'
    assert body.size == 17

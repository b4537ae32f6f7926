"""The token endpoint's form reader gives ``urllib.parse.parse_qs``'s answer for every body, and refuses what it
refuses (or repeats)."""

from __future__ import annotations

import random
import tracemalloc
from urllib.parse import parse_qs

import pytest

from learninggraph.identity.forms import MalformedForm, read_form


def _parse_qs_answer(body: bytes) -> dict[str, str] | None:
    """What the endpoint read with ``parse_qs``: the fields, or None for a malformed form."""
    try:
        parsed = parse_qs(body.decode("utf-8"), max_num_fields=100, errors="strict")
    except (UnicodeDecodeError, ValueError):
        return None
    if any(len(values) > 1 for values in parsed.values()):
        return None
    return {name: values[0] for name, values in parsed.items()}


def _read_form_answer(body: bytes) -> dict[str, str] | None:
    try:
        return read_form(body)
    except MalformedForm:
        return None


BODIES = [
    b"",
    b"&",
    b"&&&",
    b"=",
    b"a",
    b"a=",
    b"=b",
    b"a=b",
    b"a=b=c",
    b"a=b&a=c",
    b"a=b&a=",
    b"a=&a=b",
    b"a=b&a",
    b"a+b=c+d",
    b"a%20b=c%2Bd",
    b"a%2=b",
    b"a=%",
    b"a=%zz",
    b"a=%C3%A9",
    b"a=%C3",
    b"a=%FF",
    b"%C3%A9=%E2%82%AC",
    "é=ü".encode(),
    b"\xff=a",
    b"a=b;c=d",
    b"a=b&&c=d&",
    b"a+=b&a%20=c",
    b"a=b&A=c",
    b"grant_type=client_credentials&client_id=x&client_secret=y~8Q_z&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default",
    b"&".join(b"f%d=v" % n for n in range(100)),
    b"&".join(b"f%d=v" % n for n in range(101)),
    b"&".join(b"f%d=" % n for n in range(101)),
    b"&" * 99,
    b"&" * 100,
]


@pytest.mark.parametrize("body", BODIES)
def test_a_body_reads_as_parse_qs_reads_it(body: bytes) -> None:
    assert _read_form_answer(body) == _parse_qs_answer(body)


def test_random_bodies_read_as_parse_qs_reads_them() -> None:
    rng = random.Random(16)
    pieces = [
        b"a",
        b"b",
        b"=",
        b"&",
        b"+",
        b"%",
        b"%2",
        b"%20",
        b"%2B",
        b"%C3",
        b"%A9",
        b"%zz",
        b"\xc3\xa9",
        b"~",
    ]
    for _ in range(10000):
        body = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        assert _read_form_answer(body) == _parse_qs_answer(body), body


def test_a_long_scope_is_read_but_not_kept_between_forms() -> None:
    long_scope = "x%20" * 50_000  # the form is read before its sender is known
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        scopes = [
            read_form(f"grant_type=client_credentials&scope={long_scope}{i}".encode())["scope"]
            for i in range(20)
        ]
        del scopes
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()

    assert kept < 1_000_000  # 20 scopes of 200 KB, raw and decoded: 8 MB had they been kept

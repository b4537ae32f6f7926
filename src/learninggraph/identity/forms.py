"""The token endpoint's form (``application/x-www-form-urlencoded``), read as ``urllib.parse.parse_qs`` reads it.

``parse_qs(text, max_num_fields=100, errors="strict")`` decides what a form holds: fields split on ``&``, blank
values and fields without ``=`` dropped, ``+`` and ``%XX`` decoded as UTF-8 (strictly), at most 100 fields. This
module gives the same answer without its general machinery (a call of ``unquote`` for each name and value,
lists of values): every sign-in reads a form of four or five plain fields.
"""

from __future__ import annotations

from urllib.parse import unquote

MAX_FIELDS = 100
# Fields whose values recur from request to request (never a secret or a password): their decoded values are
# kept, up to a bound, so a percent-encoded scope is decoded once.
_RECURRING = frozenset({"grant_type", "scope"})
_MAX_KEPT = 256
# Only short values are kept: the form is read before the caller is known, so a long value is anyone's.
_LONGEST_KEPT = 256
_kept: dict[str, str] = {}


class MalformedForm(ValueError):
    """Not UTF-8, more than ``MAX_FIELDS`` fields, a field named twice, or a ``%XX`` that is not UTF-8."""


def read_form(body: bytes) -> dict[str, str]:
    """Each field's value by its name; ``MalformedForm`` where ``parse_qs`` would fail or repeat a name."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedForm("not UTF-8") from None
    if text.count("&") >= MAX_FIELDS:  # parse_qs counts 1 + the separators of a non-empty text
        raise MalformedForm("too many fields")
    form: dict[str, str] = {}
    for field in text.split("&"):
        name, _, value = field.partition("=")
        if not value:  # no "=", or nothing after it: parse_qs drops the field
            continue
        name = _decoded(name)
        value = _recurring(value) if name in _RECURRING else _decoded(value)
        if name in form:
            raise MalformedForm("a field named twice")
        form[name] = value
    return form


def _recurring(text: str) -> str:
    decoded = _kept.get(text)
    if decoded is None:
        decoded = _decoded(text)
        if len(text) > _LONGEST_KEPT:
            return decoded
        if len(_kept) >= _MAX_KEPT:
            _kept.clear()
        _kept[text] = decoded
    return decoded


def _decoded(text: str) -> str:
    """``unquote(text.replace("+", " "), errors="strict")``, without the calls a plain text does not need."""
    if "+" in text:
        text = text.replace("+", " ")
    if "%" not in text:
        return text
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        raise MalformedForm("a %XX sequence that is not UTF-8") from None

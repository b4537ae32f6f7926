"""The filter cache: a $filter parsed once per text and entity, never confused, never unbounded."""

from __future__ import annotations

import pytest

from learninggraph.domain.entity import EntityType
from learninggraph.domain.errors import BadRequest
from learninggraph.odata.filter import FilterCache, parse_filter
from tests.odata.sample_entity import ACTIVITY, NAME


def test_the_same_filter_text_is_parsed_once_and_answers_the_same_expression() -> None:
    cache = FilterCache()

    first = cache.parse("status eq 'inProgress'", ACTIVITY)

    assert cache.parse("status eq 'inProgress'", ACTIVITY) is first
    assert first == parse_filter("status eq 'inProgress'", ACTIVITY)


def test_another_entity_with_the_same_filter_text_is_parsed_against_its_own_properties() -> None:
    cache = FilterCache()
    names_only = EntityType("learningProvider", (NAME,))
    cache.parse("status eq 'inProgress'", ACTIVITY)

    with pytest.raises(BadRequest):
        cache.parse("status eq 'inProgress'", names_only)


def test_a_bad_filter_is_refused_every_time_it_is_sent() -> None:
    cache = FilterCache()

    for _ in range(2):
        with pytest.raises(BadRequest):
            cache.parse("status eq", ACTIVITY)


def test_the_cache_holds_at_most_its_size() -> None:
    cache = FilterCache(size=3)

    for percent in range(10):
        cache.parse(f"completionPercentage eq {percent}", ACTIVITY)

    assert len(cache) <= 3

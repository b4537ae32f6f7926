"""New resource ids: GUIDs of version 7, ordered by the time they were made."""

from __future__ import annotations

import time
import uuid

from learninggraph.domain.ids import new_id


def test_a_new_id_is_a_version_7_guid_in_graphs_format() -> None:
    text = new_id()
    made = uuid.UUID(text)

    assert (made.version, made.variant) == (7, uuid.RFC_4122)
    assert text == str(made)  # hyphenated, lower case, as Graph writes GUIDs


def test_ids_made_later_sort_after_earlier_ones() -> None:
    earlier = new_id()
    time.sleep(0.002)

    assert new_id() > earlier


def test_ids_made_in_the_same_millisecond_still_differ() -> None:
    assert len({new_id() for _ in range(10_000)}) == 10_000

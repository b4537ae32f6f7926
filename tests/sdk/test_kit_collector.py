"""The test kit's start: the garbage collector paused while a server starts, and on again once it serves."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from learninggraph.collector import collector_paused
from learninggraph.testing import local_server

pytestmark = pytest.mark.backend_independent


@pytest.fixture
def collector_on() -> Iterator[None]:
    was_on = gc.isenabled()
    gc.enable()
    yield
    if not was_on:
        gc.disable()


@pytest.mark.usefixtures("collector_on")
def test_the_collector_is_off_inside_the_block_and_on_again_after_it() -> None:
    with collector_paused():
        inside = gc.isenabled()

    assert (inside, gc.isenabled()) == (False, True)


@pytest.mark.usefixtures("collector_on")
def test_the_collector_is_on_again_after_a_block_that_raised() -> None:
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("the server did not start")

    assert gc.isenabled()


def test_a_collector_the_caller_turned_off_stays_off() -> None:
    was_on = gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass

        assert not gc.isenabled()
    finally:
        if was_on:
            gc.enable()


@pytest.mark.usefixtures("collector_on")
def test_the_collector_runs_again_once_the_kits_server_serves(tmp_path: Path) -> None:
    with local_server(tmp_path / "kit.db") as server:
        server.new_tenant()

        assert gc.isenabled()

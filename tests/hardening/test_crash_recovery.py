"""SIGKILL at random moments while clients create and update: every acknowledged write survives, nothing is
half-written. On the session's backend (SQLite or PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.hardening.crash_cycles import Outcome, integrity_problems, run_cycles

CYCLES = 4


@pytest.fixture(scope="module")
def crashed(
    new_database_url: Callable[[], str], tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Outcome]:
    """One database after a few kill-and-restart cycles, and what the clients saw during them."""
    url = new_database_url()
    return url, run_cycles(url, tmp_path_factory.mktemp("crash"), cycles=CYCLES, writers=3, seed=1)


def test_every_acknowledged_create_and_update_survives_kill_and_restart_cycles(
    crashed: tuple[str, Outcome],
) -> None:
    _, outcome = crashed

    assert outcome.cycles == CYCLES
    assert outcome.acknowledged_creates > 20
    assert outcome.acknowledged_updates > 20
    assert outcome.lost == []
    assert outcome.corrupted == []


def test_the_database_after_kill_and_restart_cycles_passes_its_integrity_checks(
    crashed: tuple[str, Outcome],
) -> None:
    url, _ = crashed

    assert integrity_problems(url) == []

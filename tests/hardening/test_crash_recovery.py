"""SIGKILL at random moments while clients write: every acknowledged write survives, nothing is half-written."""

from __future__ import annotations

from pathlib import Path

from tests.hardening.crash_cycles import integrity_problems, run_cycles


def test_acknowledged_writes_survive_kill_and_restart_cycles(tmp_path: Path) -> None:
    outcome = run_cycles(tmp_path, cycles=4, writers=3, seed=1)

    assert outcome.cycles == 4
    assert len(outcome.acknowledged) > 20
    assert outcome.lost == []
    assert outcome.corrupted == []
    assert integrity_problems(tmp_path / "crash.db") == []

"""Progress bars of the long operations besides the export's: the import's and the benchmark data-set loader's,
with counts, rate and time left on a terminal, and nothing at all off one."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.transfer.world import export_file, populate

ROOT = Path(__file__).resolve().parents[2]


def _on_a_terminal(argv: list[str]) -> str:
    """What ``argv`` writes to standard error when that is a terminal 120 columns wide."""
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    shown = b""
    try:
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=secondary)
        os.close(secondary)
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # the terminal's other end closed: the process is done with it
                break
            if not chunk:
                break
            shown += chunk
        assert process.wait(timeout=120) == 0, shown.decode()
    finally:
        os.close(primary)
    return shown.decode()


def _import_command(url: str, path: Path) -> list[str]:
    return [sys.executable, "-m", "learninggraph", "import", "--database", url, str(path)]


def test_an_import_on_a_terminal_shows_counts_rate_and_time_left(
    new_database_url: Callable[[], str], tmp_path: Path
) -> None:
    source, target = new_database_url(), new_database_url()
    populate(source)
    export_file(source, tmp_path / "out.jsonl")

    shown = _on_a_terminal(_import_command(target, tmp_path / "out.jsonl"))

    assert "import: 100%" in shown and "17.0/17.0" in shown and "rows/s" in shown and "<00:00" in shown


def test_an_import_off_a_terminal_says_only_what_it_imported(
    new_database_url: Callable[[], str], tmp_path: Path
) -> None:
    source, target = new_database_url(), new_database_url()
    populate(source)
    export_file(source, tmp_path / "out.jsonl")

    done = subprocess.run(_import_command(target, tmp_path / "out.jsonl"), capture_output=True, check=True)

    assert done.stderr.decode().splitlines() == [
        "Imported 17 records (tenant 2, application 2, user 3, "
        "learningProvider 2, learningContent 4, courseActivity 4)"
    ]


# Loads a SQLite file of its own: one pass is enough.
@pytest.mark.backend_independent
def test_the_benchmark_data_set_loader_shows_its_bar_on_a_terminal(tmp_path: Path) -> None:
    loader = [sys.executable, str(ROOT / "bench" / "dataset.py"), "--scale", "0.0001"]
    database = f"sqlite:///{tmp_path / 'bench.db'}"

    shown = _on_a_terminal([*loader, "--database", database, "--out", str(tmp_path / "ids.json")])

    # 10 tenants, each with 1 learner, 2 providers of 1 content and 10 activities: 130 rows.
    assert "load: 100%" in shown and "130/130" in shown and "rows/s" in shown

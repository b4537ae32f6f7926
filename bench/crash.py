"""The long kill-and-restart run: ``python bench/crash.py --cycles 100`` (SQLite), figures on stdout."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.hardening.crash_cycles import integrity_problems, run_cycles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cycles", type=int, default=100)
    parser.add_argument("--writers", type=int, default=4)
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="learninggraph-crash-") as folder:
        outcome = run_cycles(Path(folder), cycles=args.cycles, writers=args.writers)
        problems = integrity_problems(Path(folder) / "crash.db")
    print(f"kill cycles: {outcome.cycles}")
    print(f"acknowledged writes: {len(outcome.acknowledged)}")
    print(f"acknowledged writes lost: {len(outcome.lost)}")
    print(f"acknowledged writes corrupted: {len(outcome.corrupted)}")
    print(f"integrity problems: {len(problems)}")
    print(f"duration: {time.monotonic() - started:.0f} s")
    if outcome.lost or outcome.corrupted or problems:
        raise SystemExit(1)


if __name__ == "__main__":
    main()

"""The long kill-and-restart run; figures on stdout and in bench/results/.

    python bench/crash.py [--database sqlite|postgresql] [--cycles 100] [--writers 4]

Clients create and update course activities while the server is killed with SIGKILL at random moments and
restarted; afterwards every acknowledged write must be stored with the value acknowledged and the database must
pass its integrity checks. ``--database postgresql`` starts a private cluster with durable settings (as
``bench/run.py`` does); the server process is killed, PostgreSQL keeps running.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from processes import durable_postgres  # noqa: E402 (bench scripts run from a checkout)
from tests.hardening.crash_cycles import integrity_problems, run_cycles  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--cycles", type=int, default=100)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()
    started = time.monotonic()
    postgres = durable_postgres() if args.database == "postgresql" else None
    try:
        with tempfile.TemporaryDirectory(prefix="learninggraph-crash-") as folder:
            url = (
                postgres.create_database("crash") if postgres is not None else f"sqlite:///{folder}/crash.db"
            )
            outcome = run_cycles(
                url,
                Path(folder),
                cycles=args.cycles,
                writers=args.writers,
                seed=args.seed,
                progress=lambda o: print(
                    f"cycle {o.cycles}: {o.acknowledged_writes} acknowledged writes so far "
                    f"({time.monotonic() - started:.0f} s)",
                    flush=True,
                ),
            )
            problems = integrity_problems(url)
    finally:
        if postgres is not None:
            postgres.close()
    figures = {
        "database": args.database,
        "kill cycles": outcome.cycles,
        "writers": args.writers,
        "acknowledged writes": outcome.acknowledged_writes,
        "acknowledged creates": outcome.acknowledged_creates,
        "acknowledged updates": outcome.acknowledged_updates,
        "creates without a confirmation": len(outcome.ledger) - outcome.acknowledged_creates,
        "answers other than 201/204": outcome.refused,
        "acknowledged writes lost": len(outcome.lost),
        "acknowledged writes corrupted": len(outcome.corrupted),
        "integrity problems": len(problems),
        "duration s": round(time.monotonic() - started),
    }
    for name, value in figures.items():
        print(f"{name}: {value}")
    for problem in (outcome.lost + outcome.corrupted + problems)[:20]:
        print(f"  {problem}")
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (args.out / f"{stamp}-crash-{args.database}.json").write_text(json.dumps(figures, indent=1) + "\n")
    if outcome.lost or outcome.corrupted or problems:
        raise SystemExit(1)


if __name__ == "__main__":
    main()

"""Times ``export`` and ``import`` on the benchmark data set and prints rows per second each way.

    python bench/transfer.py --database sqlite:///bench.db --target sqlite:///copy.db --file bench.jsonl

The source database is loaded with ``bench/dataset.py`` first if it holds no tenant (``--scale`` sets its size:
1.0 is 1,000,000 course activities). The target must be empty. The export is read back from the target and
compared byte for byte with the first (and timed: the target's export rate), so the figures are for a lossless
round trip.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dataset import Shape, load

from learninggraph.storage.database import Database
from learninggraph.storage.migrations import upgrade
from learninggraph.transfer.dump import export
from learninggraph.transfer.load import import_file


def _tenants(url: str) -> int:
    database = Database(url)
    try:
        upgrade(database)
        with database.snapshot() as conn:
            row = conn.fetch_one("SELECT COUNT(*) FROM tenants")
        return int(row[0]) if row else 0
    finally:
        database.close()


class _Clock:
    """Wall time and this process's CPU time (user and system) of a phase: on a shared machine the CPU time
    says what the code costs, the wall time what the machine gave it."""

    def __enter__(self) -> _Clock:
        self._wall, self._cpu = time.perf_counter(), _cpu()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self._wall, _cpu() - self._cpu


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(source: str, target: str, file: Path, *, scale: float) -> dict[str, object]:
    if not _tenants(source):
        print(f"loading the data set (scale {scale}) into {source}", flush=True)
        load(source, Shape.scaled(scale), file.with_suffix(".ids.json"))
    if _tenants(target):
        raise SystemExit(f"the target {target} is not empty")
    load_before = os.getloadavg()[0]
    with _Clock() as exporting, file.open("wb", buffering=1 << 20) as out:
        counts = export(source, out, secrets=True)
    rows = sum(counts.values())
    with _Clock() as importing, file.open("rb", buffering=1 << 20) as source_file:
        import_file(target, source_file)
    again = file.with_suffix(".again.jsonl")
    with _Clock() as exporting_again, again.open("wb", buffering=1 << 20) as out:
        export(target, out, secrets=True)
    identical = filecmp.cmp(file, again, shallow=False)
    again.unlink()
    figures: dict[str, object] = {
        "source": Database.__new__(Database, source).dialect,
        "target": Database.__new__(Database, target).dialect,
        "rows": rows,
        "courseActivities": counts.get("courseActivity", 0),
        "fileBytes": file.stat().st_size,
    }
    for name, clock in (("export", exporting), ("import", importing), ("targetExport", exporting_again)):
        figures[f"{name}Seconds"] = round(clock.wall, 2)
        figures[f"{name}RowsPerSecond"] = round(rows / clock.wall)
        # This process only: on PostgreSQL the server's own work is not in it.
        figures[f"{name}CpuSeconds"] = round(clock.cpu, 2)
    figures["roundTripIdentical"] = identical
    figures["loadAverage"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", required=True, help="the source database (loaded if empty)")
    parser.add_argument("--target", required=True, help="an empty database to import into")
    parser.add_argument("--file", type=Path, required=True, help="where the export is written")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="data-set size when loading (1.0: 1M activities)"
    )
    args = parser.parse_args()
    print(json.dumps(run(args.database, args.target, args.file, scale=args.scale), indent=2))


if __name__ == "__main__":
    main()

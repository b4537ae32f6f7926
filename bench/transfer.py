"""Times ``export`` and ``import`` on the benchmark data set and prints rows per second each way.

    python bench/transfer.py --database sqlite:///bench.db --target sqlite:///copy.db --file bench.jsonl

The source database is loaded with ``bench/dataset.py`` first if it holds no tenant (``--scale`` sets its size:
1.0 is 1,000,000 course activities). The target must be empty. The export is read back from the target and
compared byte for byte with the first (and timed: the target's export rate), so the figures are for a lossless
round trip.

The import alone, side by side with another checkout's code (its ``src``), on an export already made::

    python bench/transfer.py --import-only bench.jsonl --target sqlite --baseline ../main --rounds 3

Each round imports the file into a new empty database (a SQLite file beside ``--file``'s directory, or a new
database of a private PostgreSQL cluster for ``--target postgresql``), once with each checkout's code, in a
process of its own, the baseline first; the figures are each side's median and its CPU per row. On a shared
machine the CPU per row is the figure to compare; the wall time follows the neighbours.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
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
    """Wall time, this process's CPU time (user and system, every thread), the calling thread's CPU time and,
    for a PostgreSQL on this machine, its server's CPU time (every process of the cluster) for a phase: on a
    shared machine the CPU times say what the code costs, the wall time what the machine gave it. The calling
    thread's time is the part that could not run beside the rest: on an idle machine with a core per thread,
    the least the wall time can be."""

    def __init__(self, url: str) -> None:
        self._postmaster = _postmaster(url)

    def __enter__(self) -> _Clock:
        self._wall, self._cpu, self._thread = time.perf_counter(), _cpu(), time.thread_time()
        self._server = _cluster_cpu(self._postmaster)
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self._wall, _cpu() - self._cpu
        self.thread = time.thread_time() - self._thread
        # An exited backend's time reaches the postmaster's children's total once it is reaped.
        time.sleep(1 if self._postmaster else 0)
        server = _cluster_cpu(self._postmaster)
        self.server = None if server is None or self._server is None else server - self._server


def _postmaster(url: str) -> int | None:
    """The PostgreSQL server's main process, when it runs on this machine (else None; SQLite: None)."""
    if not url.startswith("postgresql"):
        return None
    import psycopg

    from learninggraph.storage.postgres import connection_string

    with psycopg.connect(connection_string(url)) as conn:
        row = conn.execute("SELECT pg_backend_pid()").fetchone()
    try:
        return int(_stat(int(row[0]))[1]) if row else None
    except OSError:
        return None


def _stat(pid: int) -> list[str]:
    """/proc/PID/stat's fields after the command name: state, parent, ... (utime is [11], stime [12])."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rfind(")") + 2 :].split()


def _cluster_cpu(postmaster: int | None) -> float | None:
    """CPU seconds of the postmaster, its reaped children and its live ones."""
    if postmaster is None:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    total = sum(int(field) for field in _stat(postmaster)[11:15])
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = _stat(int(entry.name))
            except OSError:
                continue
            if int(fields[1]) == postmaster:
                total += int(fields[11]) + int(fields[12])
    return total / ticks


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
    with _Clock(source) as exporting, file.open("wb", buffering=1 << 20) as out:
        counts = export(source, out, secrets=True)
    rows = sum(counts.values())
    with _Clock(target) as importing, file.open("rb", buffering=1 << 20) as source_file:
        import_file(target, source_file)
    again = file.with_suffix(".again.jsonl")
    with _Clock(target) as exporting_again, again.open("wb", buffering=1 << 20) as out:
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
        # This process only: on PostgreSQL the server's own work is in serverCpuSeconds.
        figures[f"{name}CpuSeconds"] = round(clock.cpu, 2)
        figures[f"{name}MainThreadCpuSeconds"] = round(clock.thread, 2)
        if clock.server is not None:
            figures[f"{name}ServerCpuSeconds"] = round(clock.server, 2)
        cpu = clock.cpu + (clock.server or 0)
        figures[f"{name}RowsPerCpuSecond"] = round(rows / cpu) if cpu else None
    figures["roundTripIdentical"] = identical
    figures["loadAverage"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    return figures


def import_once(target: str, file: Path) -> dict[str, float]:
    """One import of ``file`` into the empty ``target``, timed (run in a process of its own)."""
    with _Clock(target) as clock, file.open("rb", buffering=1 << 20) as source_file:
        counts = import_file(target, source_file)
    figures = {"rows": sum(counts.values()), "seconds": clock.wall, "cpuSeconds": clock.cpu}
    figures["mainThreadCpuSeconds"] = clock.thread
    if clock.server is not None:
        figures["serverCpuSeconds"] = clock.server
    return figures


def _summary(runs: list[dict[str, float]]) -> dict[str, object]:
    rows = runs[0]["rows"]
    median = {name: statistics.median(run[name] for run in runs) for name in runs[0]}
    figures: dict[str, object] = {name: round(value, 2) for name, value in median.items() if name != "rows"}
    figures["rowsPerSecond"] = round(rows / median["seconds"])
    cpu = median["cpuSeconds"] + median.get("serverCpuSeconds", 0.0)
    figures["rowsPerCpuSecond"] = round(rows / cpu)
    figures["rowsPerMainThreadCpuSecond"] = round(rows / median["mainThreadCpuSeconds"])
    figures["microsecondsCpuPerRow"] = round(cpu / rows * 1e6, 2)
    return figures


def _drop_and_checkpoint(url: str) -> None:
    """The database imported into dropped and its WAL checkpointed, so the next import meets neither the
    vacuum its million inserts trigger nor a checkpoint of its writes (they would count as the next's)."""
    import psycopg

    from learninggraph.storage.postgres import connection_string

    name = psycopg.conninfo.conninfo_to_dict(connection_string(url))["dbname"]
    admin = connection_string(url).replace(f"dbname={name}", "dbname=postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("SET statement_timeout = 0")
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        conn.execute("CHECKPOINT")


def compare_imports(file: Path, backend: str, checkouts: dict[str, Path], rounds: int) -> dict[str, object]:
    """The import of ``file`` with each checkout's code, alternating, ``rounds`` times each."""
    postgres = None
    if backend == "postgresql":
        from processes import durable_postgres

        postgres = durable_postgres()
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in checkouts}
    load_before = os.getloadavg()[0]
    try:
        with tempfile.TemporaryDirectory(prefix="transfer-", dir=file.parent) as scratch:
            for number in range(rounds):
                # Each side first in every other round: whoever runs second may meet the first's leftovers.
                order = list(checkouts.items())
                for name, checkout in order if number % 2 == 0 else order[::-1]:
                    if postgres is not None:
                        target = postgres.create_database("bench")
                    else:
                        target = f"sqlite:///{scratch}/{name}-{number}.db"
                    env = {**os.environ, "PYTHONPATH": str(checkout.resolve() / "src")}
                    child = subprocess.run(
                        [sys.executable, __file__, "--import-once", str(file), "--target", target],
                        env=env,
                        capture_output=True,
                        text=True,
                        check=True,
                        timeout=3600,
                    )
                    runs[name].append(json.loads(child.stdout))
                    for leftover in Path(scratch).glob(f"{name}-{number}.db*"):
                        leftover.unlink()
                    if postgres is not None:
                        _drop_and_checkpoint(target)
                    print(f"  round {number + 1} {name}: {child.stdout.strip()}", file=sys.stderr, flush=True)
    finally:
        if postgres is not None:
            postgres.close()
    figures: dict[str, object] = {"target": backend, "rows": runs[next(iter(checkouts))][0]["rows"]}
    figures["rounds"] = rounds
    figures.update({name: _summary(done) for name, done in runs.items()})
    figures["loadAverage"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", help="the source database (loaded if empty)")
    parser.add_argument(
        "--target",
        required=True,
        help="an empty database to import into (with --import-only: sqlite or postgresql)",
    )
    parser.add_argument("--file", type=Path, help="where the export is written")
    parser.add_argument(
        "--import-only", type=Path, metavar="FILE", help="time only the import of this export"
    )
    parser.add_argument(
        "--baseline", type=Path, metavar="CHECKOUT", help="with --import-only: also this code"
    )
    parser.add_argument("--rounds", type=int, default=1, help="with --import-only: imports with each code")
    parser.add_argument("--import-once", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--scale", type=float, default=1.0, help="data-set size when loading (1.0: 1M activities)"
    )
    args = parser.parse_args()
    if args.import_once is not None:
        print(json.dumps(import_once(args.target, args.import_once)))
        return
    if args.import_only is not None:
        checkouts = {"this": Path(__file__).resolve().parent.parent}
        if args.baseline is not None:
            checkouts = {"baseline": args.baseline, **checkouts}
        figures = compare_imports(args.import_only.resolve(), args.target, checkouts, args.rounds)
        print(json.dumps(figures, indent=2))
        return
    if args.database is None or args.file is None:
        parser.error("--database and --file are needed (or --import-only)")
    print(json.dumps(run(args.database, args.target, args.file, scale=args.scale), indent=2))


if __name__ == "__main__":
    main()

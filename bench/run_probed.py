"""``bench/run.py`` with every learninggraph server it starts probed, and each scenario's time span noted.

    python bench/run_probed.py PROBES_DIR [run.py's arguments ...]
    python bench/run_probed.py --report PROBES_DIR

Runs ``run.py`` unchanged except that each ``learninggraph serve`` it starts (ours, and ``--baseline``'s) runs
under ``bench/soak_probe.py`` (a sample every half second: RSS and its parts, SQLite's and glibc's memory,
Python's blocks, the verified-token cache, the journal's queued entries), into ``PROBES_DIR/<label>.jsonl``
(``ours``, or the baseline tree's folder name), and each wrk run's start, end and target pid goes to
``PROBES_DIR/scenarios.jsonl``. ``--report`` prints, per scenario and server, the probe's figures at the
scenario's end and the largest journal queue seen during it.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import run

HERE = Path(__file__).resolve().parent
SAMPLE_SECONDS = "0.5"


def probed(out: Path) -> None:
    """Wraps run.py's ``process`` and ``run_wrk`` so servers are probed and scenarios timed into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "servers.jsonl").unlink(missing_ok=True)
    (out / "scenarios.jsonl").unlink(missing_ok=True)
    plain_process, plain_wrk = run.process, run.run_wrk
    scenarios = out / "scenarios.jsonl"

    @contextmanager
    def process(args: list[str], **kwargs: Any) -> Iterator[Any]:
        if args[1:4] == ["-m", "learninggraph", "serve"]:
            source = (kwargs.get("env") or {}).get("PYTHONPATH")
            label = "ours" if source is None else Path(source).parent.name
            probe = out / f"{label}.jsonl"
            probe.unlink(missing_ok=True)
            args = [args[0], str(HERE / "soak_probe.py"), str(probe), SAMPLE_SECONDS, "--", *args[3:]]
            with plain_process(args, **kwargs) as proc:
                with (out / "servers.jsonl").open("a") as sink:
                    sink.write(json.dumps({"pid": proc.pid, "label": label}) + "\n")
                yield proc
            return
        with plain_process(args, **kwargs) as proc:
            yield proc

    def run_wrk(wrk: str, url: str, script: Path, duration: int, pid: int, *rest: Any, **kw: Any) -> Any:
        started = time.time()
        result = plain_wrk(wrk, url, script, duration, pid, *rest, **kw)
        line = {"scenario": script.stem, "url": url, "pid": pid, "start": started, "end": time.time()}
        with scenarios.open("a") as sink:
            sink.write(json.dumps({**line, "rps": result[0], "peak_rss_mb": result[4]}) + "\n")
        return result

    run.process = process  # type: ignore[assignment]
    run.run_wrk = run_wrk  # type: ignore[assignment]


def _samples(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def report(out: Path) -> None:
    """Per scenario of a probed server: RSS, anonymous, SQLite, glibc in use / free, Python blocks, tokens,
    the journal's largest queue during the scenario, at the scenario's end."""
    servers = {s["pid"]: s["label"] for s in _samples(out / "servers.jsonl")}
    probes = {label: _samples(out / f"{label}.jsonl") for label in servers.values()}
    print(
        "| # | scenario | server | RSS MB | anon | SQLite | glibc used / free | blocks | tokens | queue max |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for number, scenario in enumerate(_samples(out / "scenarios.jsonl"), 1):
        label = servers.get(scenario["pid"])
        if label is None:
            continue
        during = [s for s in probes[label] if scenario["start"] <= s["t"] <= scenario["end"] + 0.6]
        if during:
            last = during[-1]
            print(
                f"| {number} | {scenario['scenario']} | {label} | {last['rss_kb'] / 1024:.1f} "
                f"| {last['anon_kb'] / 1024:.1f} | {last['sqlite_used_kb'] / 1024:.1f} "
                f"| {last['malloc_in_use_kb'] / 1024:.1f} / {last['malloc_free_kb'] / 1024:.1f} "
                f"| {last['python_blocks']} | {last['verified_tokens']} "
                f"| {max(s['journal_pending'] for s in during)} |"
            )


def main() -> None:
    if sys.argv[1:2] == ["--report"]:
        report(Path(sys.argv[2]))
        return
    out = Path(sys.argv[1])
    sys.argv = [str(HERE / "run.py"), *sys.argv[2:]]
    probed(out.resolve())
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    run.main()


if __name__ == "__main__":
    main()

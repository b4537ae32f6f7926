"""The same scenarios on data sets of different sizes, alternately, as ratios to the first (smallest) one.

    python bench/sizes.py --data 1m=sqlite:///1m.db,1m-ids.json --data 10m=sqlite:///10m.db,10m-ids.json \
        [--cycles 3] [--duration 5] [--only get list min_get min_list hello]

Each cycle runs ``bench/run.py --database-url ... --rounds 1`` on each data set in turn (in reverse order every
other cycle), then ``bench/inprocess.py`` (CPU per request of our app, no server) on each in turn, so the sizes
share the machine's swings. Prints, per scenario, the median req/s of each data set over the cycles, the best
CPU µs per request, and each one's ratio to the first data set's; and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable


def run_once(url: str, sample: str, only: list[str], duration: int, warmup: int) -> dict[str, float]:
    """req/s of each scenario in one round of ``bench/run.py``."""
    with tempfile.TemporaryDirectory(prefix="learninggraph-sizes-") as out:
        subprocess.run(
            [
                PYTHON,
                str(HERE / "run.py"),
                "--database-url",
                url,
                "--sample",
                sample,
                "--only",
                *only,
                "--no-peers",
                "--rounds",
                "1",
                "--duration",
                str(duration),
                "--warmup",
                str(warmup),
                "--out",
                out,
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        (result,) = Path(out).glob("*.json")
        report = json.loads(result.read_text())["results"]
    return {name: float(figures["rps"]) for name, figures in report.items()}


def cpu_once(url: str, sample: str, scenarios: list[str], requests: int) -> dict[str, float]:
    """CPU µs per request of ours and of the minimal handlers (``bench/inprocess.py``)."""
    out = subprocess.run(
        [
            PYTHON,
            str(HERE / "inprocess.py"),
            "--database",
            url,
            "--sample",
            sample,
            "--only",
            *scenarios,
            "--requests",
            str(requests),
            "--repeat",
            "3",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    figures: dict[str, float] = {}
    for name, ours, minimal in re.findall(r"^\| (\w+) \| (\d+) \| (\d+) \|", out, re.MULTILINE):
        figures[f"{name} cpu µs"] = float(ours)
        figures[f"min_{name} cpu µs"] = float(minimal)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data", action="append", required=True, help="LABEL=DATABASE_URL,IDS_FILE (the first is the base)"
    )
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--only", nargs="*", default=["get", "list", "min_get", "min_list", "hello"])
    parser.add_argument("--cpu-requests", type=int, default=300, help="0: no in-process CPU figures")
    args = parser.parse_args()
    data = []
    for item in args.data:
        label, _, rest = item.partition("=")
        url, _, sample = rest.partition(",")
        data.append((label, url, sample))
    cpu_scenarios = [name for name in ("get", "list") if name in args.only]
    rps: dict[str, dict[str, list[float]]] = {label: {} for label, _, _ in data}
    cpu: dict[str, dict[str, float]] = {label: {} for label, _, _ in data}
    loads = []
    for cycle in range(args.cycles):
        ordered = data if cycle % 2 == 0 else list(reversed(data))
        for label, url, sample in ordered:
            for name, value in run_once(url, sample, args.only, args.duration, args.warmup).items():
                rps[label].setdefault(name, []).append(value)
            print(
                f"cycle {cycle + 1} {label}: " + "  ".join(f"{n} {v[-1]:.0f}" for n, v in rps[label].items())
            )
        if args.cpu_requests and cpu_scenarios:
            for label, url, sample in ordered:
                for name, value in cpu_once(url, sample, cpu_scenarios, args.cpu_requests).items():
                    cpu[label][name] = min(cpu[label].get(name, value), value)
                print(
                    f"cycle {cycle + 1} {label}: " + "  ".join(f"{n} {v:.0f}" for n, v in cpu[label].items())
                )
        loads.append(os.getloadavg()[0])
    base = data[0][0]
    print(f"\nload average (1 min) after each cycle: {' '.join(f'{v:.1f}' for v in loads)}\n")
    labels = [label for label, _, _ in data]
    print(
        "| scenario | "
        + " | ".join(f"{label}" for label in labels)
        + " | "
        + " | ".join(f"{label} ÷ {base}" for label in labels[1:])
        + " |"
    )
    print("|---" * (1 + 2 * len(labels) - 1) + "|")
    for name in rps[base]:
        medians = [statistics.median(rps[label][name]) for label in labels]
        print(
            f"| {name} req/s | "
            + " | ".join(f"{m:.0f}" for m in medians)
            + " | "
            + " | ".join(f"{m / medians[0]:.2f}" for m in medians[1:])
            + " |"
        )
    for name in cpu[base]:
        best = [cpu[label][name] for label in labels]
        print(
            f"| {name} | "
            + " | ".join(f"{b:.0f}" for b in best)
            + " | "
            + " | ".join(f"{b / best[0]:.2f}" for b in best[1:])
            + " |"
        )


if __name__ == "__main__":
    main()

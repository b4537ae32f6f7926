"""The server stack chosen by measurement: uvicorn (httptools, uvloop, our connection guards) against granian.

    pip install granian   # not a dependency of learninggraph: only this comparison uses it
    python bench/servers.py --database-url sqlite:///bench.db --sample ids.json [--duration 5] [--rounds 3]

Serves the bare hello (``bench/ceiling.py``'s app) and our app (``learninggraph.serving:create_app_from_environment``)
on each server, one process each, pinned to CPU 1 and driven by wrk on CPU 0, interleaved in every round (the
order of the servers alternates from round to round). Scenarios: hello, our GET by id, our PATCH.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
from dataclasses import asdict
from pathlib import Path

from dataset import PUBLIC_URL
from processes import HERE, PYTHON, ensure_wrk, free_port, process, run_wrk, serve_command, wait_ready
from wrk_scripts import write_scripts

from learninggraph.serving import SETTINGS_ENVIRONMENT_VARIABLE
from learninggraph.settings import Settings

BIN = Path(PYTHON).parent


def commands(server: str, url: str, port: int) -> dict[str, list[str]]:
    """The hello app and our app on ``server``, each at its own port."""
    ceiling_port = port + 1
    if server == "uvicorn":
        return {
            "ours": serve_command(url, port),
            "hello": [PYTHON, str(HERE / "ceiling.py"), url, str(ceiling_port)],
        }
    common = [
        str(BIN / "granian"),
        "--interface",
        "asgi",
        "--host",
        "127.0.0.1",
        "--workers",
        "1",
        "--loop",
        "uvloop",
        "--no-ws",
        "--log-level",
        "warning",
        "--factory",
    ]
    return {
        "ours": [*common, "--port", str(port), "learninggraph.serving:create_app_from_environment"],
        "hello": [
            *common,
            "--port",
            str(ceiling_port),
            "--working-dir",
            str(HERE),
            "ceiling:app_from_environment",
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--sample", type=Path, required=True)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--servers", nargs="*", default=["uvicorn", "granian"])
    args = parser.parse_args()
    wrk = ensure_wrk()
    work = Path(tempfile.mkdtemp(prefix="learninggraph-servers-"))
    scripts = write_scripts(json.loads(args.sample.read_text()), work)
    settings = Settings(
        database_url=args.database_url, public_url=PUBLIC_URL, create_dev_identity=False, log_level="warning"
    )
    env = {
        SETTINGS_ENVIRONMENT_VARIABLE: json.dumps(asdict(settings), default=list),
        "CEILING_DATABASE_URL": args.database_url,
        "PYTHONPATH": str(HERE),
    }
    figures: dict[str, list[float]] = {}
    for round_number in range(args.rounds):
        order = args.servers if round_number % 2 == 0 else list(reversed(args.servers))
        for server in order:
            port = free_port()
            cmds = commands(server, args.database_url, port)
            with (
                process(cmds["ours"], cpu="1", env=env) as ours,
                process(cmds["hello"], cpu="1", env=env) as hello,
            ):
                wait_ready(f"http://127.0.0.1:{port}/health")
                wait_ready(f"http://127.0.0.1:{port + 1}/hello")
                for scenario, target, pid in (
                    ("hello", port + 1, hello.pid),
                    ("get", port, ours.pid),
                    ("patch", port, ours.pid),
                ):
                    rps = run_wrk(wrk, f"http://127.0.0.1:{target}", scripts[scenario], args.duration, pid)[0]
                    figures.setdefault(f"{server} {scenario}", []).append(rps)
                    print(f"round {round_number + 1} {server:8s} {scenario:6s} {rps:9.0f} req/s", flush=True)
    print(f"\nload average at the end: {os.getloadavg()}")
    print("\n| scenario | " + " | ".join(args.servers) + " | " + " ÷ ".join(reversed(args.servers)) + " |")
    print("|---|" + "---|" * (len(args.servers) + 1))
    for scenario in ("hello", "get", "patch"):
        medians = [statistics.median(figures[f"{s} {scenario}"]) for s in args.servers]
        ratio = medians[-1] / medians[0] if len(medians) > 1 else 1.0
        print(f"| {scenario} | " + " | ".join(f"{m:,.0f}" for m in medians) + f" | {ratio:.2f} |")


if __name__ == "__main__":
    main()

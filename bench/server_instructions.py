"""Instructions per request of a served request under callgrind: uvicorn, the guards and the app, as wrk meets them.

    python bench/server_instructions.py --database sqlite:///bench.db --sample ids.json \
        [--baseline OTHER_TREE] [--only get list post token] [--requests 1000]

``bench/instructions.py`` counts the app alone, in-process; this counts the whole server process: our server
(this tree, and ``--baseline``'s ``src/`` when given) and ``bench/ceiling.py``'s minimal handlers, each under
``valgrind --tool=callgrind --instr-atstart=no``, journal off. One client on one keep-alive connection sends 300
requests to warm up (a list page's learner tokens all verified first), turns the server's instrumentation on
(``callgrind_control -i on``), sends ``--requests`` more, one at a time, and turns it off; the figure is the
instructions counted ÷ requests. So it also counts what the in-process figure leaves out: parsing the request
(our 1.5 KB bearer token), uvicorn's checks of each answer header, the connection guards, and the cyclic
collector's walks of the server's heap. The servers run side by side (each takes a minute or two to start under
valgrind); valgrind must be installed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dataset import PUBLIC_URL
from processes import free_port, wait_ready

HERE = Path(__file__).resolve().parent
Request = tuple[str, str, dict[str, str], str | None]
ACTIVITIES = "/v1.0/employeeExperience/learningCourseActivities"
FILTERED = "$filter=status%20ne%20%27completed%27&$top=50"


def maker(sample: dict[str, Any], scenario: str, minimal: bool) -> Callable[[], Request]:
    """The requests of ``bench/run.py``'s wrk scripts for ``scenario``, ours or the minimal handler's."""
    rng = random.Random(1)
    count = [0]

    def make() -> Request:
        tenant = rng.choice(sample["tenants"])
        bearer = {"Authorization": f"Bearer {tenant['appToken']}"}
        if scenario == "get":
            activity = rng.choice(tenant["activities"][:2000])
            if minimal:
                return "GET", f"/min/{tenant['tenantId']}/activities/{activity}", {}, None
            return "GET", f"{ACTIVITIES}/{activity}", bearer, None
        if scenario == "list":
            learner, token = rng.choice(tenant["learnerTokens"])
            if minimal:
                return "GET", f"/min/{tenant['tenantId']}/learners/{learner}/page", {}, None
            path = f"/v1.0/users/{learner}/employeeExperience/learningCourseActivities?{FILTERED}"
            return "GET", path, {"Authorization": f"Bearer {token}"}, None
        if scenario == "token":
            form_type = {"Content-Type": "application/x-www-form-urlencoded"}
            form = (
                f"grant_type=client_credentials&client_id={tenant['clientId']}"
                f"&client_secret={tenant['clientSecret']}&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"
            )
            if minimal:
                return "POST", f"/min/{tenant['tenantId']}/token/x", form_type, form
            return "POST", f"/{tenant['tenantId']}/oauth2/v2.0/token", form_type, form
        provider = rng.choice(list(tenant["contents"]))
        count[0] += 1
        body = json.dumps(
            {
                "@odata.type": "#microsoft.graph.learningSelfInitiatedCourse",
                "learnerUserId": rng.choice(tenant["learners"][:50]),
                "learningContentId": rng.choice(tenant["contents"][provider][:50]),
                "status": "inProgress",
                "externalcourseActivityId": f"instructions-{time.time_ns()}-{count[0]}",
            }
        )
        json_type = {"Content-Type": "application/json"}
        if minimal:
            return "POST", f"/min/{tenant['tenantId']}/activities/{provider}", json_type, body
        path = f"/v1.0/employeeExperience/learningProviders/{provider}/learningCourseActivities"
        return "POST", path, {**bearer, **json_type}, body

    return make


def measure(
    tree: Path, scenario: str, minimal: bool, args: argparse.Namespace, work: Path
) -> subprocess.Popen[str]:
    """This script as the client of one server under callgrind (``--client``), in a process of its own."""
    command = [
        sys.executable, str(Path(__file__).resolve()), "--database", args.database, "--sample", str(args.sample),
        "--requests", str(args.requests), "--client", scenario, "--tree", str(tree), "--work", str(work),
        *(["--minimal"] if minimal else []),
    ]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def client(args: argparse.Namespace) -> None:
    tree, port = Path(args.tree), free_port()
    if args.minimal:
        command = [sys.executable, str(HERE / "ceiling.py"), args.database, str(port), "1"]
    else:
        command = [
            sys.executable, "-m", "learninggraph", "serve", "--database", args.database, "--port", str(port),
            "--no-dev-identity", "--public-url", PUBLIC_URL, "--workers", "1", "--no-journal",
            "--log-level", "warning",
        ]  # fmt: skip
    out = Path(args.work) / f"{os.getpid()}.out"
    env = {**os.environ, "LEARNINGGRAPH_JOURNAL": "0", "PYTHONPATH": str(tree / "src")}
    valgrind = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}"]
    server = subprocess.Popen(
        [*valgrind, *command], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        # Under valgrind a server takes tens of seconds to start.
        wait_ready(f"http://127.0.0.1:{port}/{'hello' if args.minimal else 'health'}", timeout=600)
        sample = json.loads(Path(args.sample).read_text())
        make = maker(sample, args.client, args.minimal)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

        def send(method: str, path: str, headers: dict[str, str], body: str | None) -> None:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status >= 300:
                raise SystemExit(f"{method} {path} answered {response.status}")

        if args.client == "list" and not args.minimal:
            for tenant in sample["tenants"]:
                for learner, token in tenant["learnerTokens"]:
                    path = f"/v1.0/users/{learner}/employeeExperience/learningCourseActivities?$top=1"
                    send("GET", path, {"Authorization": f"Bearer {token}"}, None)
        for _ in range(300):
            send(*make())
        subprocess.run(
            ["callgrind_control", "-i", "on", str(server.pid)], stdout=subprocess.DEVNULL, check=True
        )
        for _ in range(args.requests):
            send(*make())
        subprocess.run(
            ["callgrind_control", "-i", "off", str(server.pid)], stdout=subprocess.DEVNULL, check=True
        )
    finally:
        server.send_signal(signal.SIGINT)
        _, err = server.communicate(timeout=300)
    found = re.findall(r"Collected : (\d+)", err)
    if not found:
        raise SystemExit(f"the server under callgrind failed:\n{err[-2000:]}")
    print(int(found[-1]) // args.requests)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", required=True)
    parser.add_argument("--sample", type=Path, required=True)
    parser.add_argument("--baseline", type=Path, help="another learninggraph source tree")
    parser.add_argument(
        "--only", nargs="*", choices=("get", "list", "post", "token"), default=["get", "list", "post"]
    )
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--tree", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    parser.add_argument("--minimal", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        client(args)
        return
    work = Path(tempfile.mkdtemp(prefix="learninggraph-server-instructions-"))
    trees = {"this tree": HERE.parent}
    if args.baseline is not None:
        trees["baseline"] = args.baseline.resolve()
    print("| scenario | " + " | ".join(trees) + " | minimal |")
    print("|---" * (len(trees) + 2) + "|")
    for scenario in args.only:
        runs = [measure(tree, scenario, False, args, work) for tree in trees.values()]
        runs.append(measure(HERE.parent, scenario, True, args, work))
        counts = []
        for run in runs:
            out, err = run.communicate()
            if run.returncode != 0:
                raise SystemExit(f"a client failed:\n{err[-2000:]}")
            counts.append(int(out.split()[-1]))
        print(f"| {scenario} | " + " | ".join(f"{count:,}" for count in counts) + " |", flush=True)


if __name__ == "__main__":
    main()

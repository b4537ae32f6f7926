"""The statements each ``bench/run.py`` scenario sends to PostgreSQL per request: ours against the minimal handler.

    python bench/pg_statements.py [--requests 40] [--scale 0.01] [--verbose] [--baseline TREE]

A throwaway durable cluster (``durable_postgres()``) with ``log_statement = 'all'`` on the data set's database;
each scenario's requests are sent one at a time and the statements its log gains are counted and divided by the
requests. With psycopg every logged statement is one round trip (its BEGIN and COMMIT too). Statements our server
sends on its own clock (the fault rules' re-read, the journal's writer) fall between requests and show as
fractions. ``p``: how many times a request's statements were planned (pg_stat_statements' ``plans``; a prepared
statement whose generic plan is kept is planned no more). ``--verbose`` lists every distinct statement with its count per request. ``--baseline``: another
source tree served too, counted in the same way.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import psycopg
from processes import durable_postgres, free_port, process, serve_command, wait_ready

HERE = Path(__file__).resolve().parent
SCENARIOS = ("get", "patch", "post", "list", "token", "batch")
# Requests before each count: every pooled connection (up to 8) has prepared the scenario's statements (psycopg
# prepares a statement at its fifth use on a connection).
WARM_UP = 60
_LINE = re.compile(r"\[(\d+)\] LOG:  (?:statement|execute [^:]*): (.*)")


def requests_of(
    sample: dict[str, Any], name: str, minimal: bool, count: int
) -> list[tuple[str, str, str, dict[str, str]]]:
    """``count`` requests (method, path, body, headers) of a scenario, as ``wrk_scripts.py`` makes them."""
    tenant = sample["tenants"][0]
    token, tid = tenant["appToken"], tenant["tenantId"]
    auth = {"Authorization": f"Bearer {token}"}
    json_type = {"Content-Type": "application/json"}
    out: list[tuple[str, str, str, dict[str, str]]] = []
    provider, contents = next(iter(tenant["contents"].items()))
    for i in range(count):
        act = tenant["activities"][i % len(tenant["activities"])]
        uid, learner_token = tenant["learnerTokens"][i % 5]  # five tokens, verified in the warm-up
        if name == "get":
            out.append(
                ("GET", f"/min/{tid}/activities/{act}", "", {})
                if minimal
                else ("GET", f"/v1.0/employeeExperience/learningCourseActivities/{act}", "", auth)
            )
        elif name in ("patch", "batch") and minimal:
            body = json.dumps({"status": "inProgress", "completionPercentage": i % 100})
            out.append(("PATCH", f"/min/{tid}/activities/{act}", body, json_type))
        elif name == "patch":
            body = json.dumps({"completionPercentage": i % 100})
            out.append(
                ("PATCH", f"/v1.0/employeeExperience/learningCourseActivities/{act}", body, auth | json_type)
            )
        elif name == "post":
            body = json.dumps(
                {
                    "@odata.type": "#microsoft.graph.learningSelfInitiatedCourse",
                    "learnerUserId": tenant["learners"][i % len(tenant["learners"])],
                    "learningContentId": contents[i % len(contents)],
                    "status": "inProgress",
                    "externalcourseActivityId": f"count-{time.time_ns()}-{i}",
                }
            )
            path = (
                f"/min/{tid}/activities/{provider}"
                if minimal
                else (f"/v1.0/employeeExperience/learningProviders/{provider}/learningCourseActivities")
            )
            out.append(("POST", path, body, json_type if minimal else auth | json_type))
        elif name == "list":
            out.append(
                ("GET", f"/min/{tid}/learners/{uid}/page", "", {})
                if minimal
                else (
                    "GET",
                    f"/v1.0/users/{uid}/employeeExperience/learningCourseActivities"
                    "?$filter=status%20ne%20%27completed%27&$top=50",
                    "",
                    {"Authorization": f"Bearer {learner_token}"},
                )
            )
        elif name == "token":
            body = (
                f"grant_type=client_credentials&client_id={tenant['clientId']}&client_secret="
                f"{tenant['clientSecret']}&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"
            )
            path = f"/min/{tid}/token/x" if minimal else f"/{tid}/oauth2/v2.0/token"
            out.append(("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"}))
        else:  # batch: 20 PATCHes in one $batch
            items = [
                {
                    "id": str(k),
                    "method": "PATCH",
                    "url": f"/employeeExperience/learningCourseActivities/{tenant['activities'][(i * 20 + k) % 400]}",
                    "headers": json_type,
                    "body": {"completionPercentage": (i + k) % 100},
                }
                for k in range(20)
            ]
            out.append(("POST", "/v1.0/$batch", json.dumps({"requests": items}), auth | json_type))
    return out


def count(
    log: Path,
    port: int,
    reqs: list[tuple[str, str, str, dict[str, str]]],
    settle: float,
    stats: psycopg.Connection[Any],
) -> tuple[Counter[str], int]:
    """The statements the log gained while ``reqs[WARM_UP:]`` were sent (each must answer 2xx), those of the journal's
    writer (a connection that wrote ``journal_`` tables) and the fault rules' re-read marked as background; and
    how many times PostgreSQL planned the others (pg_stat_statements)."""
    conn = http.client.HTTPConnection("127.0.0.1", port)
    warm, reqs = reqs[:WARM_UP], reqs[WARM_UP:]
    for method, path, body, headers in warm:  # statements prepared, caches filled
        conn.request(method, path, body or None, headers)
        conn.getresponse().read()
    time.sleep(settle)
    stats.execute("SELECT pg_stat_statements_reset()")
    start = log.stat().st_size
    for method, path, body, headers in reqs:
        conn.request(method, path, body or None, headers)
        response = conn.getresponse()
        text = response.read()
        if response.status >= 300:
            raise SystemExit(f"{method} {path}: {response.status} {text[:300]!r}")
    time.sleep(settle)
    with log.open("rb") as f:
        f.seek(start)
        new = f.read().decode("utf-8", "replace")
    found = [(m.group(1), " ".join(m.group(2).split())[:150]) for m in _LINE.finditer(new)]
    journal = {pid for pid, sql in found if "journal_" in sql}
    planned = stats.execute(
        "SELECT coalesce(sum(plans), 0) FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database"
        " WHERE datname = current_database()) AND query NOT LIKE '%journal_%' AND query NOT LIKE '%fault_rules%'"
        " AND query NOT LIKE '%pg_stat_statements%'"
    ).fetchone()
    seen = Counter(("~ " if pid in journal or "FROM fault_rules" in sql else "") + sql for pid, sql in found)
    return seen, int(planned[0]) if planned else 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--scale", type=float, default=0.01)
    parser.add_argument("--only", nargs="*", choices=SCENARIOS)
    parser.add_argument("--settle", type=float, default=1.5, help="seconds before and after each count")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--baseline", type=Path, help="another source tree, counted beside this one")
    args = parser.parse_args()
    postgres = durable_postgres()
    try:
        with (postgres.data / "postgresql.conf").open("a") as conf:
            conf.write(
                "shared_preload_libraries = 'pg_stat_statements'\npg_stat_statements.track_planning = on\n"
            )
        postgres.stop()
        postgres.start()
        url = postgres.create_database("bench")
        work = Path(tempfile.mkdtemp(prefix="learninggraph-statements-"))
        ids = work / "ids.json"
        subprocess.run(
            [
                sys.executable,
                str(HERE / "dataset.py"),
                "--database",
                url,
                "--out",
                str(ids),
                "--scale",
                str(args.scale),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        sample = json.loads(ids.read_text())
        with psycopg.connect(postgres.url(), autocommit=True) as admin:
            admin.execute(f"ALTER DATABASE \"{url.split('/')[3].split('?')[0]}\" SET log_statement = 'all'")
        stats = psycopg.connect(url, autocommit=True)
        stats.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        servers = {"ours": (serve_command(url, free_port()), {})}
        if args.baseline is not None:
            servers["base"] = (
                serve_command(url, free_port()),
                {"PYTHONPATH": str(args.baseline.resolve() / "src")},
            )
        minimal_port = free_port()
        with ExitStack() as stack:
            for command, env in servers.values():
                stack.enter_context(process(command, cpu="1", env=env))
                wait_ready(f"http://127.0.0.1:{command[command.index('--port') + 1]}/health")
            stack.enter_context(
                process([sys.executable, str(HERE / "ceiling.py"), url, str(minimal_port)], cpu="1")
            )
            wait_ready(f"http://127.0.0.1:{minimal_port}/hello")
            log = postgres.root / "server.log"
            columns = [*servers, "minimal"]
            print(
                f"statements (= round trips) per request, {args.requests} requests each: the request's own (of which"
            )
            print(
                "BEGIN/COMMIT/ROLLBACK), then ~ the journal writer's and the fault rules' re-read, between requests,"
                "\nthen p the request's statements PostgreSQL planned (0: each ran a plan made before)"
            )
            print("| scenario | " + " | ".join(columns) + " |\n|---" * 1 + "|---" * len(columns) + "|")
            for name in args.only or SCENARIOS:
                cells, details = [], []
                for label in columns:
                    minimal = label == "minimal"
                    port = (
                        minimal_port
                        if minimal
                        else int(servers[label][0][servers[label][0].index("--port") + 1])
                    )
                    reqs = requests_of(sample, name, minimal, args.requests + WARM_UP)
                    seen, planned = count(log, port, reqs, args.settle, stats)
                    own = {s: n for s, n in seen.items() if not s.startswith("~")}
                    total = sum(own.values()) / args.requests
                    frame = sum(
                        n for s, n in own.items() if s.split()[0].upper() in ("BEGIN", "COMMIT", "ROLLBACK")
                    )
                    background = (sum(seen.values()) - sum(own.values())) / args.requests
                    cells.append(
                        f"{total:.2f} ({frame / args.requests:.2f}) ~{background:.2f} p{planned / args.requests:.2f}"
                    )
                    details += [f"    {label:8} {n / args.requests:6.2f}  {s}" for s, n in seen.most_common()]
                print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
                if args.verbose:
                    print("\n".join(details), flush=True)
    finally:
        postgres.close()


if __name__ == "__main__":
    main()

"""What the fault step costs a GET when the caller's tenant has no fault rules: the same server with and without
the step, side by side, interleaved rounds of wrk.

    python bench/faults.py [--duration 5] [--rounds 3] [--in-process]

Three servers, each on its copy of one SQLite file, each pinned to CPU 1 (wrk to CPU 0), one at a time under load:
- ``without``: the request path without the fault step (as before faults were wired in);
- ``step``: the step on, no rule in the database;
- ``step+rules``: the step on, five rules for another tenant (what a shared server with one team's chaos
  rules costs everyone else).
The GET is ``/v1.0/employeeExperience/learningProviders`` of a tenant with one provider, a delegated token.

``--in-process`` times the same GET through the request's steps alone (no HTTP, no wrk), with and without the
fault step, in interleaved rounds of 2,000: the figure to trust on a machine other work is loading.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import uvicorn
from processes import ensure_wrk, free_port, process, run_wrk, wait_ready

from learninggraph.app import create_app
from learninggraph.domain.roles import KNOWLEDGE_ADMINISTRATOR
from learninggraph.faults.rules import new_rule
from learninggraph.faults.store import add_rule
from learninggraph.http.connections import server_config
from learninggraph.http.context import RequestContext
from learninggraph.http.fault_step import InjectFaults
from learninggraph.http.messages import Request, parse_path
from learninggraph.identity.directory import Directory
from learninggraph.identity.keys import SigningKeys
from learninggraph.identity.tokens import TokenIssuer
from learninggraph.settings import Settings
from learninggraph.storage.database import Database
from learninggraph.storage.migrations import upgrade

PUBLIC_URL = "http://127.0.0.1:8000"
PATH = "/v1.0/employeeExperience/learningProviders"
VARIANTS = ("without", "step", "step+rules")


def serve(database_url: str, port: int, variant: str) -> None:
    settings = Settings(database_url=database_url, create_dev_identity=False, public_url=PUBLIC_URL)
    app = create_app(settings)
    if variant == "without":
        app.pipeline.steps = tuple(s for s in app.pipeline.steps if not isinstance(s, InjectFaults))
    config = server_config(app, settings, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    uvicorn.Server(config).run()


def prepare(database_url: str) -> tuple[str, str]:
    """A tenant with a provider, and a delegated token for it; five rules for another tenant."""
    database = Database(database_url)
    upgrade(database)
    directory = Directory(database)
    tenant = directory.create_tenant(name="Contoso")
    other = directory.create_tenant(name="Fabrikam")
    user = directory.create_user(
        tenant_id=tenant.id, display_name="Ada", licensed=True, roles=[KNOWLEDGE_ADMINISTRATOR]
    )
    app, _ = directory.create_application(
        tenant_id=tenant.id,
        name="bench",
        permissions=(),
        delegated_permissions=["LearningProvider.ReadWrite"],
    )
    issuer = TokenIssuer(
        keys=SigningKeys.load_or_create(database),
        settings=Settings(database_url=database_url, public_url=PUBLIC_URL),
    )
    token, _ = issuer.delegated_token(app.client_id, user, ["LearningProvider.ReadWrite"])
    for status in (429, 500, 502, 503, 504):
        add_rule(database, new_rule(other.id, status=status, route="*/learningContents"))
    database.close()
    return token, tenant.id


def in_process(rounds: int) -> dict[str, float]:
    """Microseconds per GET through the steps, with and without the fault step (medians of ``rounds``)."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/steps.db"
        token, _ = prepare(url)
        app = create_app(Settings(database_url=url, create_dev_identity=False, public_url=PUBLIC_URL))
        steps = {"step": app.pipeline.steps}
        steps["without"] = tuple(s for s in steps["step"] if not isinstance(s, InjectFaults))
        headers = {"authorization": f"Bearer {token}"}
        timings: dict[str, list[float]] = {"without": [], "step": []}
        for _ in range(rounds):
            for variant, chosen in steps.items():
                app.pipeline.steps = chosen
                started = time.perf_counter()
                for _ in range(2000):
                    request = Request("GET", PATH, parse_path(PATH), {}, headers, b"", PUBLIC_URL, "r", "c")
                    assert app.pipeline.run(RequestContext(request)).status == 200
                timings[variant].append((time.perf_counter() - started) / 2000 * 1e6)
        app.pipeline.steps = steps["step"]
    return {f"{variant}_us": round(statistics.median(values), 1) for variant, values in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--serve", nargs=3, metavar=("DATABASE_URL", "PORT", "VARIANT"), help=argparse.SUPPRESS
    )
    parser.add_argument("--in-process", action="store_true", help="time the steps alone, without HTTP")
    args = parser.parse_args()
    if args.in_process:
        print(json.dumps({"get": PATH, "rounds": args.rounds, **in_process(args.rounds)}, indent=2))
        return
    if args.serve:
        serve(args.serve[0], int(args.serve[1]), args.serve[2])
        return
    wrk = ensure_wrk()
    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        urls = {variant: f"sqlite:///{folder}/{variant.replace('+', '-')}.db" for variant in VARIANTS}
        token, _ = prepare(urls["without"])
        for variant in VARIANTS[1:]:
            Path(urls[variant].removeprefix("sqlite:///")).write_bytes(
                Path(urls["without"].removeprefix("sqlite:///")).read_bytes()
            )
        # Only the step+rules database keeps the other tenant's rules.
        for variant in ("without", "step"):
            database = Database(urls[variant])
            with database.transaction() as conn:
                conn.execute("DELETE FROM fault_rules")
            database.close()
        script = Path(folder) / "get.lua"
        script.write_text(f'wrk.method = "GET"\nwrk.headers["Authorization"] = "Bearer {token}"\n')
        servers = {}
        for variant in VARIANTS:
            port = free_port()
            command = [sys.executable, __file__, "--serve", urls[variant], str(port), variant]
            servers[variant] = (port, stack.enter_context(process(command, cpu="1")))
            wait_ready(f"http://127.0.0.1:{port}/health")
        results: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
        for number in range(args.rounds):
            # Each round starts with another variant, so load from outside falls on each alike.
            for variant in VARIANTS[number % 3 :] + VARIANTS[: number % 3]:
                port, proc = servers[variant]
                url = f"http://127.0.0.1:{port}{PATH}"
                rps, _, _, errors, _ = run_wrk(wrk, url, script, args.duration, proc.pid)
                if errors:
                    raise SystemExit(f"{variant}: {errors} answers were not 2xx")
                results[variant].append(rps)
    medians = {variant: statistics.median(values) for variant, values in results.items()}
    report = {
        variant: {
            "rps": round(medians[variant]),
            "vs_without": round(medians[variant] / medians["without"], 3),
        }
        for variant in VARIANTS
    }
    print(json.dumps({"get": PATH, "rounds": args.rounds, "duration_s": args.duration, **report}, indent=2))


if __name__ == "__main__":
    main()

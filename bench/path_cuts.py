"""Each request-path cut's CPU effect, interleaved in one process: the cut on, and undone by patching it back.

    python bench/path_cuts.py DATABASE_URL IDS_JSON [ROUNDS]

The cuts: no exchange built for observers that would drop it (``observe``), ``Database.read()`` instead of a
snapshot for one statement (``read``), no timer for a body already received whole (``body``), cached service
principal ids (``spid``); ``all``: every cut undone against every cut on (the previous tree's behaviour against
this one's). Requests are sent as uvicorn hands them (``receive`` bound to a cycle holding the body). Batches of
200 requests (100 for the token endpoint), the best of ROUNDS kept.
"""

import asyncio
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from asgi_requests import call, requests
from dataset import PUBLIC_URL

from learninggraph.app import create_app
from learninggraph.http import reading as readmod
from learninggraph.identity import issuing as tokmod
from learninggraph.settings import Settings
from learninggraph.storage import database as dbmod

sample = json.loads(Path(sys.argv[2]).read_text())
makers = requests(sample, random.Random(1))
app = create_app(
    Settings(database_url=sys.argv[1], public_url=PUBLIC_URL, create_dev_identity=False, journal=False)
)
orig_read = dbmod.SqliteDatabase.read
orig_spid = tokmod.service_principal_id


class Cycle:
    def __init__(self, body):
        self.body = body
        self.more_body = False

    async def receive(self):
        return {"type": "http.request", "body": self.body, "more_body": False}


async def call_server_like(request):
    # as uvicorn hands the body: receive bound to a cycle that holds it whole
    method, path, query, headers, body = request
    scope = {
        "type": "http",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": [*headers, (b"content-length", str(len(body)).encode())] if body else headers,
        "client": ("127.0.0.1", 5),
        "server": ("127.0.0.1", 8000),
    }

    async def send(m):
        pass

    await app(scope, Cycle(body).receive, send)


def toggle(name, on):
    if name == "observe":
        app._listened = (lambda: False) if on else (lambda: True)  # base: always built the exchange
    elif name == "read":
        dbmod.SqliteDatabase.read = orig_read if on else dbmod.SqliteDatabase.snapshot
    elif name == "body":
        readmod._already_received = (
            (lambda r: getattr(getattr(r, "__self__", None), "more_body", True) is False)
            if on
            else (lambda r: False)
        )
    elif name == "spid":
        import uuid

        tokmod.service_principal_id = (
            orig_spid if on else (lambda c: str(uuid.uuid5(tokmod._SERVICE_PRINCIPAL_NAMESPACE, c)))
        )


async def measure(scenario, n=200):
    reqs = [makers[scenario]() for _ in range(n)]
    t = time.process_time()
    for r in reqs:
        await call_server_like(r)
    return (time.process_time() - t) / n * 1e6


async def main():
    for tenant in sample["tenants"]:
        for learner, token in tenant["learnerTokens"]:
            await call(
                app,
                (
                    "GET",
                    f"/v1.0/users/{learner}/employeeExperience/learningCourseActivities",
                    "$top=1",
                    [(b"authorization", f"Bearer {token}".encode())],
                    b"",
                ),
            )
    plan = [
        ("observe", ["get", "patch", "list", "token"]),
        ("read", ["get", "list", "token"]),
        ("body", ["patch", "token"]),
        ("spid", ["token"]),
    ]
    best = {}
    for sc in ("get", "patch", "list", "token"):
        await measure(sc, 100)
    for rnd in range(int(sys.argv[3]) if len(sys.argv) > 3 else 8):
        for cut, scs in plan:
            for sc in scs:
                for on in (True, False) if rnd % 2 == 0 else (False, True):
                    toggle(cut, on)
                    us = await measure(sc, 100 if sc == "token" else 200)
                    k = (cut, sc, on)
                    best[k] = min(best.get(k, us), us)
                toggle(cut, True)
    # all cuts together vs all undone
    for rnd in range(int(sys.argv[3]) if len(sys.argv) > 3 else 8):
        for sc in ("get", "patch", "list", "token"):
            for on in (True, False) if rnd % 2 == 0 else (False, True):
                for cut, _ in plan:
                    toggle(cut, on)
                us = await measure(sc, 100 if sc == "token" else 200)
                k = ("all", sc, on)
                best[k] = min(best.get(k, us), us)
        for cut, _ in plan:
            toggle(cut, True)
    print("| cut | scenario | without µs | with µs | saved µs |")
    print("|---|---|---|---|---|")
    for cut, scs in [*plan, ("all", ["get", "patch", "list", "token"])]:
        for sc in scs:
            off, on = best[(cut, sc, False)], best[(cut, sc, True)]
            print(f"| {cut} | {sc} | {off:.0f} | {on:.0f} | {off - on:.1f} |")


asyncio.run(main())

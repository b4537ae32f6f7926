"""The SQL a GET by id and a learner's list page run on a SQLite data set, with SQLite's plan for each.

    python bench/plans.py --database sqlite:///bench.db --sample ids.json [--only get list]

Sends one request of each scenario of ``bench/run.py`` through our app in this process (as ``bench/inprocess.py``
does), records every statement its connection runs, and prints ``EXPLAIN QUERY PLAN`` of each, so a reader sees
that each is an index search (its cost grows with the logarithm of the table) and no scan of the tenant's rows.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from asgi_requests import call, requests  # noqa: E402
from dataset import PUBLIC_URL  # noqa: E402

from learninggraph.app import create_app  # noqa: E402
from learninggraph.settings import Settings  # noqa: E402

# Statements that only run the transaction: no plan to show.
_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", required=True)
    parser.add_argument("--sample", type=Path, required=True)
    parser.add_argument("--only", nargs="*", default=["get", "list"])
    args = parser.parse_args()
    statements: list[str] = []
    connect = sqlite3.connect

    def traced(*a: Any, **k: Any) -> sqlite3.Connection:
        conn = connect(*a, **k)
        conn.set_trace_callback(statements.append)
        return conn

    sqlite3.connect = traced  # type: ignore[assignment]
    app = create_app(Settings(database_url=args.database, public_url=PUBLIC_URL, create_dev_identity=False))
    makers = requests(json.loads(args.sample.read_text()), random.Random(1))
    await call(app, makers["hello"]())  # the app's start-up statements, before the first request
    sqlite3.connect = connect  # type: ignore[assignment]
    plain = sqlite3.connect(args.database.removeprefix("sqlite:///"))
    for name in args.only:
        request = makers[name]()
        statements.clear()
        status = await call(app, request)
        print(f"## {name}: {request[0]} {request[1]}{'?' + request[2] if request[2] else ''} -> {status}\n")
        for sql in statements:
            if sql.lstrip().upper().startswith(_CONTROL):
                continue
            print(sql)
            for row in plain.execute(f"EXPLAIN QUERY PLAN {sql}"):
                print(f"    {row[-1]}")
            print()


if __name__ == "__main__":
    asyncio.run(main())

"""Liveness (``/health``: the process answers) and readiness (``/ready``: the database answers a query and
every migration this version knows is applied). Neither needs a token; neither says more than what is wrong."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from learninggraph.http.context import RequestContext
from learninggraph.http.messages import JSON_CONTENT_TYPE, Response
from learninggraph.http.routing import Handler
from learninggraph.storage.database import Database
from learninggraph.storage.migrations import MIGRATIONS, Migration

log = logging.getLogger("learninggraph.probes")


def health(context: RequestContext) -> Response:
    return Response(200, b'{"status":"ok"}', JSON_CONTENT_TYPE)


def readiness(database: Database, migrations: Sequence[Migration] = MIGRATIONS) -> Handler:
    """Ready when the database answers and every one of ``migrations`` (the app's) is applied."""
    expected = {migration.version for migration in migrations}

    def ready(context: RequestContext) -> Response:
        try:
            with database.snapshot() as conn:
                applied = {int(row[0]) for row in conn.fetch_all("SELECT version FROM schema_migrations")}
        except Exception as exc:
            log.warning("readiness: the database did not answer: %s", exc)
            return _not_ready({"database": "unreachable"})
        missing = sorted(expected - applied)
        if missing:
            return _not_ready({"database": "ok", "migrations": "pending", "pending": missing})
        return Response(200, b'{"status":"ready"}', JSON_CONTENT_TYPE)

    return ready


def _not_ready(details: dict[str, object]) -> Response:
    body = json.dumps({"status": "unavailable", **details}, separators=(",", ":")).encode()
    return Response(503, body, JSON_CONTENT_TYPE, [("Retry-After", "5")])

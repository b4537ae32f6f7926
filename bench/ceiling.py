"""The ceiling of our server stack: uvicorn + a bare ASGI callable, with no auth, OData or rules.

``/hello`` answers a fixed JSON object; ``GET /min/{tenant}/activities/{id}`` is one SELECT by primary key
rendered with msgspec; ``PATCH /min/{tenant}/activities/{id}`` validates a small body with a msgspec Struct and
runs one UPDATE; ``POST /min/{tenant}/activities/{provider}`` validates a new activity's body and runs one
INSERT; ``GET /min/{tenant}/learners/{learner}/page`` reads and renders a learner's first 50 open activities;
``POST /min/{tenant}/token/x`` checks a client secret (salted SHA-256, as stored) and signs one RS256 token.
On PostgreSQL both run in a thread pool of the server's size, as the server's handlers do. Each read is one
statement through ``Database.read()`` (no BEGIN and COMMIT around it), as the server's one-statement reads are.
Run: ``python bench/ceiling.py DATABASE_URL PORT [WORKERS]``: uvicorn with httptools, uvloop and the connection guards,
as ``serve`` runs it (``CEILING_GUARDS=off``: uvicorn's plain httptools protocol; ``CEILING_APP=floor``: one worker
serving ``bench/floor.py``'s Graph-faithful GET instead);
other servers load ``ceiling:app_from_environment`` (a factory reading ``CEILING_DATABASE_URL``).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qsl

import jwt
import msgspec
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa

from learninggraph.app import HANDLER_THREADS
from learninggraph.domain.ids import new_id
from learninggraph.storage.database import Database

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

COLUMNS = (
    "id, odata_type, provider_id, learner_user_id, learning_content_id, external_id, status,"
    " completion_percentage, completed_date_time, assigned_date_time, assignment_type, started_date_time"
)
NAMES = [c.strip() for c in COLUMNS.split(",")]


class Post(msgspec.Struct, forbid_unknown_fields=True):
    odata_type: str = msgspec.field(name="@odata.type")
    learnerUserId: str  # noqa: N815 (Graph's JSON names)
    learningContentId: str  # noqa: N815
    status: str
    externalcourseActivityId: str  # noqa: N815


class Patch(msgspec.Struct, forbid_unknown_fields=True):
    status: str
    completionPercentage: int  # noqa: N815 (Graph's JSON name)


JSON = [(b"content-type", b"application/json")]
Handler = Callable[[str, str, bytes], tuple[int, bytes]]


def make_app(database: Database) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    hello = msgspec.json.encode({"message": "Hello, World!"})
    decode_patch = msgspec.json.Decoder(Patch).decode
    encode = msgspec.json.encode

    # Like the server: handlers in threads on PostgreSQL (network round trips), inline on SQLite.
    executor = ThreadPoolExecutor(max_workers=HANDLER_THREADS) if database.dialect == "postgresql" else None

    def get(tenant_id: str, activity_id: str, body: bytes) -> tuple[int, bytes]:
        with database.read() as conn:
            row = conn.fetch_one(
                f"SELECT {COLUMNS} FROM learning_course_activities WHERE tenant_id = ? AND id = ?",
                (tenant_id, activity_id),
            )
        return (404, b"") if row is None else (200, encode(dict(zip(NAMES, row, strict=True))))

    def patch(tenant_id: str, activity_id: str, body: bytes) -> tuple[int, bytes]:
        try:
            change = decode_patch(body)
        except msgspec.ValidationError:
            return 400, b""
        with database.transaction() as conn:
            changed = conn.execute(
                "UPDATE learning_course_activities SET status = ?, completion_percentage = ?"
                " WHERE tenant_id = ? AND id = ?",
                (change.status, change.completionPercentage, tenant_id, activity_id),
            )
        return (204 if changed else 404), b""

    decode_post = msgspec.json.Decoder(Post).decode

    def post(tenant_id: str, provider_id: str, body: bytes) -> tuple[int, bytes]:
        try:
            new = decode_post(body)
        except msgspec.ValidationError:
            return 400, b""
        activity_id = new_id()
        with database.transaction() as conn:
            conn.execute(
                "INSERT INTO learning_course_activities (tenant_id, id, odata_type, provider_id,"
                " learner_user_id, learning_content_id, external_id, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    tenant_id,
                    activity_id,
                    new.odata_type.removeprefix("#microsoft.graph."),
                    provider_id,
                    new.learnerUserId,
                    new.learningContentId,
                    new.externalcourseActivityId,
                    new.status,
                ),
            )
        return 201, encode({"id": activity_id, **msgspec.structs.asdict(new)})

    def learner_page(tenant_id: str, learner_id: str, body: bytes) -> tuple[int, bytes]:
        with database.read() as conn:
            rows = conn.fetch_all(
                f"SELECT {COLUMNS} FROM learning_course_activities WHERE tenant_id = ? AND learner_user_id = ?"
                " AND status <> 'completed' ORDER BY id LIMIT 50",
                (tenant_id, learner_id),
            )
        return 200, encode({"value": [dict(zip(NAMES, row, strict=True)) for row in rows]})

    signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def token(tenant_id: str, _: str, body: bytes) -> tuple[int, bytes]:
        form = dict(parse_qsl(body.decode()))
        with database.read() as conn:
            rows = conn.fetch_all(
                "SELECT salt, digest FROM client_secrets WHERE client_id = ?", (form.get("client_id", ""),)
            )
        secret = form.get("client_secret", "").encode()
        if not any(
            hmac.compare_digest(hashlib.sha256(bytes.fromhex(salt) + secret).hexdigest(), digest)
            for salt, digest in rows
        ):
            return 401, b""
        now = int(time.time())
        claims = {"aud": "https://graph.microsoft.com", "tid": tenant_id, "appid": form["client_id"]}
        signed = jwt.encode({**claims, "iat": now, "exp": now + 3600}, signing_key, algorithm="RS256")
        return 200, encode({"token_type": "Bearer", "expires_in": 3600, "access_token": signed})

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        path: str = scope["path"]
        status, payload = 404, b""
        if path == "/hello":
            status, payload = 200, hello
        elif path.startswith("/min/"):
            _, _, tenant_id, kind, activity_id = path.split("/", 4)
            if kind == "learners":
                handler: Handler | None = learner_page
                activity_id = activity_id.removesuffix("/page")
            elif kind == "token":
                handler = token
            else:
                handler = {"GET": get, "PATCH": patch, "POST": post}.get(scope["method"])
            if handler is not None:
                if executor is None:
                    status, payload = handler(tenant_id, activity_id, body)
                else:
                    status, payload = await asyncio.get_running_loop().run_in_executor(
                        executor, handler, tenant_id, activity_id, body
                    )
        headers = [*JSON, (b"content-length", str(len(payload)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    return app


def app_from_environment() -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """The app on ``CEILING_DATABASE_URL``: what each worker process (or another server) builds."""
    return make_app(Database(os.environ["CEILING_DATABASE_URL"]))


def serve(database_url: str, port: int, workers: int = 1, *, guarded: bool = True) -> None:
    """The ceiling on uvicorn as ``serve`` configures it: httptools, uvloop and, when ``guarded``, the same
    connection guards (``learninggraph.http.connections``), so the stack measured under both is the same."""
    from uvicorn.supervisors import Multiprocess

    from learninggraph.http.connections import ServerConfig

    os.environ["CEILING_DATABASE_URL"] = database_url
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    options: dict[str, Any] = {
        "factory": workers > 1,
        "workers": workers,
        "host": "127.0.0.1",
        "port": port,
        "loop": "uvloop",
        "log_level": "warning",
        "access_log": False,
        "lifespan": "off",
    }
    if os.environ.get("CEILING_APP") == "floor":  # bench/floor.py's Graph-faithful GET instead
        from dataset import PUBLIC_URL
        from floor import make_floor

        target: Any = make_floor(database_url, PUBLIC_URL)
    else:
        target = "ceiling:app_from_environment" if workers > 1 else make_app(Database(database_url))
    config = (
        ServerConfig(target, **options) if guarded else uvicorn.Config(target, http="httptools", **options)
    )
    server = uvicorn.Server(config)
    if workers > 1:
        Multiprocess(config, sockets=[config.bind_socket()]).run()
    else:
        server.run()


if __name__ == "__main__":
    serve(
        sys.argv[1],
        int(sys.argv[2]),
        int(sys.argv[3]) if len(sys.argv) > 3 else 1,
        guarded=os.environ.get("CEILING_GUARDS", "on") != "off",
    )

"""A learninggraph served on loopback for fault tests, with its app at hand: its ``faults`` matcher (rules added
there apply at once) and every exchange its edge reports to observers."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn

from learninggraph.app import create_app
from learninggraph.faults.matcher import FaultMatcher
from learninggraph.http.access_log import Exchange
from learninggraph.http.connections import server_config
from learninggraph.http.edge import Edge
from learninggraph.identity.directory import Directory
from learninggraph.settings import Settings, listening_origin
from learninggraph.storage.database import Database
from learninggraph.testing import LearningGraphServer


@dataclass
class FaultServer:
    base_url: str
    app: Edge
    database: Database
    database_url: str
    exchanges: list[Exchange] = field(default_factory=list)

    @property
    def faults(self) -> FaultMatcher:
        assert self.app.faults is not None
        return self.app.faults

    @property
    def graph(self) -> LearningGraphServer:
        return LearningGraphServer(self.base_url, Directory(self.database))


@contextmanager
def fault_server(settings: Settings, **uvicorn_options: Any) -> Iterator[FaultServer]:
    """Serves ``create_app(settings)`` until the block ends, recording what the edge tells its observers;
    ``uvicorn_options`` go to uvicorn (``ssl_certfile`` and ``ssl_keyfile`` serve HTTPS)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    tls = bool(uvicorn_options.get("ssl_certfile"))
    base_url = listening_origin("127.0.0.1", sock.getsockname()[1], tls=tls)
    app = create_app(dataclasses.replace(settings, public_url=base_url))
    database = Database(settings.database_url)
    served = FaultServer(base_url, app, database, settings.database_url)
    app.observers = (*app.observers, served.exchanges.append)
    options: dict[str, Any] = {"log_level": "warning", "access_log": False, "lifespan": "on", "ws": "none"}
    config = server_config(app, settings, **{**options, **uvicorn_options})
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "learninggraph did not start"
        time.sleep(0.005)
    try:
        yield served
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        database.close()

"""The test kit's server start: uvicorn with its package initialised on first use, the collector paused.

``import uvicorn`` runs uvicorn's ``__init__``, which imports ``uvicorn.main``: the command line (click), the
reload and multi-process supervisors (watchfiles, anyio, multiprocessing) and their dependencies, about a tenth
of a new test process's start, none of which an in-process server uses. When nothing has imported uvicorn yet,
``register_uvicorn_package()`` registers the package without running its ``__init__`` (its submodules import as
usual: the import system only needs the package's ``__path__``), and the first attribute asked of the package
that only ``__init__`` defines (``uvicorn.run``, ``from uvicorn import main``, ``__version__``; ``Config`` and
``Server`` come from their own submodules) runs ``__init__`` then, in the package's own namespace: from then on
it is the package ``import uvicorn`` gives.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import socket
import sys
import threading
import time
import types
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from learninggraph.collector import collector_paused
from learninggraph.settings import Settings, listening_origin

if TYPE_CHECKING:
    from learninggraph.resources.descriptor import Resource

_lock = threading.RLock()


# What uvicorn's ``__init__`` re-exports that its submodules define (``uvicorn.lifespan.on`` itself imports
# ``from uvicorn import Config``): given from those submodules, the very same objects, without the rest.
_FROM_SUBMODULES = {"Config": "uvicorn.config", "Server": "uvicorn.server"}


class _InitialisedOnFirstUse(types.ModuleType):
    """A package whose ``__init__`` has not run yet; runs it when an attribute it lacks is asked for."""

    def __getattr__(self, name: str) -> Any:
        if name in _FROM_SUBMODULES and type(self) is _InitialisedOnFirstUse:
            value = getattr(importlib.import_module(_FROM_SUBMODULES[name]), name)
            setattr(self, name, value)
            return value
        with _lock:
            if type(self) is _InitialisedOnFirstUse:
                package: types.ModuleType = self
                package.__class__ = types.ModuleType
                spec = package.__spec__
                assert spec is not None and spec.loader is not None
                try:
                    spec.loader.exec_module(package)
                except BaseException:
                    package.__class__ = _InitialisedOnFirstUse
                    raise
        return object.__getattribute__(self, name)


def register_uvicorn_package() -> None:
    """Registers the ``uvicorn`` package without running its ``__init__`` (see above), unless it is imported."""
    with _lock:
        if "uvicorn" in sys.modules:
            return
        spec = importlib.util.find_spec("uvicorn")
        if spec is None or spec.loader is None or spec.submodule_search_locations is None:
            return
        package = importlib.util.module_from_spec(spec)
        package.__class__ = _InitialisedOnFirstUse
        sys.modules["uvicorn"] = package


def start_server(
    settings: Settings,
    resources: Sequence[Resource],
    budget_clock: Callable[[], float],
    uvicorn_options: dict[str, Any],
) -> tuple[Any, threading.Thread, socket.socket, int, bool]:
    """``testing.running_server``'s start, with the collector paused: the app built and uvicorn serving it on a
    thread of its own, on a socket bound to a free loopback port; the server, its thread, the socket, the port
    and whether it is TLS."""
    with collector_paused():
        register_uvicorn_package()
        from uvicorn.server import Server

        from learninggraph.app import create_app
        from learninggraph.http.connections import server_config

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        tls = bool(uvicorn_options.get("ssl_certfile"))
        if settings.public_url is None:
            settings = dataclasses.replace(settings, public_url=listening_origin("127.0.0.1", port, tls=tls))
        app = create_app(settings, resources=resources, budget_clock=budget_clock)
        options: dict[str, Any] = {
            "log_level": "warning",
            "access_log": False,
            "lifespan": "on",
            "ws": "none",
        }
        config = server_config(app, settings, **{**options, **uvicorn_options})
        server = Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("learninggraph did not start")
            time.sleep(0.001)
        return server, thread, sock, port, tls

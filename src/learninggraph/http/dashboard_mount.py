"""The dashboard, mounted without importing it: Starlette, Jinja2 and the templates load on its first request.

Importing the dashboard cost most of the app's import time, which every new process (the test kit's first
test, a CLI command) paid although few ever open it. ``PREFIX`` mirrors ``dashboard.web.PREFIX`` (a test
holds them equal) and ``handles`` mirrors ``dashboard.app.handles``, so the edge can tell which requests are
the dashboard's without loading it.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any

PREFIX = "/_learninggraph/dashboard"

App = Callable[..., Any]


def handles(scope: MutableMapping[str, Any]) -> bool:
    """Whether a request belongs to the dashboard: its prefix, or a browser's ``GET /``."""
    path = scope.get("path", "")
    if path == "/":
        return scope.get("method") in ("GET", "HEAD")
    return (
        isinstance(path, str)
        and path.startswith(PREFIX)
        and (len(path) == _PREFIX_LENGTH or path[_PREFIX_LENGTH] == "/")
    )


_PREFIX_LENGTH = len(PREFIX)


def mounted_lazily(build: Callable[[], App]) -> Callable[[MutableMapping[str, Any]], App | None]:
    """The edge's hook: the dashboard (``build()`` on the first request it handles) or None for every other."""
    built: list[App] = []

    def hook(scope: MutableMapping[str, Any]) -> App | None:
        path = scope.get("path", "")
        # Every other request (all of Graph's) leaves at the first character, without calling ``handles``.
        if isinstance(path, str) and path[1:2] not in ("", "_"):
            return None
        if not handles(scope):
            return None
        if not built:
            built.append(build())
        return built[0]

    return hook

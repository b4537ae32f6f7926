"""uvicorn for the test kit's servers, its package initialised on first use.

``import uvicorn`` runs uvicorn's ``__init__``, which imports ``uvicorn.main``: the command line (click), the
reload and multi-process supervisors (watchfiles, anyio, multiprocessing) and their dependencies, about a tenth
of a new test process's start, none of which an in-process server uses. When nothing has imported uvicorn yet,
``register_uvicorn_package()`` registers the package without running its ``__init__`` (its submodules import as usual,
as the import system only needs the package's ``__path__``), and the first attribute asked of the package that
only ``__init__`` defines (``uvicorn.run``, ``from uvicorn import main``, ``__version__``; ``Config`` and
``Server`` come from their own submodules) runs ``__init__`` then, in the package's own namespace: from then on it is the package ``import uvicorn`` gives.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
import types
from typing import Any

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

"""What ``serve`` does before it announces itself: bind its socket, and spell its own command for the banner.

The socket is bound before anything is printed, so a busy port is one clear error line and a non-zero exit,
never a banner followed by uvicorn's traceback. The banner's commands must run as printed: the console
script when it is on ``PATH``, else the path it was started by, else ``python -m learninggraph``.
"""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import sys
from pathlib import Path

# Set by scripts/serve: the command as the caller's shell reaches it (e.g. .venv/bin/learninggraph), used as is.
COMMAND_ENVIRONMENT_VARIABLE = "LEARNINGGRAPH_COMMAND"


class ListenError(ValueError):
    """The address cannot be listened on (in use, not local, not permitted)."""


def bind_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port``, ready for uvicorn (which calls listen), inheritable by workers."""
    name = host.strip("[]")
    family = socket.AF_INET6 if ":" in name else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((name, port))
    except OSError as exc:
        sock.close()
        where = f"[{name}]:{port}" if family == socket.AF_INET6 else f"{name}:{port}"
        reason = exc.strerror or str(exc)
        raise ListenError(f"cannot listen on {where}: {reason.lower()} (is another server on it?)") from None
    sock.set_inheritable(True)
    return sock


def own_command() -> str:
    """How the user runs this ``learninggraph`` again, as a shell word or two."""
    given = os.environ.get(COMMAND_ENVIRONMENT_VARIABLE)
    if given:
        return given
    started_by = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if started_by is not None and started_by.name == "learninggraph" and started_by.is_file():
        on_path = shutil.which("learninggraph")
        if on_path is not None and Path(on_path).resolve() == started_by.resolve():
            return "learninggraph"
        return shlex.quote(str(started_by.resolve()))
    return f"{shlex.quote(sys.executable)} -m learninggraph"

"""Programs started as a user starts them (separate processes, real loopback ports), read line by line."""

from __future__ import annotations

import os
import queue
import socket
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def environment_without(directory: Path, **extra: str) -> dict[str, str]:
    """This process's environment with ``directory`` left off PATH, as a shell that never activated it."""
    kept = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and Path(p) != directory]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEARNINGGRAPH_")}
    return {**env, "PATH": os.pathsep.join(kept), **extra}


class Running:
    """A started process whose stdout lines arrive in a queue, read by a thread of its own."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def line_starting(self, prefix: str, timeout: float = 60) -> str:
        """The first stdout line (stripped) that starts with ``prefix``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            self.seen.append(line)
            if line.strip().startswith(prefix):
                return line.strip()
        raise AssertionError(f"no line starting {prefix!r} in {self.seen!r}")


def wait_until_healthy(base_url: str, running: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if running.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"the server did not become healthy (exit {running.poll()})")
        time.sleep(0.1)


@contextmanager
def started(
    argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], timeout: float = 15
) -> Iterator[Running]:
    """Runs ``argv`` until the block ends, then stops it (SIGTERM, then SIGKILL after ``timeout``)."""
    process = subprocess.Popen(
        list(argv), cwd=cwd, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        yield Running(process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()

"""``serve --import FILE`` loads an export before serving; ``--export-on-exit FILE`` writes one at shutdown."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.transfer.world import export_file, kinds, populate, records

STARTUP_SECONDS = 60.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_serving(process: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"serve exited with {process.returncode}: {process.stderr.read() if process.stderr else ''!r}"
            )
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("serve did not answer /health in time")


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_serve_imports_a_file_before_serving_and_exports_on_a_graceful_stop(
    stop: signal.Signals, new_database_url: Callable[[], str], tmp_path: Path
) -> None:
    source, served = new_database_url(), new_database_url()
    world = populate(source)
    seed = export_file(source, tmp_path / "seed.jsonl", "--tenant", world.tenant)
    port = _free_port()
    out = tmp_path / "on-exit.jsonl"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "learninggraph",
            "serve",
            "--database",
            served,
            "--port",
            str(port),
            "--no-dev-identity",
            "--import",
            str(tmp_path / "seed.jsonl"),
            "--export-on-exit",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_until_serving(process, port)
        assert not out.exists()
        process.send_signal(stop)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, stderr
    assert b"Imported 9 records" in stderr
    header, written = records(out.read_bytes())
    assert header["tenant"] is None and header["secrets"] is False
    assert {r["id"] for r in written if r["kind"] == "tenant"} == {world.tenant}
    assert kinds(out.read_bytes()) == kinds(seed)

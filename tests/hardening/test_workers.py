"""``serve --workers N``: N processes answer on one port, with all state in the shared database."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.hardening.crash_cycles import _free_port, _token


def _children(pid: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid):
            found.append(int(status.parent.name))
    return found


def test_two_workers_serve_one_port_and_share_the_database(tmp_path: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "learninggraph",
            "serve",
            "--database",
            f"sqlite:///{tmp_path}/w.db",
            "--port",
            str(port),
            "--workers",
            "2",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health", timeout=0.5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        headers = {"Authorization": f"Bearer {_token(base)}"}
        with httpx.Client(base_url=base, headers=headers) as client:
            statuses = {
                client.get("/v1.0/employeeExperience/learningCourseActivities").status_code for _ in range(40)
            }
        workers = [pid for pid in _children(proc.pid) if "spawn" in Path(f"/proc/{pid}/cmdline").read_text()]
    finally:
        proc.terminate()
        proc.wait(timeout=20)

    assert statuses == {200}
    assert len(workers) == 2

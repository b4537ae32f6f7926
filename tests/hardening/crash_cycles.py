"""Kill-and-restart cycles: clients write while the server is killed with SIGKILL at random moments.

Used by the bounded test in CI and by ``bench/crash.py`` for the long run.
"""

from __future__ import annotations

import json
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from learninggraph.identity.dev import DEV_CLIENT_ID, DEV_CLIENT_SECRET, DEV_TENANT_ID, DEV_USER_ID


@dataclass
class Outcome:
    cycles: int = 0
    acknowledged: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    corrupted: list[str] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServerProcess:
    """``learninggraph serve`` as a child process, started and killed on demand."""

    def __init__(
        self, database_url: str, workdir: Path, *, extra_args: tuple[str, ...] = (), log: Path | None = None
    ) -> None:
        self.database_url = database_url
        self.workdir = workdir
        self.extra_args = extra_args
        self.log = log
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        output = self.log.open("ab") if self.log is not None else None
        try:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "learninggraph",
                    "serve",
                    "--database",
                    self.database_url,
                    "--port",
                    str(self.port),
                    *self.extra_args,
                ],
                cwd=self.workdir,
                stdout=output if output is not None else subprocess.DEVNULL,
                stderr=subprocess.STDOUT if output is not None else subprocess.DEVNULL,
            )
        finally:
            if output is not None:
                output.close()  # the child holds its own copy
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base_url}/health", timeout=0.5).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError("the server did not start")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
            self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


def _token(base_url: str) -> str:
    response = httpx.post(
        f"{base_url}/{DEV_TENANT_ID}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": DEV_CLIENT_ID,
            "client_secret": DEV_CLIENT_SECRET,
            "scope": "https://graph.microsoft.com/.default",
        },
    )
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


def _catalogue(server: ServerProcess) -> tuple[str, str]:
    """A sync-enabled provider and a content, created through the API with the dev identity."""
    user_token = (
        subprocess.run(
            [
                sys.executable,
                "-m",
                "learninggraph",
                "token",
                "--database",
                server.database_url,
                "--tenant",
                DEV_TENANT_ID,
                "--user",
                DEV_USER_ID,
                "--scope",
                "LearningProvider.ReadWrite",
            ],
            capture_output=True,
            text=True,
            check=True,
            cwd=server.workdir,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    provider = httpx.post(
        f"{server.base_url}/v1.0/employeeExperience/learningProviders",
        headers={"Authorization": f"Bearer {user_token}"},
        json={
            "displayName": "Crash Academy",
            "isCourseActivitySyncEnabled": True,
            **dict.fromkeys(
                (
                    "longLogoWebUrlForDarkTheme",
                    "longLogoWebUrlForLightTheme",
                    "squareLogoWebUrlForDarkTheme",
                    "squareLogoWebUrlForLightTheme",
                ),
                "https://crash.example/logo.png",
            ),
        },
    ).json()
    content = httpx.patch(
        f"{server.base_url}/v1.0/employeeExperience/learningProviders/{provider['id']}/learningContents(externalId='c')",
        headers={"Authorization": f"Bearer {_token(server.base_url)}"},
        json={"title": "Crash course", "contentWebUrl": "https://crash.example/c", "languageTag": "en-us"},
    ).json()
    return provider["id"], content["id"]


def _writer(
    base_url: str, token: str, provider: str, content: str, stop: threading.Event, acked: list[str]
) -> None:
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=2) as client:
        while not stop.is_set():
            external = f"crash-{uuid.uuid4()}"
            body = {
                "@odata.type": "#microsoft.graph.learningAssignment",
                "learnerUserId": DEV_USER_ID,
                "learningContentId": content,
                "status": "inProgress",
                "assignmentType": "required",
                "completionPercentage": 7,
                "externalcourseActivityId": external,
            }
            try:
                response = client.post(
                    f"/v1.0/employeeExperience/learningProviders/{provider}/learningCourseActivities",
                    json=body,
                )
            except httpx.TransportError:
                continue
            if response.status_code == 201:
                acked.append(external)


def run_cycles(workdir: Path, *, cycles: int, writers: int = 4, seed: int | None = None) -> Outcome:
    """Kills the server ``cycles`` times while ``writers`` clients create activities; checks what survived."""
    rng = random.Random(seed)
    database_url = f"sqlite:///{workdir}/crash.db"
    server = ServerProcess(database_url, workdir)
    outcome = Outcome()
    server.start()
    provider, content = _catalogue(server)
    try:
        for _ in range(cycles):
            token = _token(server.base_url)
            stop = threading.Event()
            acked: list[str] = []
            threads = [
                threading.Thread(
                    target=_writer, args=(server.base_url, token, provider, content, stop, acked)
                )
                for _ in range(writers)
            ]
            for thread in threads:
                thread.start()
            time.sleep(rng.uniform(0.2, 0.8))
            server.kill()
            stop.set()
            for thread in threads:
                thread.join()
            outcome.acknowledged += acked
            outcome.cycles += 1
            server.start()
        token = _token(server.base_url)
        with httpx.Client(
            base_url=server.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10
        ) as client:
            for external in outcome.acknowledged:
                found = client.get(
                    f"/v1.0/employeeExperience/learningProviders/{provider}/learningCourseActivities"
                    f"(externalcourseActivityId='{external}')"
                )
                if found.status_code != 200:
                    outcome.lost.append(external)
                elif found.json()["completionPercentage"] != 7:
                    outcome.corrupted.append(external)
    finally:
        server.stop()
    return outcome


def integrity_problems(database_path: Path) -> list[str]:
    """SQLite's own consistency checks on the file the server wrote."""
    import sqlite3

    conn = sqlite3.connect(database_path)
    try:
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check") if row[0] != "ok"]
        problems += [json.dumps(row) for row in conn.execute("PRAGMA foreign_key_check")]
        return problems
    finally:
        conn.close()

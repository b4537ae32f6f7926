"""Kill-and-restart cycles: clients create and update while the server is killed with SIGKILL at random moments.

Runs on any database URL (SQLite or PostgreSQL). Used by the bounded test in CI and by ``bench/crash.py``
for the long run.
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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from learninggraph.identity.dev import DEV_CLIENT_ID, DEV_CLIENT_SECRET, DEV_TENANT_ID, DEV_USER_ID
from learninggraph.storage.database import Database, DatabaseUrl

# The value every create sends; updates send another one.
CREATED_PERCENTAGE = 7
# Acknowledged activities read back through the restarted server (every one is checked in the database).
HTTP_SAMPLE = 300


@dataclass
class Written:
    """What one client knows about one activity it wrote.

    ``acknowledged`` is the last completionPercentage the server confirmed (None: the create was never
    confirmed); ``unconfirmed`` is a value sent without a confirmation, which may or may not be stored.
    A client stops writing to an activity once a write to it goes unconfirmed, so these two are all the
    values the activity may hold.
    """

    activity_id: str | None = None
    acknowledged: int | None = None
    unconfirmed: int | None = None


@dataclass
class Outcome:
    cycles: int = 0
    ledger: dict[str, Written] = field(default_factory=dict)
    acknowledged_updates: int = 0
    # Answers other than 201/204 (e.g. 503): unconfirmed writes, counted to be reported.
    refused: int = 0
    lost: list[str] = field(default_factory=list)
    corrupted: list[str] = field(default_factory=list)

    @property
    def acknowledged_creates(self) -> int:
        return sum(1 for written in self.ledger.values() if written.activity_id is not None)

    @property
    def acknowledged_writes(self) -> int:
        return self.acknowledged_creates + self.acknowledged_updates


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
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                if httpx.get(f"{self.base_url}/health", timeout=0.5).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        tail = self.log.read_text(errors="replace")[-2000:] if self.log is not None else ""
        raise RuntimeError(f"the server did not start\n{tail}")

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
                "--public-url",
                server.base_url,
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


class _Writer(threading.Thread):
    """One client: creates an activity, then updates one of its confirmed activities, and again."""

    def __init__(
        self, base_url: str, token: str, catalogue: tuple[str, str], outcome: Outcome, seed: int
    ) -> None:
        super().__init__(daemon=True)
        self.base_url = base_url
        self.token = token
        self.provider, self.content = catalogue
        self.outcome = outcome
        self.rng = random.Random(seed)
        self.stop = threading.Event()
        self.creates = 0
        self.updates = 0
        self.refused = 0
        # This client's confirmed activities it may still update: external id -> activity id.
        self.open: dict[str, str] = {}

    def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.base_url, headers=headers, timeout=2) as client:
            while not self.stop.is_set():
                self._create(client)
                if self.open and not self.stop.is_set():
                    self._update(client, self.rng.choice(list(self.open)))

    def _create(self, client: httpx.Client) -> None:
        external = f"crash-{uuid.uuid4()}"
        written = Written(unconfirmed=CREATED_PERCENTAGE)
        self.outcome.ledger[external] = written  # one writer per key: safe across threads
        body = {
            "@odata.type": "#microsoft.graph.learningAssignment",
            "learnerUserId": DEV_USER_ID,
            "learningContentId": self.content,
            "status": "inProgress",
            "assignmentType": "required",
            "completionPercentage": CREATED_PERCENTAGE,
            "externalcourseActivityId": external,
        }
        try:
            response = client.post(
                f"/v1.0/employeeExperience/learningProviders/{self.provider}/learningCourseActivities",
                json=body,
            )
        except httpx.ConnectError:
            # The server is gone and the request never reached it: this cycle is over for this client.
            del self.outcome.ledger[external]
            self.stop.set()
            return
        except httpx.TransportError:
            return
        if response.status_code != 201:
            self.refused += 1
            return
        written.activity_id = response.json()["id"]
        written.acknowledged, written.unconfirmed = CREATED_PERCENTAGE, None
        self.open[external] = written.activity_id
        self.creates += 1

    def _update(self, client: httpx.Client, external: str) -> None:
        written = self.outcome.ledger[external]
        value = self.rng.choice([v for v in range(101) if v != written.acknowledged])
        written.unconfirmed = value
        try:
            response = client.patch(
                f"/v1.0/employeeExperience/learningCourseActivities/{self.open[external]}",
                json={"completionPercentage": value},
            )
        except httpx.ConnectError:
            written.unconfirmed = None
            self.stop.set()
            return
        except httpx.TransportError:
            del self.open[external]
            return
        if response.status_code != 204:
            self.refused += 1
            del self.open[external]
            return
        written.acknowledged, written.unconfirmed = value, None
        self.updates += 1


# Confirmed creates, and confirmed updates, the writers wait for in each cycle before the kill may come.
MIN_CONFIRMED_PER_CYCLE = 6
_CONFIRMED_WAIT_SECONDS = 60


def _wait_for_confirmed_writes(writers: list[_Writer], *, at_least: int) -> None:
    deadline = time.monotonic() + _CONFIRMED_WAIT_SECONDS
    while time.monotonic() < deadline and any(writer.is_alive() for writer in writers):
        if min(sum(w.creates for w in writers), sum(w.updates for w in writers)) >= at_least:
            return
        time.sleep(0.01)


def run_cycles(
    database_url: str,
    workdir: Path,
    *,
    cycles: int,
    writers: int = 4,
    seed: int | None = None,
    progress: Callable[[Outcome], None] | None = None,
) -> Outcome:
    """Kills the server ``cycles`` times while ``writers`` clients write; checks what survived.

    ``progress`` is called after each restart."""
    rng = random.Random(seed)
    server = ServerProcess(database_url, workdir, log=workdir / "server.log")
    outcome = Outcome()
    server.start()
    try:
        catalogue = _catalogue(server)
        for _ in range(cycles):
            token = _token(server.base_url)
            threads = [
                _Writer(server.base_url, token, catalogue, outcome, rng.getrandbits(32))
                for _ in range(writers)
            ]
            for thread in threads:
                thread.start()
            # A few writes confirmed first, however loaded the machine is, then the kill at a random moment.
            _wait_for_confirmed_writes(threads, at_least=MIN_CONFIRMED_PER_CYCLE)
            time.sleep(rng.uniform(0.0, 0.6))
            server.kill()
            for thread in threads:
                thread.stop.set()
            for thread in threads:
                thread.join()
                outcome.acknowledged_updates += thread.updates
                outcome.refused += thread.refused
            outcome.cycles += 1
            server.start()
            if progress is not None:
                progress(outcome)
        stored = _check_stored(database_url, catalogue, outcome)
        _check_served(server.base_url, catalogue[0], stored, outcome, rng)
    finally:
        server.stop()
    return outcome


def _check_stored(database_url: str, catalogue: tuple[str, str], outcome: Outcome) -> int:
    """Every confirmed write is in the database with a value the clients sent, and nothing else is.

    Returns how many activities the provider holds."""
    provider, content = catalogue
    database = Database(database_url)
    try:
        with database.snapshot() as conn:
            rows = conn.fetch_all(
                "SELECT external_id, id, odata_type, learner_user_id, learning_content_id, status,"
                " assignment_type, completion_percentage FROM learning_course_activities"
                " WHERE tenant_id = ? AND provider_id = ?",
                (DEV_TENANT_ID, provider),
            )
    finally:
        database.close()
    stored = {row[0]: row for row in rows}
    count = len(stored)
    for external, written in outcome.ledger.items():
        row = stored.pop(external, None)
        if row is None:
            if written.acknowledged is not None:
                outcome.lost.append(external)
            continue
        whole = row[2:7] == ("learningAssignment", DEV_USER_ID, content, "inProgress", "required")
        allowed = {written.acknowledged, written.unconfirmed} - {None}
        if written.activity_id not in (None, row[1]) or not whole or row[7] not in allowed:
            outcome.corrupted.append(external)
    # Rows no client sent.
    outcome.corrupted += sorted(stored)
    return count


def _check_served(base_url: str, provider: str, stored: int, outcome: Outcome, rng: random.Random) -> None:
    """The restarted server answers confirmed activities as stored, and counts what the database holds."""
    confirmed = sorted(
        e for e, w in outcome.ledger.items() if w.acknowledged is not None and e not in outcome.lost
    )
    sample = rng.sample(confirmed, min(HTTP_SAMPLE, len(confirmed)))
    activities = f"/v1.0/employeeExperience/learningProviders/{provider}/learningCourseActivities"
    headers = {"Authorization": f"Bearer {_token(base_url)}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=10) as client:
        served = client.get(f"{activities}/$count").text
        if served != str(stored):
            outcome.corrupted.append(f"$count answers {served!r}, the database holds {stored}")
        for external in sample:
            written = outcome.ledger[external]
            found = client.get(f"{activities}(externalcourseActivityId='{external}')")
            if found.status_code != 200:
                outcome.lost.append(external)
            elif found.json()["completionPercentage"] not in (written.acknowledged, written.unconfirmed):
                outcome.corrupted.append(external)


# Consistency a well-formed learning database has on either backend (each query lists what breaks it).
_LOGICAL_CHECKS = {
    "activity without its provider": """
        SELECT a.tenant_id, a.id FROM learning_course_activities a
        LEFT JOIN learning_providers p ON p.tenant_id = a.tenant_id AND p.id = a.provider_id
        WHERE p.id IS NULL""",
    "activity without its content": """
        SELECT a.tenant_id, a.id FROM learning_course_activities a
        LEFT JOIN learning_contents c ON c.tenant_id = a.tenant_id AND c.id = a.learning_content_id
        WHERE c.id IS NULL""",
    "activity about another provider's content": """
        SELECT a.tenant_id, a.id FROM learning_course_activities a
        JOIN learning_contents c ON c.tenant_id = a.tenant_id AND c.id = a.learning_content_id
        WHERE c.provider_id <> a.provider_id""",
    "content without its provider": """
        SELECT c.tenant_id, c.id FROM learning_contents c
        LEFT JOIN learning_providers p ON p.tenant_id = c.tenant_id AND p.id = c.provider_id
        WHERE p.id IS NULL""",
    "duplicate activity id": """
        SELECT tenant_id, id FROM learning_course_activities GROUP BY tenant_id, id HAVING COUNT(*) > 1""",
    "duplicate externalcourseActivityId in a provider": """
        SELECT tenant_id, provider_id, external_id FROM learning_course_activities
        WHERE external_id IS NOT NULL
        GROUP BY tenant_id, provider_id, external_id HAVING COUNT(*) > 1""",
    "duplicate content externalId in a provider": """
        SELECT tenant_id, provider_id, external_id FROM learning_contents
        GROUP BY tenant_id, provider_id, external_id HAVING COUNT(*) > 1""",
}

_LEARNING_TABLES = ("learning_providers", "learning_contents", "learning_course_activities")


def integrity_problems(database_url: str) -> list[str]:
    """The backend's own consistency checks, then the learning schema's, on the database the server wrote.

    SQLite: ``PRAGMA integrity_check`` and ``foreign_key_check``. PostgreSQL: amcheck's ``bt_index_check``
    with ``heapallindexed`` on every index of the learning tables (every row is in every index, and the
    indexes are well-formed). Both: the cross-table rules of ``_LOGICAL_CHECKS``.
    """
    parsed = DatabaseUrl.parse(database_url)
    problems = (
        _sqlite_problems(parsed.path) if parsed.scheme == "sqlite" else _postgres_problems(database_url)
    )
    database = Database(database_url)
    try:
        with database.snapshot() as conn:
            for name, sql in _LOGICAL_CHECKS.items():
                problems += [f"{name}: {json.dumps(list(row))}" for row in conn.fetch_all(sql)]
    finally:
        database.close()
    return problems


def _sqlite_problems(path: str) -> list[str]:
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check") if row[0] != "ok"]
        problems += [json.dumps(row) for row in conn.execute("PRAGMA foreign_key_check")]
        return problems
    finally:
        conn.close()


def _postgres_problems(database_url: str) -> list[str]:
    database = Database(database_url)
    try:
        with database.transaction() as conn:
            # In pg_catalog's neighbour public, so every schema of the database finds it by one name.
            conn.execute("CREATE EXTENSION IF NOT EXISTS amcheck SCHEMA public")
        with database.snapshot() as conn:
            indexes = conn.fetch_all(
                "SELECT i.indexrelid::regclass::text FROM pg_index i"
                " JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace"
                " WHERE n.nspname = current_schema() AND t.relname IN (?, ?, ?)",
                _LEARNING_TABLES,
            )
        problems = [] if indexes else ["no index of the learning tables found"]
        for (index,) in indexes:
            try:
                with database.snapshot() as conn:
                    conn.fetch_one("SELECT public.bt_index_check(?::regclass, true)", (index,))
            except Exception as exc:
                problems.append(f"index {index}: {exc.__cause__ or exc}")
        return problems
    finally:
        database.close()

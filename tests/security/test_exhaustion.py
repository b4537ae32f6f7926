"""Exhaustion attacks over real loopback HTTP: oversize headers, slow and idle connections, and huge batch answers.

Each attack is bounded in bytes and time; the assertions are on outcomes (status codes, closed connections,
answer sizes), never on timings.
"""

from __future__ import annotations

import contextlib
import resource
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from learninggraph.identity.directory import Directory
from learninggraph.identity.keys import SigningKeys
from learninggraph.identity.tokens import TokenIssuer
from learninggraph.settings import Settings
from learninggraph.storage.database import Database
from learninggraph.testing import running_server
from tests.builders import LEARNER_ROLES, Tenant

# Generous ceilings: the server must close or answer well before these.
RECEIVE_SECONDS = 15.0


def _connect(base_url: str) -> socket.socket:
    parts = urlsplit(base_url)
    sock = socket.create_connection(
        (parts.hostname or "127.0.0.1", parts.port or 80), timeout=RECEIVE_SECONDS
    )
    return sock


def _send_then_read(base_url: str, head: bytes, *, chunk: int = 65_536) -> tuple[int | None, int]:
    """Sends ``head`` in chunks, stopping if the server closes; returns the answer's status and bytes sent."""
    sent = 0
    with _connect(base_url) as sock:
        try:
            while sent < len(head):
                sock.sendall(head[sent : sent + chunk])
                sent += min(chunk, len(head) - sent)
        except (BrokenPipeError, ConnectionResetError):
            pass
        return _status(sock), sent


def _status(sock: socket.socket) -> int | None:
    """The status of the answer on ``sock``; None if the server closed or reset it without one."""
    received = b""
    try:
        while b"\r\n" not in received:
            data = sock.recv(65_536)
            if not data:
                break
            received += data
    except ConnectionResetError:
        return None
    if not received.startswith(b"HTTP/1.1 "):
        return None
    return int(received[9:12])


def _get(path: str, *headers: bytes) -> bytes:
    return b"GET " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"".join(headers) + b"\r\n"


@pytest.fixture(scope="module")
def server_settings(new_database_url: Callable[[], str]) -> Settings:
    return Settings(database_url=new_database_url(), create_dev_identity=False)


@pytest.fixture(scope="module")
def server(server_settings: Settings) -> Iterator[str]:
    with running_server(server_settings) as url:
        yield url


class TestHeaders:
    def test_150000_copies_of_one_header_are_refused_with_431(self, server: str) -> None:
        status, _ = _send_then_read(server, _get("/health", b"x-repeated: a\r\n" * 150_000))

        assert status in (431, None)
        assert httpx.get(f"{server}/health").status_code == 200

    def test_more_headers_than_the_limit_get_the_graph_431(self, server: str) -> None:
        headers = {f"x-h{i}": "a" for i in range(250)}

        response = httpx.get(f"{server}/health", headers=headers)

        assert response.status_code == 431
        assert response.json()["error"]["code"] == "requestHeaderFieldsTooLarge"

    def test_a_48_mb_header_is_refused_before_it_is_all_read(self, server: str) -> None:
        head = _get("/health", b"x-big: " + b"a" * (48 * 1024 * 1024) + b"\r\n")

        status, sent = _send_then_read(server, head)

        assert status == 431 or sent < len(head)
        assert status != 200
        assert httpx.get(f"{server}/health").status_code == 200

    def test_a_huge_header_pipelined_after_a_request_is_refused_too(self, server: str) -> None:
        huge = _get("/health", b"x-big: " + b"a" * (48 * 1024 * 1024) + b"\r\n")
        head = _get("/health") + huge

        status, sent = _send_then_read(server, head)

        assert status == 200
        assert sent < len(head)

    def test_headers_within_the_limits_are_served(self, server: str) -> None:
        headers = [(b"x-repeated", b"a")] * 150 + [(b"x-long", b"b" * 30_000)]

        response = httpx.get(f"{server}/health", headers=headers)

        assert response.status_code == 200


def test_forwarded_headers_are_ignored_unless_the_operator_trusts_them(server: str) -> None:
    response = httpx.get(
        f"{server}/health",
        headers={"Host": "graph.example", "X-Forwarded-Proto": "https", "X-Forwarded-For": "1.2.3.4"},
    )

    assert response.status_code == 200
    assert "strict-transport-security" not in response.headers


@pytest.fixture(scope="module")
def impatient_server(server_settings: Settings, new_database_url: Callable[[], str]) -> Iterator[str]:
    settings = replace(
        server_settings, database_url=new_database_url(), header_timeout_seconds=1.0, body_timeout_seconds=1.0
    )
    with running_server(settings) as url:
        yield url


class TestSlowClients:
    def test_a_client_that_never_finishes_its_headers_is_answered_408_and_disconnected(
        self, impatient_server: str
    ) -> None:
        with _connect(impatient_server) as sock:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")

            assert _status(sock) == 408
            assert sock.recv(1) == b""

    def test_a_connection_that_sends_nothing_is_closed(self, impatient_server: str) -> None:
        with _connect(impatient_server) as sock:
            assert sock.recv(1) == b""

    def test_a_body_sent_too_slowly_gets_the_graph_408(self, impatient_server: str) -> None:
        with _connect(impatient_server) as sock:
            sock.sendall(
                b"POST /v1.0/$batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                b'Content-Length: 100\r\n\r\n{"requests":'
            )

            assert _status(sock) == 408


@pytest.fixture(scope="module")
def capped_server(server_settings: Settings, new_database_url: Callable[[], str]) -> Iterator[str]:
    settings = replace(
        server_settings, database_url=new_database_url(), max_connections=20, header_timeout_seconds=60.0
    )
    with running_server(settings) as url:
        yield url


class TestConnectionCap:
    def test_idle_connections_past_the_cap_are_closed_and_a_new_request_is_served(
        self, capped_server: str
    ) -> None:
        idle = [_connect(capped_server) for _ in range(60)]
        try:
            response = httpx.get(f"{capped_server}/health", timeout=RECEIVE_SECONDS)
            closed = 0
            for sock in idle:
                sock.settimeout(RECEIVE_SECONDS if closed < 41 else 0.2)
                with contextlib.suppress(TimeoutError, ConnectionResetError):
                    closed += sock.recv(1) == b""
        finally:
            for sock in idle:
                sock.close()

        assert response.status_code == 200
        assert closed >= 41


@pytest.fixture(scope="module")
def thrifty_tenant(server_settings: Settings, new_database_url: Callable[[], str]) -> Iterator[Tenant]:
    settings = replace(server_settings, database_url=new_database_url(), max_batch_response_bytes=40_000)
    with running_server(settings) as url:
        database = Database(settings.database_url)
        directory = Directory(database)
        # Tokens name the server's address as their issuer, as the server's own do.
        issuer = TokenIssuer(
            keys=SigningKeys.load_or_create(database), settings=replace(settings, public_url=url)
        )
        created = directory.create_tenant(name="Contoso")
        learner = directory.create_user(
            tenant_id=created.id, display_name="Ada Learner", licensed=True, roles=LEARNER_ROLES
        )
        world = Tenant(url, directory, issuer, created.id, learner)
        yield world
        world.close()
        database.close()


class TestBatchOutput:
    def test_a_batch_stops_answering_once_its_responses_reach_the_budget(
        self, thrifty_tenant: Tenant
    ) -> None:
        provider = thrifty_tenant.provider()
        app = thrifty_tenant.app()
        for number in range(20):
            thrifty_tenant.content(provider["id"], f"c{number}", description="d" * 900)
        listing = f"/employeeExperience/learningProviders/{provider['id']}/learningContents?$top=1000"
        requests = [{"id": str(n), "method": "GET", "url": listing} for n in range(20)]

        response = app.post(thrifty_tenant.url("/$batch"), json={"requests": requests})

        answers = {answer["id"]: answer for answer in response.json()["responses"]}
        statuses = [answers[str(n)]["status"] for n in range(20)]
        assert response.status_code == 200
        assert statuses[0] == 200
        assert 503 in statuses
        assert len(response.content) < 40_000 + 30_000
        refused = next(answers[str(n)] for n in range(20) if statuses[n] == 503)
        assert refused["body"]["error"]["code"] == "serviceNotAvailable"
        assert refused["headers"]["Retry-After"] == "1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _few_open_files() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))


class TestOpenFiles:
    def test_with_256_open_files_300_idle_sockets_leave_health_answering(self, tmp_path: Path) -> None:
        port = _free_port()
        base_url = f"http://127.0.0.1:{port}"
        database = f"sqlite:///{tmp_path}/f.db"
        server = subprocess.Popen(
            [sys.executable, "-m", "learninggraph", "serve", "--database", database, "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_few_open_files,
        )
        idle: list[socket.socket] = []
        try:
            _wait_for(base_url)
            idle = [_connect(base_url) for _ in range(300)]
            status = httpx.get(f"{base_url}/health", timeout=RECEIVE_SECONDS).status_code
        finally:
            for sock in idle:
                sock.close()
            server.terminate()
            server.wait(timeout=15)

        assert status == 200


def _wait_for(base_url: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class TestSignIns:
    def test_health_is_answered_while_twenty_clients_sign_in(
        self, server: str, server_settings: Settings
    ) -> None:
        database = Database(server_settings.database_url)
        directory = Directory(database)
        tenant = directory.create_tenant(name="Contoso")
        app, secret = directory.create_application(
            tenant_id=tenant.id, name="app", permissions=[], delegated_permissions=["LearningProvider.Read"]
        )
        user = directory.create_user(
            tenant_id=tenant.id, display_name="Ada", licensed=True, password="S3cret!pw"
        )
        database.close()
        form = {
            "grant_type": "password",
            "client_id": app.client_id,
            "client_secret": secret,
            "username": user.user_principal_name,
            "password": "S3cret!pw",
            "scope": "https://graph.microsoft.com/LearningProvider.Read",
        }
        stop = threading.Event()
        signed_in: list[int] = []

        def sign_in() -> None:
            with httpx.Client(timeout=60) as client:
                while not stop.is_set():
                    signed_in.append(
                        client.post(f"{server}/{tenant.id}/oauth2/v2.0/token", data=form).status_code
                    )

        clients = [threading.Thread(target=sign_in) for _ in range(20)]
        for client in clients:
            client.start()
        try:
            while not signed_in:
                time.sleep(0.01)
            # Twenty password hashes queued on the event loop would hold this well past its timeout.
            statuses = [httpx.get(f"{server}/health", timeout=2).status_code for _ in range(5)]
        finally:
            stop.set()
            for client in clients:
                client.join(timeout=60)

        assert statuses == [200] * 5
        assert set(signed_in) == {200}

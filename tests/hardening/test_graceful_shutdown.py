"""SIGTERM: the request in flight finishes and is stored; new connections are refused; the process exits."""

from __future__ import annotations

import json
import signal
import socket
import time
from pathlib import Path

import httpx
import pytest

from tests.hardening.crash_cycles import ServerProcess, _token


def _read_all(conn: socket.socket) -> str:
    conn.settimeout(5)
    chunks = []
    while chunk := conn.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks).decode()


def test_a_request_in_flight_at_sigterm_completes_and_new_ones_are_refused(tmp_path: Path) -> None:
    server = ServerProcess(f"sqlite:///{tmp_path}/shutdown.db", tmp_path)
    server.start()
    token = _token(server.base_url)
    body = json.dumps({"displayName": "Half-sent"}).encode()
    request = (
        "PATCH /v1.0/employeeExperience/learningProviders/none HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{server.port}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    assert server.proc is not None
    with socket.create_connection(("127.0.0.1", server.port)) as conn:
        conn.sendall(request + body[:5])
        time.sleep(0.2)
        server.proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)

        with pytest.raises(httpx.TransportError):
            httpx.get(f"{server.base_url}/health", timeout=1)
        conn.sendall(body[5:])
        reply = _read_all(conn)

    # The request ran to its end: an application token may not manage providers, which is a full answer.
    assert reply.startswith("HTTP/1.1 403")
    assert '"code":"Forbidden"' in reply
    # uvicorn re-raises the signal once it has shut down gracefully, so the exit status names SIGTERM.
    assert server.proc.wait(timeout=10) in (0, -signal.SIGTERM)

"""Secrets never reach logs or responses; the database holds only their digests."""

from __future__ import annotations

from pathlib import Path

import httpx

from learninggraph.identity.dev import DEV_CLIENT_ID, DEV_TENANT_ID, DEV_USER_PRINCIPAL_NAME
from tests.hardening.crash_cycles import ServerProcess

WRONG_SECRET = "wrong-secret-4c9f1e"
WRONG_PASSWORD = "wrong-password-7d2a"
FORGED_TOKEN = "eyJhbGciOiJub25lIn0.eyJ0aWQiOiJ4In0.forged-signature-91b3"


def test_failed_logins_and_forged_tokens_leave_no_trace_of_the_secrets(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    server = ServerProcess(f"sqlite:///{tmp_path}/s.db", tmp_path, log=log)
    server.start()
    try:
        base = server.base_url
        token_url = f"{base}/{DEV_TENANT_ID}/oauth2/v2.0/token"
        replies = [
            httpx.post(
                token_url,
                data={
                    "grant_type": "client_credentials",
                    "client_id": DEV_CLIENT_ID,
                    "client_secret": WRONG_SECRET,
                    "scope": "https://graph.microsoft.com/.default",
                },
            ),
            httpx.post(
                token_url,
                data={
                    "grant_type": "password",
                    "client_id": DEV_CLIENT_ID,
                    "username": DEV_USER_PRINCIPAL_NAME,
                    "password": WRONG_PASSWORD,
                    "scope": "LearningProvider.Read",
                },
            ),
            httpx.get(
                f"{base}/v1.0/employeeExperience/learningProviders",
                headers={"Authorization": f"Bearer {FORGED_TOKEN}"},
            ),
        ]
    finally:
        server.stop()

    logged = log.read_text()
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("s.db*"))
    assert [r.status_code for r in replies] == [401, 400, 401]
    for secret in (WRONG_SECRET, WRONG_PASSWORD, FORGED_TOKEN):
        assert secret not in logged
        assert all(secret not in r.text for r in replies)
        assert secret.encode() not in stored

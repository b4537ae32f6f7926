"""Password sign-ins hash with scrypt in worker threads: other requests keep their latency meanwhile."""

from __future__ import annotations

import hashlib
import statistics
import threading
import time
from pathlib import Path

import httpx

from learninggraph.domain.permissions import PROVIDER_READ
from learninggraph.identity.directory import Directory
from learninggraph.settings import Settings
from learninggraph.storage.database import Database
from learninggraph.testing import running_server

SIGN_INS = 12
SIGNING_THREADS = 4


def _one_scrypt_seconds() -> float:
    started = time.perf_counter()
    hashlib.scrypt(b"password", salt=b"s" * 16, n=2**14, r=8, p=1, dklen=32)
    return time.perf_counter() - started


def test_health_answers_quickly_while_clients_sign_in_with_passwords(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'loop.db'}", create_dev_identity=False, login_failure_limit=None
    )
    with running_server(settings) as base_url:
        database = Database(settings.database_url)
        directory = Directory(database)
        tenant = directory.create_tenant(name="Contoso")
        app, secret = directory.create_application(
            tenant_id=tenant.id, name="LMS", permissions=[], delegated_permissions=[PROVIDER_READ]
        )
        user = directory.create_user(
            tenant_id=tenant.id, display_name="Ada", licensed=True, password="pw-123456"
        )
        database.close()
        form = {
            "grant_type": "password",
            "client_id": app.client_id,
            "client_secret": secret,
            "username": user.user_principal_name,
            "password": "pw-123456",
            "scope": PROVIDER_READ,
        }
        remaining = list(range(SIGN_INS))
        lock = threading.Lock()
        statuses: list[int] = []

        def sign_in() -> None:
            with httpx.Client(timeout=60) as client:
                while True:
                    with lock:
                        if not remaining:
                            return
                        remaining.pop()
                    statuses.append(
                        client.post(f"{base_url}/{tenant.id}/oauth2/v2.0/token", data=form).status_code
                    )

        scrypt_seconds = _one_scrypt_seconds()
        signers = [threading.Thread(target=sign_in) for _ in range(SIGNING_THREADS)]
        for signer in signers:
            signer.start()
        latencies: list[float] = []
        with httpx.Client(timeout=60) as client:
            while any(signer.is_alive() for signer in signers):
                started = time.perf_counter()
                client.get(f"{base_url}/health")
                latencies.append(time.perf_counter() - started)
                time.sleep(0.01)
        for signer in signers:
            signer.join()

    assert statuses == [200] * SIGN_INS
    # On the loop, a health check waits for the password hashes queued before it: at least one scrypt.
    assert len(latencies) >= 5
    assert statistics.median(latencies) < scrypt_seconds / 2, (statistics.median(latencies), scrypt_seconds)

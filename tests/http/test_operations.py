"""Operations over real HTTP: the probes, Prometheus metrics (public, protected, separate port, off), the route
labels, and the access log's lines (text and JSON, with no token or secret in them)."""

from __future__ import annotations

import dataclasses
import logging
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from learninggraph.http.access_log import ACCESS_LOGGER
from learninggraph.identity.keys import SigningKeys
from learninggraph.identity.tokens import TokenIssuer
from learninggraph.settings import Settings
from learninggraph.storage.database import Database
from learninggraph.testing import running_server
from tests.builders import Tenant
from tests.conftest import _new_tenant

PROVIDERS = "/v1.0/employeeExperience/learningProviders"


@dataclass
class Served:
    base_url: str
    tenant: Tenant
    database: Database


@pytest.fixture
def serve_with(new_database_url: Callable[[], str]) -> Iterator[Callable[..., Served]]:
    stack: list[tuple[object, Database]] = []

    def start(**overrides: object) -> Served:
        settings = Settings(database_url=new_database_url(), create_dev_identity=False, **overrides)  # type: ignore[arg-type]
        context = running_server(settings)
        base_url = context.__enter__()
        database = Database(settings.database_url)
        stack.append((context, database))
        minting = dataclasses.replace(settings, public_url=base_url)
        issuer = TokenIssuer(keys=SigningKeys.load_or_create(database), settings=minting)
        return Served(base_url, _new_tenant(base_url, database, issuer, "Operations"), database)

    yield start
    for context, database in reversed(stack):
        database.close()
        context.__exit__(None, None, None)  # type: ignore[attr-defined]


def samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    found: dict[tuple[tuple[str, str], ...], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


class TestProbes:
    def test_health_answers_without_a_token(self, base_url: str) -> None:
        response = httpx.get(f"{base_url}/health")

        assert (response.status_code, response.json()) == (200, {"status": "ok"})

    def test_ready_answers_200_when_the_database_answers_and_migrations_are_current(
        self, base_url: str
    ) -> None:
        response = httpx.get(f"{base_url}/ready")

        assert (response.status_code, response.json()) == (200, {"status": "ready"})

    def test_ready_answers_503_naming_pending_migrations(self, serve_with: Callable[..., Served]) -> None:
        served = serve_with()
        with served.database.transaction() as conn:
            conn.execute(
                "DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)"
            )

        response = httpx.get(f"{served.base_url}/ready")

        assert response.status_code == 503
        assert response.json()["migrations"] == "pending"
        assert response.headers["retry-after"] == "5"

    def test_ready_answers_503_when_the_database_cannot_be_queried(
        self, serve_with: Callable[..., Served]
    ) -> None:
        served = serve_with()
        with served.database.transaction() as conn:
            conn.execute("DROP TABLE schema_migrations")

        response = httpx.get(f"{served.base_url}/ready")

        assert (response.status_code, response.json()["database"]) == (503, "unreachable")

    def test_the_openapi_document_lists_the_probes_and_batch(self, base_url: str) -> None:
        paths = httpx.get(f"{base_url}/openapi.json").json()["paths"]

        assert {"/health", "/ready", "/v1.0/$batch", "/beta/$batch"} <= set(paths)
        assert paths["/ready"]["get"]["security"] == []
        assert set(paths["/v1.0/$batch"]) == {"post"}


class TestMetrics:
    def test_metrics_are_not_served_by_default(self, base_url: str) -> None:
        assert httpx.get(f"{base_url}/metrics").status_code == 404

    def test_request_counters_move_and_are_labelled_by_route_template(
        self, serve_with: Callable[..., Served]
    ) -> None:
        served = serve_with(metrics="public")
        headers = {"Authorization": f"Bearer {served.tenant.app_token()}"}
        for _ in range(3):
            httpx.get(f"{served.base_url}{PROVIDERS}/some-id", headers=headers)
        httpx.get(f"{served.base_url}/no/such/path/at/all")

        text = httpx.get(f"{served.base_url}/metrics").text
        requests = samples(text, "learninggraph_http_requests_total")

        template = "/v1.0/employeeExperience/learningProviders/{provider}"
        assert requests[(("method", "GET"), ("route", template), ("status", "403"))] == 3
        assert requests[(("method", "GET"), ("route", "unmatched"), ("status", "404"))] == 1
        assert not any("some-id" in value for labels in requests for _, value in labels)
        latency = samples(text, "learninggraph_http_request_duration_seconds_count")
        assert latency[(("method", "GET"), ("route", template))] == 3

    def test_sign_ins_are_counted_by_grant_and_outcome(self, serve_with: Callable[..., Served]) -> None:
        served = serve_with(metrics="public")
        token_url = f"{served.base_url}/{served.tenant.tenant_id}/oauth2/v2.0/token"
        httpx.post(
            token_url, data={"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"}
        )

        text = httpx.get(f"{served.base_url}/metrics").text

        assert samples(text, "learninggraph_sign_ins_total") == {
            (("grant", "client_credentials"), ("outcome", "failure")): 1.0
        }

    def test_throttled_answers_are_counted(self, serve_with: Callable[..., Served]) -> None:
        served = serve_with(metrics="public", throttle_limit=1, throttle_window_seconds=60)
        headers = {"Authorization": f"Bearer {served.tenant.app_token()}"}
        for _ in range(3):
            httpx.get(f"{served.base_url}{PROVIDERS}", headers=headers)

        text = httpx.get(f"{served.base_url}/metrics").text

        assert sum(samples(text, "learninggraph_http_throttled_total").values()) == 2

    def test_every_answer_of_5xx_is_counted_as_faulted_by_route_and_status(
        self, serve_with: Callable[..., Served]
    ) -> None:
        served = serve_with(metrics="public")
        with served.database.transaction() as conn:
            conn.execute(
                "DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)"
            )
        answers = [httpx.get(f"{served.base_url}/ready").status_code for _ in range(3)]

        text = httpx.get(f"{served.base_url}/metrics").text

        assert answers == [503, 503, 503]
        assert samples(text, "learninggraph_http_faulted_total") == {
            (("route", "/ready"), ("status", "503")): 3.0
        }

    def test_a_metrics_token_is_required_when_set(self, serve_with: Callable[..., Served]) -> None:
        served = serve_with(metrics="public", metrics_token="s3cret-scrape")

        refused = httpx.get(f"{served.base_url}/metrics")
        allowed = httpx.get(f"{served.base_url}/metrics", headers={"Authorization": "Bearer s3cret-scrape"})

        assert (refused.status_code, allowed.status_code) == (401, 200)

    def test_a_separate_port_keeps_metrics_off_the_public_port(
        self, new_database_url: Callable[[], str]
    ) -> None:
        from learninggraph.app import create_app
        from learninggraph.http.metrics import Metrics, start_listener

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        settings = Settings(database_url=new_database_url(), metrics=str(port), create_dev_identity=False)
        app = create_app(settings)
        metrics = next(o for o in app.observers if isinstance(o, Metrics))
        start_listener(("127.0.0.1", port), metrics.registry)
        with running_server(settings) as base_url:
            assert httpx.get(f"{base_url}/metrics").status_code == 404
        assert "learninggraph_http_requests" in httpx.get(f"http://127.0.0.1:{port}/metrics").text


class TestAccessLog:
    def test_each_request_is_one_line_with_route_status_and_request_id(
        self, base_url: str, tenant: Tenant, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
            response = httpx.get(
                f"{base_url}{PROVIDERS}/abc", headers={"Authorization": f"Bearer {tenant.app_token()}"}
            )

        lines = [r.getMessage() for r in caplog.records if r.name == ACCESS_LOGGER]
        request_id = response.headers["request-id"]
        assert [line for line in lines if request_id in line] == [
            next(line for line in lines if request_id in line)
        ]
        line = next(line for line in lines if request_id in line)
        assert line.startswith(f"GET {PROVIDERS}/abc {response.status_code} ")
        assert f"tenant={tenant.tenant_id}" in line
        assert "route=/v1.0/employeeExperience/learningProviders/{provider}" in line

    def test_json_lines_carry_the_same_fields(
        self, serve_with: Callable[..., Served], caplog: pytest.LogCaptureFixture
    ) -> None:
        import json

        served = serve_with(log_format="json")
        with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
            response = httpx.get(f"{served.base_url}/health")

        entry = json.loads(next(r.getMessage() for r in caplog.records if r.name == ACCESS_LOGGER))
        assert entry["requestId"] == response.headers["request-id"]
        assert (entry["route"], entry["status"], entry["method"]) == ("/health", 200, "GET")

    def test_no_token_secret_or_password_reaches_the_log(
        self, base_url: str, tenant: Tenant, caplog: pytest.LogCaptureFixture
    ) -> None:
        token = tenant.app_token()
        with caplog.at_level(logging.DEBUG, logger="learninggraph"):
            httpx.get(
                f"{base_url}{PROVIDERS}?secret=hush-query", headers={"Authorization": f"Bearer {token}"}
            )
            httpx.post(
                f"{base_url}/{tenant.tenant_id}/oauth2/v2.0/token",
                data={
                    "grant_type": "password",
                    "username": "u",
                    "password": "hush-password",
                    "client_id": "c",
                },
            )

        logged = caplog.text
        assert token not in logged and token.split(".")[1] not in logged
        assert "hush-password" not in logged and "hush-query" not in logged


class TestPoolMetric:
    def test_postgresql_pool_use_is_reported(self, serve_with: Callable[..., Served], backend: str) -> None:
        if backend != "postgresql":
            pytest.skip("SQLite has one connection per process and no pool")
        served = serve_with(metrics="public")
        httpx.get(f"{served.base_url}/ready")

        pool = samples(
            httpx.get(f"{served.base_url}/metrics").text, "learninggraph_database_pool_connections"
        )

        assert pool[(("state", "size"),)] >= 1

    def test_sqlite_reports_no_pool(self, serve_with: Callable[..., Served], backend: str) -> None:
        if backend != "sqlite":
            pytest.skip("only SQLite has no pool")
        served = serve_with(metrics="public")
        httpx.get(f"{served.base_url}/ready")

        text = httpx.get(f"{served.base_url}/metrics").text

        assert samples(text, "learninggraph_database_pool_connections") == {}


def test_an_unknown_method_is_labelled_other_so_labels_stay_bounded(
    serve_with: Callable[..., Served],
) -> None:
    served = serve_with(metrics="public")
    httpx.request("PROPFIND", f"{served.base_url}/health")

    requests = samples(httpx.get(f"{served.base_url}/metrics").text, "learninggraph_http_requests_total")

    assert [dict(labels)["method"] for labels in requests] == ["OTHER"]

"""Fault rules given to ``learninggraph serve``: ``--fault`` specs, ``--faults-file``, the configuration file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from learninggraph.cli import _parser
from learninggraph.faults.flags import parse_spec
from learninggraph.faults.rules import Action
from learninggraph.faults.rules_file import FaultRulesFileError
from learninggraph.faults.store import list_rules
from learninggraph.identity.dev import DEV_TENANT_ID
from learninggraph.identity.directory import Directory
from learninggraph.serve_options import fault_settings
from learninggraph.storage.database import Database
from learninggraph.testing import LearningGraphServer
from tests.http.test_serve_operations import free_port

pytestmark = pytest.mark.backend_independent

PROVIDERS = "/v1.0/employeeExperience/learningProviders"


def test_a_fault_spec_reads_as_the_keys_of_a_rules_file() -> None:
    rule = parse_spec(
        "status=429 retry_after=5 method=get route='*/learningProviders' count=2", tenant_id="t1"
    )

    assert (rule.tenant_id, rule.action, rule.status, rule.retry_after) == ("t1", Action.STATUS, 429, 5)
    assert (rule.method, rule.route, rule.remaining) == ("GET", "*/learningProviders", 2)


def test_a_fault_spec_takes_drop_and_once_as_bare_words() -> None:
    rule = parse_spec("drop once latency_ms=200 tenant=t2")

    assert (rule.tenant_id, rule.action, rule.remaining, rule.latency_ms) == ("t2", Action.DROP, 1, 200)


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("status=418", "status 418 is not one of"),
        ("status=503 colour=red", "unknown key 'colour'"),
        ("status=abc", "status='abc'"),
        ("retry", "'retry' is not key=value"),
        ("status=503 probability=2", "probability 2.0 must be above 0"),
    ],
)
def test_a_bad_fault_spec_is_refused_saying_why(spec: str, says: str) -> None:
    with pytest.raises(FaultRulesFileError, match=f"--fault '{spec}': {says}"):
        parse_spec(spec, tenant_id="t1")


def test_a_fault_spec_without_a_tenant_needs_the_dev_identity() -> None:
    with pytest.raises(FaultRulesFileError, match="no tenant: give tenant="):
        parse_spec("status=503")


@contextmanager
def _serving(tmp_path: Path, *options: str) -> Iterator[tuple[str, list[str]]]:
    """``learninggraph serve`` with the dev identity and ``options``; yields its address and, once it has
    stopped, its standard output lines."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEARNINGGRAPH_")}
    database = f"sqlite:///{tmp_path / 'lg.db'}"
    command = [sys.executable, "-m", "learninggraph", "serve", "--database", database, "--port", str(port)]
    process = subprocess.Popen(
        [*command, *options], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True
    )
    output: list[str] = []
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/ready")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and process.poll() is None, (
                    process.stderr and process.stderr.read()
                )
                time.sleep(0.1)
        yield base, output
    finally:
        process.send_signal(signal.SIGINT)
        stdout, _ = process.communicate(timeout=30)
        output.extend(stdout.splitlines())


def _statuses(base: str, tmp_path: Path, times: int) -> list[int]:
    database = Database(f"sqlite:///{tmp_path / 'lg.db'}")
    try:
        token = LearningGraphServer(base, Directory(database)).dev.user_token()
    finally:
        database.close()
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client:
        return [client.get(PROVIDERS).status_code for _ in range(times)]


def test_a_counted_rule_fires_its_count_across_workers(tmp_path: Path) -> None:
    with _serving(tmp_path, "--workers", "2", "--fault", "status=503 count=3") as (base, _):
        database = Database(f"sqlite:///{tmp_path / 'lg.db'}")
        try:
            token = LearningGraphServer(base, Directory(database)).dev.user_token()
        finally:
            database.close()
        auth = {"Authorization": f"Bearer {token}"}
        # A connection of its own for each request, so the kernel spreads them over both workers.
        answered = [httpx.get(f"{base}{PROVIDERS}", headers=auth).status_code for _ in range(16)]

    assert sorted(answered) == [200] * 13 + [503] * 3


def _rules_left(tmp_path: Path) -> Sequence[object]:
    database = Database(f"sqlite:///{tmp_path / 'lg.db'}")
    try:
        return list_rules(database, None)
    finally:
        database.close()


def test_a_rule_given_with_the_fault_flag_applies_to_the_dev_tenant(tmp_path: Path) -> None:
    with _serving(tmp_path, "--fault", "status=503 method=GET once") as (base, output):
        answered = _statuses(base, tmp_path, 2)

    assert answered == [503, 200]
    assert f"Injecting faults in tenant {DEV_TENANT_ID}: answer 503 to GET any route (1 left)" in output


def test_the_rules_of_a_faults_file_given_to_serve_apply(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text('[[fault]]\nstatus = 429\nroute = "*/learningProviders"\ncount = "twice"\n')

    with _serving(tmp_path, "--faults-file", str(rules)) as (base, _):
        answered = _statuses(base, tmp_path, 3)

    assert answered == [429, 429, 200]


def test_rules_from_the_configuration_file_are_removed_when_serve_stops(tmp_path: Path) -> None:
    config = tmp_path / "learninggraph.toml"
    config.write_text('fault = ["status=502", "latency_ms=10 method=PATCH"]\n')

    with _serving(tmp_path, "--config", str(config)) as (base, _):
        answered = _statuses(base, tmp_path, 1)
        during = len(_rules_left(tmp_path))

    assert (answered, during, len(_rules_left(tmp_path))) == ([502], 2, 0)


def test_fault_rules_come_from_the_environment_when_no_flag_gives_them() -> None:
    args = _parser().parse_args(["serve"])
    env = {"LEARNINGGRAPH_FAULTS": "status=503 ; drop once", "LEARNINGGRAPH_FAULT_SEED": "7"}

    assert fault_settings(args, env) == {
        "faults": ("status=503", "drop once"),
        "faults_file": None,
        "fault_seed": 7,
    }


def test_a_fault_flag_wins_over_the_environment() -> None:
    args = _parser().parse_args(["serve", "--fault", "status=429", "--faults-file", "a.toml"])
    env = {"LEARNINGGRAPH_FAULTS": "status=503", "LEARNINGGRAPH_FAULTS_FILE": "b.toml"}

    assert fault_settings(args, env) == {
        "faults": ("status=429",),
        "faults_file": "a.toml",
        "fault_seed": None,
    }

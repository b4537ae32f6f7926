"""A bounded differential probe: the same adversarial requests to a server on SQLite and one on PostgreSQL.

    python bench/differential.py [--seed 0] [--only SUBSTRING] [--group 40] [--json OUT]

Starts one server on a fresh SQLite database and one on a throwaway PostgreSQL cluster (both on 127.0.0.1), gives
each a tenant with an app, a learner (with a password), a provider, a content and an activity, then sends each
of ``bench/differential_cases.py``'s requests (a few thousand: every route, every place input enters, odd values)
to both and compares, per request: the status, the error code (Graph's ``error.code``, or OAuth's ``error`` and
first ``error_codes``), and whether the answer was journalled (by its ``request-id``). After each group of
requests a normal GET is sent and must be journalled within a few seconds: if not, the journal has stalled and
that backend's run stops there. Reports every 5xx, every divergence, every answer that names a database
(``psycopg``, ``sqlite``, ...) and every stall; exits 1 if there was any.
"""

from __future__ import annotations

import argparse
import dataclasses
import http.client
import json
import socket
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from differential_cases import all_probes
from differential_values import Probe
from tests.builders import LEARNER_ROLES, Tenant
from tests.postgres_server import PostgresServer, find_bin_dir

from learninggraph.domain.permissions import APPLICATION_PERMISSIONS, DELEGATED_PERMISSIONS
from learninggraph.identity.directory import Directory
from learninggraph.identity.keys import SigningKeys
from learninggraph.identity.tokens import TokenIssuer
from learninggraph.journal.queries import JournalFilter, entries_after
from learninggraph.journal.storage import journal_database_of
from learninggraph.settings import Settings
from learninggraph.storage.database import Database
from learninggraph.testing import running_server

PASSWORD = "Probe-pa55word"
# What a database's own words look like in an answer.
LEAKS = ("psycopg", "sqlite", "postgres", "traceback", "violates", "index row", "byte sequence", "nul (0x00)")
STALL_SECONDS = 8.0


@dataclass(frozen=True)
class Answer:
    status: int
    code: str
    request_id: str | None
    leak: str | None


@dataclass
class Side:
    """One backend's server, its fixtures' ids and what its journal has stored so far."""

    name: str
    base_url: str
    database: Database
    markers: dict[str, str]
    tokens: dict[str, str]
    journalled: set[str] = field(default_factory=set)
    last_entry: int = 0
    stalled_at: str | None = None

    @property
    def port(self) -> int:
        return int(self.base_url.rsplit(":", 1)[1])


def send(side: Side, probe: Probe, index: int) -> Answer:
    """The probe's bytes, as written, over one connection (no client library re-encodes the path)."""
    fill = {**side.markers, "fresh": f"probe-{index}"}
    target, body = probe.target, probe.body
    for name, value in fill.items():
        target = target.replace(f"@@{name}@@", value)
        body = body.replace(f"@@{name}@@".encode(), value.encode())
    lines = [f"{probe.method} {target} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    if probe.auth in side.tokens:
        lines.append(f"Authorization: Bearer {side.tokens[probe.auth]}")
    lines += [f"{name}: {value}" for name, value in probe.headers]
    if body or probe.method in ("POST", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogatepass")
    with socket.create_connection(("127.0.0.1", side.port), timeout=60) as sock:
        sock.sendall(head + body)
        response = http.client.HTTPResponse(sock)
        response.begin()
        payload = response.read()
    return Answer(response.status, _code(payload), response.getheader("request-id"), _leak(payload))


def _code(payload: bytes) -> str:
    try:
        document = json.loads(payload)
    except ValueError:
        return "" if not payload else "(not json)"
    if not isinstance(document, dict):
        return ""
    if isinstance(document.get("responses"), list):
        # A $batch answer: each item's id, status and error code.
        return " ".join(
            f"{index}:{item.get('status')}:{_code(json.dumps(item.get('body')).encode())}"
            for index, item in enumerate(document["responses"])
            if isinstance(item, dict)
        )
    error = document.get("error")
    if isinstance(error, dict):
        return str(error.get("code"))
    if isinstance(error, str):
        codes = document.get("error_codes") or [None]
        return f"{error}/{codes[0]}"
    return ""


def _leak(payload: bytes) -> str | None:
    text = payload.decode("utf-8", "replace").lower()
    for word in LEAKS:
        if word in text:
            start = text.index(word)
            return text[max(0, start - 80) : start + 120]
    return None


def sentinel(side: Side) -> str | None:
    """A normal GET's request-id."""
    probe = Probe(
        "sentinel",
        "GET",
        "/v1.0/employeeExperience/learningProviders/@@provider@@/learningContents/@@content@@",
    )
    return send(side, probe, 0).request_id


def drain(side: Side, until: str | None) -> bool:
    """Reads the journal's new entries until ``until`` is among them; False if it never came (a stall)."""
    deadline = time.monotonic() + STALL_SECONDS
    with journal_database_of(side.database) as journal:
        while True:
            for entry in entries_after(journal, JournalFilter(tenant_id=None), side.last_entry, limit=1000):
                side.journalled.add(entry.request_id)
                side.last_entry = max(side.last_entry, entry.id or 0)
            if until is None or until in side.journalled:
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)


@contextmanager
def serving(name: str, database_url: str) -> Iterator[Side]:
    # The sign-in lockout as served by default: its budgets are stored, keyed by what a sign-in names.
    settings = Settings(database_url=database_url, create_dev_identity=False)
    with running_server(settings) as base_url:
        database = Database(database_url)
        try:
            yield _fixtures(name, base_url, database, settings)
        finally:
            database.close()


def _fixtures(name: str, base_url: str, database: Database, settings: Settings) -> Side:
    directory = Directory(database)
    issuer = TokenIssuer(
        keys=SigningKeys.load_or_create(database), settings=dataclasses.replace(settings, public_url=base_url)
    )
    created = directory.create_tenant(name="Contoso")
    learner = directory.create_user(
        tenant_id=created.id,
        display_name="Ada Learner",
        licensed=True,
        roles=LEARNER_ROLES,
        password=PASSWORD,
    )
    tenant = Tenant(base_url, directory, issuer, created.id, learner)
    provider = tenant.provider()["id"]
    content = tenant.content(provider, "course-probe")["id"]
    activity = tenant.activity(
        provider, tenant.self_initiated_body(content, externalcourseActivityId="activity-probe")
    )["id"]
    app, secret = directory.create_application(
        tenant_id=created.id,
        name="probe app",
        permissions=APPLICATION_PERMISSIONS,
        delegated_permissions=DELEGATED_PERMISSIONS,
    )
    signing_in, secret_pw = directory.create_application(
        tenant_id=created.id,
        name="probe sign-in app",
        permissions=(),
        delegated_permissions=DELEGATED_PERMISSIONS,
    )
    markers = {
        "client_pw": signing_in.client_id,
        "secret_pw": secret_pw,
        "tenant": created.id,
        "provider": provider,
        "content": content,
        "content_external": "course-probe",
        "activity": activity,
        "activity_external": "activity-probe",
        "user": learner.id,
        "upn": learner.user_principal_name,
        "client": app.client_id,
        "secret": secret,
        "password": PASSWORD,
    }
    tokens = {"app": tenant.app_token(), "user": tenant.user_token()}
    return Side(name, base_url, database, markers, tokens)


def run(side: Side, probes: list[Probe], group: int) -> dict[str, Answer]:
    answers: dict[str, Answer] = {}
    for start in range(0, len(probes), group):
        chunk = probes[start : start + group]
        for offset, probe in enumerate(chunk):
            answers[probe.name] = send(side, probe, start + offset)
        if not drain(side, sentinel(side)):
            side.stalled_at = f"{chunk[0].name} .. {chunk[-1].name}"
            print(f"{side.name}: journal stalled after the group {side.stalled_at}", flush=True)
            break
        print(f"{side.name}: {start + len(chunk)}/{len(probes)}", flush=True)
    return answers


def journalled(side: Side, answer: Answer) -> str:
    if answer.request_id is None:
        return "-"
    return "yes" if answer.request_id in side.journalled else "no"


def _unjournalled_by_design(probe: Probe, got: list[Answer | None]) -> bool:
    """The admin API's own calls, and a 404 to a path that is neither Graph's nor a public route's (``//v2.0/...``:
    no version, no tenant), are not journalled."""
    if probe.target.startswith("/_learninggraph/admin/"):
        return True
    graph = probe.target.startswith(("/v1.0/", "/beta/"))
    return not graph and all(g is not None and g.status == 404 for g in got)


def compare(
    sides: list[Side], answers: list[dict[str, Answer]], probes: list[Probe]
) -> list[dict[str, object]]:
    findings: list[dict[str, object]] = []
    for probe in probes:
        got = [a.get(probe.name) for a in answers]
        if any(g is None for g in got):
            continue
        seen = [
            (g.status, g.code, journalled(s, g)) for s, g in zip(sides, got, strict=True) if g is not None
        ]
        kinds = []
        if any(g.status >= 500 for g in got if g is not None):
            kinds.append("5xx")
        if len(set(seen)) > 1:
            kinds.append("divergence")
        if any(g.leak for g in got if g is not None):
            kinds.append("leak")
        if any(j == "no" for _, _, j in seen) and not _unjournalled_by_design(probe, got):
            kinds.append("not-journalled")
        if kinds:
            leaks = [g.leak for g in got if g is not None and g.leak]
            findings.append({"probe": probe.name, "kinds": kinds, "answers": seen, "leak": leaks[:1]})
    return findings


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", help="only the probes whose name holds this")
    parser.add_argument("--group", type=int, default=40, help="requests between two journal checks")
    parser.add_argument("--json", type=Path, help="also write the findings to this file")
    args = parser.parse_args()
    probes = [p for p in all_probes(args.seed) if args.only is None or args.only in p.name]
    names = [p.name for p in probes]
    assert len(names) == len(set(names)), "probe names must be unique"
    print(f"{len(probes)} probes per backend", flush=True)
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise SystemExit("PostgreSQL is not installed: apt-get install postgresql")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="learninggraph-differential-") as folder, ExitStack() as stack:
        postgres = PostgresServer(bin_dir)
        stack.callback(postgres.close)
        sides = [
            stack.enter_context(serving("sqlite", f"sqlite:///{folder}/probe.db")),
            stack.enter_context(serving("postgresql", postgres.create_database("probe"))),
        ]
        answers = [run(side, probes, args.group) for side in sides]
        findings = compare(sides, answers, probes)
        every = {
            p.name: [
                [a[p.name].status, a[p.name].code, journalled(s, a[p.name])]
                for s, a in zip(sides, answers, strict=True)
                if p.name in a
            ]
            for p in probes
        }
    for finding in findings:
        print(json.dumps(finding, ensure_ascii=True))
    stalls = {side.name: side.stalled_at for side in sides if side.stalled_at}
    print(f"{len(findings)} findings, stalls: {stalls or 'none'}, {time.monotonic() - started:.0f} s")
    if args.json is not None:
        args.json.write_text(json.dumps({"findings": findings, "stalls": stalls, "answers": every}, indent=1))
    if findings or stalls:
        raise SystemExit(1)


if __name__ == "__main__":
    main()

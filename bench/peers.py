"""The peers a user might pick instead of learninggraph, measured in the same run on the same two operations.

- ``prism``: Stoplight Prism (``@stoplight/prism-cli``) mocking the OpenAPI document our server serves at
  ``/openapi.json``; it validates each request against the document and answers a generated example, keeping
  no state. It gets exactly our wrk scripts: same paths, same ``Authorization`` header, same PATCH body.
- ``json_server``: json-server 0.17.4 over a ``db.json`` holding an ``activities`` collection of rows shaped
  like our GET answer, including every activity id our scripts pick; ``GET``/``PATCH /activities/{id}`` with
  the same headers and body.

Both are installed on first use into ``bench/.peers`` (``npm install --prefix``), run on loopback only, pinned
to the same CPU as our server and driven by the same wrk command line. Neither logs requests (``-v silent``,
``--quiet``), as our server does not. Only 2xx answers count as throughput: a peer's req/s is its 2xx answers
per second, and its non-2xx answers and timeouts are reported.
"""

from __future__ import annotations

import http.client
import json
import random
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from processes import free_port

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".peers"
PACKAGES = {"@stoplight/prism-cli": "5.16.0", "json-server": "0.17.4"}
PRISM_CLI = Path("node_modules/@stoplight/prism-cli/dist/index.js")
JSON_SERVER_CLI = Path("node_modules/json-server/lib/cli/bin.js")

# Each peer scenario and the scenario of ours it is compared with.
SCENARIOS = {
    "prism_get": "get",
    "prism_patch": "patch",
    "json_server_get": "get",
    "json_server_patch": "patch",
}
DEFAULT_ROWS = 100_000
OUR_ITEM_PATH = "/v1.0/employeeExperience/learningCourseActivities/"
JSON_SERVER_ITEM_PATH = "/activities/"

Launch = Callable[..., AbstractContextManager[subprocess.Popen[bytes]]]


@dataclass
class Peers:
    """The running peers: for each selected peer scenario, its port, process id and wrk script."""

    targets: dict[str, tuple[int, int]] = field(default_factory=dict)
    scripts: dict[str, Path] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)


def ensure_installed(cache: Path = CACHE) -> Path:
    """Installs the pinned peers into ``cache`` unless they are already there; returns ``cache``."""
    if all(_installed_version(cache, name) == version for name, version in PACKAGES.items()):
        return cache
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise SystemExit("the peers need node and npm (apt-get install nodejs npm), or pass --no-peers")
    cache.mkdir(parents=True, exist_ok=True)
    (cache / "package.json").write_text(
        json.dumps({"private": True, "dependencies": PACKAGES}, indent=2) + "\n"
    )
    print(f"installing {', '.join(f'{n}@{v}' for n, v in PACKAGES.items())} into {cache}", flush=True)
    subprocess.run(
        [npm, "install", "--prefix", str(cache), "--no-audit", "--no-fund", "--loglevel=error"],
        check=True,
    )
    return cache


def _installed_version(cache: Path, name: str) -> str | None:
    try:
        version: str = json.loads((cache / "node_modules" / name / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None
    return version


def start(
    stack: ExitStack,
    launch: Launch,
    *,
    names: list[str],
    ours_url: str,
    sample: dict[str, Any],
    scripts: dict[str, Path],
    work: Path,
    rows: int = DEFAULT_ROWS,
    cpu: str = "1",
) -> Peers:
    """Starts the peers ``names`` need (each with ``launch(args, cpu=cpu)``, entered on ``stack``)."""
    peers = Peers()
    wanted = {name.rsplit("_", 1)[0] for name in names if name in SCENARIOS}
    if not wanted:
        return peers
    cache = ensure_installed()
    node = shutil.which("node") or "node"
    token, activity = sample["tenants"][0]["appToken"], sample["tenants"][0]["activities"][0]
    if "prism" in wanted:
        document = _fetch_json(f"{ours_url}/openapi.json")
        served = work / "openapi.json"
        served.write_text(json.dumps(document))
        as_served = _prism_probe(launch, node, cache, served, token, activity, cpu)
        meta: dict[str, Any] = {
            "version": PACKAGES["@stoplight/prism-cli"],
            "options": "-v silent",
            "document": "/openapi.json as served",
            "probe_as_served": as_served,
        }
        mocked = served
        if not all(200 <= a["status"] < 300 for a in as_served.values()):
            adjusted, changed = prism_document(document)
            if changed:
                mocked = work / "openapi-prism.json"
                mocked.write_text(json.dumps(adjusted))
                meta["document"] = (
                    f"/openapi.json with oneOf made anyOf in the request body of {len(changed)} PATCH operations"
                )
                meta["adjusted_operations"] = changed
        port = free_port()
        started = time.monotonic()
        proc = stack.enter_context(launch(_prism_args(node, cache, mocked, port), cpu=cpu))
        meta["probe"] = _wait_and_probe(port, OUR_ITEM_PATH, token, activity, proc)
        meta["ready_seconds"] = round(time.monotonic() - started, 1)
        peers.meta["prism"] = meta
        for name in ("prism_get", "prism_patch"):
            if name in names:
                peers.targets[name] = (port, proc.pid)
                peers.scripts[name] = scripts[name.removeprefix("prism_")]
    if "json_server" in wanted:
        ids = [a for tenant in sample["tenants"] for a in tenant["activities"]]
        count = max(len(set(ids)), min(rows, sample.get("shape", {}).get("activities", rows)))
        database = work / "db.json"
        templates = _templates(ours_url, sample)
        database.write_text(json.dumps({"activities": activity_rows(templates, ids, count)}))
        port = free_port()
        started = time.monotonic()
        proc = stack.enter_context(launch(_json_server_args(node, cache, database, port), cpu=cpu))
        probe = _wait_and_probe(port, JSON_SERVER_ITEM_PATH, token, activity, proc)
        peers.meta["json_server"] = {
            "version": PACKAGES["json-server"],
            "options": "--quiet",
            "rows": count,
            "db_json_mb": round(database.stat().st_size / 1e6, 1),
            "ready_seconds": round(time.monotonic() - started, 1),
            "probe": probe,
        }
        for name in ("json_server_get", "json_server_patch"):
            if name in names:
                peers.targets[name] = (port, proc.pid)
                peers.scripts[name] = _json_server_script(
                    scripts[name.removeprefix("json_server_")], work / f"{name}.lua"
                )
    return peers


def summary(meta: dict[str, Any]) -> list[str]:
    """One line a peer: what ran, and what it answered the probes."""

    def answers(probe: dict[str, Any]) -> str:
        return ", ".join(
            f"{method} {a['status']}" + (f" ({a['detail']})" if not 200 <= a["status"] < 300 else "")
            for method, a in probe.items()
        )

    lines = []
    if "prism" in meta:
        prism = meta["prism"]
        lines.append(
            f"prism {prism['version']} ({prism['options']}) mocking {prism['document']}, ready in "
            f"{prism['ready_seconds']} s; as served it answered {answers(prism['probe_as_served'])}; "
            f"measured: {answers(prism['probe'])}"
        )
    if "json_server" in meta:
        js = meta["json_server"]
        lines.append(
            f"json-server {js['version']} ({js['options']}): {js['rows']:,} activities, db.json "
            f"{js['db_json_mb']} MB, ready in {js['ready_seconds']} s; answered {answers(js['probe'])}"
        )
    return lines


def prism_document(document: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A copy of ``document`` whose PATCH request bodies say ``anyOf`` where they say ``oneOf``.

    Our activity schemas differ only in optional properties, so a partial PATCH body such as
    ``{"completionPercentage": 40}`` matches both branches of the ``oneOf`` and a validator that applies
    ``oneOf`` literally (Prism) rejects it with 400. ``anyOf`` of the same branches accepts the same bodies
    as our server and costs the validator the same work: it still checks the body against both schemas.
    """
    adjusted = json.loads(json.dumps(document))
    changed = []
    for path, operations in adjusted.get("paths", {}).items():
        body = operations.get("patch", {}).get("requestBody", {})
        schema = body.get("content", {}).get("application/json", {}).get("schema", {})
        if "oneOf" in schema:
            schema["anyOf"] = schema.pop("oneOf")
            changed.append(f"PATCH {path}")
    return adjusted, changed


def activity_rows(templates: list[dict[str, Any]], ids: list[str], count: int, seed: int = 7) -> list[Any]:
    """``count`` rows shaped like ``templates`` (our GET answers), holding every id in ``ids``, shuffled."""
    rng = random.Random(seed)
    unique = list(dict.fromkeys(ids))
    rows = []
    for n in range(count):
        row = dict(templates[n % len(templates)])
        row["id"] = unique[n] if n < len(unique) else str(uuid.UUID(int=rng.getrandbits(128), version=4))
        row["learnerUserId"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        row["learningContentId"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        row["externalcourseActivityId"] = f"ext-{n}"
        row["completionPercentage"] = rng.randrange(0, 101)
        rows.append(row)
    rng.shuffle(rows)
    return rows


def _templates(ours_url: str, sample: dict[str, Any]) -> list[dict[str, Any]]:
    """Our GET answers for a few activities, one of each type, as json-server's row shapes."""
    found: dict[str, dict[str, Any]] = {}
    tenant = sample["tenants"][0]
    for activity in tenant["activities"][:50]:
        row = _fetch_json(
            f"{ours_url}{OUR_ITEM_PATH}{activity}", {"Authorization": f"Bearer {tenant['appToken']}"}
        )
        found.setdefault(row.get("@odata.type", ""), row)
        if len(found) == 2:
            break
    return list(found.values())


def _json_server_script(ours: Path, out: Path) -> Path:
    """Our wrk script with our item path replaced by json-server's; headers and bodies stay the same."""
    text = ours.read_text()
    if text.count(OUR_ITEM_PATH) != 1:
        raise RuntimeError(f"{ours} does not name {OUR_ITEM_PATH} exactly once")
    out.write_text(text.replace(OUR_ITEM_PATH, JSON_SERVER_ITEM_PATH))
    return out


def _prism_args(node: str, cache: Path, document: Path, port: int) -> list[str]:
    return [
        node,
        str(cache / PRISM_CLI),
        "mock",
        str(document),
        "-p",
        str(port),
        "-h",
        "127.0.0.1",
        "-v",
        "silent",
    ]


def _json_server_args(node: str, cache: Path, database: Path, port: int) -> list[str]:
    return [
        node,
        str(cache / JSON_SERVER_CLI),
        str(database),
        "--port",
        str(port),
        "--host",
        "127.0.0.1",
        "--quiet",
    ]


def _prism_probe(
    launch: Launch, node: str, cache: Path, document: Path, token: str, activity: str, cpu: str
) -> dict[str, Any]:
    """What Prism answers our GET and PATCH with when it mocks ``document``."""
    port = free_port()
    with launch(_prism_args(node, cache, document, port), cpu=cpu) as proc:
        return _wait_and_probe(port, OUR_ITEM_PATH, token, activity, proc)


def _wait_and_probe(
    port: int,
    item_path: str,
    token: str,
    activity: str,
    proc: subprocess.Popen[bytes],
    timeout: float = 120,
) -> dict[str, Any]:
    """Waits for the peer to answer, then sends one GET and one PATCH like the wrk scripts' requests."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            stderr = proc.stderr.read().decode(errors="replace")[-2000:] if proc.stderr else ""
            raise RuntimeError(f"a peer exited with {proc.returncode} on start: {stderr}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"a peer did not listen on port {port} within {timeout} s") from None
            time.sleep(0.2)
    headers = {"Authorization": f"Bearer {token}"}
    answers = {
        "GET": _request(port, "GET", item_path + activity, headers),
        "PATCH": _request(
            port,
            "PATCH",
            item_path + activity,
            {**headers, "Content-Type": "application/json"},
            b'{"completionPercentage":40}',
        ),
    }
    for method, answer in answers.items():
        if not 200 <= answer["status"] < 300:
            print(
                f"  peer on port {port}: {method} answered {answer['status']} {answer['detail']}", flush=True
            )
    return answers


def _request(
    port: int, method: str, path: str, headers: dict[str, str], body: bytes | None = None
) -> dict[str, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        payload = response.read()
        detail = response.getheader("sl-violations") or ""
        if not 200 <= response.status < 300 and not detail:
            detail = payload[:300].decode(errors="replace")
        return {"status": response.status, "detail": detail}
    finally:
        connection.close()


def _fetch_json(url: str, headers: dict[str, str] | None = None) -> Any:
    import urllib.request

    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def compare(report: dict[str, dict[str, Any]]) -> Iterator[tuple[str, str, float | None]]:
    """(ours, peer, ours' req/s over the peer's) for every peer scenario measured with its counterpart."""
    for peer, ours in SCENARIOS.items():
        if peer in report and ours in report:
            peer_rps = report[peer]["rps"]
            yield ours, peer, (report[ours]["rps"] / peer_rps if peer_rps else None)

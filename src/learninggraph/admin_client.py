"""A client of the admin HTTP API for tests: a tenant's journal as objects, explanations, fault rules (with a
block-scoped ``inject``), minimal permissions and reset. Used by ``learninggraph.testing.LearningGraph``; it
speaks HTTP only, so it works the same against a server started elsewhere, and imports without pytest.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec

from learninggraph.journal.entry import JournalEntry
from learninggraph.journal.minimal_permissions import PermissionReport
from learninggraph.journal.render import explained

ADMIN_PATH = "/_learninggraph/admin"
_PAGE = 1000


class AdminError(Exception):
    """The admin API refused a call: its status and Graph error code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class RecordedRequest(JournalEntry, frozen=True):
    """One journalled request and its answer (every field of ``JournalEntry``), with its bodies as JSON."""

    def request_json(self) -> Any:
        """The request body parsed as JSON (None when there was none)."""
        return json.loads(self.request_body.text) if self.request_body.text else None

    def response_json(self) -> Any:
        """The response body parsed as JSON (None when there was none)."""
        return json.loads(self.response_body.text) if self.response_body.text else None

    @property
    def explanation(self) -> str:
        """The entry as ``learninggraph journal --request-id`` prints it: the decision, hint and facts."""
        return explained(self)


@dataclass(frozen=True, slots=True)
class InjectedFaultRule:
    """A fault rule as the admin API lists it."""

    id: str
    action: str
    description: str
    app: str | None = None
    method: str | None = None
    route: str | None = None
    status: int | None = None
    retry_after: int | None = None
    latency_ms: int = 0
    drop: bool = False
    probability: float = 1.0
    remaining: int | None = None
    start: str | None = None
    end: str | None = None


class AdminClient:
    """Calls ``{base_url}/_learninggraph/admin/...`` with a bearer token from ``token()``."""

    def __init__(self, base_url: str, token: Callable[[], str], *, timeout: float = 30) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def call(
        self, method: str, path: str, query: Mapping[str, object] | None = None, body: object = None
    ) -> Any:
        """The JSON answer of one call (None for 204); ``AdminError`` for a refusal."""
        url = f"{self.base_url}{ADMIN_PATH}{path}"
        given = {name: _text(value) for name, value in (query or {}).items() if value is not None}
        if given:
            url += "?" + urllib.parse.urlencode(given)
        data = None if body is None else json.dumps(body).encode()
        headers = {"Authorization": f"Bearer {self.token()}", "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never a proxy
        try:
            with opener.open(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as failure:
            try:
                error = json.loads(failure.read())["error"]
            except (ValueError, KeyError, TypeError):
                error = {"code": "httpError", "message": str(failure.reason)}
            finally:
                failure.close()
            raise AdminError(failure.code, str(error.get("code")), str(error.get("message"))) from None
        return json.loads(raw) if raw else None

    def journal(
        self, *, newest_first: bool = False, limit: int | None = None, **filters: object
    ) -> list[RecordedRequest]:
        """The tenant's entries matching ``filters`` (the admin API's journal parameters), oldest first
        unless ``newest_first``; at most ``limit``."""
        found: list[RecordedRequest] = []
        cursor: dict[str, object] = {} if newest_first else {"after": 0}
        while limit is None or len(found) < limit:
            size = _PAGE if limit is None else min(_PAGE, limit - len(found))
            page = self.call("GET", "/journal", {**filters, **cursor, "limit": size})
            found.extend(msgspec.convert(item, RecordedRequest) for item in page["value"])
            if "nextLink" not in page or not page["value"]:
                break
            cursor = {("before" if newest_first else "after"): page["value"][-1]["id"]}
        return found

    def explain(self, request_id: str) -> RecordedRequest:
        """The entry of the answer that carried ``request-id``; ``LookupError`` if the journal has none."""
        try:
            found = self.call("GET", f"/journal/{urllib.parse.quote(request_id, safe='')}")
        except AdminError as error:
            if error.status == 404:
                raise LookupError(error.message) from None
            raise
        return msgspec.convert(found, RecordedRequest)

    def minimal_permissions(
        self, *, app: str | None = None, user: str | None = None
    ) -> dict[str, PermissionReport]:
        """The reports by kind of caller (``application``, ``delegated``) for an app or a user."""
        answer = self.call("GET", "/permissions", {"app": app, "user": user})
        reports = [msgspec.convert(report, PermissionReport) for report in answer["reports"]]
        return {report.kind: report for report in reports}

    def reset(self) -> None:
        self.call("POST", "/reset")


class Faults:
    """The tenant's fault rules: ``add``, ``list``, ``clear``, and ``inject`` for the length of a block."""

    def __init__(self, admin: AdminClient) -> None:
        self.admin = admin

    def add(
        self,
        *,
        status: int | None = None,
        times: int | None = None,
        retry_after: int | None = None,
        latency_ms: int | None = None,
        drop: bool | None = None,
        probability: float | None = None,
        method: str | None = None,
        route: str | None = None,
        app: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        for_seconds: float | None = None,
    ) -> InjectedFaultRule:
        """Adds a rule after the others: answer ``status`` (429, 500, 502, 503, 504), wait ``latency_ms`` or
        ``drop`` the connection; only ``times`` times, with a ``probability``, or within a window; only for
        one ``method``, ``route`` (a template or a shell-style pattern) or ``app`` (client id)."""
        rule = {
            "status": status,
            "count": times,
            "retry_after": retry_after,
            "latency_ms": latency_ms,
            "drop": drop,
            "probability": probability,
            "method": method,
            "route": route,
            "app": app,
            "start": None if start is None else start.isoformat(),
            "end": None if end is None else end.isoformat(),
            "duration_seconds": for_seconds,
        }
        added = self.admin.call("POST", "/faults", body={k: v for k, v in rule.items() if v is not None})
        return msgspec.convert(added, InjectedFaultRule)

    def list(self) -> list[InjectedFaultRule]:
        """The rules in the order they are tried (a spent counted rule stays, with ``remaining`` 0)."""
        answer = self.admin.call("GET", "/faults")
        return [msgspec.convert(rule, InjectedFaultRule) for rule in answer["value"]]

    def clear(self, rule: InjectedFaultRule | str | None = None) -> int:
        """Removes one rule (a rule or its id), or every rule of the tenant; returns how many went."""
        if rule is None:
            return int(self.admin.call("DELETE", "/faults")["removed"])
        rule_id = rule if isinstance(rule, str) else rule.id
        try:
            self.admin.call("DELETE", f"/faults/{urllib.parse.quote(rule_id, safe='')}")
        except AdminError as error:
            if error.status == 404:
                return 0
            raise
        return 1

    @contextmanager
    def inject(self, **rule: Any) -> Iterator[InjectedFaultRule]:
        """The rule ``add(**rule)`` describes, in force for the ``with`` block only."""
        added = self.add(**rule)
        try:
            yield added
        finally:
            self.clear(added)


class CachedToken:
    """An application token, fetched on first use and again 5 minutes before it expires."""

    def __init__(self, fetch: Callable[[], tuple[str, int]]) -> None:
        self.fetch = fetch
        self._token: str | None = None
        self._until = 0.0

    def __call__(self) -> str:
        now = time.monotonic()
        if self._token is None or now >= self._until:
            token, lifetime = self.fetch()
            self._token, self._until = token, now + max(0, lifetime - 300)
        return self._token


def _text(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)

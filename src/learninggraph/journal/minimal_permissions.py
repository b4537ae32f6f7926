"""Minimal permissions from the journal: what an app or user called, the least-privileged permissions that
cover it, what it holds but never needed, and which calls were refused and why.

Pure functions over entries and a table of what each operation accepts (keyed by operation name, or by
``operation_key(method, route)``); an entry's own ``accepted_permissions`` detail, recorded where the request
path knew it (an activity's type decides its permission), wins over the table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import combinations

from learninggraph.domain.principal import Permissions
from learninggraph.journal.entry import JournalEntry

OperationTable = Mapping[str, Permissions]
# Past this many candidate permissions the search keeps the cheapest combinations of at most 4.
_MAX_EXHAUSTIVE = 14


def operation_key(method: str, route: str) -> str:
    return f"{method.upper()} {route}"


def privilege(permission: str) -> int:
    """How much a permission allows, for choosing the least: Read < ReadWrite, one user < .All."""
    rank = 1
    if ".ReadWrite" in permission or ".Write" in permission:
        rank += 2
    if permission.endswith(".All"):
        rank += 1
    return rank


@dataclass(frozen=True, slots=True)
class OperationUse:
    operation: str
    calls: int
    refused: int
    accepted: tuple[str, ...]  # what the operation accepts from this kind of caller
    directory_roles: tuple[str, ...]  # role template ids a signed-in user must also hold one of


@dataclass(frozen=True, slots=True)
class Refusal:
    request_id: str
    method: str
    url: str
    status: int
    rule: str
    hint: str | None
    accepted: tuple[str, ...]
    held: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PermissionReport:
    """For one kind of caller (``application`` or ``delegated``)."""

    kind: str
    operations: tuple[OperationUse, ...]
    least_privileged: tuple[str, ...]
    held: tuple[str, ...]
    unneeded: tuple[str, ...]
    refused: tuple[Refusal, ...]
    # Operations whose accepted permissions neither the entries nor the table give.
    unknown_operations: tuple[str, ...]


def accepted_for(entry: JournalEntry, table: OperationTable) -> tuple[frozenset[str], frozenset[str]] | None:
    """The permissions (and directory roles) the entry's operation accepts from its kind of caller."""
    recorded = entry.decision.details.get("accepted_permissions")
    permissions = _lookup(entry, table)
    roles = permissions.delegated_roles if permissions and entry.caller.kind == "delegated" else frozenset()
    if isinstance(recorded, list) and recorded:
        return frozenset(str(name) for name in recorded), roles
    if permissions is None:
        return None
    accepted = permissions.application if entry.caller.kind == "application" else permissions.delegated
    return accepted, roles


def least_privileged(requirements: Iterable[frozenset[str]]) -> tuple[str, ...]:
    """The permissions, fewest privileges first, holding one of each requirement's accepted permissions."""
    needed = [req for req in {frozenset(r) for r in requirements} if req]
    if not needed:
        return ()
    candidates = sorted(set().union(*needed), key=lambda name: (privilege(name), name))
    most = len(candidates) if len(candidates) <= _MAX_EXHAUSTIVE else 4
    best: tuple[tuple[int, int, tuple[str, ...]], tuple[str, ...]] | None = None
    for size in range(1, most + 1):
        for chosen in combinations(candidates, size):
            chosen_set = set(chosen)
            if all(not chosen_set.isdisjoint(req) for req in needed):
                cost = (sum(privilege(name) for name in chosen), size, chosen)
                if best is None or cost < best[0]:
                    best = (cost, chosen)
    return tuple(sorted(best[1])) if best else tuple(candidates)


def minimal_permissions(entries: Iterable[JournalEntry], table: OperationTable) -> list[PermissionReport]:
    """One report per kind of caller among ``entries`` (one app's or one user's, from the journal)."""
    by_kind: dict[str, list[JournalEntry]] = {}
    for entry in sorted(entries, key=lambda e: (e.id or 0, e.at)):
        if entry.caller.kind in ("application", "delegated"):
            by_kind.setdefault(entry.caller.kind, []).append(entry)
    return [_report(kind, by_kind[kind], table) for kind in sorted(by_kind)]


def _report(kind: str, entries: list[JournalEntry], table: OperationTable) -> PermissionReport:
    calls: dict[str, list[JournalEntry]] = {}
    for entry in entries:
        if entry.route is not None:
            calls.setdefault(entry.operation or operation_key(entry.method, entry.route), []).append(entry)
    uses: list[OperationUse] = []
    unknown: list[str] = []
    # Each call needs one of what it accepted: an operation whose permission depends on the entity (an
    # activity's type) adds one requirement per kind of entity it was called on.
    requirements: set[frozenset[str]] = set()
    for operation in sorted(calls):
        accepted: set[str] = set()
        roles: set[str] = set()
        for entry in calls[operation]:
            found = accepted_for(entry, table)
            if found is not None and found[0]:
                requirements.add(found[0])
                accepted |= found[0]
                roles |= found[1]
        if not accepted:
            unknown.append(operation)
            continue
        refused = sum(1 for entry in calls[operation] if entry.refused)
        uses.append(
            OperationUse(
                operation, len(calls[operation]), refused, tuple(sorted(accepted)), tuple(sorted(roles))
            )
        )
    chosen = least_privileged(requirements)
    held = tuple(sorted(entries[-1].caller.permissions))
    return PermissionReport(
        kind=kind,
        operations=tuple(uses),
        least_privileged=chosen,
        held=held,
        unneeded=tuple(name for name in held if name not in chosen),
        refused=tuple(_refusal(entry) for entry in entries if entry.refused),
        unknown_operations=tuple(unknown),
    )


def _refusal(entry: JournalEntry) -> Refusal:
    details = entry.decision.details
    return Refusal(
        request_id=entry.request_id,
        method=entry.method,
        url=entry.url,
        status=entry.status,
        rule=entry.decision.rule,
        hint=entry.decision.hint,
        accepted=tuple(str(name) for name in details.get("accepted_permissions", ()) or ()),
        held=tuple(str(name) for name in details.get("held_permissions", entry.caller.permissions) or ()),
    )


def _lookup(entry: JournalEntry, table: OperationTable) -> Permissions | None:
    if entry.operation is not None and entry.operation in table:
        return table[entry.operation]
    if entry.route is not None:
        return table.get(operation_key(entry.method, entry.route))
    return None

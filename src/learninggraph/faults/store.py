"""Fault rules in the ``fault_rules`` table: add, list, clear, and spend one use of a counted rule."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from learninggraph.domain.values import datetime_to_stored
from learninggraph.storage.connection import storable
from learninggraph.storage.database import Connection, Database, Row

if TYPE_CHECKING:
    from learninggraph.faults.rules import FaultRule

_COLUMNS = (
    "id, tenant_id, app_id, method, route, action, status, retry_after, latency_ms, probability, "
    "remaining, starts_at, ends_at"
)


def add_rule(database: Database, rule: FaultRule) -> FaultRule:
    """Stores ``rule`` after the tenant's other rules (the first rule that matches a request wins)."""
    with database.transaction() as conn:
        conn.exclusive("fault_rules")
        row = conn.fetch_one("SELECT max(position) FROM fault_rules")
        position = (int(row[0]) if row and row[0] is not None else 0) + 1
        conn.execute(
            f"INSERT INTO fault_rules ({_COLUMNS}, position, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                rule.id,
                rule.tenant_id,
                rule.app_id,
                rule.method,
                rule.route,
                str(rule.action),
                rule.status,
                rule.retry_after,
                rule.latency_ms,
                rule.probability,
                rule.remaining,
                _stored(rule.starts_at),
                _stored(rule.ends_at),
                position,
                datetime_to_stored(datetime.now(UTC)),
            ),
        )
    return rule


def list_rules(database: Database, tenant_id: str | None) -> list[FaultRule]:
    """The tenant's rules in the order they are tried (every tenant's, when ``tenant_id`` is None). One
    statement: no read transaction around it (the matcher re-reads the rules each second on the request path)."""
    with database.read() as conn:
        return _read(conn, tenant_id)


def clear_rules(database: Database, tenant_id: str, rule_id: str | None = None) -> int:
    """Deletes the tenant's rules (or only ``rule_id``); returns how many. An id no database could hold names
    no rule (PostgreSQL is not asked about it)."""
    if rule_id is not None and not storable(rule_id):
        return 0
    with database.transaction() as conn:
        if rule_id is None:
            return conn.execute("DELETE FROM fault_rules WHERE tenant_id = ?", (tenant_id,))
        return conn.execute("DELETE FROM fault_rules WHERE tenant_id = ? AND id = ?", (tenant_id, rule_id))


def spend(database: Database, rule_id: str) -> bool:
    """Takes one use of a counted rule; False when none is left. One conditional UPDATE: no use is
    spent twice, whichever processes race for the last one."""
    with database.transaction() as conn:
        changed = conn.execute(
            "UPDATE fault_rules SET remaining = remaining - 1 WHERE id = ? AND remaining > 0", (rule_id,)
        )
    return changed == 1


def _read(conn: Connection, tenant_id: str | None) -> list[FaultRule]:
    where, params = ("WHERE tenant_id = ?", (tenant_id,)) if tenant_id is not None else ("", ())
    rows = conn.fetch_all(f"SELECT {_COLUMNS} FROM fault_rules {where} ORDER BY tenant_id, position", params)
    return [_rule(row) for row in rows]


def _rule(row: Row) -> FaultRule:
    from learninggraph.faults.rules import Action, FaultRule

    return FaultRule(
        id=row[0],
        tenant_id=row[1],
        app_id=row[2],
        method=row[3],
        route=row[4],
        action=Action(row[5]),
        status=row[6],
        retry_after=row[7],
        latency_ms=int(row[8]),
        probability=float(row[9]),
        remaining=row[10],
        starts_at=_moment(row[11]),
        ends_at=_moment(row[12]),
    )


def _stored(value: datetime | None) -> str | None:
    return None if value is None else datetime_to_stored(value)


def _moment(stored: str | None) -> datetime | None:
    if stored is None:
        return None
    return datetime.strptime(stored[:26], "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=UTC)

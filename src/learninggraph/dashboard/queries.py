"""The dashboard's own read queries: learners, content titles, and the organisation's aggregates.

Lists use keyset paging on an index (users by principal name, contents by primary key). The charts read the
tenant's activities in one grouped scan plus one count per day on the primary key: activity ids are
version-7 GUIDs, so the ids created on one day form one key range.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from learninggraph.identity.records import USER_COLUMNS, User, user_of
from learninggraph.resources.learning_course_activities.records import ACTIVITY, ActivityRecord
from learninggraph.storage.connection import storable
from learninggraph.storage.database import Connection

ASSIGNMENT = "learningAssignment"
# A stored dueDateTime is the JSON text {"dateTime":"YYYY-MM-DDTHH:MM:SS.fffffff","timeZone":...}.
_DUE_START, _DUE_LENGTH = len('{"dateTime":"') + 1, 27


def _token(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def _untoken(token: str) -> str | None:
    try:
        value = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, ValueError):
        return None
    return value if storable(value) else None


def learners(
    conn: Connection, tenant_id: str, search: str, page: str | None, size: int
) -> tuple[list[User], str | None]:
    """Users of the tenant by principal name (its unique index), optionally those starting with ``search``.

    Here and below, a search, key or page holding a NUL character finds nothing, as no stored text holds one
    (PostgreSQL is not asked about it)."""
    where, params = ["tenant_id = ?"], [tenant_id]
    if search:
        prefix = search.strip()
        if not storable(prefix):
            return [], None
        where.append("user_principal_name >= ? AND user_principal_name < ?")
        params.extend([prefix, prefix + "\uffff"])
    after = _untoken(page) if page else None
    if after is not None:
        where.append("user_principal_name > ?")
        params.append(after)
    rows = conn.fetch_all(
        f"SELECT {USER_COLUMNS} FROM users WHERE {' AND '.join(where)} ORDER BY user_principal_name LIMIT ?",
        [*params, size + 1],
    )
    users = [user_of(row) for row in rows[:size]]
    return users, _token(users[-1].user_principal_name) if len(rows) > size else None


def learner_activities_of_provider(
    conn: Connection,
    dialect: str,
    tenant_id: str,
    provider_id: str,
    learner_id: str,
    *,
    status: str,
    external: str,
    page: str | None,
    size: int,
) -> tuple[list[ActivityRecord], str | None]:
    """One learner's activities of one provider, in id order, by the learner's index.

    With no statistics, SQLite picks the provider's index for ``provider = ? AND learner = ?`` and walks every
    activity of the provider; ``INDEXED BY`` names the learner's. PostgreSQL chooses by its statistics.
    """
    if not all(storable(value) for value in (learner_id, status, external)):
        return [], None
    hint = " INDEXED BY ix_activities_learner" if dialect == "sqlite" else ""
    where = ["tenant_id = ?", "learner_user_id = ?", "provider_id = ?"]
    params: list[Any] = [tenant_id, learner_id, provider_id]
    for column, value in (("status", status), ("external_id", external)):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    after = _untoken(page) if page else None
    if after is not None:
        where.append("id > ?")
        params.append(after)
    rows = conn.fetch_all(
        f"SELECT {ACTIVITY.columns} FROM learning_course_activities{hint} WHERE {' AND '.join(where)} "
        "ORDER BY id LIMIT ?",
        [*params, size + 1],
    )
    records = ACTIVITY.all(rows[:size])
    return records, _token(records[-1].id) if len(rows) > size else None


def learner(conn: Connection, tenant_id: str, user_id: str) -> User | None:
    if not storable(user_id):
        return None
    row = conn.fetch_one(
        f"SELECT {USER_COLUMNS} FROM users WHERE tenant_id = ? AND id = ?", (tenant_id, user_id)
    )
    return None if row is None else user_of(row)


def learner_id(conn: Connection, tenant_id: str, id_or_name: str) -> str | None:
    """By id, or by user principal name in any letter case (as the directory finds users)."""
    if not storable(id_or_name):
        return None
    row = conn.fetch_one(
        "SELECT id FROM users WHERE tenant_id = ? AND (id = ? OR lower(user_principal_name) = lower(?)) "
        "ORDER BY id = ? DESC LIMIT 1",
        (tenant_id, id_or_name, id_or_name, id_or_name),
    )
    return None if row is None else str(row[0])


def content_titles(conn: Connection, tenant_id: str, content_ids: Sequence[str]) -> dict[str, str]:
    if not content_ids:
        return {}
    marks = ", ".join("?" for _ in content_ids)
    rows = conn.fetch_all(
        f"SELECT id, title FROM learning_contents WHERE tenant_id = ? AND id IN ({marks})",
        [tenant_id, *content_ids],
    )
    return {str(row[0]): str(row[1]) for row in rows}


def user_names(conn: Connection, tenant_id: str, user_ids: Sequence[str]) -> dict[str, str]:
    if not user_ids:
        return {}
    marks = ", ".join("?" for _ in user_ids)
    rows = conn.fetch_all(
        f"SELECT id, display_name FROM users WHERE tenant_id = ? AND id IN ({marks})", [tenant_id, *user_ids]
    )
    return {str(row[0]): str(row[1]) for row in rows}


def _uuid7_bound(moment: datetime) -> str:
    """The smallest version-7 GUID text of that millisecond."""
    digits = f"{int(moment.timestamp() * 1000):012x}"
    return f"{digits[:8]}-{digits[8:12]}"


def charts(conn: Connection, dialect: str, tenant_id: str, *, now: str, days: int) -> dict[str, Any]:
    """Status distribution, completion per provider, overdue assignments, created and completed per day.

    The grouped reads scan the table: SQLite would otherwise walk an index in its order and fetch each row
    by its rowid, which measured twice as slow on a million activities.
    """
    scan = " NOT INDEXED" if dialect == "sqlite" else ""
    due_now = now[:19] + ".0000000"
    rows = conn.fetch_all(
        "SELECT a.provider_id, a.status, COUNT(*), SUM(CASE WHEN a.odata_type = ? "
        "AND (a.status IS NULL OR a.status <> 'completed') AND a.due_date_time IS NOT NULL "
        f"AND substr(a.due_date_time, {_DUE_START}, {_DUE_LENGTH}) < ? THEN 1 ELSE 0 END) "
        f"FROM learning_course_activities a{scan} WHERE a.tenant_id = ? GROUP BY a.provider_id, a.status",
        [ASSIGNMENT, due_now, tenant_id],
    )
    names: dict[str, str] = {
        str(pid): str(name)
        for pid, name in conn.fetch_all(
            "SELECT id, display_name FROM learning_providers WHERE tenant_id = ?", [tenant_id]
        )
    }
    status: dict[str, int] = {}
    per_provider: dict[str, list[int]] = {}
    overdue = 0
    for provider_id, state, count, late in rows:
        status[str(state or "unknown")] = status.get(str(state or "unknown"), 0) + int(count)
        totals = per_provider.setdefault(str(provider_id), [0, 0])
        totals[0] += int(count)
        totals[1] += int(count) if state == "completed" else 0
        overdue += int(late or 0)
    return {
        "status": status,
        "providers": [
            {
                "name": str(names.get(pid, pid)),
                "total": total,
                "completed": done,
                "rate": round(100 * done / total, 1) if total else 0.0,
            }
            for pid, (total, done) in sorted(
                per_provider.items(), key=lambda kv: str(names.get(kv[0], kv[0]))
            )
        ],
        "overdue": overdue,
        "perDay": _per_day(conn, tenant_id, now=now, days=days, scan=scan),
    }


def _per_day(conn: Connection, tenant_id: str, *, now: str, days: int, scan: str) -> dict[str, list[Any]]:
    today = datetime.fromisoformat(now[:10]).replace(tzinfo=UTC)
    first = today - timedelta(days=days - 1)
    labels = [(first + timedelta(days=n)).date().isoformat() for n in range(days)]
    created = [
        _count_ids_between(conn, tenant_id, first + timedelta(days=n), first + timedelta(days=n + 1))
        for n in range(days)
    ]
    completed_rows = conn.fetch_all(
        f"SELECT substr(completed_date_time, 1, 10), COUNT(*) FROM learning_course_activities{scan} "
        "WHERE tenant_id = ? AND completed_date_time >= ? GROUP BY substr(completed_date_time, 1, 10)",
        [tenant_id, labels[0]],
    )
    completed_by_day = {str(day): int(count) for day, count in completed_rows}
    return {
        "days": labels,
        "created": created,
        "completed": [completed_by_day.get(day, 0) for day in labels],
    }


def _count_ids_between(conn: Connection, tenant_id: str, start: datetime, end: datetime) -> int:
    row = conn.fetch_one(
        "SELECT COUNT(*) FROM learning_course_activities WHERE tenant_id = ? AND id >= ? AND id < ?",
        [tenant_id, _uuid7_bound(start), _uuid7_bound(end)],
    )
    return int(row[0]) if row else 0

"""The CLI's ``journal`` and ``permissions`` commands: read, follow and explain the request journal."""

from __future__ import annotations

import argparse
import json
import re
import threading
from datetime import UTC, datetime, timedelta

from learninggraph.cli_accounts import Subcommands
from learninggraph.cli_accounts import add_command as _add
from learninggraph.journal.entry import JournalEntry
from learninggraph.journal.minimal_permissions import PermissionReport, minimal_permissions
from learninggraph.journal.queries import JournalFilter, explain, follow, parse_status, search
from learninggraph.journal.render import as_json, explained, one_line
from learninggraph.journal.storage import journal_database_of
from learninggraph.resources.registry import permission_table
from learninggraph.storage.database import Database

_AGO = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
# Entries read for a permissions report, newest first.
PERMISSION_ENTRIES = 10_000


def moment(text: str) -> datetime:
    """An ISO 8601 date-time (with a zone, or UTC) or a time ago: ``30s``, ``10m``, ``2h``, ``1d``."""
    ago = _AGO.match(text.strip())
    if ago:
        return datetime.now(UTC) - timedelta(**{_UNITS[ago.group(2)]: int(ago.group(1))})
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give an ISO date-time or a time ago (10m, 2h)") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _status(text: str) -> tuple[int, int]:
    try:
        return parse_status(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _filter(args: argparse.Namespace) -> JournalFilter:
    return JournalFilter(
        tenant_id=args.tenant,
        app_id=getattr(args, "app", None),
        user_id=getattr(args, "user", None),
        status=getattr(args, "status", None),
        route=getattr(args, "route", None),
        rule=getattr(args, "rule", None),
        since=args.since,
        until=getattr(args, "until", None),
    )


def _print(entry: JournalEntry, *, as_json_lines: bool) -> None:
    print(json.dumps(as_json(entry), ensure_ascii=False) if as_json_lines else one_line(entry), flush=True)


def _journal(args: argparse.Namespace, database: Database) -> int:
    with journal_database_of(database) as journal:
        return _read_journal(args, journal)


def _read_journal(args: argparse.Namespace, database: Database) -> int:
    if args.request_id is not None:
        entry = explain(database, args.request_id, tenant_id=args.tenant)
        if entry is None:
            raise ValueError(f"no journal entry with request-id {args.request_id}")
        print(json.dumps(as_json(entry), ensure_ascii=False, indent=2) if args.json else explained(entry))
        return 0
    where = _filter(args)
    recent = list(reversed(search(database, where, limit=args.limit)))
    for entry in recent:
        _print(entry, as_json_lines=args.json)
    if not args.follow:
        return 0
    after = max((entry.id or 0 for entry in recent), default=None)
    try:
        for entry in follow(database, where, after_id=after, poll_seconds=args.poll, stop=threading.Event()):
            _print(entry, as_json_lines=args.json)
    except KeyboardInterrupt:
        pass
    return 0


def _permissions(args: argparse.Namespace, database: Database) -> int:
    where = _filter(args)
    with journal_database_of(database) as journal:
        entries = search(journal, where, limit=PERMISSION_ENTRIES)
    if not entries:
        who = f"app {args.app}" if args.app else f"user {args.user}"
        raise ValueError(f"no journal entries for {who} in tenant {args.tenant}")
    reports = minimal_permissions(entries, permission_table())
    if args.json:
        print(json.dumps([_report_json(report) for report in reports], indent=2))
        return 0
    for report in reports:
        print(_report_text(report))
    return 0


def _report_json(report: PermissionReport) -> dict[str, object]:
    return {
        "kind": report.kind,
        "operations": [
            {"operation": u.operation, "calls": u.calls, "refused": u.refused, "accepts": list(u.accepted)}
            for u in report.operations
        ],
        "leastPrivileged": list(report.least_privileged),
        "held": list(report.held),
        "unneeded": list(report.unneeded),
        "refused": [
            {
                "requestId": r.request_id,
                "request": f"{r.method} {r.url}",
                "status": r.status,
                "rule": r.rule,
                "hint": r.hint,
                "accepted": list(r.accepted),
                "held": list(r.held),
            }
            for r in report.refused
        ],
        "unknownOperations": list(report.unknown_operations),
    }


def _report_text(report: PermissionReport) -> str:
    lines = [f"{report.kind} permissions", "operations used:"]
    lines += [
        f"  {u.operation}  ({u.calls} calls{f', {u.refused} refused' if u.refused else ''}; "
        f"accepts {' or '.join(u.accepted)})"
        for u in report.operations
    ] or ["  (none)"]
    lines.append(f"least-privileged permissions: {', '.join(report.least_privileged) or '(none)'}")
    lines.append(f"held:                         {', '.join(report.held) or '(none)'}")
    lines.append(f"held but never needed:        {', '.join(report.unneeded) or '(none)'}")
    if report.unknown_operations:
        lines.append(f"operations of unknown permissions: {', '.join(report.unknown_operations)}")
    for refusal in report.refused:
        why = refusal.hint or refusal.rule
        lines.append(
            f"refused: {refusal.method} {refusal.url} -> {refusal.status} {why} [{refusal.request_id}]"
        )
    return "\n".join(lines)


def add_journal_commands(
    commands: Subcommands, common: argparse.ArgumentParser, as_json: argparse.ArgumentParser
) -> None:
    sub = _add(
        commands, "journal", _journal, [common, as_json], "read, follow and explain the request journal"
    )
    sub.add_argument("--tenant", help="only this tenant (default: every tenant)")
    sub.add_argument("--app", help="only calls of this client id")
    sub.add_argument("--user", help="only calls of this user id")
    sub.add_argument("--status", type=_status, help="a status (403) or a class (4xx)")
    sub.add_argument("--route", help="only this route template")
    sub.add_argument("--rule", help="only answers produced by this rule")
    sub.add_argument("--since", type=moment, help="from this time: ISO 8601, or ago: 30s, 10m, 2h, 1d")
    sub.add_argument("--until", type=moment, help="before this time")
    sub.add_argument("--limit", type=int, default=50, help="newest entries shown (default: %(default)s)")
    sub.add_argument("--follow", action="store_true", help="keep printing new entries until interrupted")
    sub.add_argument("--poll", type=float, default=0.5, help=argparse.SUPPRESS)
    sub.add_argument("--request-id", help="explain the one answer that carried this request-id")

    sub = _add(
        commands,
        "permissions",
        _permissions,
        [common, as_json],
        "the least-privileged permissions an app or user needs, from the journal",
    )
    sub.add_argument("--tenant", required=True)
    who = sub.add_mutually_exclusive_group(required=True)
    who.add_argument("--app", help="the client id")
    who.add_argument("--user", help="the user id")
    sub.add_argument("--since", type=moment, help="only calls from this time")

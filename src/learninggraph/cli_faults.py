"""The CLI's ``faults`` commands: add rules (from flags or a TOML file), list them, clear them."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from learninggraph.cli_accounts import Subcommands
from learninggraph.cli_accounts import add_command as _add
from learninggraph.cli_journal import moment
from learninggraph.faults.rules import STATUSES, FaultRule, new_rule
from learninggraph.faults.rules_file import load_rules_file, parse_count
from learninggraph.faults.store import add_rule, clear_rules, list_rules
from learninggraph.identity.directory import Directory
from learninggraph.storage.database import Database


def _rule_json(rule: FaultRule) -> dict[str, object]:
    return {
        "id": rule.id,
        "tenantId": rule.tenant_id,
        "action": str(rule.action),
        "appId": rule.app_id,
        "method": rule.method,
        "route": rule.route,
        "status": rule.status,
        "retryAfter": rule.retry_after,
        "latencyMs": rule.latency_ms,
        "probability": rule.probability,
        "remaining": rule.remaining,
        "start": rule.starts_at.isoformat() if rule.starts_at else None,
        "end": rule.ends_at.isoformat() if rule.ends_at else None,
    }


def _from_flags(args: argparse.Namespace) -> FaultRule:
    if args.tenant is None:
        raise ValueError("give --tenant (or --file with rules that name their tenant)")
    starts_at: datetime | None = args.start
    ends_at: datetime | None = args.end
    if args.duration is not None:
        starts_at = starts_at or datetime.now(UTC)
        ends_at = starts_at + timedelta(seconds=args.duration)
    return new_rule(
        args.tenant,
        status=args.status,
        latency_ms=args.latency_ms,
        drop=args.drop,
        retry_after=args.retry_after,
        app_id=args.app,
        method=args.method,
        route=args.route,
        probability=args.probability,
        count=1 if args.once else args.times,
        starts_at=starts_at,
        ends_at=ends_at,
    )


_RULE_FLAGS = (
    "app",
    "method",
    "route",
    "status",
    "retry_after",
    "probability",
    "times",
    "start",
    "end",
    "duration",
)


def _faults_add(args: argparse.Namespace, database: Database) -> int:
    if args.file:
        given = [name for name in _RULE_FLAGS if getattr(args, name) not in (None, 1.0)]
        given += [name for name in ("drop", "once", "latency_ms") if getattr(args, name)]
        if given:
            flag = "--" + given[0].replace("_", "-")
            raise ValueError(f"{flag} goes with a rule given by flags; with --file, each rule says its own")
    rules = load_rules_file(Path(args.file), tenant_id=args.tenant) if args.file else [_from_flags(args)]
    directory = Directory(database)
    for tenant_id in sorted({rule.tenant_id for rule in rules}):
        if directory.tenant(tenant_id) is None:
            raise ValueError(f"no tenant {tenant_id} in this database")
    for rule in rules:
        add_rule(database, rule)
    if args.json:
        print(json.dumps([_rule_json(rule) for rule in rules], indent=2))
    else:
        for rule in rules:
            print(f"Added fault {rule.id} in tenant {rule.tenant_id}: {rule.describe()}")
    return 0


def _faults_list(args: argparse.Namespace, database: Database) -> int:
    rules = list_rules(database, args.tenant)
    if args.json:
        print(json.dumps([_rule_json(rule) for rule in rules], indent=2))
    elif not rules:
        print("No fault rules.")
    for rule in [] if args.json else rules:
        print(f"{rule.id}  tenant {rule.tenant_id}  {rule.describe()}")
    return 0


def _faults_clear(args: argparse.Namespace, database: Database) -> int:
    cleared = clear_rules(database, args.tenant, args.rule)
    if args.rule is not None and cleared == 0:
        raise ValueError(f"no fault rule {args.rule} in tenant {args.tenant}")
    print(f"Cleared {cleared} fault rule{'s' if cleared != 1 else ''} in tenant {args.tenant}")
    return 0


def _count(text: str) -> int:
    try:
        count = parse_count(int(text) if text.isdigit() else text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    assert count is not None
    return count


def add_fault_commands(
    commands: Subcommands, common: argparse.ArgumentParser, as_json: argparse.ArgumentParser
) -> None:
    faults = commands.add_parser("faults", help="inject Graph's transient failures").add_subparsers(
        dest="action", required=True
    )
    sub = _add(faults, "add", _faults_add, [common, as_json], "add a fault rule (or the rules of a file)")
    sub.add_argument("--file", metavar="RULES.toml", help="add every [[fault]] rule of this file")
    sub.add_argument("--tenant", help="the tenant (required unless the file's rules name theirs)")
    sub.add_argument("--app", help="only requests of this client id")
    sub.add_argument("--method", help="only this method")
    sub.add_argument("--route", help="only this route template (shell-style patterns allowed)")
    kind = sub.add_mutually_exclusive_group()
    kind.add_argument("--status", type=int, choices=STATUSES, help="answer this status in Graph's envelope")
    kind.add_argument("--drop", action="store_true", help="close the connection without an answer")
    sub.add_argument("--retry-after", type=int, metavar="SECONDS", help="Retry-After of a 429 or 503")
    sub.add_argument(
        "--latency-ms", type=int, default=0, help="delay before answering (alone: a slow answer)"
    )
    sub.add_argument("--probability", type=float, default=1.0, help="chance each matching request gets it")
    count = sub.add_mutually_exclusive_group()
    count.add_argument("--once", action="store_true", help="fire once, then never again")
    count.add_argument("--times", type=_count, metavar="N", help="fire N times")
    sub.add_argument("--start", type=moment, help="from this time (ISO 8601)")
    window = sub.add_mutually_exclusive_group()
    window.add_argument("--end", type=moment, help="until this time (ISO 8601)")
    window.add_argument("--duration", type=float, metavar="SECONDS", help="for this long from the start")

    sub = _add(
        faults, "list", _faults_list, [common, as_json], "list fault rules in the order they are tried"
    )
    sub.add_argument("--tenant", help="only this tenant (default: every tenant)")

    sub = _add(faults, "clear", _faults_clear, [common], "delete a tenant's fault rules")
    sub.add_argument("--tenant", required=True)
    sub.add_argument("--rule", help="only this rule id")

"""The journal as people and tools read it: one line per entry, one entry in full, or JSON."""

from __future__ import annotations

import json
from typing import Any

import msgspec

from learninggraph.domain.values import datetime_to_stored, emit_datetime
from learninggraph.journal.entry import Body, JournalEntry


def as_json(entry: JournalEntry) -> dict[str, Any]:
    value: dict[str, Any] = msgspec.to_builtins(entry)
    return value


def one_line(entry: JournalEntry) -> str:
    """``time status METHOD url duration rule``: what the console prints for a request."""
    when = emit_datetime(datetime_to_stored(entry.at))
    rule = entry.decision.rule
    fault = f" fault={entry.fault}" if entry.fault else ""
    return (
        f"{when} {entry.status} {entry.method} {entry.url} {entry.duration_ms:.1f}ms "
        f"{rule}{fault} request-id={entry.request_id}"
    )


def explained(entry: JournalEntry) -> str:
    """Every field of one entry, for ``journal --request-id``."""
    caller = entry.caller
    lines = [
        f"request-id:   {entry.request_id}"
        + (f" (client-request-id {entry.client_request_id})" if entry.client_request_id else ""),
        f"time:         {emit_datetime(datetime_to_stored(entry.at))} ({entry.duration_ms:.1f} ms)",
        f"tenant:       {entry.tenant_id}",
        f"caller:       {caller.kind}"
        + (f" app {caller.app_id}" if caller.app_id else "")
        + (f" user {caller.user_id}" if caller.user_id else ""),
        f"held:         {', '.join(caller.permissions) or '(none)'}",
    ]
    if caller.directory_roles:
        lines.append(f"roles:        {', '.join(caller.directory_roles)}")
    lines += [
        f"request:      {entry.method} {entry.url}",
        f"route:        {entry.route or '(none matched)'}"
        + (f" [{entry.operation}]" if entry.operation else ""),
        f"status:       {entry.status}",
        f"decision:     {entry.decision.rule}",
    ]
    if entry.decision.hint:
        lines.append(f"why:          {entry.decision.hint}")
    for key, value in sorted(entry.decision.details.items()):
        lines.append(f"  {key}: {json.dumps(value, ensure_ascii=False)}")
    lines += _message("request", entry.request_headers, entry.request_body)
    lines += _message("response", entry.response_headers, entry.response_body)
    return "\n".join(lines)


def _message(title: str, headers: tuple[tuple[str, str], ...], body: Body) -> list[str]:
    lines = [f"{title} headers:"] + [f"  {name}: {value}" for name, value in headers]
    if body.size:
        cut = f" (cut: first part of {body.size} bytes)" if body.cut else ""
        lines += [f"{title} body{cut}:", "  " + body.text.replace("\n", "\n  ")]
    return lines

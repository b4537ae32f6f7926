"""The admin API in ``/openapi.json``: its paths, parameters and answers (bearer token, Graph errors)."""

from __future__ import annotations

from typing import Any

from learninggraph.admin.access import ADMIN_PREFIX

_ERROR = {"$ref": "#/components/responses/error"}
_OBJECT: dict[str, Any] = {"type": "object"}
_TEXT = {"type": "string"}
_ENTRY: dict[str, Any] = {
    "type": "object",
    "required": ["id", "at", "tenant_id", "caller", "method", "url", "status", "request_id", "decision"],
    "properties": {
        "id": {"type": "integer"},
        "at": {"type": "string", "format": "date-time"},
        "tenant_id": _TEXT,
        "caller": _OBJECT,
        "method": _TEXT,
        "url": _TEXT,
        "route": {"type": "string", "nullable": True},
        "operation": {"type": "string", "nullable": True},
        "status": {"type": "integer"},
        "duration_ms": {"type": "number"},
        "request_id": _TEXT,
        "client_request_id": {"type": "string", "nullable": True},
        "decision": {
            "type": "object",
            "required": ["rule"],
            "properties": {
                "rule": _TEXT,
                "hint": {"type": "string", "nullable": True},
                "details": _OBJECT,
            },
        },
        "request_headers": {"type": "array", "items": {"type": "array", "items": _TEXT}},
        "request_body": _OBJECT,
        "response_headers": {"type": "array", "items": {"type": "array", "items": _TEXT}},
        "response_body": _OBJECT,
    },
}
_RULE: dict[str, Any] = {
    "type": "object",
    "required": ["id", "action", "description"],
    "properties": {
        "id": _TEXT,
        "action": {"type": "string", "enum": ["status", "latency", "drop"]},
        "app": {"type": "string", "nullable": True},
        "method": {"type": "string", "nullable": True},
        "route": {"type": "string", "nullable": True},
        "status": {"type": "integer", "nullable": True},
        "retry_after": {"type": "integer", "nullable": True},
        "latency_ms": {"type": "integer"},
        "drop": {"type": "boolean"},
        "probability": {"type": "number"},
        "remaining": {"type": "integer", "nullable": True},
        "start": {"type": "string", "nullable": True},
        "end": {"type": "string", "nullable": True},
        "description": _TEXT,
    },
}
_NEW_RULE: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "app": _TEXT,
        "method": {"type": "string", "enum": ["GET", "POST", "PATCH", "PUT", "DELETE"]},
        "route": _TEXT,
        "status": {"type": "integer", "enum": [429, 500, 502, 503, 504]},
        "retry_after": {"type": "integer", "minimum": 0},
        "latency_ms": {"type": "integer", "minimum": 0, "maximum": 120000},
        "drop": {"type": "boolean"},
        "probability": {"type": "number", "exclusiveMinimum": True, "minimum": 0, "maximum": 1},
        "count": {"oneOf": [{"type": "integer", "minimum": 1}, _TEXT]},
        "start": {"type": "string", "format": "date-time"},
        "end": {"type": "string", "format": "date-time"},
        "duration_seconds": {"type": "number"},
    },
}
_JOURNAL_FILTERS = ("app", "user", "status", "method", "route", "operation", "rule", "since", "until")


def admin_paths() -> dict[str, Any]:
    journal_parameters = [_query(name) for name in _JOURNAL_FILTERS] + [
        _query("limit", {"type": "integer", "minimum": 1, "maximum": 1000}),
        _query("before", {"type": "integer", "minimum": 0}),
        _query("after", {"type": "integer", "minimum": 0}),
    ]
    refusals = dict.fromkeys(("400", "401", "403"), _ERROR)
    return {
        f"{ADMIN_PREFIX}/journal": {
            "get": _operation(
                "admin_list_journal",
                "The tenant's journal entries, newest first (oldest first after an id), filtered",
                {"200": _json("A page of entries", _page(_ENTRY, next_link=True)), **refusals},
                journal_parameters,
            )
        },
        f"{ADMIN_PREFIX}/journal/{{requestId}}": {
            "get": _operation(
                "admin_explain_request",
                "The journal entry of one answer, by its request-id, with its explanation as text",
                {"200": _json("The entry", _ENTRY), **refusals, "404": _ERROR},
                [_path("requestId")],
            )
        },
        f"{ADMIN_PREFIX}/permissions": {
            "get": _operation(
                "admin_minimal_permissions",
                "Minimal permissions of an app (client id) or a user (user id), from the journal",
                {"200": _json("One report per kind of caller", _OBJECT), **refusals},
                [_query("app"), _query("user"), _query("since"), _query("until")],
            )
        },
        f"{ADMIN_PREFIX}/faults": {
            "get": _operation(
                "admin_list_faults",
                "The tenant's fault rules in the order they are tried",
                {"200": _json("The rules", _page(_RULE)), **refusals},
            ),
            "post": {
                **_operation(
                    "admin_add_fault",
                    "Add a fault rule (after the others)",
                    {"201": _json("The rule", _RULE), **refusals, "415": _ERROR},
                ),
                "requestBody": {"required": True, "content": {"application/json": {"schema": _NEW_RULE}}},
            },
            "delete": _operation(
                "admin_clear_faults",
                "Clear every fault rule of the tenant",
                {"200": _json("How many were removed", _counts("removed")), **refusals},
            ),
        },
        f"{ADMIN_PREFIX}/faults/{{ruleId}}": {
            "get": _operation(
                "admin_get_fault",
                "One fault rule",
                {"200": _json("The rule", _RULE), **refusals, "404": _ERROR},
                [_path("ruleId")],
            ),
            "delete": _operation(
                "admin_delete_fault",
                "Clear one fault rule",
                {"204": {"description": "Cleared"}, **refusals, "404": _ERROR},
                [_path("ruleId")],
            ),
        },
        f"{ADMIN_PREFIX}/reset": {
            "post": _operation(
                "admin_reset",
                "Forget the tenant's journal entries and fault rules",
                {
                    "200": _json("How many of each were removed", _counts("journal_entries", "fault_rules")),
                    **refusals,
                },
            )
        },
    }


def _operation(
    operation_id: str,
    summary: str,
    responses: dict[str, Any],
    parameters: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "tags": ["admin"],
        "security": [{"bearer": []}],
        "responses": responses,
    }
    if parameters:
        operation["parameters"] = parameters
    return operation


def _page(item: dict[str, Any], *, next_link: bool = False) -> dict[str, Any]:
    properties: dict[str, Any] = {"value": {"type": "array", "items": item}}
    if next_link:
        properties["nextLink"] = _TEXT
    return {"type": "object", "required": ["value"], "properties": properties}


def _counts(*names: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": list(names),
        "properties": {name: {"type": "integer"} for name in names},
    }


def _query(name: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema or _TEXT}


def _path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": _TEXT}


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}

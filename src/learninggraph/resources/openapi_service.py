"""The OpenAPI entries of what is served beside the route table: the probes and JSON batching."""

from __future__ import annotations

from typing import Any

from learninggraph.domain.versions import GRAPH_VERSIONS

_ERROR = {"$ref": "#/components/responses/error"}


def service_paths() -> dict[str, Any]:
    probe_body = {
        "type": "object",
        "required": ["status"],
        "properties": {
            "status": {"type": "string"},
            "database": {"type": "string"},
            "migrations": {"type": "string"},
            "pending": {"type": "array", "items": {"type": "integer"}},
        },
    }
    paths: dict[str, Any] = {
        "/health": {
            "get": {
                "operationId": "get_health",
                "summary": "Liveness: the process answers",
                "security": [],
                "responses": {"200": _json("Alive", probe_body)},
            }
        },
        "/ready": {
            "get": {
                "operationId": "get_ready",
                "summary": "Readiness: the database answers and every migration is applied",
                "security": [],
                "responses": {
                    "200": _json("Ready", probe_body),
                    "503": _json("Not ready, with what is wrong", probe_body),
                },
            }
        },
    }
    for version in GRAPH_VERSIONS:
        paths[f"/{version}/$batch"] = {
            "post": {
                "operationId": f"post_{version.replace('.', '')}_batch",
                "summary": "JSON batching: up to 20 requests, with dependsOn",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/batchRequest"}}
                    },
                },
                "responses": {
                    "200": _json("The answers", {"$ref": "#/components/schemas/batchResponse"}),
                    **dict.fromkeys(("400", "401", "405", "413", "415", "503"), _ERROR),
                },
            }
        }
    return paths


def batch_schemas() -> dict[str, Any]:
    headers = {"type": "object", "additionalProperties": {"type": "string"}}
    return {
        "batchRequest": {
            "type": "object",
            "required": ["requests"],
            "properties": {
                "requests": {
                    "type": "array",
                    "maxItems": 20,
                    "items": {
                        "type": "object",
                        "required": ["id", "method", "url"],
                        "properties": {
                            "id": {"type": "string"},
                            "method": {"type": "string"},
                            "url": {"type": "string"},
                            "headers": headers,
                            "body": {},
                            "dependsOn": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                }
            },
        },
        "batchResponse": {
            "type": "object",
            "required": ["responses"],
            "properties": {
                "responses": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["id", "status"],
                        "properties": {
                            "id": {"type": "string"},
                            "status": {"type": "integer"},
                            "headers": headers,
                            "body": {},
                        },
                    },
                }
            },
        },
    }


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}

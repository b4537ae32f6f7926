"""The one place that turns a GraphError into Graph's error envelope."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec

from learninggraph.domain.errors import GraphError
from learninggraph.http.messages import JSON_CONTENT_TYPE, Response

_encode = msgspec.json.Encoder().encode


def render_error(error: GraphError, *, request_id: str, client_request_id: str) -> Response:
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.details:
        body["details"] = [
            {"code": d.code, "message": d.message, **({"target": d.target} if d.target else {})}
            for d in error.details
        ]
    body["innerError"] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        "request-id": request_id,
        "client-request-id": client_request_id,
    }
    return Response(
        error.status,
        _encode({"error": body}),
        JSON_CONTENT_TYPE,
        list(error.headers.items()),
    )

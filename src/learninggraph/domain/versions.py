"""The Graph API versions served: every path under ``/v1.0`` or ``/beta``, each with its own ``$metadata``."""

from __future__ import annotations

GRAPH_VERSIONS = ("v1.0", "beta")

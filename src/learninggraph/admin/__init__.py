"""The admin HTTP API under ``/_learninggraph/admin/``: one tenant's journal, minimal permissions and fault rules.

JSON in and out, errors in Graph's envelope; every call carries a bearer token of the token service and sees
only that token's tenant (``admin.access``). ``admin.routes`` declares the routes, served beside the token
service and the probes; ``admin.openapi`` describes them for ``/openapi.json``.
"""

from learninggraph.admin.access import ADMIN_PREFIX
from learninggraph.admin.routes import AdminServices, admin_routes

__all__ = ["ADMIN_PREFIX", "AdminServices", "admin_routes"]

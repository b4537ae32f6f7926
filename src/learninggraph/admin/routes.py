"""The admin API's routes, declared as public operations (outside ``/v1.0`` and ``/beta``): each checks the
token itself (``admin.access``) and hands its handler the caller's tenant.

GET    /_learninggraph/admin/journal                  the tenant's entries, filtered and paged
GET    /_learninggraph/admin/journal/{requestId}      one answer explained
GET    /_learninggraph/admin/permissions?app=|user=   minimal permissions of an app or a user
GET    /_learninggraph/admin/faults                   the fault rules, in the order they are tried
POST   /_learninggraph/admin/faults                   add a rule
GET    /_learninggraph/admin/faults/{ruleId}          one rule
DELETE /_learninggraph/admin/faults/{ruleId}          clear one rule
DELETE /_learninggraph/admin/faults                   clear every rule
POST   /_learninggraph/admin/reset                    forget the tenant's journal and fault rules
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from learninggraph.admin.access import AdminAccess, Authenticator
from learninggraph.domain.principal import Permissions
from learninggraph.http.context import Handler, Operation, Param, RequestContext
from learninggraph.http.messages import Response
from learninggraph.journal.journal import Journal
from learninggraph.storage.database import Database

if TYPE_CHECKING:
    from learninggraph.admin.fault_views import FaultViews
    from learninggraph.admin.journal_views import JournalViews

_BASE = ("_learninggraph", "admin")
TenantHandler = Callable[[RequestContext, str], Response]


@dataclass(frozen=True)
class AdminServices:
    """What the admin API reads and changes: the database, the process's journal (None when recording is
    off: what is stored can still be read), what each Graph operation accepts, and whom to tell when the
    fault rules change."""

    database: Database
    authenticator: Authenticator
    journal: Journal | None = None
    operations: Mapping[str, Permissions] = field(default_factory=dict)
    faults_changed: Callable[[], None] = lambda: None
    # Where the journal is stored (``journal.storage``); None: in ``database``.
    journal_database: Database | None = None


class _Views(NamedTuple):
    reads: JournalViews
    faults: FaultViews


def admin_routes(services: AdminServices) -> list[Operation]:
    """The routes, declared at once; their views (and the journal's and fault rules' modules behind them) are
    built on the admin API's first request, which a test suite that never reads its journal does not make."""
    access = AdminAccess(services.authenticator)
    built: list[_Views] = []
    lock = threading.Lock()

    def views() -> _Views:
        if not built:
            with lock:
                if not built:
                    built.append(_build_views(services))
        return built[0]

    def admin(handler: Callable[[_Views], TenantHandler]) -> Handler:
        return lambda context: handler(views())(context, access.caller(context).tenant_id)

    rule = Param("rule_id")
    return [
        Operation("admin.journal.list", "GET", (*_BASE, "journal"), admin(lambda v: v.reads.listing)),
        Operation(
            "admin.journal.get",
            "GET",
            (*_BASE, "journal", Param("request_id")),
            admin(lambda v: v.reads.entry),
        ),
        Operation("admin.permissions", "GET", (*_BASE, "permissions"), admin(lambda v: v.reads.permissions)),
        Operation("admin.faults.list", "GET", (*_BASE, "faults"), admin(lambda v: v.faults.listing)),
        Operation("admin.faults.add", "POST", (*_BASE, "faults"), admin(lambda v: v.faults.add)),
        Operation("admin.faults.clear", "DELETE", (*_BASE, "faults"), admin(lambda v: v.faults.clear_all)),
        Operation("admin.faults.get", "GET", (*_BASE, "faults", rule), admin(lambda v: v.faults.one)),
        Operation(
            "admin.faults.delete", "DELETE", (*_BASE, "faults", rule), admin(lambda v: v.faults.clear_one)
        ),
        Operation("admin.reset", "POST", (*_BASE, "reset"), admin(lambda v: v.faults.reset)),
    ]


def _build_views(services: AdminServices) -> _Views:
    from learninggraph.admin.fault_views import FaultViews
    from learninggraph.admin.journal_views import JournalViews

    journal = services.journal
    flush = journal.flush if journal is not None else (lambda: None)
    stored = services.journal_database or services.database
    return _Views(
        reads=JournalViews(stored, flush, services.operations),
        faults=FaultViews(services.database, journal, services.faults_changed, journal_database=stored),
    )

"""The resources the app serves, in order, and what is assembled from their descriptors.

``ROOT`` is the ``employeeExperience`` containers every learning resource hangs under; ``RESOURCES`` the ones
under it, in the order their routes are matched and listed in ``/openapi.json``. From their descriptors come
the route table, ``$metadata`` of each version, ``/openapi.json`` and the migrations. ``create_app`` takes
extra resources (a test's) and passes them through the same functions, after the registered ones.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from learninggraph.domain.principal import Permissions
from learninggraph.domain.versions import GRAPH_VERSIONS
from learninggraph.http.routing import Operation, Route
from learninggraph.resources import (
    employee_experience,
    learning_contents,
    learning_course_activities,
    learning_providers,
)
from learninggraph.resources.descriptor import Resource, Wiring
from learninggraph.storage.database import Database
from learninggraph.storage.migrations import MIGRATIONS, Migration

ROOT = employee_experience.RESOURCE
RESOURCES: tuple[Resource, ...] = (
    learning_providers.RESOURCE,
    learning_contents.RESOURCE,
    learning_course_activities.RESOURCE,
)


def served(extra: Sequence[Resource] = ()) -> tuple[Resource, ...]:
    """Every resource an app serves: the root, the registered ones, then ``extra``; each name once."""
    resources = (ROOT, *RESOURCES, *extra)
    names = [resource.name for resource in resources]
    if len(set(names)) != len(names):
        raise ValueError(f"a resource is registered twice: {names}")
    return resources


def routes(resources: Sequence[Resource], wiring: Wiring) -> list[Operation]:
    """The Graph route table: each resource's routes in order, the root's (fixed and few) last."""
    ordered = sorted(resources, key=lambda resource: resource is ROOT)
    return [route for resource in ordered for route in resource.routes(wiring)]


def metadata_documents(resources: Sequence[Resource]) -> dict[str, bytes]:
    """``$metadata`` of each API version."""
    from learninggraph.resources.metadata.document import csdl_document

    parts = [resource.csdl for resource in resources]
    return {version: csdl_document(version, parts) for version in GRAPH_VERSIONS}


class MetadataOnFirstRead(Mapping[str, bytes]):
    """``$metadata`` of each API version, each built the first time it is read (not while a server starts)."""

    def __init__(self, resources: Sequence[Resource]) -> None:
        self._parts = [resource.csdl for resource in resources]
        self._built: dict[str, bytes] = {}

    def __getitem__(self, version: str) -> bytes:
        document = self._built.get(version)
        if document is None:
            if version not in GRAPH_VERSIONS:
                raise KeyError(version)
            # The document's writer (ElementTree, the vocabularies' annotations) loads with the first read.
            from learninggraph.resources.metadata.document import csdl_document

            document = self._built[version] = csdl_document(version, self._parts)
        return document

    def __iter__(self) -> Iterator[str]:
        return iter(GRAPH_VERSIONS)

    def __len__(self) -> int:
        return len(GRAPH_VERSIONS)


def openapi(graph_routes: Sequence[Route], resources: Sequence[Resource], *, version: str) -> dict[str, Any]:
    """``/openapi.json`` of ``graph_routes``, the routes built from ``resources``."""
    from learninggraph.resources.openapi import openapi_document  # on the document's first request

    return openapi_document(graph_routes, resources, title="learninggraph", version=version)


def migrations(resources: Sequence[Resource] = ()) -> tuple[Migration, ...]:
    """The first migrations and those the resources bring, by version; a version taken twice is an error."""
    every = [*MIGRATIONS, *(m for resource in resources for m in resource.migrations)]
    versions = [migration.version for migration in every]
    if len(set(versions)) != len(versions):
        raise ValueError(f"a migration version is taken twice: {sorted(versions)}")
    return tuple(sorted(every, key=lambda migration: migration.version))


def permission_table(resources: Sequence[Resource] = ()) -> dict[str, Permissions]:
    """Each Graph operation's stable name → the permissions its route declares (the table the edge enforces).

    Built from the same declarations as the app's routes (the registered resources and ``resources``), so
    ``learninggraph permissions``, the admin API and the test kit judge calls by the rules the server applies.
    An operation declared on several routes accepts what any of them accepts.
    """
    database = Database("sqlite:///:memory:")  # the route factories keep it; no route runs here
    try:
        operations = routes(served(resources), Wiring(database, page_size=1))
    finally:
        database.close()
    table: dict[str, Permissions] = {}
    for operation in operations:
        declared = operation.permissions
        if declared is None:
            continue
        known = table.get(operation.name)
        table[operation.name] = declared if known is None else _either(known, declared)
    return table


def _either(first: Permissions, second: Permissions) -> Permissions:
    return Permissions(
        application=first.application | second.application,
        delegated=first.delegated | second.delegated,
        delegated_roles=first.delegated_roles | second.delegated_roles,
    )

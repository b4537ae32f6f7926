"""What a resource folder declares about itself, once: the ``Resource`` each ``resources/<name>/__init__.py`` builds.

A descriptor names the resource's entity types, the factory of its routes, its parts of ``$metadata`` and of
``/openapi.json``, its tables and any migration of its own. ``resources.registry`` lists the descriptors and
assembles the app, the documents and the migrations from them; nothing central names a resource's parts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from learninggraph.domain.entity import EntityType
from learninggraph.http.routing import Operation
from learninggraph.resources.metadata.csdl import CsdlParts
from learninggraph.storage.database import Database
from learninggraph.storage.migrations import Migration


@dataclass(frozen=True, slots=True)
class Wiring:
    """What the app hands every routes factory: the database and the default page size."""

    database: Database
    page_size: int


RoutesFactory = Callable[[Wiring], Sequence[Operation]]
# The JSON schema of a write's body: (API version, path template, create: POST rather than PATCH).
RequestBody = Callable[[str, str, bool], dict[str, Any]]
# The entities a singleton segment serves, given the literal segments up to and including it; None: not one.
SingletonEntities = Callable[[Sequence[str]], tuple[EntityType, ...] | None]


@dataclass(frozen=True, slots=True)
class OpenApiParts:
    """What ``/openapi.json`` needs to describe a resource's routes beyond its entity types.

    ``collections``: each collection segment the resource serves (lower case) and the entity types it holds;
    ``key_names``: its alternate keys, lower case to their spelling; ``upsert``: its PATCH creates or updates
    and answers 202 with the entity (else 204, or 200 with ``Prefer: return=representation``).
    """

    collections: Mapping[str, tuple[EntityType, ...]] = field(default_factory=dict)
    singletons: SingletonEntities | None = None
    key_names: Mapping[str, str] = field(default_factory=dict)
    request_body: RequestBody | None = None
    upsert: bool = False


@dataclass(frozen=True, slots=True)
class Resource:
    """One resource, as its folder declares it.

    ``entities``: its entity types, in the order ``/openapi.json`` lists their schemas; ``routes``: builds its
    routes for one app; ``tables``: the tables its rows live in; ``migrations``: those it brings itself (the
    tables of the resources in the first migrations were created there, before resources brought their own).
    """

    name: str
    entities: tuple[EntityType, ...]
    routes: RoutesFactory
    csdl: CsdlParts
    openapi: OpenApiParts
    tables: tuple[str, ...] = ()
    migrations: tuple[Migration, ...] = ()

"""The OpenAPI 3 document of exactly what is served, generated from the route table and the resources' descriptors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from learninggraph.domain.entity import EntityType, Kind, Property
from learninggraph.domain.versions import GRAPH_VERSIONS
from learninggraph.http.routing import Key, Param, Route
from learninggraph.resources.descriptor import OpenApiParts, Resource
from learninggraph.resources.openapi_links import links
from learninggraph.resources.openapi_service import batch_schemas, service_paths

COLLECTION_OPTIONS = ("$filter", "$select", "$orderby", "$top", "$skip", "$count", "$skiptoken")
ERROR_STATUSES = ("400", "401", "403", "404", "405", "409", "413", "415", "429", "503")


@dataclass(frozen=True, slots=True)
class _Served:
    """What one path serves: its entity types, the resource that owns them, and its shape."""

    entities: tuple[EntityType, ...] = ()
    owner: OpenApiParts | None = None
    shape: str = "item"


class _Index:
    """The resources' OpenAPI parts, looked up by collection segment, singleton and key name."""

    def __init__(self, resources: Sequence[Resource]) -> None:
        self.collections: dict[str, tuple[tuple[EntityType, ...], OpenApiParts]] = {}
        self.key_names: dict[str, str] = {}
        self.singletons = [r.openapi for r in resources if r.openapi.singletons is not None]
        for resource in resources:
            for segment, entities in resource.openapi.collections.items():
                self.collections[segment] = (entities, resource.openapi)
            self.key_names.update(resource.openapi.key_names)

    def singleton(self, segments: Sequence[str]) -> _Served | None:
        for parts in self.singletons:
            assert parts.singletons is not None
            entities = parts.singletons(segments)
            if entities is not None:
                return _Served(entities, parts)
        return None


def openapi_document(
    routes: Sequence[Route], resources: Sequence[Resource], *, title: str, version: str
) -> dict[str, Any]:
    index = _Index(resources)
    paths: dict[str, Any] = {}
    for api_version in GRAPH_VERSIONS:
        for route in routes:
            path, parameters, served = _describe(route, index)
            operations: dict[str, Any] = {}
            for method in sorted(route.methods):
                operations[method.lower()] = _operation(method, served, parameters, api_version, path)
            paths[f"/{api_version}{path}"] = operations
    paths.update(service_paths())
    return {
        "openapi": "3.0.3",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": {**_schemas(resources), **batch_schemas()},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            "responses": {
                "error": {
                    "description": "A Graph error",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/odataError"}}},
                }
            },
        },
        "security": [{"bearer": []}],
    }


def _describe(route: Route, index: _Index) -> tuple[str, list[dict[str, Any]], _Served]:
    """The path template, its parameters, and what it serves (entities, owner, collection, item or count)."""
    segments: list[str] = []
    parameters: list[dict[str, Any]] = []
    served = _Served()
    for part in route.pattern:
        if isinstance(part, str):
            segments.append(part)
            singleton = index.singleton(segments)
            if singleton is not None:
                served = _Served(singleton.entities, singleton.owner, served.shape)
            elif part.lower() in index.collections:
                entities, owner = index.collections[part.lower()]
                served = _Served(entities, owner, "collection")
            elif part in ("$count", "$ref"):
                served = _Served(served.entities, served.owner, part.removeprefix("$"))
        elif isinstance(part, Param):
            segments.append("{" + part.name + "}")
            parameters.append(_path_parameter(part.name))
            if served.shape == "collection":
                served = _Served(served.entities, served.owner, "item")
        else:
            assert isinstance(part, Key)
            segments.append(f"{part.segment}({index.key_names[part.key_names[0]]}='{{{part.param}}}')")
            parameters.append(_path_parameter(part.param))
            entities, owner = index.collections[part.segment.lower()]
            served = _Served(entities, owner, "item")
    return "/" + "/".join(segments), parameters, served


def _path_parameter(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}


def _operation(
    method: str, served: _Served, parameters: list[dict[str, Any]], api_version: str, path: str
) -> dict[str, Any]:
    entities, shape = served.entities, served.shape
    entity_schema = _entity_ref(entities)
    operation: dict[str, Any] = {
        "operationId": _operation_id(method, api_version, path),
        "parameters": list(parameters),
        "responses": {status: {"$ref": "#/components/responses/error"} for status in ERROR_STATUSES},
    }
    if shape == "count":
        operation["parameters"].append(_query("$filter", entities))
        operation["responses"]["200"] = {
            "description": "The number of items",
            "content": {"text/plain": {"schema": {"type": "string", "pattern": "^[0-9]+$"}}},
        }
    elif method == "GET" and shape == "collection":
        operation["parameters"] += [_query(name, entities) for name in COLLECTION_OPTIONS]
        operation["responses"]["200"] = _json(
            "A page of the collection",
            {
                "type": "object",
                "required": ["value"],
                "properties": {
                    "@odata.context": {"type": "string"},
                    "@odata.count": {"type": "integer"},
                    "@odata.nextLink": {"type": "string"},
                    "value": {"type": "array", "items": entity_schema},
                },
            },
        )
    elif method == "GET":
        operation["parameters"].append(_query("$select", entities))
        operation["responses"]["200"] = _json("The entity", entity_schema)
    elif method == "POST":
        operation["requestBody"] = _body(_request_schema(served, api_version, path, create=True))
        operation["responses"]["201"] = _json("The created entity", entity_schema)
    elif method == "PATCH":
        operation["requestBody"] = _body(_request_schema(served, api_version, path, create=False))
        if served.owner is not None and served.owner.upsert:
            operation["responses"]["202"] = _json("The created or updated entity", entity_schema)
        else:
            operation["responses"]["204"] = {"description": "Updated"}
            operation["responses"]["200"] = _json(
                "The updated entity (Prefer: return=representation)", entity_schema
            )
    elif method == "DELETE":
        operation["responses"]["204"] = {"description": "Deleted"}
    linked = links(method.lower(), path, lambda m, p: _operation_id(m.upper(), api_version, p))
    if linked is not None:
        status, described = linked
        operation["responses"][status] = {**operation["responses"][status], "links": described}
    return operation


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _request_schema(served: _Served, api_version: str, path: str, *, create: bool) -> dict[str, Any]:
    owner = served.owner
    if owner is None or owner.request_body is None:
        raise ValueError(f"{path}: a write to a path whose resource declares no request body")
    return owner.request_body(api_version, path, create)


def _operation_id(method: str, api_version: str, path: str) -> str:
    cleaned = "".join(c if c.isalnum() else "_" for c in path).strip("_")
    return f"{method.lower()}_{api_version.replace('.', '')}_{cleaned}"


def _query(name: str, entities: tuple[EntityType, ...]) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    names = sorted({p.name for e in entities for p in e.properties})
    sortable = sorted({p.name for e in entities for p in e.properties if p.is_sortable})
    if name == "$select" and names:
        # A comma-separated list of property names (or *).
        one = "(\\*|" + "|".join(names) + ")"
        schema["pattern"] = f"^{one}(,{one})*$"
    elif name == "$orderby" and sortable:
        # A property, optionally followed by asc or desc (the server also takes a list of distinct ones).
        schema["pattern"] = "^(" + "|".join(sortable) + ")( (asc|desc))?$"
    elif name in ("$top", "$skip"):
        schema = {"type": "integer", "minimum": 0}
    elif name == "$count":
        schema = {"type": "boolean"}
    return {"name": name, "in": "query", "required": False, "schema": schema}


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _entity_ref(entities: tuple[EntityType, ...]) -> dict[str, Any]:
    if len(entities) == 1:
        return {"$ref": f"#/components/schemas/{entities[0].name}"}
    if not entities:
        return {"type": "object"}
    return {
        # anyOf, not oneOf: every property of both types is optional, so a partial body matches both.
        "anyOf": [{"$ref": f"#/components/schemas/{e.name}"} for e in entities],
        "discriminator": {
            "propertyName": "@odata.type",
            "mapping": {e.odata_type: f"#/components/schemas/{e.name}" for e in entities},
        },
    }


def _schemas(resources: Sequence[Resource]) -> dict[str, Any]:
    schemas: dict[str, Any] = {
        entity.name: _entity_schema(entity) for resource in resources for entity in resource.entities
    }
    schemas["dateTimeTimeZone"] = {
        "type": "object",
        "properties": {"dateTime": {"type": "string"}, "timeZone": {"type": "string", "nullable": True}},
    }
    schemas["itemBody"] = {
        "type": "object",
        "properties": {
            "content": {"type": "string", "nullable": True},
            "contentType": {"type": "string", "enum": ["text", "html"], "nullable": True},
        },
    }
    schemas["odataError"] = {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "details": {"type": "array", "items": {"type": "object"}},
                    "innerError": {
                        "type": "object",
                        "properties": {
                            "date": {"type": "string"},
                            "request-id": {"type": "string"},
                            "client-request-id": {"type": "string"},
                        },
                    },
                },
            }
        },
    }
    return schemas


def _entity_schema(entity: EntityType) -> dict[str, Any]:
    properties: dict[str, Any] = {"@odata.type": {"type": "string"}, "@odata.context": {"type": "string"}}
    for prop in entity.properties:
        properties[prop.name] = _property_schema(prop)
        for alias in prop.aliases:
            properties[alias] = _property_schema(prop)
    return {"type": "object", "properties": properties}


def _property_schema(prop: Property) -> dict[str, Any]:
    schema: dict[str, Any]
    if prop.kind is Kind.STRING:
        schema = {"type": "string", "maxLength": prop.max_length}
    elif prop.kind is Kind.BOOLEAN:
        schema = {"type": "boolean"}
    elif prop.kind is Kind.INT32:
        schema = {"type": "integer", "format": "int32"}
    elif prop.kind is Kind.DATETIME:
        schema = {"type": "string", "format": "date-time"}
    elif prop.kind is Kind.DURATION:
        schema = {"type": "string", "pattern": "^P"}
    elif prop.kind is Kind.ENUM:
        assert prop.enum is not None
        schema = {"type": "string", "enum": list(prop.enum.members)}
    elif prop.kind is Kind.STRING_LIST:
        schema = {"type": "array", "items": {"type": "string"}}
    elif prop.kind is Kind.DATETIME_TIME_ZONE:
        return {"allOf": [{"$ref": "#/components/schemas/dateTimeTimeZone"}], "nullable": True}
    else:
        return {"allOf": [{"$ref": "#/components/schemas/itemBody"}], "nullable": True}
    if prop.nullable:
        schema["nullable"] = True
    return schema

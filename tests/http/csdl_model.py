"""A CSDL schema reduced to what it declares, so two documents compare by structure rather than by text.

Each declaration becomes one entry keyed by its path (``EntityType learningContent/Property title``,
``EntityType entity/Key``, ``Annotations <target>@<term>``); attribute order, whitespace, comments and the
order of record fields do not matter, defaults (``Nullable="true"``) are spelled out; the order of properties,
navigation properties and enum members is kept as an entry of its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

EDM = "{http://docs.oasis-open.org/odata/ns/edm}"
SLICES = Path(__file__).parent / "csdl"
# The kinds of schema element the slices carry; the entity container is compared on its own.
COMPARED = ("EnumType", "ComplexType", "EntityType", "Annotations")
_DEFAULTS = {
    "Property": {"Nullable": "true"},
    "NavigationProperty": {"Nullable": "true", "ContainsTarget": "false"},
    "EntityType": {"Abstract": "false", "OpenType": "false"},
    "ComplexType": {"Abstract": "false", "OpenType": "false"},
}
_MEMBER_KINDS = ("Property", "NavigationProperty", "Member")


def microsoft_slice(version: str) -> bytes:
    return (SLICES / f"microsoft-learning-csdl-{version}.xml").read_bytes()


def schema_of(document: bytes) -> ET.Element:
    root = ET.fromstring(document)
    schema = root.find(f"./{{http://docs.oasis-open.org/odata/ns/edmx}}DataServices/{EDM}Schema")
    assert schema is not None, "no Schema under edmx:DataServices"
    return schema


def model(document: bytes) -> dict[str, Any]:
    """Every declaration of the schema's compared elements, by path."""
    schema = schema_of(document)
    entries: dict[str, Any] = {"Schema": dict(schema.attrib)}
    for element in schema:
        kind = _local(element.tag)
        if kind not in COMPARED:
            continue
        if kind == "Annotations":
            target = element.get("Target", "")
            entries[f"Annotations {target}"] = {}
            for annotation in element:
                entries[f"Annotations {target}@{annotation.get('Term')}"] = _annotation(annotation)
            continue
        path = f"{kind} {element.get('Name')}"
        entries[path] = _attributes(element, without=("Name",))
        order: dict[str, list[str]] = {}
        for child in element:
            child_kind = _local(child.tag)
            if child_kind == "Key":
                entries[f"{path}/Key"] = [ref.get("Name") for ref in child]
            elif child_kind == "Annotation":
                entries[f"{path}@{child.get('Term')}"] = _annotation(child)
            elif child_kind in _MEMBER_KINDS:
                name = child.get("Name", "")
                member = f"{path}/{child_kind} {name}"
                entries[member] = _attributes(child, without=("Name",))
                order.setdefault(child_kind, []).append(name)
                for annotation in child:
                    entries[f"{member}@{annotation.get('Term')}"] = _annotation(annotation)
            else:
                entries[f"{path}/{child_kind}"] = _canonical(child)
        for child_kind, names in order.items():
            entries[f"{path}/{child_kind} order"] = names
    return entries


def differences(reference: dict[str, Any], served: dict[str, Any]) -> set[str]:
    """``missing: path``, ``extra: path`` or ``differs: path``; nothing under a declaration missing as a whole."""
    found: dict[str, str] = {}
    for path in sorted(reference.keys() | served.keys(), key=len):
        if any(found.get(parent) in ("missing", "extra") for parent in _parents(path)):
            continue
        if path not in served:
            found[path] = "missing"
        elif path not in reference:
            found[path] = "extra"
        elif path.endswith(" order"):
            common = set(reference[path]) & set(served[path])
            if [n for n in reference[path] if n in common] != [n for n in served[path] if n in common]:
                found[path] = "differs"
        elif reference[path] != served[path]:
            found[path] = "differs"
    return {f"{state}: {path}" for path, state in found.items()}


def _parents(path: str) -> list[str]:
    cuts = [i for i, c in enumerate(path) if c in "/@"]
    return [path[:i] for i in cuts]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attributes(element: ET.Element, *, without: tuple[str, ...]) -> dict[str, str]:
    """The element's attributes with the defaults it leaves out spelled out."""
    attributes = {**_DEFAULTS.get(_local(element.tag), {}), **element.attrib}
    for name in without:
        attributes.pop(name, None)
    return attributes


def _annotation(element: ET.Element) -> Any:
    attributes = dict(element.attrib)
    attributes.pop("Term", None)
    return {"attributes": attributes, "value": [_canonical(child) for child in element]}


def _canonical(element: ET.Element) -> Any:
    """An annotation value: records keyed by field name, collections in order."""
    kind = _local(element.tag)
    if kind == "Record":
        fields = {field.get("Property"): _canonical(field) for field in element}
        return {"Record": element.get("Type"), "fields": fields}
    attributes = dict(element.attrib)
    attributes.pop("Property", None)
    return {kind: attributes, "children": [_canonical(child) for child in element]}

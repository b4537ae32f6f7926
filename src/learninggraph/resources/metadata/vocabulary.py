"""CSDL annotation values (records, collections, strings, paths) and how they are written as XML."""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree import ElementTree as ET

EDM = "http://docs.oasis-open.org/odata/ns/edm"
CORE = "Org.OData.Core.V1"
CAPABILITIES = "Org.OData.Capabilities.V1"


@dataclass(frozen=True, slots=True)
class Path:
    """A ``PropertyPath`` value: the name of a property of the annotated type."""

    value: str


@dataclass(frozen=True, slots=True)
class Record:
    """A ``Record``: its property values in order, and its type when the vocabulary names one."""

    values: tuple[tuple[str, Value], ...]
    type: str | None = None


@dataclass(frozen=True, slots=True)
class Collection:
    items: tuple[Record, ...]


Value = str | Path | Record | Collection


@dataclass(frozen=True, slots=True)
class Annotation:
    term: str
    value: Value


def record(*values: tuple[str, Value], type: str | None = None) -> Record:
    return Record(values, type)


def description(text: str) -> Annotation:
    return Annotation(f"{CORE}.Description", text)


def alternate_key(property_name: str) -> Annotation:
    """One alternate key made of one property, under its own name as alias, as Graph declares them."""
    reference = record(("Alias", property_name), ("Name", Path(property_name)), type=f"{CORE}.PropertyRef")
    key = record(("Key", Collection((reference,))), type=f"{CORE}.AlternateKey")
    return Annotation(f"{CORE}.AlternateKeys", Collection((key,)))


def write(parent: ET.Element, annotation: Annotation) -> None:
    """Appends ``<Annotation Term=…>`` with its value to ``parent``."""
    attributes = {"Term": annotation.term}
    value = annotation.value
    if isinstance(value, str):
        attributes["String"] = value
    element = ET.SubElement(parent, f"{{{EDM}}}Annotation", attributes)
    if not isinstance(value, str):
        _write_value(element, value)


def _write_value(parent: ET.Element, value: Path | Record | Collection) -> None:
    if isinstance(value, Collection):
        collection = ET.SubElement(parent, f"{{{EDM}}}Collection")
        for item in value.items:
            _write_value(collection, item)
    elif isinstance(value, Record):
        element = ET.SubElement(
            parent, f"{{{EDM}}}Record", {} if value.type is None else {"Type": value.type}
        )
        for name, inner in value.values:
            attributes = {"Property": name}
            if isinstance(inner, str):
                attributes["String"] = inner
            elif isinstance(inner, Path):
                attributes["PropertyPath"] = inner.value
            property_value = ET.SubElement(element, f"{{{EDM}}}PropertyValue", attributes)
            if isinstance(inner, Record | Collection):
                _write_value(property_value, inner)
    else:
        raise TypeError(f"a {type(value).__name__} is written as an attribute, not an element")

"""The registry refuses descriptors that would make an ambiguous app: a resource twice, a migration version
taken twice, a navigation property added to a type no resource declares."""

from __future__ import annotations

import dataclasses

import pytest

from learninggraph.resources import learning_providers, registry
from learninggraph.resources.metadata import CsdlParts, Member, csdl_document
from learninggraph.storage.migrations import MIGRATIONS, Migration
from tests.architecture.example_resource import RESOURCE as EXAMPLE


def test_a_resource_served_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        registry.served((learning_providers.RESOURCE,))


def test_a_resource_migration_may_not_take_a_version_of_the_first_migrations() -> None:
    clash = dataclasses.replace(EXAMPLE, migrations=(Migration(MIGRATIONS[0].version, "clash", ()),))

    with pytest.raises(ValueError, match="taken twice"):
        registry.migrations(registry.served((clash,)))


def test_the_migrations_of_the_served_resources_follow_the_first_ones_in_version_order() -> None:
    versions = [m.version for m in registry.migrations(registry.served((EXAMPLE,)))]

    assert versions == [*(m.version for m in MIGRATIONS), 1001]


def test_a_navigation_property_added_to_an_undeclared_type_is_refused() -> None:
    stray = CsdlParts(members=(("learningGoal", Member("steps", "Edm.String", navigation=True)),))

    with pytest.raises(ValueError, match="no resource declares"):
        csdl_document("v1.0", [stray])

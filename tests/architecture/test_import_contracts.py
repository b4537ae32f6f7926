"""The import contracts of pyproject.toml cover every resource folder: each folder's repository is protected, so
that only the folder itself imports it; a new folder without its contract is named here."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = ROOT / "src" / "learninggraph" / "resources"


def _contracts() -> list[dict[str, Any]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts: list[dict[str, Any]] = config["tool"]["importlinter"]["contracts"]
    return contracts


def test_only_its_own_folder_may_import_a_resource_repository() -> None:
    protected = {
        module: contract["allowed_importers"]
        for contract in _contracts()
        if contract["type"] == "protected"
        for module in contract["protected_modules"]
    }
    folders = sorted(path.parent.name for path in RESOURCES.glob("*/repository.py"))

    assert folders, "no resource folder has a repository"
    for folder in folders:
        package = f"learninggraph.resources.{folder}"
        assert protected.get(f"{package}.repository") == [package], f"{folder}: no protected contract"


def test_the_layers_name_every_top_level_module_of_the_package() -> None:
    (layers,) = (c for c in _contracts() if c["id"] == "layers")
    named = {
        module.strip().removeprefix("learninggraph.")
        for layer in layers["layers"]
        for module in layer.replace("|", ":").split(":")
    }
    present = {
        path.stem if path.is_file() else path.name
        for path in (ROOT / "src" / "learninggraph").iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").exists()
    }

    assert present - named == set()

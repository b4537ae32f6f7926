"""Resource folders reach each other only through the public surface each one names: its ``queries`` module."""

from __future__ import annotations

import ast
from pathlib import Path

import learninggraph.resources

RESOURCES = Path(learninggraph.resources.__file__).parent
FOLDERS = ("employee_experience", "learning_contents", "learning_course_activities", "learning_providers")


def imported_modules(path: Path) -> list[str]:
    """Every module a file imports, ``from package import module`` counted as ``package.module``."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            found.append(node.module)
            found.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def crossings() -> list[tuple[str, str]]:
    """(file, module) for each import of another resource folder's module other than its queries."""
    wrong: list[tuple[str, str]] = []
    for folder in FOLDERS:
        for path in sorted((RESOURCES / folder).glob("*.py")):
            for module in imported_modules(path):
                parts = module.split(".")
                if parts[:2] != ["learninggraph", "resources"] or len(parts) < 3:
                    continue
                other = parts[2]
                if other in FOLDERS and other != folder and parts[3:] not in ([], ["queries"]):
                    wrong.append((f"{folder}/{path.name}", module))
    return wrong


def test_no_resource_folder_imports_another_folders_modules_except_its_queries() -> None:
    assert crossings() == []


def test_the_activities_read_their_providers_and_contents_through_those_folders_queries() -> None:
    imports = {
        module
        for path in (RESOURCES / "learning_course_activities").glob("*.py")
        for module in imported_modules(path)
    }

    assert "learninggraph.resources.learning_providers.queries" in imports
    assert "learninggraph.resources.learning_contents.queries" in imports

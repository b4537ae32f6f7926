"""The parity report: the inventory in docs/parity.toml, checked against the tests, written out as docs/parity.md.

`python -m tests.parity` rewrites docs/parity.md; `python -m tests.parity --check` exits 1 when the report is
stale or the inventory names a test that does not exist (tests/docs/test_parity.py runs the same checks).

Test references in the inventory are pytest node ids (`tests/x/test_y.py::TestClass::test_name`, the last part
may be an fnmatch pattern) found by reading the test files with `ast`, or paths of other test files (a glob, or
`path::name` when `name` must appear in the file): the Node suite is not Python.
"""

from __future__ import annotations

import argparse
import ast
import fnmatch
import re
import sys
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
INVENTORY = ROOT / "docs" / "parity.toml"
REPORT = ROOT / "docs" / "parity.md"
DECISIONS = ROOT / "docs" / "decisions.md"

SUPPORTED = "supported"
DIFFERENT = "different"
NOT_SUPPORTED = "not supported"
STATUSES = (SUPPORTED, DIFFERENT, NOT_SUPPORTED)
COMMON_KEYS = frozenset({"status", "tests", "note", "decision"})
LITERAL_KEYS = frozenset({"path", "request", "code", "message", "package"})  # shown as code


@dataclass(frozen=True)
class Section:
    """One kind of inventory row: its TOML table name, its report heading and the columns that identify a row."""

    key: str
    title: str
    intro: str
    columns: tuple[tuple[str, str], ...]  # (report header, inventory key)
    group_by: str | None = None


SECTIONS = (
    Section(
        "operation",
        "Operations",
        "Every method and path form the documentation pages, the seeds or Microsoft's SDKs (generated from "
        "Graph's OpenAPI) show for the learning resources. Paths are relative to `/v1.0` and `/beta`; both "
        "versions are served by one route table, and the tests under `tests/sdk/` run every case with "
        "msgraph-sdk (v1.0) and msgraph-beta-sdk (beta).",
        (("Method", "method"), ("Path", "path"), ("Documented by", "source"), ("Versions", "versions")),
        group_by="resource",
    ),
    Section(
        "error",
        "Error rows",
        "Every row of the error tables the course-activity pages print, per operation (texts as the reference "
        "records them). Provider and content pages document no errors.",
        (("HTTP", "http"), ("Code", "code"), ("Scenario", "scenario"), ("Message", "message")),
        group_by="operation",
    ),
    Section(
        "seed",
        "Seed examples",
        "Every example request printed in the seed pages, sent as printed with its ids swapped for real ones. "
        "Seed 004 (the learningCourseActivity resource page) prints no request.",
        (("Seed", "seed"), ("Example", "example"), ("Request", "request"), ("Documented answer", "answer")),
    ),
    Section(
        "client",
        "Clients",
        "Microsoft's client libraries driving learninggraph unchanged, except for the base URL and the "
        "credential's authority.",
        (("Language", "language"), ("Package", "package"), ("Use", "use")),
    ),
)


@dataclass(frozen=True)
class Row:
    section: Section
    values: Mapping[str, Any]
    status: str
    tests: tuple[str, ...]
    note: str
    decision: str

    @property
    def label(self) -> str:
        keys = [self.section.group_by] if self.section.group_by else []
        keys += [k for _, k in self.section.columns]
        return f"{self.section.key} " + " ".join(_text(self.values.get(k, "")) for k in keys)


@dataclass
class TestIndex:
    """The tests of a source tree, read with `ast`: node ids per Python test file, and the other files."""

    root: Path
    _ids: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def node_ids(self, path: str) -> tuple[str, ...]:
        if path not in self._ids:
            file = self.root / path
            self._ids[path] = tuple(_node_ids(path, file)) if file.is_file() else ()
        return self._ids[path]

    def resolve(self, reference: str) -> list[str]:
        """What `reference` names: node ids, or test file paths; empty when it names nothing."""
        path, _, name = reference.partition("::")
        if path.endswith(".py"):
            return [n for n in self.node_ids(path) if fnmatch.fnmatchcase(n, reference)] if name else []
        if name:
            file = self.root / path
            return [reference] if file.is_file() and name in file.read_text(encoding="utf-8") else []
        return sorted(p.relative_to(self.root).as_posix() for p in self.root.glob(path) if p.is_file())


def _node_ids(path: str, file: Path) -> Iterator[str]:
    def walk(body: Sequence[ast.stmt], prefix: str) -> Iterator[str]:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test"):
                yield f"{prefix}::{node.name}"
            elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
                yield from walk(node.body, f"{prefix}::{node.name}")

    yield from walk(ast.parse(file.read_text(encoding="utf-8")).body, path)


def load(path: Path = INVENTORY) -> list[Row]:
    """The inventory's rows, in file order within each section."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    unknown = set(data) - {s.key for s in SECTIONS}
    if unknown:
        raise ValueError(f"unknown inventory tables: {sorted(unknown)}")
    rows = []
    for section in SECTIONS:
        for entry in data.get(section.key, []):
            rows.append(
                Row(
                    section,
                    {k: v for k, v in entry.items() if k not in COMMON_KEYS},
                    entry.get("status", ""),
                    tuple(entry.get("tests", ())),
                    entry.get("note", ""),
                    entry.get("decision", ""),
                )
            )
    return rows


def check(rows: Sequence[Row], index: TestIndex, decisions: str) -> list[str]:
    """Every way the inventory is wrong: unknown statuses, supported rows without tests, tests that do not exist."""
    problems: list[str] = []
    seen: set[str] = set()
    for row in rows:
        where = f"{row.label}:"
        if row.label in seen:
            problems.append(f"{where} listed twice")
        seen.add(row.label)
        required = [k for _, k in row.section.columns] + (
            [row.section.group_by] if row.section.group_by else []
        )
        missing = [k for k in required if k not in row.values]
        if missing:
            problems.append(f"{where} missing {', '.join(missing)}")
        extra = set(row.values) - {k for _, k in row.section.columns} - {row.section.group_by}
        if extra:
            problems.append(f"{where} unknown keys {sorted(extra)}")
        if row.status not in STATUSES:
            problems.append(f"{where} status {row.status!r} is not one of {STATUSES}")
        if row.status == SUPPORTED and not row.tests:
            problems.append(f"{where} supported but names no test")
        if row.status in (SUPPORTED, DIFFERENT):
            problems.extend(f"{where} no test matches {t}" for t in row.tests if not index.resolve(t))
        if row.status == DIFFERENT and not (row.note and row.decision):
            problems.append(f"{where} different, so it needs a note (the reason) and a decision")
        if row.decision:
            found = [
                line for line in decisions.splitlines() if line.startswith("- ") and row.decision in line
            ]
            if len(found) != 1:
                problems.append(
                    f"{where} decision {row.decision!r} matches {len(found)} lines of decisions.md"
                )
    return problems


def render(rows: Sequence[Row], index: TestIndex, decisions: str) -> str:
    """docs/parity.md: the summary of counts, then one table per section (per group within a section)."""
    out = [
        "# Parity with Microsoft Graph",
        "",
        "How closely learninggraph follows Microsoft's description of the employee-learning API, row by row, "
        "and the tests that prove each row. Generated from [parity.toml](parity.toml) by "
        "`python -m tests.parity`; `tests/docs/test_parity.py` fails when this page is stale or a supported "
        "row names no test that exists.",
        "",
        "- **supported**: behaves as documented, and the linked tests prove it.",
        "- **different**: deliberately does something else; the reason and the line of "
        "[decisions.md](decisions.md) that records it are given.",
        "- **not supported**: does not behave as documented, or no test proves it yet (the note says which); "
        "`pending` names a test still to come.",
        "",
        "## Summary",
        "",
        "| Section | supported | different | not supported | total |",
        "|---|---|---|---|---|",
    ]
    for section in SECTIONS:
        mine = [r for r in rows if r.section is section]
        counts = [sum(r.status == s for r in mine) for s in STATUSES]
        out.append(
            f"| [{section.title}](#{_anchor(section.title)}) | "
            + " | ".join(map(str, counts))
            + f" | {len(mine)} |"
        )
    total = [sum(r.status == s for r in rows) for s in STATUSES]
    out.append("| **all** | " + " | ".join(f"**{n}**" for n in total) + f" | **{len(rows)}** |")
    for section in SECTIONS:
        out += ["", f"## {section.title}", "", section.intro]
        mine = [r for r in rows if r.section is section]
        groups = (
            list(dict.fromkeys(r.values.get(section.group_by, "") for r in mine))
            if section.group_by
            else [""]
        )
        for group in groups:
            if group:
                out += ["", f"### {group}"]
            headers = [h for h, _ in section.columns] + ["Status", "Notes", "Tests"]
            out += ["", "| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
            for row in mine:
                if not section.group_by or row.values.get(section.group_by, "") == group:
                    out.append(_table_row(row, index, decisions))
    return "\n".join(out) + "\n"


def _table_row(row: Row, index: TestIndex, decisions: str) -> str:
    cells = [_cell(k, row.values[k]) for _, k in row.section.columns]
    notes = [row.note] if row.note else []
    if row.decision:
        heading = _heading_of(row.decision, decisions)
        notes.append(f"[decisions.md › {heading}](decisions.md#{_anchor(heading)}): “{row.decision}”")
    links = []
    for reference in row.tests:
        found = index.resolve(reference)
        links += [_link(t) for t in found] if found else [f"pending: `{reference}`"]
    cells += [f"**{row.status}**", "<br>".join(notes), "<br>".join(links) or "—"]
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def _link(reference: str) -> str:
    path = reference.partition("::")[0]
    return f"[{reference.removeprefix('tests/')}](../{path})"


def _cell(key: str, value: Any) -> str:
    return f"`{_text(value)}`" if key in LITERAL_KEYS else _text(value)


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    return str(value)


def _heading_of(fragment: str, decisions: str) -> str:
    heading = ""
    for line in decisions.splitlines():
        if line.startswith("## "):
            heading = line[3:].strip()
        elif line.startswith("- ") and fragment in line:
            return heading
    return heading


def _anchor(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


@cache
def _decisions() -> str:
    return DECISIONS.read_text(encoding="utf-8")


def report() -> tuple[str, list[str]]:
    """The report the inventory gives today, and the inventory's problems."""
    rows, index = load(), TestIndex(ROOT)
    return render(rows, index, _decisions()), check(rows, index, _decisions())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.parity", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/parity.md is stale or wrong")
    args = parser.parse_args(argv)
    text, problems = report()
    for problem in problems:
        print(problem, file=sys.stderr)
    if args.check:
        stale = not REPORT.is_file() or REPORT.read_text(encoding="utf-8") != text
        if stale:
            print("docs/parity.md is stale: run python -m tests.parity", file=sys.stderr)
        return 1 if stale or problems else 0
    REPORT.write_text(text, encoding="utf-8")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

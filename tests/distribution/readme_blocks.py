"""The README's code blocks, with the HTML comment that says how (or whether) the README test runs each."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"

_FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
_MARK = re.compile(r"<!-- (not run: .+?|run with pytest) -->\s*$")


@dataclass(frozen=True)
class Block:
    language: str
    code: str
    line: int
    mark: str  # "", "run with pytest" or "not run: reason"
    heading: str

    @property
    def id(self) -> str:
        return f"{self.language}-line-{self.line}"


def readme_blocks(text: str | None = None) -> list[Block]:
    """Every fenced python and sh block of the README, in order."""
    text = README.read_text() if text is None else text
    blocks = []
    for fence in _FENCE.finditer(text):
        if fence.group(1) not in ("python", "sh"):
            continue
        before = text[: fence.start()]
        previous = before.rstrip("\n").rsplit("\n", 1)[-1]
        mark = _MARK.search(previous)
        headings = re.findall(r"^#+ (.+)$", before, re.MULTILINE)
        blocks.append(
            Block(
                language=fence.group(1),
                code=fence.group(2),
                line=before.count("\n") + 1,
                mark=mark.group(1) if mark else "",
                heading=headings[-1] if headings else "",
            )
        )
    return blocks

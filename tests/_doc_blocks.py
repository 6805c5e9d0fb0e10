"""The code blocks of the README and the docs pages, with their test markers.

Every Python block (a fence whose language is ``python``, ``py``,
``python3`` or ``pycon``, indented or not) is preceded, on the line just
before its fence, by one of these HTML comments (invisible on the site):

- ``<!-- test: run -->``: run, in page order, in one namespace per page;
- ``<!-- test: pytest -->``: a test module, run by pytest;
- ``<!-- test: skip: REASON -->``: not runnable; the reason is required.

A page listed in `RUN_ELSEWHERE` has its blocks run by another test, which
runs every ``python`` block of it.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON_LANGUAGES = {"python", "py", "python3", "pycon"}
RUN_ELSEWHERE = {
    "docs/tools.md": "tests/tools/test_examples.py runs every python block of it, in order",
}

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n`]*)$")
_MARKER = re.compile(
    r"^[ \t]*<!-- test: (?P<kind>run|pytest|skip)(?::[ \t]*(?P<reason>.*?))?[ \t]*-->$"
)
_ANY_MARKER = re.compile(r"<!-- test:")


@dataclass(frozen=True)
class Block:
    """One fenced code block.

    Attributes:
        page: Its page, relative to the repository (``docs/cli.md``).
        line: The line number of its opening fence.
        language: The fence's language (first word of its info string).
        kind: ``run``, ``pytest``, ``skip``, or None when unmarked.
        reason: A skip marker's reason.
        code: The block's text, dedented.
        fence: The opening fence line as written.
    """

    page: str
    line: int
    language: str
    kind: str | None
    reason: str | None
    code: str
    fence: str

    @property
    def is_python(self) -> bool:
        return self.language in PYTHON_LANGUAGES

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


def pages() -> list[Path]:
    """The README and every page of the docs site."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def relative(page: Path) -> str:
    """``page``'s path in the repository (its name, for a page outside it)."""
    return page.relative_to(ROOT).as_posix() if page.is_relative_to(ROOT) else page.name


def blocks(page: Path) -> list[Block]:
    """Every fenced block of ``page``, with the marker on the line before it."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    position = 0
    while position < len(lines):
        opening = _FENCE.match(lines[position])
        if opening is None:
            position += 1
            continue
        end = _closing_line(lines, position, opening)
        marker = _MARKER.match(lines[position - 1]) if position else None
        code = textwrap.dedent("\n".join(lines[position + 1 : end]))
        found.append(
            Block(
                page=relative(page),
                line=position + 1,
                language=(opening["info"].split() or [""])[0].lower(),
                kind=marker["kind"] if marker else None,
                reason=(marker["reason"] or "").strip() or None if marker else None,
                code=code + "\n",
                fence=lines[position],
            )
        )
        position = end + 1
    return found


def _closing_line(lines: list[str], start: int, opening: re.Match[str]) -> int:
    fence = opening["fence"]
    for position in range(start + 1, len(lines)):
        stripped = lines[position].strip()
        if stripped.startswith(fence[0] * len(fence)) and not stripped.strip(fence[0]):
            return position
    return len(lines)


def marker_count(page: Path) -> int:
    """How many test markers the page has (each must precede a Python block)."""
    return len(_ANY_MARKER.findall(page.read_text(encoding="utf-8")))

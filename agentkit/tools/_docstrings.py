"""Docstrings -> the tool description and per-parameter descriptions.

Google, NumPy and reST (Sphinx) styles are recognised by ``docstring-parser``,
which picks the style that fits the docstring best.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field

import docstring_parser

__all__ = ["Docstring", "parse_docstring"]


@dataclass(frozen=True, slots=True)
class Docstring:
    """What a docstring tells the model.

    Attributes:
        description: The summary line and the long description, without the
            sections (``Args``, ``Returns``...).
        params: Parameter (or attribute) name -> its description, on one line.
    """

    description: str = ""
    params: Mapping[str, str] = field(default_factory=dict)


def parse_docstring(doc: str | None) -> Docstring:
    """Parse ``doc`` (Google, NumPy or reST style); an unparsable docstring
    becomes the description as it is."""
    if not doc or not doc.strip():
        return Docstring()
    text = inspect.cleandoc(doc)
    try:
        parsed = docstring_parser.parse(text)
    except docstring_parser.ParseError:
        return Docstring(description=text)
    parts = [part.strip() for part in (parsed.short_description, parsed.long_description) if part]
    params = {
        param.arg_name: " ".join(param.description.split())
        for param in parsed.params
        if param.description
    }
    return Docstring(description="\n\n".join(part for part in parts if part), params=params)

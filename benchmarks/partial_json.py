"""Partial JSON over a stream: `PartialJSONParser` against `parse_partial_json`
called on every prefix (what a caller without the parser would do).

Two documents of about 20 KB, streamed in 5-character fragments:

- object: a catalogue, ``{"title", "items": [{"id", "name", "tags", ...}]}``;
- string: one object whose single value is a 20 KB string (the open string
  is copied into every snapshot).

For each, the total wall time of the whole stream (best of the repetitions
for the parser; one pass for the baseline, which is quadratic), the time per
fragment, and the ratio baseline / parser, measured in the same run.

Run: ``python benchmarks/partial_json.py [--repeat N] [--size BYTES] [--fragment N]``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

from agentkit import parse_partial_json
from agentkit._partial_json import PartialJSONParser


def catalogue(size: int) -> str:
    items: list[dict[str, Any]] = []
    document: dict[str, Any] = {"title": "Spring catalogue", "currency": "EUR", "items": items}
    while len(json.dumps(document, indent=2)) < size:
        number = len(items)
        items.append(
            {
                "id": number,
                "name": f'Item n°{number} "special"',
                "tags": ["new", "sale"] if number % 2 else ["café"],
                "price": round(9.99 + number * 1.25, 2),
                "in_stock": number % 3 != 0,
                "discount": None,
                "weight": 1.5e-3 * number,
            }
        )
    return json.dumps(document, indent=2)


def long_string(size: int) -> str:
    words = "The quick brown fox jumps over the lazy dog. Ça va? \n"
    repeats = size // len(json.dumps(words))  # as written: "Ç" and the newline escaped
    return json.dumps({"answer": words * repeats})


def fragments(text: str, size: int) -> list[str]:
    return [text[start : start + size] for start in range(0, len(text), size)]


def with_parser(pieces: list[str]) -> Any:
    parser = PartialJSONParser()
    value = None
    for piece in pieces:
        value = parser.feed(piece)
    return value


def with_prefixes(pieces: list[str]) -> Any:
    prefix, value = "", None
    for piece in pieces:
        prefix += piece
        value = parse_partial_json(prefix)
    return value


def timed(run: Callable[[list[str]], Any], pieces: list[str], repeat: int) -> tuple[float, Any]:
    best, value = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        value = run(pieces)
        best = min(best, time.perf_counter() - start)
    return best, value


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--repeat", type=int, default=5, help="passes of the parser (best kept)")
    options.add_argument("--size", type=int, default=20_000, help="document size in characters")
    options.add_argument("--fragment", type=int, default=5, help="characters per fragment")
    arguments = options.parse_args()
    print(
        f"{'document':<10}{'chars':>8}{'fragments':>11}{'parser':>12}{'prefixes':>12}{'ratio':>9}"
    )
    for name, build in [("object", catalogue), ("string", long_string)]:
        document = build(arguments.size)
        pieces = fragments(document, arguments.fragment)
        incremental, final = timed(with_parser, pieces, arguments.repeat)
        baseline, expected = timed(with_prefixes, pieces, 1)
        assert final == expected == json.loads(document)
        ratio = baseline / incremental
        print(
            f"{name:<10}{len(document):>8}{len(pieces):>11}"
            f"{incremental * 1000:>10.1f}ms{baseline * 1000:>10.0f}ms{ratio:>8.0f}x"
        )
        per_fragment = incremental / len(pieces) * 1e6
        print(f"{'':<10}parser: {per_fragment:.1f} µs per fragment")


if __name__ == "__main__":
    main()

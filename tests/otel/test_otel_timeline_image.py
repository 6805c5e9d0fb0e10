"""The picture of the docs page "Tracing" comes from a real traced run:
``docs/scripts/timeline_image.py`` draws it, and the committed SVG is one of
its drawings."""

from __future__ import annotations

import importlib.util
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "docs" / "scripts" / "timeline_image.py"
COMMITTED = ROOT / "docs" / "images" / "tracing-timeline.svg"
SVG = "{http://www.w3.org/2000/svg}"
NAMES = [
    "invoke_agent",
    "chat gpt-4o-mini (turn 1)",
    "execute_tool get_weather",
    "execute_tool find_flights",
    "execute_tool convert_currency",
    "chat gpt-4o-mini (turn 2)",
]


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("timeline_image", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks itself up there
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def bars(path: Path) -> dict[str, tuple[float, float]]:
    root = ElementTree.parse(path).getroot()
    return {
        rect.attrib["data-name"]: (float(rect.attrib["data-start"]), float(rect.attrib["data-end"]))
        for rect in root.iter(f"{SVG}rect")
        if rect.attrib.get("class") == "span"
    }


def test_the_script_draws_the_spans_of_a_real_run(tmp_path: Path) -> None:
    output = load_script().main(tmp_path / "timeline.svg")
    drawn = bars(output)
    assert list(drawn) == NAMES
    first_turn = drawn["chat gpt-4o-mini (turn 1)"]
    tools = [drawn[name] for name in NAMES[2:5]]
    # The calls sealed mid-stream started while the first turn was still
    # streaming (the last one is sealed by the finish chunk, just before the end)...
    assert all(first_turn[0] < start < first_turn[1] for start, _ in tools[:2])
    # ... and lasted about what it sleeps (350, 500 and 150 ms).
    for (start, end), seconds in zip(tools, (0.35, 0.5, 0.15), strict=True):
        assert seconds <= end - start < seconds + 0.25
    assert drawn["chat gpt-4o-mini (turn 2)"][0] >= max(end for _, end in tools)


def test_the_committed_picture_is_such_a_drawing() -> None:
    drawn = bars(COMMITTED)
    assert list(drawn) == NAMES
    first_turn = drawn["chat gpt-4o-mini (turn 1)"]
    assert all(first_turn[0] < drawn[name][0] < first_turn[1] for name in NAMES[2:4])

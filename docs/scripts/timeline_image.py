"""Draw the picture of the docs page "Tracing" from a real traced run.

An agent with three tools runs against `agentkit.testing.ScriptedServer`
(offline, on loopback), which streams the model's tool calls with a delay
between chunks, as a real model does; the tools take 150 to 500 ms. The
spans go to the OpenTelemetry SDK's in-memory exporter, and this script
writes them as an SVG waterfall (a backend such as Jaeger shows the same):
one bar per span on one time axis, the eager tool calls starting while the
first ``chat`` span is still streaming.

Run: ``python docs/scripts/timeline_image.py [OUTPUT.svg]`` (needs the dev
extra: ``pip install -e ".[dev]"``). Default output:
``docs/images/tracing-timeline.svg``. The SVG is written directly, so the
docs need no plotting library.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import anyio
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentkit import Agent, OpenAIChatModel, ToolRegistry
from agentkit.testing import ScriptedResponse, ScriptedServer, text_response, tool_call_response

OUTPUT = Path(__file__).resolve().parent.parent / "images" / "tracing-timeline.svg"
CHUNK_DELAY = 0.025
TOOL_SLEEPS_MS = {"get_weather": 350, "find_flights": 500, "convert_currency": 150}

# ------------------------------------------------------------------ the run


def travel_tools() -> ToolRegistry:
    registry = ToolRegistry()

    @registry.tool
    async def get_weather(city: str) -> str:
        """The weather in a city."""
        await anyio.sleep(TOOL_SLEEPS_MS["get_weather"] / 1000)
        return f"31°C and humid in {city}"

    @registry.tool
    async def find_flights(origin: str, destination: str) -> str:
        """Flights between two cities."""
        await anyio.sleep(TOOL_SLEEPS_MS["find_flights"] / 1000)
        return f"VN 216 {origin}→{destination} at 07:00, 2 h 10 min"

    @registry.tool
    async def convert_currency(amount: float, to: str) -> str:
        """Convert US dollars."""
        await anyio.sleep(TOOL_SLEEPS_MS["convert_currency"] / 1000)
        return f"{amount * 25_400:,.0f} {to}"

    return registry


def script() -> list[ScriptedResponse]:
    calls: list[tuple[str, dict[str, Any]]] = [
        ("get_weather", {"city": "Hanoi"}),
        ("find_flights", {"origin": "Ho Chi Minh City", "destination": "Hanoi"}),
        ("convert_currency", {"amount": 120, "to": "VND"}),
    ]
    answer = (
        "Hanoi is 31°C and humid. VN 216 leaves Ho Chi Minh City at 07:00 and lands "
        "2 h 10 min later; 120 USD is about 3,048,000 VND."
    )
    return [
        tool_call_response(calls, fragments=8, chunk_delay=CHUNK_DELAY, usage=(412, 96)),
        text_response(answer, chunk_delay=CHUNK_DELAY, usage=(540, 48)),
    ]


async def traced_run() -> list[ReadableSpan]:
    """The spans of one run (after an untraced warm-up run, so first-use
    imports do not show)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    async with ScriptedServer(script() + script()) as server:
        model = OpenAIChatModel("gpt-4o-mini", base_url=server.base_url, api_key="offline")
        question = "Weather in Hanoi, a flight there tomorrow, and 120 USD in dong?"
        await Agent(model, tools=travel_tools()).run(question)
        await Agent(model, tools=travel_tools(), instrument=provider).run(question)
        await model.aclose()
    return sorted(exporter.get_finished_spans(), key=lambda span: span.start_time or 0)


# -------------------------------------------------------------- the picture


@dataclass
class Row:
    label: str
    start: float
    end: float
    kind: str  # "run", "chat" or "tool"


COLORS = {"run": "#9aa5b1", "chat": "#3f51b5", "tool": "#2e9d5b"}
LEFT, RIGHT, TOP, ROW, BAR = 230, 70, 64, 34, 18
WIDTH = 900
NOTE = (
    "The shaded band is the first turn's stream. Each tool call starts as soon as its",
    "arguments are complete, while the model is still streaming the next call.",
)
FONT = "font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif\""


def rows_of(spans: list[ReadableSpan]) -> list[Row]:
    origin = min(span.start_time or 0 for span in spans)
    rows = []
    for span in spans:
        kind = {"invoke_agent": "run", "chat": "chat"}.get(span.name.split()[0], "tool")
        label = span.name if kind != "tool" else "  " + span.name
        if kind == "chat":
            label = f"  {span.name} (turn {span.attributes['agentkit.turn']})"  # type: ignore[index]
        start = ((span.start_time or 0) - origin) / 1e9
        rows.append(Row(label, start, ((span.end_time or 0) - origin) / 1e9, kind))
    return rows


def svg(rows: list[Row]) -> str:
    total = max(row.end for row in rows)
    chart = WIDTH - LEFT - RIGHT
    height = TOP + ROW * len(rows) + 30 + 18 * len(NOTE)

    def x(seconds: float) -> float:
        return LEFT + seconds / total * chart

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" {FONT} font-size="13">',
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
        '<text x="16" y="26" font-size="15" font-weight="600" fill="#1f2933">'
        "One agent run as OpenTelemetry spans (a real run, offline)</text>",
    ]
    first_chat = next(row for row in rows if row.kind == "chat")
    parts.append(
        f'<rect x="{x(first_chat.start):.1f}" y="{TOP - 10}" '
        f'width="{x(first_chat.end) - x(first_chat.start):.1f}" height="{ROW * len(rows) + 4}" '
        'fill="#3f51b5" fill-opacity="0.06"/>'
    )
    parts += _axis(total, x, TOP + ROW * len(rows))
    for index, row in enumerate(rows):
        y = TOP + index * ROW
        width = max(x(row.end) - x(row.start), 2.0)
        parts.append(
            f'<text x="16" y="{y + BAR - 4}" fill="#1f2933" xml:space="preserve">'
            f"{escape(row.label)}</text>"
        )
        parts.append(
            f'<rect class="span" data-name="{escape(row.label.strip())}" '
            f'data-start="{row.start:.4f}" data-end="{row.end:.4f}" '
            f'x="{x(row.start):.1f}" y="{y}" width="{width:.1f}" height="{BAR}" rx="3" '
            f'fill="{COLORS[row.kind]}"/>'
        )
        parts.append(
            f'<text x="{x(row.start) + width + 6:.1f}" y="{y + BAR - 4}" fill="#52606d">'
            f"{(row.end - row.start) * 1000:.0f} ms</text>"
        )
    note_y = TOP + ROW * len(rows) + 30
    for offset, line in enumerate(NOTE):
        parts.append(f'<text x="16" y="{note_y + 18 * offset}" fill="#52606d">{line}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _axis(total: float, x: Any, bottom: float) -> list[str]:
    step = _round_step(total / 5)
    parts = []
    tick = 0.0
    while tick <= total + 1e-9:
        position = x(tick)
        parts.append(
            f'<line x1="{position:.1f}" y1="{TOP - 14}" x2="{position:.1f}" y2="{bottom}" '
            'stroke="#e4e7eb"/>'
        )
        parts.append(
            f'<text x="{position:.1f}" y="{TOP - 20}" text-anchor="middle" fill="#52606d">'
            f"{tick:g} s</text>"
        )
        tick = round(tick + step, 6)
    return parts


def _round_step(rough: float) -> float:
    magnitude = 10.0 ** math.floor(math.log10(rough))
    return next(f * magnitude for f in (1.0, 2.0, 5.0, 10.0) if rough <= f * magnitude)


def main(output: Path = OUTPUT) -> Path:
    spans = anyio.run(traced_run)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(svg(rows_of(spans)), encoding="utf-8")
    return output


if __name__ == "__main__":
    written = main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT)
    print(f"wrote {written}")

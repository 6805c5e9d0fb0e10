"""A tour of agentkit tools, without a model or a network.

Defines tools of every kind, prints the ``tools=[...]`` list a request would
carry, then plays the model: sends a few calls (valid, invalid, failing,
unknown) through ``registry.execute`` and prints what the model would read.

Run it with ``python examples/tools_showcase.py``.
"""

from __future__ import annotations

import datetime
import enum
import json
import time
from dataclasses import dataclass
from typing import Annotated, Literal

import anyio
from pydantic import BaseModel, Field

from agentkit.tools import RunContext, Tool, ToolRegistry, tool

registry = ToolRegistry()


# A plain sync function: runs in a worker thread, so it may block.
@registry.tool
def get_weather(city: str, unit: Literal["C", "F"] = "C") -> str:
    """Get the current weather for a city.

    Args:
        city: City name, for example "Hanoi".
        unit: Temperature unit.
    """
    time.sleep(0.01)  # a blocking HTTP call, say
    return f"31°{unit}, humid in {city}"


class Status(enum.Enum):
    OPEN = "open"
    SHIPPED = "shipped"


class Order(BaseModel):
    id: int
    status: Status
    placed: datetime.date


@dataclass
class Deps:
    """What the application hands to every tool through RunContext."""

    orders: dict[int, Order]


# An async tool with the run context, a constraint and a structured result.
@registry.tool(timeout=2.0)
async def lookup_order(
    ctx: RunContext[Deps],
    order_id: Annotated[int, Field(ge=1, description="The order number.")],
) -> Order:
    """Look up an order by its number."""
    ctx.emit("progress", {"looking_up": order_id})
    await anyio.sleep(0.01)  # a database query, say
    return ctx.deps.orders[order_id]


# Strict mode: the schema OpenAI's Structured Outputs accept.
@registry.tool(strict=True)
def search_orders(status: Status, limit: int = 10) -> list[int]:
    """Search orders by status.

    Args:
        status: Only orders with this status.
        limit: At most this many results.
    """
    return list(range(1, limit + 1))


class Refund(BaseModel):
    """Refund an order.

    Attributes:
        order_id: The order to refund.
        reason: Why, in a few words.
    """

    order_id: int
    reason: str = Field(max_length=200)


def refund(request: Refund) -> dict[str, object]:
    return {"refunded": request.order_id, "reason": request.reason}


# A tool from a pydantic model, and a dynamic tool from an explicit schema.
registry.add(Tool.from_model(Refund, refund))
registry.add(
    Tool.from_schema(
        lambda **row: {"inserted": row},
        name="insert_row",
        description="Insert a row into the notes table.",
        parameters={
            "type": "object",
            "properties": {"title": {"type": "string"}, "body": {"type": "string"}},
            "required": ["title"],
            "additionalProperties": False,
        },
    )
)


@tool
def divide(a: float, b: float) -> float:
    """Divide a by b."""
    return a / b


registry.add(divide)

CALLS = [
    ("get_weather", '{"city": "Hanoi"}'),
    ("lookup_order", '{"order_id": 7}'),
    ("search_orders", '{"status": "open", "limit": null}'),
    ("refund", '{"order_id": 7, "reason": "arrived broken"}'),
    ("insert_row", '{"title": "hello"}'),
    ("get_weather", '{"city": "Hanoi", "unit": "K", "country": "VN"}'),
    ("lookup_order", '{"order_id": 0}'),
    ("divide", '{"a": 1, "b": 0}'),
    ("get_wether", '{"city": "Hanoi"}'),
    ("divide", '{"a": 1, "b": '),
]


async def main() -> None:
    print("tools=", json.dumps(registry.definitions(), indent=2, ensure_ascii=False))
    events: list[object] = []
    deps = Deps(orders={7: Order(id=7, status=Status.OPEN, placed=datetime.date(2024, 5, 1))})
    context = RunContext(deps=deps, run_id="showcase", _emitter=events.append)
    for index, (name, arguments) in enumerate(CALLS):
        outcome = await registry.execute(name, arguments, context.for_call(f"call_{index}", name))
        status = "ERROR" if outcome.is_error else "ok"
        print(f"\n{name}({arguments}) -> {status}\n{outcome.output}")
    print("\nevents emitted by tools:", events)


if __name__ == "__main__":
    anyio.run(main)

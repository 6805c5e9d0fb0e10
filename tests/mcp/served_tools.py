"""Tools that ``agentkit mcp serve`` serves in the tests."""

from __future__ import annotations

from agentkit import RunContext, ToolRegistry

registry = ToolRegistry()


@registry.tool
def add(a: int, b: int) -> int:
    """Add two numbers.

    Args:
        a: The first number.
        b: The second number.
    """
    print("add: a stray print must not reach the MCP client")
    return a + b


@registry.tool
async def call_info(context: RunContext) -> str:
    """Say which call this is."""
    return f"{context.tool_name} (call {context.tool_call_id})"


@registry.tool
def divide(a: float, b: float) -> float:
    """Divide a by b."""
    return a / b

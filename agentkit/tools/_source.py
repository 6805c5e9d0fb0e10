"""`ToolSource`: tools that are not known until a run starts (an MCP server's).

A source is an async context manager that lists `Tool` objects. A run enters
every source of its registry (a source entered by the user already stays
open: entering must be re-entrant), lists their tools once, and publishes
them beside the local tools; leaving the run leaves the sources.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from ._tool import Tool

__all__ = ["ToolSource", "enter_sources", "is_tool_source"]


@runtime_checkable
class ToolSource(Protocol):
    """A provider of tools listed when a run starts, such as an MCP server
    (`agentkit.mcp`). Put it in ``Agent(tools=[...])`` or a `ToolRegistry`
    beside local tools.

    ``async with source:`` must be re-entrant: the run enters it (opening a
    session if none is open) and leaves it at its end.
    """

    async def __aenter__(self) -> Any: ...

    async def __aexit__(self, *exc_info: object) -> Any: ...

    async def list_tools(self) -> Sequence[Tool[..., Any]]:
        """The tools to publish now (called once per run, while entered)."""
        ...


def is_tool_source(item: object) -> bool:
    """Whether ``item`` is a `ToolSource` rather than a tool or a function."""
    return not callable(item) and isinstance(item, ToolSource)


async def enter_sources(
    sources: Sequence[ToolSource], stack: AsyncExitStack
) -> list[Tool[..., Any]]:
    """Enter every source on ``stack`` and return their tools, in order."""
    tools: list[Tool[..., Any]] = []
    for source in sources:
        await stack.enter_async_context(source)
        tools.extend(await source.list_tools())
    return tools

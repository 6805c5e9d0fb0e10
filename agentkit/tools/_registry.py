"""`ToolRegistry`: the tools of an agent, by name, in registration order."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AsyncExitStack
from typing import Any, ParamSpec, TypeVar, overload

from .._context import RunContext
from .._errors import ToolDefinitionError, UnknownToolError
from .._logging import get_logger
from ._decorator import ToolDecorator
from ._execution import ToolOutcome
from ._source import ToolSource, enter_sources, is_tool_source
from ._tool import NeedsApproval, Tool

__all__ = ["ToolRegistry"]

P = ParamSpec("P")
R = TypeVar("R")


class ToolRegistry:
    """The tools a model may call, in registration order.

    ```python
    registry = ToolRegistry([get_weather, lookup_order])

    @registry.tool
    def add(a: int, b: int) -> int:
        \"\"\"Add two numbers.\"\"\"
        return a + b

    tools = registry.definitions()   # the request's tools=[...]
    ```

    Args:
        tools: `Tool` objects, plain functions (made tools with default
            options), or `ToolSource` objects (an MCP server), whose tools
            join at the start of each run.

    Raises:
        ToolDefinitionError: Two tools share a name, or a function cannot be
            a tool.
    """

    def __init__(
        self, tools: Iterable[Tool[..., Any] | Callable[..., Any] | ToolSource] = ()
    ) -> None:
        self._tools: dict[str, Tool[..., Any]] = {}
        self._sources: list[ToolSource] = []
        for item in tools:
            if is_tool_source(item):
                self.add_source(item)  # type: ignore[arg-type]
            else:
                self.add(item)  # type: ignore[arg-type]

    @overload
    def tool(self, function: Callable[P, R], /) -> Tool[P, R]: ...

    @overload
    def tool(
        self,
        /,
        *,
        name: str | None = None,
        description: str | None = None,
        strict: bool = False,
        timeout: float | None = None,
        eager: bool = True,
        needs_approval: NeedsApproval = False,
    ) -> ToolDecorator: ...

    def tool(
        self,
        function: Callable[..., Any] | None = None,
        /,
        *,
        name: str | None = None,
        description: str | None = None,
        strict: bool = False,
        timeout: float | None = None,
        eager: bool = True,
        needs_approval: NeedsApproval = False,
    ) -> Tool[..., Any] | ToolDecorator:
        """Decorator: make the function a tool and register it; bare or with
        the options of `agentkit.tool`. Returns the `Tool`."""
        options: dict[str, Any] = {
            "name": name,
            "description": description,
            "strict": strict,
            "timeout": timeout,
            "eager": eager,
            "needs_approval": needs_approval,
        }
        if function is not None:
            return self.add(Tool(function, **options))

        def decorate(function: Callable[P, R], /) -> Tool[P, R]:
            return self.add(Tool(function, **options))

        return decorate

    @overload
    def add(self, obj: Tool[P, R], /) -> Tool[P, R]: ...

    @overload
    def add(self, obj: Callable[P, R], /) -> Tool[P, R]: ...

    def add(self, obj: Tool[..., Any] | Callable[..., Any], /) -> Tool[..., Any]:
        """Register a `Tool`, or a function as a tool with default options.

        Raises:
            ToolDefinitionError: A tool with the same name is registered.
        """
        item = obj if isinstance(obj, Tool) else Tool(obj)
        if item.name in self._tools:
            raise ToolDefinitionError(
                f"A tool named {item.name!r} is already registered; tool names must be "
                "unique (pass name=... to register this one under another name)."
            )
        self._tools[item.name] = item
        return item

    def add_source(self, source: ToolSource, /) -> ToolSource:
        """Register a `ToolSource`: its tools join at the start of each run."""
        self._sources.append(source)
        return source

    @property
    def sources(self) -> tuple[ToolSource, ...]:
        """The registered `ToolSource` objects."""
        return tuple(self._sources)

    async def open(self, stack: AsyncExitStack) -> ToolRegistry:
        """The tools of one run: enter every source on ``stack`` (left when the
        stack closes) and return a registry of the local tools plus theirs.
        Without sources, this registry itself.

        Raises:
            ToolDefinitionError: A source's tool has the name of another tool
                (the message suggests the source's ``prefix``).
        """
        if not self._sources:
            return self
        run_registry = ToolRegistry(self._tools.values())
        for item in await enter_sources(self._sources, stack):
            if item.name in self._tools:
                raise ToolDefinitionError(
                    f"Two tools are named {item.name!r} (one from a tool source such as an "
                    "MCP server): give the source a prefix (prefix='...') or rename the "
                    "local tool."
                )
            if item.name in run_registry:
                raise ToolDefinitionError(
                    f"Two tool sources (MCP servers) both have a tool named {item.name!r}: "
                    "give one of them a prefix (prefix='...')."
                )
            run_registry.add(item)
        return run_registry

    def remove(self, name: str) -> Tool[..., Any]:
        """Unregister the tool called ``name`` and return it.

        Raises:
            KeyError: No tool has that name.
        """
        return self._tools.pop(name)

    def get(self, name: str) -> Tool[..., Any] | None:
        """The tool called ``name``, or None."""
        return self._tools.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __len__(self) -> int:
        return len(self._tools)

    def __iter__(self) -> Iterator[Tool[..., Any]]:
        return iter(list(self._tools.values()))

    def __repr__(self) -> str:
        return f"ToolRegistry({self.names!r})"

    @property
    def names(self) -> list[str]:
        """The registered names, in registration order."""
        return list(self._tools)

    def definitions(self) -> list[dict[str, Any]]:
        """The OpenAI ``tools=[...]`` list, in registration order:
        ``[{"type": "function", "function": {"name", "description",
        "parameters"[, "strict"]}}, ...]``."""
        return [item.definition() for item in self._tools.values()]

    def _request_definitions(self) -> list[dict[str, Any]]:
        """`definitions` as a run sends them: each tool's shared,
        never-changed dict (`Tool._request_definition`), in a new list."""
        return [item._request_definition() for item in self._tools.values()]

    async def execute(
        self, name: str, arguments_json: str, context: RunContext[Any]
    ) -> ToolOutcome:
        """Run one tool call from the model and return its outcome.

        Never raises except for cancellation: an unknown tool, invalid
        arguments, an exception or a timeout in the tool become an outcome
        with ``is_error=True`` whose ``output`` tells the model what to fix.

        Args:
            name: The tool name the model used.
            arguments_json: The complete arguments string the model sent.
            context: The run's context (``context.for_call(...)`` for this call).
        """
        item = self._tools.get(name)
        if item is None:
            return self._unknown(name, context)
        return await item.execute(arguments_json, context)

    def _unknown(self, name: str, context: RunContext[Any]) -> ToolOutcome:
        available = self.names
        listed = ", ".join(available) if available else "none"
        error = UnknownToolError(
            f"There is no tool named {name!r}. Available tools: {listed}. "
            "Call one of these by its exact name.",
            tool_name=name,
            available=available,
        )
        get_logger("agentkit.tools", tool=name, run_id=context.run_id).info("tool.unknown")
        return ToolOutcome.failure(error)

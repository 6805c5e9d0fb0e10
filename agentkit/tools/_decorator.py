"""The `tool` decorator, bare (``@tool``) or with options (``@tool(name=...)``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ParamSpec, Protocol, TypeVar, overload

from ._tool import NeedsApproval, Tool

__all__ = ["ToolDecorator", "tool"]

P = ParamSpec("P")
R = TypeVar("R")


class ToolDecorator(Protocol):
    """What ``tool(...)`` with options returns: a decorator making a `Tool`."""

    def __call__(self, function: Callable[P, R], /) -> Tool[P, R]: ...


@overload
def tool(function: Callable[P, R], /) -> Tool[P, R]: ...


@overload
def tool(
    *,
    name: str | None = None,
    description: str | None = None,
    strict: bool = False,
    timeout: float | None = None,
    eager: bool = True,
    needs_approval: NeedsApproval = False,
) -> ToolDecorator: ...


def tool(
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
    """Make a function a tool; the function stays callable as before.

    ```python
    @tool
    def get_weather(city: str) -> str:
        \"\"\"Get the current weather for a city.

        Args:
            city: City name, for example "Hanoi".
        \"\"\"
        return "31°C, humid"

    @tool(needs_approval=True)
    def delete_file(path: str) -> str: ...

    @tool(name="search", strict=True, timeout=10)
    async def search_orders(customer_id: int, status: Literal["open", "closed"] = "open"): ...
    ```

    Args:
        function: The function, when used bare (``@tool``).
        name: The name the model calls (default: the function's name).
        description: Default: the docstring's summary and long description.
        strict: Publish an OpenAI strict-mode schema.
        timeout: Seconds the function may run (None: no limit).
        eager: Whether the runner may start the call while the model is
            still streaming.
        needs_approval: True, or a function ``(context, arguments) -> bool``
            (sync or async), when a person must approve calls first.

    Returns:
        A `Tool`, or (with options only) a decorator that makes one.

    Raises:
        ToolDefinitionError: The function cannot be a tool; the message says
            which parameter and why.
    """
    options: dict[str, Any] = {
        "name": name,
        "description": description,
        "strict": strict,
        "timeout": timeout,
        "eager": eager,
        "needs_approval": needs_approval,
    }
    if function is not None:
        return Tool(function, **options)

    def decorate(function: Callable[P, R], /) -> Tool[P, R]:
        return Tool(function, **options)

    return decorate

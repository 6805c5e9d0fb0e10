"""What a Python function says about itself as a tool: its parameters (and
which of them receive the `RunContext`), its docstring, whether it is async.

Docstrings in Google, NumPy and reST (Sphinx) style are recognised by
``docstring-parser``, which picks the style that fits the docstring best.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, get_args, get_origin

from .._context import RunContext
from .._errors import ToolDefinitionError

__all__ = [
    "Docstring",
    "Signature",
    "function_docstring",
    "is_async_callable",
    "parse_docstring",
    "read_signature",
]

_VARIADIC = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)


@dataclass(frozen=True, slots=True)
class Signature:
    """A function's parameters, sorted by who gives their values.

    Attributes:
        parameters: Every parameter that does not receive the `RunContext`,
            in order, string annotations evaluated (``*args`` and
            ``**kwargs`` included: only some tools reject them).
        positional: Names of the positional-only parameters, in order (they
            cannot be passed by keyword).
        context: Names of the parameters that receive the `RunContext`.
    """

    parameters: tuple[inspect.Parameter, ...]
    positional: tuple[str, ...]
    context: tuple[str, ...]

    def schema_parameters(self, tool_name: str) -> tuple[inspect.Parameter, ...]:
        """The parameters, when the tool's schema is generated from them.

        Raises:
            ToolDefinitionError: ``*args``/``**kwargs``, or a parameter without
                annotation; the message names the parameter.
        """
        for param in self.parameters:
            _check_parameter_kind(param, tool_name)
            if param.annotation is inspect.Parameter.empty:
                raise _unannotated(param.name, tool_name)
        return self.parameters

    def named_parameters(self) -> list[inspect.Parameter]:
        """The parameters without ``*args`` and ``**kwargs``."""
        return [param for param in self.parameters if param.kind not in _VARIADIC]


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


def read_signature(function: Callable[..., Any], tool_name: str) -> Signature:
    """The function's parameters with string annotations evaluated.

    Raises:
        ToolDefinitionError: The signature cannot be read, or an annotation
            names something that does not exist; the message names the parameter.
    """
    try:
        signature = inspect.signature(function, eval_str=True)
    except (ValueError, TypeError) as exc:
        raise ToolDefinitionError(
            f"Cannot read the signature of tool {tool_name!r}: {exc}"
        ) from exc
    except Exception as exc:  # NameError, SyntaxError... from evaluating an annotation
        raise _unresolvable_annotation(function, tool_name, exc) from exc
    parameters: list[inspect.Parameter] = []
    context: list[str] = []
    for param in signature.parameters.values():
        if param.kind not in _VARIADIC and _is_context_annotation(param.annotation):
            context.append(param.name)
        else:
            parameters.append(param)
    positional = tuple(
        param.name
        for param in signature.parameters.values()
        if param.kind is inspect.Parameter.POSITIONAL_ONLY
    )
    return Signature(tuple(parameters), positional, tuple(context))


def function_docstring(function: Callable[..., Any]) -> Docstring:
    """The parsed docstring of a function (of the wrapped one, for a partial)."""
    while isinstance(function, functools.partial):
        function = function.func
    return parse_docstring(inspect.getdoc(function))


def parse_docstring(doc: str | None) -> Docstring:
    """Parse ``doc`` (Google, NumPy or reST style); an unparsable docstring
    becomes the description as it is."""
    if not doc or not doc.strip():
        return Docstring()
    import docstring_parser  # on first use: import cost

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


def is_async_callable(function: Callable[..., Any]) -> bool:
    """True for ``async def`` functions, partials of them and objects whose
    ``__call__`` is ``async def``."""
    while isinstance(function, functools.partial):
        function = function.func
    if inspect.iscoroutinefunction(function):
        return True
    call = getattr(type(function), "__call__", None)  # noqa: B004 - the method, not callable()
    return not inspect.isfunction(function) and inspect.iscoroutinefunction(call)


def _is_context_annotation(annotation: Any) -> bool:
    """True for ``RunContext``, ``RunContext[Deps]`` and ``Annotated`` forms of them."""
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation is RunContext or get_origin(annotation) is RunContext


def _check_parameter_kind(param: inspect.Parameter, tool_name: str) -> None:
    if param.kind is inspect.Parameter.VAR_POSITIONAL:
        what = f"*{param.name}"
    elif param.kind is inspect.Parameter.VAR_KEYWORD:
        what = f"**{param.name}"
    else:
        return
    raise ToolDefinitionError(
        f"Tool {tool_name!r} takes {what}, which has no JSON schema. Declare each argument "
        "as a named, annotated parameter, or use Tool.from_schema() with an explicit schema."
    )


def _unannotated(name: str, tool_name: str) -> ToolDefinitionError:
    if name in ("self", "cls"):
        return ToolDefinitionError(
            f"Tool {tool_name!r} looks like a method (its first parameter is {name!r}). "
            "Decorate plain functions, or register the bound method: "
            "registry.add(instance.method)."
        )
    return ToolDefinitionError(
        f"Parameter {name!r} of tool {tool_name!r} has no type annotation, so agentkit "
        f"cannot tell the model what to send. Annotate it (for example `{name}: str`; use "
        "`typing.Any` to accept any JSON value)."
    )


def _unresolvable_annotation(
    function: Callable[..., Any], tool_name: str, exc: Exception
) -> ToolDefinitionError:
    raw = inspect.signature(function).parameters.values()
    namespace = getattr(inspect.unwrap(function), "__globals__", {})
    for param in raw:
        if not isinstance(param.annotation, str):
            continue
        try:
            eval(param.annotation, namespace)  # what inspect.signature(eval_str=True) does
        except Exception:
            return ToolDefinitionError(
                f"The annotation {param.annotation!r} of parameter {param.name!r} of tool "
                f"{tool_name!r} cannot be resolved ({type(exc).__name__}: {exc}). Define or "
                "import the type at module level."
            )
    return ToolDefinitionError(
        f"The annotations of tool {tool_name!r} cannot be resolved: {type(exc).__name__}: {exc}"
    )

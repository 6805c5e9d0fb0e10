"""Reading a function's signature: its parameters, their resolved type hints,
and the parameters that receive the `RunContext`."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, get_args, get_origin

from .._context import RunContext
from .._errors import ToolDefinitionError
from ._invoke import CallPlan

__all__ = ["Parameter", "is_context_annotation", "read_signature", "signature_parameters"]

_EMPTY = inspect.Parameter.empty


@dataclass(frozen=True, slots=True)
class Parameter:
    """One parameter the model fills in.

    Attributes:
        name: The parameter's name (also its JSON property name).
        annotation: The resolved type hint (``Annotated`` kept).
        default: The default value, or ``inspect.Parameter.empty``.
        positional_only: Whether it must be passed positionally.
    """

    name: str
    annotation: Any
    default: Any = _EMPTY
    positional_only: bool = False

    @property
    def required(self) -> bool:
        """Whether the model must always give this parameter."""
        return self.default is _EMPTY


def is_context_annotation(annotation: Any) -> bool:
    """True for ``RunContext``, ``RunContext[Deps]`` and ``Annotated`` forms of them."""
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation is RunContext or get_origin(annotation) is RunContext


def signature_parameters(function: Callable[..., Any], tool_name: str) -> list[inspect.Parameter]:
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
    return list(signature.parameters.values())


def read_signature(
    function: Callable[..., Any], tool_name: str
) -> tuple[list[Parameter], CallPlan]:
    """The parameters the model fills in, and how to call the function.

    Raises:
        ToolDefinitionError: ``*args``/``**kwargs``, a missing annotation, or an
            unreadable signature; the message names the parameter.
    """
    parameters: list[Parameter] = []
    positional: list[str] = []
    context: list[str] = []
    for param in signature_parameters(function, tool_name):
        _check_parameter_kind(param, tool_name)
        if param.kind is inspect.Parameter.POSITIONAL_ONLY:
            positional.append(param.name)
        if is_context_annotation(param.annotation):
            context.append(param.name)
            continue
        if param.annotation is _EMPTY:
            raise _unannotated(param.name, tool_name)
        parameters.append(
            Parameter(
                name=param.name,
                annotation=param.annotation,
                default=param.default,
                positional_only=param.kind is inspect.Parameter.POSITIONAL_ONLY,
            )
        )
    return parameters, CallPlan(positional=tuple(positional), context=tuple(context))


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

"""`FunctionSchema`: one tool function as the model sees it (name,
description, parameters schema) and as agentkit calls it (arguments string ->
keyword arguments, plus the `RunContext`), built once when the tool is defined.

A schema comes from a function's signature and docstring, from a pydantic
model, or from an explicit JSON schema. jsonschema is imported when the
first arguments are validated (or a user's schema is checked), pydantic when
the first tool is defined from a model or from a function whose parameters
are not all plain JSON types (`_simple_schema`): importing agentkit loads
neither.
"""

from __future__ import annotations

import copy
import re
import sys
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._context import RunContext
from .._errors import ToolDefinitionError, ToolDefinitionWarning
from ._arguments import (
    Converter,
    QuickCheck,
    arguments_validator,
    check_arguments,
    convert_arguments,
    load_arguments,
    quick_check,
)
from ._json_schema import JsonSchema, check_schema, root_first
from ._pydantic_schema import arguments_model, model_schema
from ._signature import (
    Signature,
    function_docstring,
    is_async_callable,
    parse_docstring,
    read_signature,
)
from ._simple_schema import simple_arguments
from ._strict import drop_default_nulls, to_strict_schema

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from pydantic import BaseModel

__all__ = ["FunctionSchema"]

# OpenAI (and the providers that copy its API) reject any other function name.
_TOOL_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


@dataclass(slots=True, eq=False)
class FunctionSchema:
    """A tool function: what the model reads about it, and how to call it.

    Attributes:
        function: The function (sync or async).
        name: The name the model calls.
        description: What the tool does, as the model reads it.
        parameters: The published JSON schema of the arguments (the
            strict-mode form for strict tools).
        convert: Validated JSON arguments -> the function's keyword arguments
            (pydantic's rules); None passes the JSON values as they are.
        positional: Names of the positional-only parameters, in order.
        context: Names of the parameters that receive the `RunContext`.
        null_defaults: For strict tools, the schema before the strict
            transform: the ``null`` s that mean "use the default" are dropped
            along it.
        is_async: Whether calling the function returns an awaitable.
    """

    function: Callable[..., Any]
    name: str
    description: str
    parameters: JsonSchema
    convert: Converter | None
    positional: tuple[str, ...]
    context: tuple[str, ...]
    null_defaults: JsonSchema | None
    is_async: bool
    # Built on first use: defining a tool does not load jsonschema.
    _validator: Draft202012Validator | None = field(default=None, init=False, repr=False)
    _quick: QuickCheck | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self._quick = quick_check(self.parameters)

    @classmethod
    def from_function(
        cls,
        function: Callable[..., Any],
        *,
        name: str | None,
        description: str | None,
        strict: bool,
    ) -> FunctionSchema:
        """The schema of a function's signature and docstring.

        Raises:
            ToolDefinitionError: Bad name, ``*args``/``**kwargs``, a parameter
                without annotation or whose type has no JSON schema.
        """
        tool_name = _check_tool_name(name if name is not None else _function_name(function))
        docstring = function_docstring(function)
        signature = read_signature(function, tool_name)
        parameters = signature.schema_parameters(tool_name)
        simple = simple_arguments(tool_name, parameters, docstring)
        convert, schema = simple or arguments_model(tool_name, parameters, docstring)
        text = description if description is not None else docstring.description
        if not text.strip():
            _warn_no_description(tool_name, "its function has no docstring")
        return cls._assemble(function, tool_name, text, schema, convert, signature, strict)

    @classmethod
    def from_model(
        cls,
        model: type[BaseModel],
        function: Callable[..., Any],
        *,
        name: str | None,
        description: str | None,
        strict: bool,
    ) -> FunctionSchema:
        """The schema of a pydantic model, whose one instance the function takes.

        Raises:
            ToolDefinitionError: Not a model class, bad name, or ``function``
                does not take exactly one non-context parameter.
        """
        from pydantic import BaseModel  # on first use: import cost

        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            raise ToolDefinitionError(
                f"Tool.from_model() needs a pydantic BaseModel class, got {model!r}."
            )
        tool_name = _check_tool_name(name if name is not None else _snake_case(model.__name__))
        docstring = parse_docstring(model.__dict__.get("__doc__"))
        schema = model_schema(model, tool_name, docstring.params)
        signature = read_signature(function, tool_name)
        target = _single_parameter(signature, tool_name, model)

        def convert(data: dict[str, Any]) -> dict[str, Any]:
            return {target: model.model_validate(data)}

        text = description if description is not None else docstring.description
        if not text.strip():
            _warn_no_description(tool_name, f"{model.__name__} has no docstring")
        return cls._assemble(function, tool_name, text, schema, convert, signature, strict)

    @classmethod
    def from_schema(
        cls,
        function: Callable[..., Any],
        *,
        name: str,
        description: str,
        parameters: JsonSchema,
        strict: bool,
    ) -> FunctionSchema:
        """An explicit JSON schema; the function receives the JSON arguments
        as keyword arguments.

        Raises:
            ToolDefinitionError: Bad name, or ``parameters`` is not a valid
                object schema.
        """
        tool_name = _check_tool_name(name)
        if not isinstance(parameters, dict) or parameters.get("type") != "object":
            raise ToolDefinitionError(
                f"The parameters of tool {tool_name!r} must be a JSON schema of type 'object', "
                'for example {"type": "object", "properties": {...}, "required": [...]}.'
            )
        schema = copy.deepcopy(parameters)
        check_schema(schema, tool_name)
        signature = read_signature(function, tool_name)
        return cls._assemble(function, tool_name, description, schema, None, signature, strict)

    @classmethod
    def _assemble(
        cls,
        function: Callable[..., Any],
        name: str,
        description: str,
        schema: JsonSchema,
        convert: Converter | None,
        signature: Signature,
        strict: bool,
    ) -> FunctionSchema:
        return cls(
            function=function,
            name=name,
            description=description,
            parameters=root_first(to_strict_schema(schema, name) if strict else schema),
            convert=convert,
            positional=signature.positional,
            context=signature.context,
            null_defaults=schema if strict else None,
            is_async=is_async_callable(function),
        )

    def validate(self, arguments_json: str) -> dict[str, Any]:
        """The model's arguments string -> the function's keyword arguments.

        Raises:
            ToolArgumentsError: Not JSON, not an object, not matching the
                schema, or not convertible; the function must not be called.
        """
        arguments = load_arguments(arguments_json, self.name)
        if self._quick is None or not self._quick(arguments):
            if self._validator is None:
                self._validator = arguments_validator(self.parameters)
            check_arguments(arguments, self._validator, self.name)
        if self.null_defaults is not None:
            arguments = drop_default_nulls(arguments, self.null_defaults)
        if self.convert is None:
            return arguments
        return convert_arguments(arguments, self.convert, self.name)

    def call_arguments(
        self, arguments: Mapping[str, Any], context: RunContext[Any]
    ) -> tuple[list[Any], dict[str, Any]]:
        """The ``(args, kwargs)`` to call the function with."""
        kwargs = dict(arguments)
        for name in self.context:
            kwargs[name] = context
        args = [kwargs.pop(name) for name in self.positional if name in kwargs]
        return args, kwargs


def _warn_no_description(tool_name: str, why: str) -> None:
    """Warn (once per tool, by the default warning filters: the message names
    it) that the model will read no description of the tool."""
    warnings.warn(
        f"Tool {tool_name!r} has no description: {why}. The model reads the description "
        "to decide when to call a tool; add a docstring, or pass description=.",
        ToolDefinitionWarning,
        stacklevel=_first_frame_outside_agentkit(),
    )


def _first_frame_outside_agentkit() -> int:
    """The ``stacklevel`` of the user's code that defined the tool."""
    frame, level = sys._getframe(1), 1
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith("agentkit"):
        frame, level = frame.f_back, level + 1
    return level


def _check_tool_name(name: object) -> str:
    """``name``, if providers accept it as a function name."""
    if not isinstance(name, str) or _TOOL_NAME.fullmatch(name) is None:
        raise ToolDefinitionError(
            f"Tool name {name!r} is not accepted by providers: use 1 to 64 letters, digits, "
            "underscores or hyphens (pattern ^[a-zA-Z0-9_-]{1,64}$), for example "
            "@tool(name='get_weather')."
        )
    return name


def _function_name(function: Any) -> str:
    name = getattr(function, "__name__", None)
    if not isinstance(name, str):
        raise ToolDefinitionError(
            f"Cannot infer a tool name for {function!r} (it has no __name__): pass name=..."
        )
    return name


def _snake_case(name: str) -> str:
    """``GetWeather`` -> ``get_weather``, ``HTTPRequest`` -> ``http_request``."""
    return _WORD_BOUNDARY.sub("_", name).lower()


def _single_parameter(signature: Signature, tool_name: str, model: type[BaseModel]) -> str:
    """The name of the one parameter that receives the model instance."""
    others = signature.named_parameters()
    if len(others) != 1:
        raise ToolDefinitionError(
            f"The function of tool {tool_name!r} must take exactly one parameter for the "
            f"{model.__name__} instance (plus RunContext parameters), not {len(others)}."
        )
    return others[0].name

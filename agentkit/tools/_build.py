"""Everything a `Tool` needs, built once when it is defined: its name,
description, published schema, arguments parser and call plan."""

from __future__ import annotations

import copy
import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator, SchemaError
from pydantic import BaseModel

from .._errors import ToolDefinitionError
from ._docstrings import parse_docstring
from ._invoke import CallPlan
from ._names import check_tool_name, function_name, snake_case
from ._schema import arguments_model, model_schema
from ._schema_clean import root_first
from ._schema_walk import JsonSchema
from ._signature import is_context_annotation, read_signature, signature_parameters
from ._strict import to_strict_schema
from ._validate import ArgumentsParser, Converter

__all__ = ["ToolSpec", "spec_from_function", "spec_from_model", "spec_from_schema"]


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """The definition-time pieces of a tool."""

    name: str
    description: str
    parameters: JsonSchema
    parser: ArgumentsParser
    plan: CallPlan


def spec_from_function(
    function: Callable[..., Any], *, name: str | None, description: str | None, strict: bool
) -> ToolSpec:
    """A tool whose schema comes from the function's signature and docstring."""
    tool_name = check_tool_name(name if name is not None else function_name(function))
    docstring = parse_docstring(_doc_of(function))
    parameters, plan = read_signature(function, tool_name)
    arguments, schema = arguments_model(tool_name, parameters, docstring)
    text = description if description is not None else docstring.description
    return _spec(tool_name, text, schema, arguments.convert, plan, strict)


def spec_from_schema(
    function: Callable[..., Any],
    *,
    name: str,
    description: str,
    parameters: JsonSchema,
    strict: bool,
) -> ToolSpec:
    """A tool with an explicit JSON schema; the function receives the JSON
    arguments as keyword arguments."""
    tool_name = check_tool_name(name)
    if not isinstance(parameters, dict) or parameters.get("type") != "object":
        raise ToolDefinitionError(
            f"The parameters of tool {tool_name!r} must be a JSON schema of type 'object', "
            'for example {"type": "object", "properties": {...}, "required": [...]}.'
        )
    schema = copy.deepcopy(parameters)
    _check_schema(schema, tool_name)
    plan, _ = _context_plan(function, tool_name)
    return _spec(tool_name, description, schema, dict, plan, strict)


def spec_from_model(
    model: type[BaseModel],
    function: Callable[..., Any],
    *,
    name: str | None,
    description: str | None,
    strict: bool,
) -> ToolSpec:
    """A tool whose arguments are one pydantic model instance."""
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise ToolDefinitionError(
            f"Tool.from_model() needs a pydantic BaseModel class, got {model!r}."
        )
    tool_name = check_tool_name(name if name is not None else snake_case(model.__name__))
    docstring = parse_docstring(model.__dict__.get("__doc__"))
    schema = model_schema(model, tool_name)
    for field, prop in schema.get("properties", {}).items():
        if field in docstring.params and "description" not in prop:
            prop["description"] = docstring.params[field]
    plan, others = _context_plan(function, tool_name)
    if len(others) != 1:
        raise ToolDefinitionError(
            f"The function of tool {tool_name!r} must take exactly one parameter for the "
            f"{model.__name__} instance (plus RunContext parameters), not {len(others)}."
        )
    target = others[0].name

    def convert(data: dict[str, Any]) -> dict[str, Any]:
        return {target: model.model_validate(data)}

    text = description if description is not None else docstring.description
    return _spec(tool_name, text, schema, convert, plan, strict)


def _spec(
    name: str,
    description: str,
    schema: JsonSchema,
    convert: Converter,
    plan: CallPlan,
    strict: bool,
) -> ToolSpec:
    published = root_first(to_strict_schema(schema, name) if strict else schema)
    _check_schema(published, name)
    parser = ArgumentsParser(name, published, convert, null_schema=schema if strict else None)
    return ToolSpec(name, description, published, parser, plan)


def _check_schema(schema: JsonSchema, tool_name: str) -> None:
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise ToolDefinitionError(
            f"The parameters schema of tool {tool_name!r} is not a valid JSON schema "
            f"(Draft 2020-12): {exc.message}"
        ) from exc


def _context_plan(
    function: Callable[..., Any], tool_name: str
) -> tuple[CallPlan, list[inspect.Parameter]]:
    """The call plan of a function whose schema is not its signature, and its
    parameters that are not `RunContext` ones."""
    context: list[str] = []
    others: list[inspect.Parameter] = []
    positional: list[str] = []
    for param in signature_parameters(function, tool_name):
        if param.kind is inspect.Parameter.POSITIONAL_ONLY:
            positional.append(param.name)
        if is_context_annotation(param.annotation):
            context.append(param.name)
        elif param.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            others.append(param)
    return CallPlan(positional=tuple(positional), context=tuple(context)), others


def _doc_of(function: Callable[..., Any]) -> str | None:
    while isinstance(function, functools.partial):
        function = function.func
    return inspect.getdoc(function)

"""The model's arguments string -> validated Python arguments, or an error the
model can act on.

Three steps, each of which can fail with `ToolArgumentsError`: parse the JSON,
validate it against the published schema (jsonschema, Draft 2020-12), convert
it to Python values (pydantic). The validator objects are built once, when the
tool is defined.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pydantic
from jsonschema import Draft202012Validator

from .._errors import ToolArgumentsError
from ._errors_text import arguments_error_message, path_text, schema_error_entries
from ._nulls import drop_default_nulls
from ._schema_walk import JsonSchema

__all__ = ["ArgumentsParser", "Converter"]

Converter = Callable[[dict[str, Any]], dict[str, Any]]
"""JSON arguments -> the function's keyword arguments; may raise
``pydantic.ValidationError``."""


class ArgumentsParser:
    """Parses, validates and converts one tool's arguments.

    Args:
        tool_name: The tool's name, for error messages.
        schema: The published parameters schema.
        convert: Turns validated JSON values into the function's arguments.
        null_schema: For strict tools, the schema before the strict transform:
            nulls that stand for "use the default" are dropped along it.
    """

    __slots__ = ("_convert", "_null_schema", "_tool_name", "_validator")

    def __init__(
        self,
        tool_name: str,
        schema: JsonSchema,
        convert: Converter,
        null_schema: JsonSchema | None = None,
    ) -> None:
        self._tool_name = tool_name
        self._validator = Draft202012Validator(schema)
        self._convert = convert
        self._null_schema = null_schema

    def parse(self, arguments_json: str) -> dict[str, Any]:
        """Arguments string -> keyword arguments for the function.

        Raises:
            ToolArgumentsError: Not JSON, not an object, not matching the
                schema, or not convertible; the function must not be called.
        """
        data = self._load(arguments_json)
        errors = schema_error_entries(self._validator.iter_errors(data))
        if errors:
            raise self._error(errors)
        if self._null_schema is not None:
            data = drop_default_nulls(data, self._null_schema, self._null_schema)
        try:
            return self._convert(data)
        except pydantic.ValidationError as exc:
            raise self._error(_pydantic_entries(exc)) from None

    def _load(self, arguments_json: str) -> dict[str, Any]:
        # Several providers send "" for a call without arguments.
        if not arguments_json or arguments_json.isspace():
            return {}
        try:
            data = json.loads(arguments_json, parse_constant=_reject_constant)
        except ValueError as exc:
            raise self._error([{"path": "$", "message": f"not valid JSON ({exc})"}]) from None
        if not isinstance(data, dict):
            kind = "an array" if isinstance(data, list) else f"the value {arguments_json[:40]}"
            message = f"the arguments must be a JSON object, got {kind}"
            raise self._error([{"path": "$", "message": message}])
        return data

    def _error(self, errors: list[dict[str, str]]) -> ToolArgumentsError:
        return ToolArgumentsError(
            arguments_error_message(self._tool_name, errors),
            tool_name=self._tool_name,
            errors=errors,
        )


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _pydantic_entries(exc: pydantic.ValidationError) -> list[dict[str, str]]:
    return [
        {"path": path_text(error["loc"]), "message": error["msg"]}
        for error in exc.errors(include_url=False)
    ]

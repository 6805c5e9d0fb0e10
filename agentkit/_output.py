"""Structured output: the type a run ends with, its JSON schema, how the model
is asked for it, and how an answer is validated.

Three modes ask for the output:

- ``"tool"`` (default): a function (``final_result``) whose parameters are
  the output schema joins the published tools; a valid call ends the run.
- ``"native"``: ``response_format`` ``json_schema`` with ``strict: true``;
  the final content is the output.
- ``"prompted"``: the schema in the instructions and ``response_format``
  ``json_object``, for servers without ``json_schema``; a fenced ```` ```json````
  block is accepted.

A type whose schema is not an object (``list[int]``, ``str``, a union of
models...) is wrapped as ``{"result": ...}`` and unwrapped after validation.
Validation is the tools' own: the JSON is checked against the published
schema (jsonschema), then converted by pydantic; each problem is reported to
the model with its path, as for tool arguments.
"""

from __future__ import annotations

import json
import re
from typing import Any, Generic, Literal, TypeVar

from ._errors import ToolArgumentsError, ToolDefinitionError, UsageError
from ._partial_json_stream import PartialJSONParser
from .tools._arguments import (
    arguments_validator,
    check_arguments,
    convert_arguments,
    load_arguments,
)
from .tools._json_schema import JsonSchema
from .tools._pydantic_schema import type_schema
from .tools._strict import drop_default_nulls, to_strict_schema

__all__ = ["OutputInvalid", "OutputMode", "OutputSchema"]

OutputT = TypeVar("OutputT")

OutputMode = Literal["tool", "native", "prompted"]
"""How the model is asked for structured output."""

_MODES = ("tool", "native", "prompted")
_MAX_LISTED = 10
_TOOL_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")


class OutputInvalid(Exception):
    """Internal: an answer that is not a valid output; ``feedback`` is the
    message the model reads, ``errors`` the problems (``path``, ``message``)."""

    def __init__(self, feedback: str, errors: list[dict[str, str]]) -> None:
        super().__init__(feedback)
        self.feedback = feedback
        self.errors = errors


class OutputSchema(Generic[OutputT]):
    """What a run with ``output_type`` must end with, and how to get it.

    Raises:
        UsageError: An unknown mode, or a bad tool name.
        ToolDefinitionError: The type has no JSON schema, or (native mode)
            one that strict mode cannot express.
    """

    def __init__(
        self,
        output_type: Any,
        *,
        mode: OutputMode = "tool",
        tool_name: str = "final_result",
        retries: int = 1,
    ) -> None:
        if mode not in _MODES:
            raise UsageError(f"output_mode must be one of {', '.join(_MODES)}, not {mode!r}.")
        if retries < 0:
            raise UsageError(f"output_retries must be >= 0, not {retries!r}.")
        if not isinstance(tool_name, str) or _TOOL_NAME.fullmatch(tool_name) is None:
            raise UsageError(
                f"output_tool_name must be 1 to 64 letters, digits, underscores or hyphens "
                f"(providers reject other function names), not {tool_name!r}."
            )
        self.output_type = output_type
        self.mode = mode
        self.tool_name = tool_name
        self.retries = retries
        inner, self._validate_python = type_schema(output_type, "the output_type")
        self.wrapped = inner.get("type") != "object"
        self._loose_schema = _wrapped(inner) if self.wrapped else inner
        self.schema = (
            _strict_or_explain(self._loose_schema, tool_name)
            if mode == "native"
            else self._loose_schema
        )
        self._validator = arguments_validator(self.schema)

    # ------------------------------------------------------------ the request

    def tool_definition(self) -> dict[str, Any]:
        """The ``final_result`` function definition (tool mode)."""
        return {
            "type": "function",
            "function": {
                "name": self.tool_name,
                "description": (
                    "Give your final answer by calling this function with it. The run ends "
                    "with this call."
                ),
                "parameters": self.schema,
            },
        }

    def request_params(self) -> dict[str, Any]:
        """Request parameters of every turn (``response_format``)."""
        if self.mode == "native":
            return {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": self.tool_name, "schema": self.schema, "strict": True},
                }
            }
        if self.mode == "prompted":
            return {"response_format": {"type": "json_object"}}
        return {}

    def instructions(self) -> str | None:
        """What the system message says of the output (prompted mode)."""
        if self.mode != "prompted":
            return None
        schema = json.dumps(self.schema, ensure_ascii=False, separators=(",", ":"))
        return (
            "Your final answer must be a JSON object that matches this JSON schema, and "
            f"nothing else (no text around it):\n{schema}"
        )

    # -------------------------------------------------------------- answers

    def parse_arguments(self, arguments_json: str) -> OutputT:
        """The output from a ``final_result`` call's arguments (tool mode).

        Raises:
            OutputInvalid: Not JSON, not an object, or not matching the
                schema; the feedback is written as a tool error.
        """
        try:
            data = load_arguments(arguments_json, self.tool_name)
            return self._validated(data)
        except ToolArgumentsError as error:
            raise OutputInvalid(str(error), error.errors) from None

    def parse_text(self, text: str) -> OutputT:
        """The output from a final answer's text (native and prompted modes).
        Text around the JSON (a fenced ```` ```json```` block, a lead-in
        sentence) is ignored.

        Raises:
            OutputInvalid: Empty, not JSON, or not matching the schema; the
                feedback is written as a user message.
        """
        body = _json_document(text)
        if not body.strip():
            raise self._answer_error([{"path": "$", "message": "the answer was empty"}])
        try:
            return self._validated(load_arguments(body, self.tool_name))
        except ToolArgumentsError as error:
            raise self._answer_error(error.errors) from None

    def call_it_feedback(self) -> str:
        """The user message sent when the model answered in text in tool mode."""
        return (
            f"Give your final answer by calling the function {self.tool_name!r} with it "
            "(do not answer in plain text)."
        )

    def unwrap_partial(self, partial: Any) -> Any:
        """The partial output as a user sees it (``{"result": ...}`` unwrapped)."""
        if self.wrapped and isinstance(partial, dict):
            return partial.get("result")
        return partial

    def _validated(self, data: dict[str, Any]) -> OutputT:
        check_arguments(data, self._validator, self.tool_name)
        if self.mode == "native":
            data = drop_default_nulls(data, self._loose_schema)
        converted = convert_arguments(data, self._convert, self.tool_name)
        return converted["output"]  # type: ignore[no-any-return]

    def _convert(self, data: dict[str, Any]) -> dict[str, Any]:
        return {"output": self._validate_python(data["result"] if self.wrapped else data)}

    def _answer_error(self, errors: list[dict[str, str]]) -> OutputInvalid:
        lines = ["Your answer is not valid output:"]
        lines += [f"- {error['path']}: {error['message']}" for error in errors[:_MAX_LISTED]]
        if len(errors) > _MAX_LISTED:
            lines.append(f"- ... and {len(errors) - _MAX_LISTED} more problems")
        lines.append("Answer again with only a JSON object that matches the schema.")
        return OutputInvalid("\n".join(lines), errors)


def _json_document(text: str) -> str:
    """The JSON object or array in ``text``: the text itself when it starts
    with one, else the first complete document found after leading text."""
    if text.lstrip()[:1] in ("{", "["):
        return text
    parser = PartialJSONParser(skip_prefix=True)
    parser.feed(text)
    if parser.span is None:
        return text
    start, end = parser.span
    return text[start:end]


def _wrapped(inner: JsonSchema) -> JsonSchema:
    """``{"result": inner}`` as an object schema (``$defs`` kept at the root)."""
    inner = dict(inner)
    definitions = inner.pop("$defs", None)
    schema: JsonSchema = {
        "type": "object",
        "properties": {"result": inner},
        "required": ["result"],
        "additionalProperties": False,
    }
    if definitions:
        schema["$defs"] = definitions
    return schema


def _strict_or_explain(schema: JsonSchema, name: str) -> JsonSchema:
    try:
        return to_strict_schema(schema, name)
    except ToolDefinitionError as error:
        raise ToolDefinitionError(
            f"output_mode='native' sends the output schema with strict: true, which cannot "
            f"express this output_type ({error}). Use output_mode='tool' or 'prompted'."
        ) from None

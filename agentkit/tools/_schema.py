"""Signatures and pydantic models -> JSON schemas, through pydantic.

A function's parameters become the fields of a generated pydantic model, so
pydantic decides the JSON schema of every type (and converts the model's JSON
values back to Python values with the same rules). Fields are named
``p0, p1...`` with the parameter name as alias: a parameter may then be called
``json``, ``model_config`` or ``_private`` without clashing with pydantic.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Annotated, Any, get_args, get_origin

from pydantic import BaseModel, Field, TypeAdapter, create_model
from pydantic.fields import FieldInfo
from pydantic.json_schema import GenerateJsonSchema

from .._errors import ToolDefinitionError
from ._docstrings import Docstring
from ._schema_clean import clean_schema
from ._schema_walk import JsonSchema
from ._signature import Parameter

__all__ = ["ArgumentsModel", "arguments_model", "model_schema"]


class _SchemaGenerator(GenerateJsonSchema):
    # A default that is not JSON (a sentinel object) is left out of the schema
    # rather than warned about: the tool still works, the model just does not
    # see that default.
    ignored_warning_kinds = {"skipped-choice", "non-serializable-default"}  # noqa: RUF012


class ArgumentsModel:
    """The generated pydantic model of a function's arguments.

    Attributes:
        model: The pydantic model class (fields ``p0, p1...``).
        names: Field name -> parameter name, in signature order.
        always: Fields passed to the function even when the model did not
            give them (positional-only parameters, and ``Field(...)`` defaults,
            which only pydantic can resolve).
    """

    __slots__ = ("always", "model", "names")

    def __init__(self, model: type[BaseModel], names: dict[str, str], always: frozenset[str]):
        self.model = model
        self.names = names
        self.always = always

    def convert(self, data: dict[str, Any]) -> dict[str, Any]:
        """Validate JSON values into Python values: parameter name -> value.

        Raises:
            pydantic.ValidationError: A value does not fit its type.
        """
        instance = self.model.model_validate(data)
        given = instance.model_fields_set | self.always
        return {
            name: getattr(instance, field) for field, name in self.names.items() if field in given
        }


def arguments_model(
    tool_name: str, parameters: Sequence[Parameter], docstring: Docstring
) -> tuple[ArgumentsModel, JsonSchema]:
    """The arguments model of a signature and its published JSON schema.

    Raises:
        ToolDefinitionError: A parameter's type has no JSON schema; the message
            names the parameter.
    """
    fields: dict[str, Any] = {}
    names: dict[str, str] = {}
    always: set[str] = set()
    for index, param in enumerate(parameters):
        field = f"p{index}"
        names[field] = param.name
        fields[field] = (param.annotation, _field_info(param, docstring.params.get(param.name)))
        if param.positional_only or isinstance(param.default, FieldInfo):
            always.add(field)
    try:
        model = create_model("Arguments", **fields)
        schema = _json_schema(model)
    except Exception as exc:
        raise _unsupported_type(tool_name, parameters, exc) from exc
    return ArgumentsModel(model, names, frozenset(always)), schema


def model_schema(model: type[BaseModel], tool_name: str) -> JsonSchema:
    """The published JSON schema of a pydantic model's fields.

    Raises:
        ToolDefinitionError: The model has a field type without a JSON schema.
    """
    try:
        schema = _json_schema(model)
    except Exception as exc:
        raise ToolDefinitionError(
            f"The model {model.__name__} of tool {tool_name!r} has no JSON schema: "
            f"{_first_line(exc)}"
        ) from exc
    schema.pop("description", None)  # it is the tool's description
    return schema


def _json_schema(model: type[BaseModel]) -> JsonSchema:
    return clean_schema(model.model_json_schema(schema_generator=_SchemaGenerator))


def _field_info(param: Parameter, doc: str | None) -> FieldInfo:
    """Alias, default and description: ``Annotated[..., Field(description=...)]``
    and ``= Field(description=...)`` win over the docstring."""
    overrides: dict[str, Any] = {"alias": param.name}
    user_field = param.default if isinstance(param.default, FieldInfo) else None
    has_description = _annotated_description(param.annotation) or (
        user_field is not None and user_field.description
    )
    if doc and not has_description:
        overrides["description"] = doc
    if user_field is not None:
        return FieldInfo.merge_field_infos(user_field, Field(**overrides))
    if param.default is not inspect.Parameter.empty:
        overrides["default"] = param.default
    info: FieldInfo = Field(**overrides)
    return info


def _annotated_description(annotation: Any) -> bool:
    if get_origin(annotation) is not Annotated:
        return False
    return any(
        isinstance(meta, FieldInfo) and meta.description for meta in get_args(annotation)[1:]
    )


def _unsupported_type(
    tool_name: str, parameters: Sequence[Parameter], exc: Exception
) -> ToolDefinitionError:
    for param in parameters:
        try:
            TypeAdapter(param.annotation).json_schema(schema_generator=_SchemaGenerator)
        except Exception as param_exc:
            return ToolDefinitionError(
                f"Parameter {param.name!r} of tool {tool_name!r} has type "
                f"{_type_name(param.annotation)}, which has no JSON schema "
                f"({_first_line(param_exc)}). Use JSON-friendly types: str, int, float, bool, "
                "list, dict, Literal, Enum, datetime, UUID, pydantic models, dataclasses, "
                "TypedDict."
            )
    return ToolDefinitionError(
        f"The parameters of tool {tool_name!r} have no JSON schema: {_first_line(exc)}"
    )


def _type_name(annotation: Any) -> str:
    if isinstance(annotation, type):
        return annotation.__qualname__
    return repr(annotation)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__

"""Python types -> JSON schemas, and JSON values -> Python values, through
pydantic.

A function's parameters become the fields of a generated pydantic model, so
pydantic decides the JSON schema of every type (and converts the model's JSON
values back to Python values with the same rules). Fields are named ``p0,
p1...`` with the parameter name as alias: a parameter may then be called
``json``, ``model_config`` or ``_private`` without clashing with pydantic.

pydantic is imported on first use, when the first tool is defined, so
importing agentkit stays fast.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, get_args, get_origin

from .._errors import ToolDefinitionError
from ._arguments import Converter
from ._json_schema import JsonSchema, clean_schema
from ._signature import Docstring

if TYPE_CHECKING:
    from pydantic import BaseModel
    from pydantic.fields import FieldInfo
    from pydantic.json_schema import GenerateJsonSchema

__all__ = ["arguments_model", "model_schema", "type_schema"]


def arguments_model(
    tool_name: str, parameters: Sequence[inspect.Parameter], docstring: Docstring
) -> tuple[Converter, JsonSchema]:
    """The converter of a signature's arguments and its JSON schema.

    Raises:
        ToolDefinitionError: A parameter's type has no JSON schema; the message
            names the parameter.
    """
    from pydantic import create_model
    from pydantic.fields import FieldInfo

    fields: dict[str, Any] = {}
    names: dict[str, str] = {}
    always: set[str] = set()  # passed even when the model did not give them
    for index, param in enumerate(parameters):
        field_name = f"p{index}"
        names[field_name] = param.name
        description = docstring.params.get(param.name)
        fields[field_name] = (param.annotation, _field_info(param, description))
        # Positional-only ones cannot be left out of a call, and only pydantic
        # can resolve a Field(...) default.
        if param.kind is inspect.Parameter.POSITIONAL_ONLY or isinstance(param.default, FieldInfo):
            always.add(field_name)
    try:
        model = create_model("Arguments", **fields)
        schema = _json_schema(model)
    except Exception as exc:
        raise _unsupported_type(tool_name, parameters, exc) from exc

    def convert(data: dict[str, Any]) -> dict[str, Any]:
        instance = model.model_validate(data)
        given = instance.model_fields_set | always
        return {name: getattr(instance, key) for key, name in names.items() if key in given}

    return convert, schema


def model_schema(
    model: type[BaseModel], tool_name: str, descriptions: Mapping[str, str]
) -> JsonSchema:
    """The JSON schema of a model's fields; the docstring's descriptions fill
    in those that have no ``Field`` description.

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
    for name, prop in schema.get("properties", {}).items():
        if name in descriptions and "description" not in prop:
            prop["description"] = descriptions[name]
    return schema


def type_schema(annotation: Any, owner: str) -> tuple[JsonSchema, Callable[[Any], Any]]:
    """The JSON schema of a type (cleaned as tools' schemas are, the root
    ``$ref`` of a model inlined) and the function that validates JSON data
    into a value of that type.

    Raises:
        ToolDefinitionError: The type has no JSON schema; ``owner`` names what
            asked for it in the message.
    """
    from pydantic import TypeAdapter

    try:
        adapter: TypeAdapter[Any] = TypeAdapter(annotation)
        schema = adapter.json_schema(schema_generator=_schema_generator())
    except Exception as exc:
        raise ToolDefinitionError(
            f"The type {_type_name(annotation)} of {owner} has no JSON schema: {_first_line(exc)}"
        ) from exc
    cleaned = clean_schema(schema)
    if cleaned.get("type") != "object":
        cleaned.pop("required", None)  # clean_schema's default is for objects
    return cleaned, adapter.validate_python


def _json_schema(model: type[BaseModel]) -> JsonSchema:
    return clean_schema(model.model_json_schema(schema_generator=_schema_generator()))


@functools.cache
def _schema_generator() -> type[GenerateJsonSchema]:
    from pydantic.json_schema import GenerateJsonSchema

    class QuietSchemaGenerator(GenerateJsonSchema):
        # A default that is not JSON (a sentinel object) is left out of the
        # schema rather than warned about: the tool still works, the model
        # just does not see that default.
        ignored_warning_kinds = {"skipped-choice", "non-serializable-default"}  # noqa: RUF012

    return QuietSchemaGenerator


def _field_info(param: inspect.Parameter, doc: str | None) -> FieldInfo:
    """Alias, default and description: ``Annotated[..., Field(description=...)]``
    and ``= Field(description=...)`` win over the docstring."""
    from pydantic import Field
    from pydantic.fields import FieldInfo

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
    from pydantic.fields import FieldInfo

    if get_origin(annotation) is not Annotated:
        return False
    return any(
        isinstance(meta, FieldInfo) and meta.description for meta in get_args(annotation)[1:]
    )


def _unsupported_type(
    tool_name: str, parameters: Sequence[inspect.Parameter], exc: Exception
) -> ToolDefinitionError:
    from pydantic import TypeAdapter

    for param in parameters:
        try:
            TypeAdapter(param.annotation).json_schema(schema_generator=_schema_generator())
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

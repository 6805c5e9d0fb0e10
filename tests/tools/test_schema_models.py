"""Signatures with structured types -> JSON schemas: pydantic models,
dataclasses, TypedDicts, nesting, recursion, unions of models; and tools made
with Tool.from_model / Tool.from_schema. Every expected schema is written out.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable
from typing import Any, Literal, Optional

import pytest
from jsonschema import Draft202012Validator
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from agentkit import ToolDefinitionError
from agentkit.tools import Tool, tool

from .test_strict_rules import assert_openai_strict_compatible


class Address(BaseModel):
    """A postal address."""

    street: str
    city: str = Field(description="City name.")
    zip_code: str | None = None


@dataclasses.dataclass
class Point:
    x: float
    y: float = 0.0


class Movie(TypedDict):
    title: str
    year: int


class Options(TypedDict, total=False):
    verbose: bool
    depth: int


class Line(BaseModel):
    sku: str
    quantity: int = 1


class Order(BaseModel):
    id: int
    lines: list[Line]


class Node(BaseModel):
    value: int
    children: list[Node] = []


class Cat(BaseModel):
    meow: bool


class Dog(BaseModel):
    bark: bool


class Status(enum.Enum):
    OPEN = "open"
    CLOSED = "closed"


class Query(BaseModel):
    """Search orders."""

    text: str = Field(max_length=50, description="Words to look for.")
    status: Status = Status.OPEN
    limit: int = Field(10, ge=1, le=100)


def takes_model(address: Address) -> None: ...
def takes_dataclass(point: Point) -> None: ...
def takes_typed_dicts(movie: Movie, options: Options) -> None: ...
def takes_nested(order: Order) -> None: ...
def takes_optional_model(address: Optional[Address] = None) -> None: ...  # noqa: UP045
def takes_recursive(tree: Node) -> None: ...
def takes_union_of_models(pet: Cat | Dog) -> None: ...
def takes_list_of_models(stops: list[Address]) -> None: ...
def takes_constrained_model(query: Query) -> None: ...


ADDRESS = {
    "type": "object",
    "description": "A postal address.",
    "properties": {
        "street": {"type": "string"},
        "city": {"type": "string", "description": "City name."},
        "zip_code": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
    },
    "required": ["street", "city"],
    "additionalProperties": False,
}
STRICT_ADDRESS = {
    "type": "object",
    "description": "A postal address.",
    "properties": {
        "street": {"type": "string"},
        "city": {"type": "string", "description": "City name."},
        "zip_code": {"anyOf": [{"type": "string"}, {"type": "null"}]},
    },
    "required": ["street", "city", "zip_code"],
    "additionalProperties": False,
}

SCHEMAS: list[Any] = [
    pytest.param(
        takes_model,
        {
            "type": "object",
            "properties": {"address": {"$ref": "#/$defs/Address"}},
            "required": ["address"],
            "additionalProperties": False,
            "$defs": {"Address": ADDRESS},
        },
        {
            "type": "object",
            "properties": {"address": {"$ref": "#/$defs/Address"}},
            "required": ["address"],
            "additionalProperties": False,
            "$defs": {"Address": STRICT_ADDRESS},
        },
        id="pydantic model",
    ),
    pytest.param(
        takes_dataclass,
        {
            "type": "object",
            "properties": {"point": {"$ref": "#/$defs/Point"}},
            "required": ["point"],
            "additionalProperties": False,
            "$defs": {
                "Point": {
                    "type": "object",
                    "properties": {
                        "x": {"type": "number"},
                        "y": {"type": "number", "default": 0.0},
                    },
                    "required": ["x"],
                    "additionalProperties": False,
                }
            },
        },
        {
            "type": "object",
            "properties": {"point": {"$ref": "#/$defs/Point"}},
            "required": ["point"],
            "additionalProperties": False,
            "$defs": {
                "Point": {
                    "type": "object",
                    "properties": {
                        "x": {"type": "number"},
                        "y": {"anyOf": [{"type": "number"}, {"type": "null"}]},
                    },
                    "required": ["x", "y"],
                    "additionalProperties": False,
                }
            },
        },
        id="dataclass",
    ),
    pytest.param(
        takes_typed_dicts,
        {
            "type": "object",
            "properties": {
                "movie": {"$ref": "#/$defs/Movie"},
                "options": {"$ref": "#/$defs/Options"},
            },
            "required": ["movie", "options"],
            "additionalProperties": False,
            "$defs": {
                "Movie": {
                    "type": "object",
                    "properties": {"title": {"type": "string"}, "year": {"type": "integer"}},
                    "required": ["title", "year"],
                    "additionalProperties": False,
                },
                "Options": {
                    "type": "object",
                    "properties": {"verbose": {"type": "boolean"}, "depth": {"type": "integer"}},
                    "additionalProperties": False,
                },
            },
        },
        {
            "type": "object",
            "properties": {
                "movie": {"$ref": "#/$defs/Movie"},
                "options": {"$ref": "#/$defs/Options"},
            },
            "required": ["movie", "options"],
            "additionalProperties": False,
            "$defs": {
                "Movie": {
                    "type": "object",
                    "properties": {"title": {"type": "string"}, "year": {"type": "integer"}},
                    "required": ["title", "year"],
                    "additionalProperties": False,
                },
                "Options": {
                    "type": "object",
                    "properties": {
                        "verbose": {"anyOf": [{"type": "boolean"}, {"type": "null"}]},
                        "depth": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
                    },
                    "required": ["verbose", "depth"],
                    "additionalProperties": False,
                },
            },
        },
        id="TypedDict total and non-total",
    ),
    pytest.param(
        takes_nested,
        {
            "type": "object",
            "properties": {"order": {"$ref": "#/$defs/Order"}},
            "required": ["order"],
            "additionalProperties": False,
            "$defs": {
                "Line": {
                    "type": "object",
                    "properties": {
                        "sku": {"type": "string"},
                        "quantity": {"type": "integer", "default": 1},
                    },
                    "required": ["sku"],
                    "additionalProperties": False,
                },
                "Order": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "lines": {"type": "array", "items": {"$ref": "#/$defs/Line"}},
                    },
                    "required": ["id", "lines"],
                    "additionalProperties": False,
                },
            },
        },
        {
            "type": "object",
            "properties": {"order": {"$ref": "#/$defs/Order"}},
            "required": ["order"],
            "additionalProperties": False,
            "$defs": {
                "Line": {
                    "type": "object",
                    "properties": {
                        "sku": {"type": "string"},
                        "quantity": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
                    },
                    "required": ["sku", "quantity"],
                    "additionalProperties": False,
                },
                "Order": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "lines": {"type": "array", "items": {"$ref": "#/$defs/Line"}},
                    },
                    "required": ["id", "lines"],
                    "additionalProperties": False,
                },
            },
        },
        id="nested models",
    ),
    pytest.param(
        takes_optional_model,
        {
            "type": "object",
            "properties": {
                "address": {
                    "anyOf": [{"$ref": "#/$defs/Address"}, {"type": "null"}],
                    "default": None,
                }
            },
            "required": [],
            "additionalProperties": False,
            "$defs": {"Address": ADDRESS},
        },
        {
            "type": "object",
            "properties": {"address": {"anyOf": [{"$ref": "#/$defs/Address"}, {"type": "null"}]}},
            "required": ["address"],
            "additionalProperties": False,
            "$defs": {"Address": STRICT_ADDRESS},
        },
        id="Optional[model] = None",
    ),
    pytest.param(
        takes_recursive,
        {
            "type": "object",
            "properties": {"tree": {"$ref": "#/$defs/Node"}},
            "required": ["tree"],
            "additionalProperties": False,
            "$defs": {
                "Node": {
                    "type": "object",
                    "properties": {
                        "value": {"type": "integer"},
                        "children": {
                            "type": "array",
                            "items": {"$ref": "#/$defs/Node"},
                            "default": [],
                        },
                    },
                    "required": ["value"],
                    "additionalProperties": False,
                }
            },
        },
        {
            "type": "object",
            "properties": {"tree": {"$ref": "#/$defs/Node"}},
            "required": ["tree"],
            "additionalProperties": False,
            "$defs": {
                "Node": {
                    "type": "object",
                    "properties": {
                        "value": {"type": "integer"},
                        "children": {
                            "anyOf": [
                                {"type": "array", "items": {"$ref": "#/$defs/Node"}},
                                {"type": "null"},
                            ]
                        },
                    },
                    "required": ["value", "children"],
                    "additionalProperties": False,
                }
            },
        },
        id="recursive model",
    ),
    pytest.param(
        takes_union_of_models,
        {
            "type": "object",
            "properties": {"pet": {"anyOf": [{"$ref": "#/$defs/Cat"}, {"$ref": "#/$defs/Dog"}]}},
            "required": ["pet"],
            "additionalProperties": False,
            "$defs": {
                "Cat": {
                    "type": "object",
                    "properties": {"meow": {"type": "boolean"}},
                    "required": ["meow"],
                    "additionalProperties": False,
                },
                "Dog": {
                    "type": "object",
                    "properties": {"bark": {"type": "boolean"}},
                    "required": ["bark"],
                    "additionalProperties": False,
                },
            },
        },
        {
            "type": "object",
            "properties": {"pet": {"anyOf": [{"$ref": "#/$defs/Cat"}, {"$ref": "#/$defs/Dog"}]}},
            "required": ["pet"],
            "additionalProperties": False,
            "$defs": {
                "Cat": {
                    "type": "object",
                    "properties": {"meow": {"type": "boolean"}},
                    "required": ["meow"],
                    "additionalProperties": False,
                },
                "Dog": {
                    "type": "object",
                    "properties": {"bark": {"type": "boolean"}},
                    "required": ["bark"],
                    "additionalProperties": False,
                },
            },
        },
        id="union of models",
    ),
    pytest.param(
        takes_list_of_models,
        {
            "type": "object",
            "properties": {"stops": {"type": "array", "items": {"$ref": "#/$defs/Address"}}},
            "required": ["stops"],
            "additionalProperties": False,
            "$defs": {"Address": ADDRESS},
        },
        {
            "type": "object",
            "properties": {"stops": {"type": "array", "items": {"$ref": "#/$defs/Address"}}},
            "required": ["stops"],
            "additionalProperties": False,
            "$defs": {"Address": STRICT_ADDRESS},
        },
        id="list of models",
    ),
    pytest.param(
        takes_constrained_model,
        {
            "type": "object",
            "properties": {"query": {"$ref": "#/$defs/Query"}},
            "required": ["query"],
            "additionalProperties": False,
            "$defs": {
                "Query": {
                    "type": "object",
                    "description": "Search orders.",
                    "properties": {
                        "text": {
                            "type": "string",
                            "maxLength": 50,
                            "description": "Words to look for.",
                        },
                        "status": {"anyOf": [{"$ref": "#/$defs/Status"}], "default": "open"},
                        "limit": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10},
                    },
                    "required": ["text"],
                    "additionalProperties": False,
                },
                "Status": {"type": "string", "enum": ["open", "closed"]},
            },
        },
        {
            "type": "object",
            "properties": {"query": {"$ref": "#/$defs/Query"}},
            "required": ["query"],
            "additionalProperties": False,
            "$defs": {
                "Query": {
                    "type": "object",
                    "description": "Search orders.",
                    "properties": {
                        "text": {
                            "type": "string",
                            "description": "Words to look for. (maxLength=50)",
                        },
                        "status": {"anyOf": [{"$ref": "#/$defs/Status"}, {"type": "null"}]},
                        "limit": {
                            "anyOf": [
                                {"type": "integer", "minimum": 1, "maximum": 100},
                                {"type": "null"},
                            ]
                        },
                    },
                    "required": ["text", "status", "limit"],
                    "additionalProperties": False,
                },
                "Status": {"type": "string", "enum": ["open", "closed"]},
            },
        },
        id="model with constraints, enum field and defaults",
    ),
]


@pytest.mark.parametrize(("function", "expected", "expected_strict"), SCHEMAS)
def test_schema_from_structured_types(
    function: Callable[..., Any], expected: dict[str, Any], expected_strict: dict[str, Any]
) -> None:
    assert tool(function).parameters == expected
    Draft202012Validator.check_schema(expected)
    strict = tool(strict=True)(function).parameters
    assert strict == expected_strict
    assert_openai_strict_compatible(strict)


# ------------------------------------------------------------------ from_model


class GetWeather(BaseModel):
    """Get the current weather for a city.

    Attributes:
        city: City name, for example "Hanoi".
    """

    city: str
    unit: Literal["C", "F"] = Field("C", description="Temperature unit.")


def test_from_model_takes_name_description_and_schema_from_the_class() -> None:
    weather = Tool.from_model(GetWeather, lambda request: request.city)
    assert weather.name == "get_weather"
    assert weather.description == "Get the current weather for a city."
    assert weather.parameters == {
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": 'City name, for example "Hanoi".'},
            "unit": {
                "type": "string",
                "enum": ["C", "F"],
                "default": "C",
                "description": "Temperature unit.",
            },
        },
        "required": ["city"],
        "additionalProperties": False,
    }


def test_from_model_strict() -> None:
    weather = Tool.from_model(GetWeather, lambda request: request.city, strict=True)
    assert weather.parameters == {
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": 'City name, for example "Hanoi".'},
            "unit": {
                "anyOf": [{"type": "string", "enum": ["C", "F"]}, {"type": "null"}],
                "description": "Temperature unit.",
            },
        },
        "required": ["city", "unit"],
        "additionalProperties": False,
    }
    assert_openai_strict_compatible(weather.parameters)


def test_from_model_with_a_recursive_root_refers_to_the_root_as_hash() -> None:
    tree = Tool.from_model(Node, lambda node: node.value, name="sum_tree", strict=True)
    assert tree.parameters == {
        "type": "object",
        "properties": {
            "value": {"type": "integer"},
            "children": {
                "anyOf": [{"type": "array", "items": {"$ref": "#"}}, {"type": "null"}],
            },
        },
        "required": ["value", "children"],
        "additionalProperties": False,
    }
    assert_openai_strict_compatible(tree.parameters)


def test_from_model_needs_a_model_class_and_a_one_parameter_function() -> None:
    with pytest.raises(ToolDefinitionError, match="BaseModel class"):
        Tool.from_model(dict, print)  # type: ignore[arg-type]
    with pytest.raises(ToolDefinitionError, match="exactly one parameter"):
        Tool.from_model(GetWeather, lambda a, b: None)


# ----------------------------------------------------------------- from_schema

DYNAMIC = {
    "type": "object",
    "properties": {
        "query": {"type": "string", "description": "SQL to run."},
        "limit": {"type": "integer", "minimum": 1, "default": 100},
    },
    "required": ["query"],
}


def test_from_schema_publishes_the_schema_as_given() -> None:
    sql = Tool.from_schema(lambda **kwargs: kwargs, name="run_sql", parameters=DYNAMIC)
    assert sql.parameters == DYNAMIC
    assert sql.definition() == {
        "type": "function",
        "function": {"name": "run_sql", "description": "", "parameters": DYNAMIC},
    }


def test_from_schema_strict_transforms_the_schema() -> None:
    sql = Tool.from_schema(
        lambda **kwargs: kwargs,
        name="run_sql",
        description="Run a read-only query.",
        parameters=DYNAMIC,
        strict=True,
    )
    assert sql.parameters == {
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": "SQL to run."},
            "limit": {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "null"}]},
        },
        "required": ["query", "limit"],
        "additionalProperties": False,
    }
    assert_openai_strict_compatible(sql.parameters)


@pytest.mark.parametrize(
    ("parameters", "complaint"),
    [
        ({"type": "array", "items": {"type": "string"}}, "type 'object'"),
        ({"type": "object", "properties": {"x": {"type": "strnig"}}}, "not a valid JSON schema"),
    ],
)
def test_from_schema_rejects_bad_schemas(parameters: dict[str, Any], complaint: str) -> None:
    with pytest.raises(ToolDefinitionError, match=complaint):
        Tool.from_schema(print, name="bad", parameters=parameters)


def test_from_schema_copies_the_schema() -> None:
    parameters = {"type": "object", "properties": {"a": {"type": "string"}}}
    dynamic = Tool.from_schema(print, name="copy", parameters=parameters)
    parameters["properties"]["a"]["type"] = "integer"  # type: ignore[index]
    assert dynamic.parameters["properties"]["a"] == {"type": "string"}


def test_from_schema_strict_moves_siblings_of_ref_into_any_of() -> None:
    dynamic = Tool.from_schema(
        print,
        name="with_refs",
        strict=True,
        parameters={
            "type": "object",
            "properties": {"point": {"$ref": "#/$defs/Point", "description": "Where."}},
            "required": ["point"],
            "$defs": {
                "Point": {
                    "type": "object",
                    "properties": {"x": {"type": "number"}, "y": {"type": "number"}},
                    "required": ["x", "y"],
                }
            },
        },
    )
    assert dynamic.parameters == {
        "type": "object",
        "properties": {"point": {"anyOf": [{"$ref": "#/$defs/Point"}], "description": "Where."}},
        "required": ["point"],
        "additionalProperties": False,
        "$defs": {
            "Point": {
                "type": "object",
                "properties": {"x": {"type": "number"}, "y": {"type": "number"}},
                "required": ["x", "y"],
                "additionalProperties": False,
            }
        },
    }
    assert_openai_strict_compatible(dynamic.parameters)

"""Arguments string -> validated Python arguments, or a ToolArgumentsError the
model can act on; an invalid call never reaches the function."""

from __future__ import annotations

import datetime
import enum
import uuid
from typing import Annotated, Any, Literal, Optional

import pytest
from pydantic import BaseModel, Field

from agentkit import ToolArgumentsError
from agentkit.tools import RunContext, Tool, tool


class Item(BaseModel):
    sku: str
    quantity: int = Field(1, ge=1)


class Shipping(BaseModel):
    address: str
    express: bool = False


class Calls:
    """Counts the calls that reached the function."""

    def __init__(self) -> None:
        self.arguments: list[dict[str, Any]] = []


@pytest.fixture
def calls() -> Calls:
    return Calls()


@pytest.fixture
def place_order(calls: Calls) -> Tool[..., Any]:
    def place_order(
        customer_id: int,
        items: list[Item],
        priority: Literal["low", "high"] = "low",
        shipping: Optional[Shipping] = None,  # noqa: UP045
        note: str = "",
    ) -> str:
        calls.arguments.append(
            {"customer_id": customer_id, "items": items, "priority": priority, "note": note}
        )
        return "ok"

    return tool(place_order)


INVALID: list[Any] = [
    pytest.param("not json", "$", "not valid JSON", id="not JSON"),
    pytest.param('{"customer_id": 1, "items": [', "$", "not valid JSON", id="truncated JSON"),
    pytest.param('{"customer_id": NaN, "items": []}', "$", "not valid JSON", id="NaN"),
    pytest.param("[1, 2]", "$", "must be a JSON object, got an array", id="array"),
    pytest.param('"Hanoi"', "$", "must be a JSON object", id="string"),
    pytest.param('{"items": []}', "$.customer_id", "missing required property", id="missing"),
    pytest.param(
        '{"customer_id": "7", "items": []}',
        "$.customer_id",
        'expected integer, got string "7"',
        id="string for integer",
    ),
    pytest.param(
        '{"customer_id": true, "items": []}',
        "$.customer_id",
        "expected integer, got boolean true",
        id="boolean for integer",
    ),
    pytest.param(
        '{"customer_id": 1.5, "items": []}',
        "$.customer_id",
        "expected integer, got number 1.5",
        id="float for integer",
    ),
    pytest.param(
        '{"customer_id": 1, "items": {}}', "$.items", "expected array", id="object for array"
    ),
    pytest.param(
        '{"customer_id": 1, "items": [], "coupon": "X"}',
        "$.coupon",
        "unexpected property (allowed: customer_id, items, priority, shipping, note)",
        id="extra property",
    ),
    pytest.param(
        '{"customer_id": 1, "items": [], "priority": "urgent"}',
        "$.priority",
        '"urgent" is not one of ["low", "high"]',
        id="literal violation",
    ),
    pytest.param(
        '{"customer_id": 1, "items": [{"sku": "A", "quantity": "two"}]}',
        "$.items[0].quantity",
        'expected integer, got string "two"',
        id="nested field wrong type",
    ),
    pytest.param(
        '{"customer_id": 1, "items": [{"sku": "A"}, {"quantity": 2}]}',
        "$.items[1].sku",
        "missing required property",
        id="nested field missing",
    ),
    pytest.param(
        '{"customer_id": 1, "items": [{"sku": "A", "quantity": 0}]}',
        "$.items[0].quantity",
        "0 is less than the minimum of 1",
        id="nested constraint",
    ),
    pytest.param(
        '{"customer_id": 1, "items": [], "shipping": {"address": "x", "fast": true}}',
        "$.shipping.fast",
        "unexpected property (allowed: address, express)",
        id="nested extra property",
    ),
    pytest.param(
        '{"customer_id": 1, "items": [], "shipping": "home"}',
        "$.shipping",
        'expected object or null, got string "home"',
        id="optional model given a string",
    ),
    pytest.param(
        '{"customer_id": 1, "items": [], "note": null}',
        "$.note",
        "expected string, got null",
        id="null for a non-nullable default",
    ),
]


@pytest.mark.anyio
@pytest.mark.parametrize(("arguments", "path", "message"), INVALID)
async def test_invalid_arguments_never_reach_the_function(
    place_order: Tool[..., Any], calls: Calls, arguments: str, path: str, message: str
) -> None:
    outcome = await place_order.execute(arguments, RunContext(deps=None))

    assert calls.arguments == []
    assert outcome.is_error
    assert isinstance(outcome.error, ToolArgumentsError)
    assert outcome.error.tool_name == "place_order"
    assert {"path": path, "message": message} in outcome.error.errors or any(
        error["path"] == path and message in error["message"] for error in outcome.error.errors
    ), outcome.error.errors
    assert outcome.output == str(outcome.error)
    assert outcome.output.startswith("Invalid arguments for tool 'place_order':\n")
    assert f"- {path}: " in outcome.output
    assert outcome.output.endswith("Fix the arguments and call the tool again.")
    assert outcome.value is None


def test_every_problem_is_listed(place_order: Tool[..., Any]) -> None:
    with pytest.raises(ToolArgumentsError) as caught:
        place_order.parse_arguments('{"customer_id": "x", "priority": 3, "extra": 1}')
    assert caught.value.errors == [
        {"path": "$.customer_id", "message": 'expected integer, got string "x"'},
        {"path": "$.priority", "message": "expected string, got integer 3"},
        {"path": "$.items", "message": "missing required property"},
        {"path": "$.extra", "message": "unexpected property "
         "(allowed: customer_id, items, priority, shipping, note)"},
    ]  # fmt: skip
    assert str(caught.value) == (
        "Invalid arguments for tool 'place_order':\n"
        '- $.customer_id: expected integer, got string "x"\n'
        "- $.priority: expected string, got integer 3\n"
        "- $.items: missing required property\n"
        "- $.extra: unexpected property (allowed: customer_id, items, priority, shipping, note)\n"
        "Fix the arguments and call the tool again."
    )


def test_long_error_lists_are_cut() -> None:
    def many(a0: int, a1: int, a2: int, a3: int, a4: int, a5: int, a6: int, a7: int,
             a8: int, a9: int, a10: int, a11: int) -> None: ...  # fmt: skip

    with pytest.raises(ToolArgumentsError) as caught:
        tool(many).parse_arguments("{}")
    assert len(caught.value.errors) == 12
    assert "- ... and 2 more problems\n" in str(caught.value)


def test_keys_that_are_not_identifiers_are_quoted_in_paths() -> None:
    dynamic = Tool.from_schema(
        print,
        name="dynamic",
        parameters={
            "type": "object",
            "properties": {"first name": {"type": "string"}},
            "required": ["first name"],
        },
    )
    with pytest.raises(ToolArgumentsError) as caught:
        dynamic.parse_arguments('{"first name": 1}')
    assert caught.value.errors == [
        {"path": '$["first name"]', "message": "expected string, got integer 1"}
    ]


# ------------------------------------------------ conversion after validation


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


def converts(
    day: datetime.date,
    when: datetime.datetime,
    ident: uuid.UUID,
    color: Color,
    tags: set[str],
    pair: tuple[int, str],
    item: Item,
) -> None: ...


def test_json_values_become_python_values() -> None:
    arguments = tool(converts).parse_arguments(
        '{"day": "2024-05-01", "when": "2024-05-01T10:30:00Z", '
        '"ident": "12345678-1234-5678-1234-567812345678", "color": "green", '
        '"tags": ["a", "b"], "pair": [1, "x"], "item": {"sku": "A"}}'
    )
    assert arguments == {
        "day": datetime.date(2024, 5, 1),
        "when": datetime.datetime(2024, 5, 1, 10, 30, tzinfo=datetime.timezone.utc),
        "ident": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "color": Color.GREEN,
        "tags": {"a", "b"},
        "pair": (1, "x"),
        "item": Item(sku="A", quantity=1),
    }


def test_a_set_rejects_duplicates_as_its_schema_says() -> None:
    with pytest.raises(ToolArgumentsError) as caught:
        tool(converts).parse_arguments(
            '{"day": "2024-05-01", "when": "2024-05-01T10:30:00Z", '
            '"ident": "12345678-1234-5678-1234-567812345678", "color": "green", '
            '"tags": ["a", "a"], "pair": [1, "x"], "item": {"sku": "A"}}'
        )
    assert [error["path"] for error in caught.value.errors] == ["$.tags"]


def test_conversion_errors_are_argument_errors_too() -> None:
    with pytest.raises(ToolArgumentsError) as caught:
        tool(converts).parse_arguments(
            '{"day": "2024-13-45", "when": "2024-05-01T10:30:00Z", '
            '"ident": "12345678-1234-5678-1234-567812345678", "color": "red", '
            '"tags": [], "pair": [1, "x"], "item": {"sku": "A"}}'
        )
    assert [error["path"] for error in caught.value.errors] == ["$.day"]
    assert "valid date" in caught.value.errors[0]["message"]


def test_omitted_optional_parameters_keep_the_function_defaults(
    place_order: Tool[..., Any],
) -> None:
    assert place_order.parse_arguments('{"customer_id": 7, "items": []}') == {
        "customer_id": 7,
        "items": [],
    }


def test_field_defaults_and_positional_only_parameters_are_always_passed() -> None:
    def paged(query: str, /, limit: int = Field(10, ge=1)) -> None: ...

    assert tool(paged).parse_arguments('{"query": "x"}') == {"query": "x", "limit": 10}


@pytest.mark.parametrize("empty", ["", "  ", "{}"])
def test_an_empty_arguments_string_means_no_arguments(empty: str) -> None:
    def ping() -> str:
        return "pong"

    assert tool(ping).parse_arguments(empty) == {}


# ---------------------------------------------------- strict mode and nulls


def strict_search(
    text: Annotated[str, Field(max_length=5)],
    limit: int = 10,
    after: Optional[int] = 5,  # noqa: UP045
    shipping: Optional[Shipping] = None,  # noqa: UP045
) -> None: ...


def test_strict_null_means_the_default() -> None:
    search = tool(strict=True)(strict_search)
    arguments = search.parse_arguments(
        '{"text": "abc", "limit": null, "after": 3, "shipping": null}'
    )
    assert arguments == {"text": "abc", "after": 3, "shipping": None}


def test_strict_null_is_none_when_the_type_allows_none() -> None:
    search = tool(strict=True)(strict_search)
    arguments = search.parse_arguments(
        '{"text": "abc", "limit": 3, "after": null, "shipping": null}'
    )
    assert arguments == {"text": "abc", "limit": 3, "after": None, "shipping": None}


def test_strict_null_inside_a_nested_model_means_its_default() -> None:
    search = tool(strict=True)(strict_search)
    arguments = search.parse_arguments(
        '{"text": "abc", "limit": 3, "after": 1, '
        '"shipping": {"address": "1 Main St", "express": null}}'
    )
    assert arguments["shipping"] == Shipping(address="1 Main St", express=False)


def test_strict_mode_requires_every_key() -> None:
    search = tool(strict=True)(strict_search)
    with pytest.raises(ToolArgumentsError) as caught:
        search.parse_arguments('{"text": "abc"}')
    assert [error["path"] for error in caught.value.errors] == [
        "$.limit",
        "$.after",
        "$.shipping",
    ]


def test_strict_constraints_moved_to_the_description_are_still_enforced() -> None:
    search = tool(strict=True)(strict_search)
    with pytest.raises(ToolArgumentsError) as caught:
        search.parse_arguments('{"text": "too long", "limit": 1, "after": 1, "shipping": null}')
    assert caught.value.errors == [
        {"path": "$.text", "message": "String should have at most 5 characters"}
    ]


def test_strict_dynamic_tool_drops_nulls_so_the_function_default_applies() -> None:
    def run_sql(query: str, limit: int = 100) -> str:
        return f"{query} LIMIT {limit}"

    sql = Tool.from_schema(
        run_sql,
        name="run_sql",
        strict=True,
        parameters={
            "type": "object",
            "properties": {"query": {"type": "string"}, "limit": {"type": "integer"}},
            "required": ["query"],
        },
    )
    assert sql.parse_arguments('{"query": "SELECT 1", "limit": null}') == {"query": "SELECT 1"}


def test_from_model_arguments_are_one_instance() -> None:
    shipping_tool = Tool.from_model(Shipping, lambda shipping: shipping.address)
    assert shipping_tool.parse_arguments('{"address": "x"}') == {"shipping": Shipping(address="x")}

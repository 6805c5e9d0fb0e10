"""Docstrings -> tool and parameter descriptions, in Google, NumPy and reST styles."""

from __future__ import annotations

from typing import Annotated, Literal

import pytest
from pydantic import Field

from agentkit.tools import RunContext, tool
from agentkit.tools._signature import Docstring, parse_docstring


def google_style(city: str, unit: Literal["C", "F"] = "C") -> str:
    """Get the current weather for a city.

    Reads the latest observation from the nearest station.

    Args:
        city: City name, for example "Hanoi". Use the English
            spelling.
        unit (str): Temperature unit.

    Returns:
        A one-line summary.

    Raises:
        LookupError: The city is unknown.
    """
    return city


def numpy_style(city: str, unit: Literal["C", "F"] = "C") -> str:
    """Get the current weather for a city.

    Reads the latest observation from the nearest station.

    Parameters
    ----------
    city : str
        City name, for example "Hanoi". Use the English
        spelling.
    unit : str, optional
        Temperature unit.

    Returns
    -------
    str
        A one-line summary.
    """
    return city


def rest_style(city: str, unit: Literal["C", "F"] = "C") -> str:
    """Get the current weather for a city.

    Reads the latest observation from the nearest station.

    :param city: City name, for example "Hanoi". Use the English
        spelling.
    :param str unit: Temperature unit.
    :returns: A one-line summary.
    :raises LookupError: The city is unknown.
    """
    return city


@pytest.mark.parametrize("function", [google_style, numpy_style, rest_style])
def test_each_docstring_style_gives_the_same_definition(function: object) -> None:
    assert tool(function).definition()["function"] == {  # type: ignore[call-overload]
        "name": function.__name__,  # type: ignore[attr-defined]
        "description": (
            "Get the current weather for a city.\n\n"
            "Reads the latest observation from the nearest station."
        ),
        "parameters": {
            "type": "object",
            "properties": {
                "city": {
                    "type": "string",
                    "description": 'City name, for example "Hanoi". Use the English spelling.',
                },
                "unit": {
                    "type": "string",
                    "enum": ["C", "F"],
                    "default": "C",
                    "description": "Temperature unit.",
                },
            },
            "required": ["city"],
            "additionalProperties": False,
        },
    }


def annotated_wins(
    days: Annotated[int, Field(description="From Annotated.")],
    limit: int = Field(5, description="From the default Field."),
    page: int = 1,
) -> None:
    """List things.

    Args:
        days: From the docstring.
        limit: From the docstring.
        page: From the docstring.
    """


def test_field_descriptions_win_over_the_docstring() -> None:
    properties = tool(annotated_wins).parameters["properties"]
    assert properties == {
        "days": {"type": "integer", "description": "From Annotated."},
        "limit": {"type": "integer", "default": 5, "description": "From the default Field."},
        "page": {"type": "integer", "default": 1, "description": "From the docstring."},
    }


def test_an_explicit_description_replaces_the_docstring_summary_only() -> None:
    custom = tool(description="Weather, briefly.")(google_style)
    assert custom.description == "Weather, briefly."
    assert custom.parameters["properties"]["unit"]["description"] == "Temperature unit."


def test_no_docstring_means_an_empty_description() -> None:
    def bare(x: int) -> int:
        return x

    assert tool(bare).description == ""
    assert tool(bare).parameters["properties"] == {"x": {"type": "integer"}}


def test_context_and_unknown_names_in_the_docstring_are_ignored() -> None:
    def with_context(ctx: RunContext[None], city: str) -> None:
        """Do it.

        Args:
            ctx: The run context.
            city: The city.
            country: Not a parameter.
        """

    assert tool(with_context).parameters["properties"] == {
        "city": {"type": "string", "description": "The city."}
    }


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (None, Docstring()),
        ("   ", Docstring()),
        ("One line.", Docstring(description="One line.")),
        (
            """Summary.

            Args:
                a: First.
            """,
            Docstring(description="Summary.", params={"a": "First."}),
        ),
        (
            "Summary.\n\nAttributes:\n    name: The name.\n",
            Docstring(description="Summary.", params={"name": "The name."}),
        ),
    ],
)
def test_parse_docstring(doc: str | None, expected: Docstring) -> None:
    assert parse_docstring(doc) == expected

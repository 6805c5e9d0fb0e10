"""`OfflineAssistant`: the demo's stand-in reads the question, calls the
tools it asks for (the demo's and the user's own) with the arguments it
names, and never sends an argument a tool does not take."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from agentkit import Agent, RunResult, tool
from agentkit.cli._demo_tools import calculate, current_time
from agentkit.testing import OfflineAssistant


def ask(question: str, tools: list[Any]) -> RunResult:
    with OfflineAssistant(chunk_delay=0) as model:
        return Agent(model, tools=tools).run_sync(question)


def called(result: RunResult) -> list[tuple[str, dict[str, Any]]]:
    return [(call.name, json.loads(call.arguments)) for call in result.tool_calls]


@pytest.mark.parametrize(
    ("question", "expression", "value"),
    [
        ("What is 2 ** 32?", "2 ** 32", "4294967296"),
        ("what's 7 // 2", "7 // 2", "3"),
        ("What is 12 * (3 + 4)?", "12 * (3 + 4)", "84"),
        ("2^10 please", "2^10", "1024"),
    ],
)
def test_arithmetic_goes_to_the_calculator(question: str, expression: str, value: str) -> None:
    result = ask(question, [calculate])
    assert called(result) == [("calculate", {"expression": expression})]
    assert result.tool_calls[0].output == value
    assert f"- calculate: {value}" in result.text


def test_the_time_in_a_city_sends_its_timezone_only_to_a_tool_that_takes_one() -> None:
    result = ask("What time is it in Tokyo?", [current_time])
    assert called(result) == [("current_time", {"timezone": "Asia/Tokyo"})]

    @tool(name="current_time")
    def utc_clock() -> str:
        """The current UTC time."""
        return "12:00 UTC"

    result = ask("What time is it in Tokyo?", [utc_clock])
    assert called(result) == [("current_time", {})]
    assert not result.tool_calls[0].is_error


def test_a_users_tool_named_in_the_question_is_called_with_what_the_question_says() -> None:
    @tool
    def word_count(text: str) -> int:
        """Count the words in a text."""
        return len(text.split())

    @tool
    def get_weather(city: str, days: int = 1) -> str:
        """The weather forecast for a city."""
        return f"sunny in {city} for {days} day(s)"

    @tool
    def roll_dice(sides: int, count: int) -> str:
        """Roll dice."""
        return f"{count}d{sides}"

    tools = [word_count, get_weather, roll_dice]
    result = ask("Count the words in 'the quick brown fox'", tools)
    assert called(result) == [("word_count", {"text": "the quick brown fox"})]
    assert result.tool_calls[0].output == "4"

    result = ask("What's the weather in Tokyo?", tools)
    assert called(result) == [("get_weather", {"city": "Tokyo"})]

    result = ask("Roll 3 dice with 20 sides", tools)
    assert called(result) == [("roll_dice", {"sides": 3, "count": 20})]  # numbers in order


def test_a_question_that_names_no_tool_gets_a_list_of_what_it_can_call() -> None:
    @tool
    def word_count(text: str) -> int:
        """Count the words in a text."""
        return len(text.split())

    result = ask("Hello there", [word_count])
    assert not result.tool_calls
    assert "calling your tools (word_count): name one in your question" in result.text


def test_a_calculate_tool_of_another_shape_is_not_sent_an_expression() -> None:
    @tool
    def calculate(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    result = ask("calculate 2 and 40", [calculate])
    assert called(result) == [("calculate", {"a": 2, "b": 40})]
    assert result.tool_calls[0].output == "42"


def test_the_browser_examples_clock_takes_the_timezone_a_natural_question_gives() -> None:
    path = Path(__file__).resolve().parents[2] / "examples" / "chat_app" / "server.py"
    spec = importlib.util.spec_from_file_location("chat_app_server", path)
    assert spec is not None
    assert spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    result = ask("What time is it in Tokyo?", [example.current_time])
    assert called(result) == [("current_time", {"timezone": "Asia/Tokyo"})]
    assert not result.tool_calls[0].is_error
    assert result.tool_calls[0].output.endswith("+09:00")

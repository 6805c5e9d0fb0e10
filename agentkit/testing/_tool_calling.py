"""`ToolCallingModel`: a stand-in model that calls your agent's tools with
arguments made up from their schemas, then answers with their results."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from typing import Any, Literal

from ._conversation import OUTPUT_TOOL, Conversation
from ._schema_values import example_arguments, example_value
from ._script import RecordedRequest, ScriptedResponse, text_chunks, tool_call_chunks
from ._stand_in import StandIn, stream_of

__all__ = ["ToolCallingModel"]

ToolCall = tuple[str, dict[str, Any]]


class ToolCallingModel(StandIn):
    """A stand-in model for your own agent, served on loopback: it calls
    the agent's tools with valid arguments generated from their JSON
    schemas, then answers with a text that quotes their results. No key,
    no network; the agent runs its real code (HTTP, streaming, validation,
    your tools).

    ```python
    with ToolCallingModel() as model:
        result = Agent(model, tools=[get_weather]).run_sync("Weather in Paris?")
    print(result.text)  # get_weather: 24°C, sunny
    ```

    How it answers each request:

    1. After a user message, it calls the tools offered (all of them, or
       those named in ``call_tools``), in parallel in one streamed turn.
       The arguments are valid against each tool's published schema and
       deterministic for a given ``seed``: required properties only (the
       tool's defaults apply to the others), a nullable value is null,
       sensible values for common names (``city`` is "Paris", ``timezone``
       "UTC").
    2. When the results came back (or there was nothing to call), it
       answers: ``text`` if given, else one line per result,
       ``name: output``.
    3. Structured output: when the agent offers a ``final_result`` tool, it
       calls it (instead of answering) with arguments generated from its
       schema; with a ``json_schema`` ``response_format`` it answers with a
       JSON value generated from that schema.

    ``with ToolCallingModel() as model:`` (or ``async with``) starts the
    loopback server and gives an `OpenAIChatModel` pointed at it; the
    server stops when the block ends. `requests` lists what the agent sent.
    A stand-in is also a `Responder`: ``ScriptedServer(responder=stand_in)``
    or ``open_endpoint(stand_in)``.

    Args:
        call_tools: ``"all"``, or the names of the tools to call (names that
            a request does not offer are not called).
        text: The final answer, instead of the quoted results.
        seed: Seeds the generated arguments (per tool name).
        chunk_delay: Seconds between streamed chunks.
    """

    model_name = "tool-calling-stand-in"

    def __init__(
        self,
        *,
        call_tools: Literal["all"] | Sequence[str] = "all",
        text: str | None = None,
        seed: int = 0,
        chunk_delay: float = 0.0,
    ) -> None:
        super().__init__(chunk_delay=chunk_delay)
        if isinstance(call_tools, str) and call_tools != "all":
            call_tools = [call_tools]
        self.call_tools = call_tools
        self.text = text
        self.seed = seed

    def reply(self, request: RecordedRequest) -> ScriptedResponse:
        """Stream the next step of the exchange (see the class docs)."""
        conversation = Conversation.of(request)
        usage = conversation.usage()
        id_prefix = f"call_{conversation.turn}_"
        if conversation.last_role == "user":
            calls = self._plan_calls(conversation)
            if calls:
                chunks = tool_call_chunks(calls, usage=usage, id_prefix=id_prefix)
                return stream_of(chunks, self.chunk_delay)
        output_tool = conversation.tool(OUTPUT_TOOL)
        if output_tool is not None:
            call = (OUTPUT_TOOL, self._arguments_for(output_tool, conversation))
            chunks = tool_call_chunks([call], usage=usage, id_prefix=id_prefix)
            return stream_of(chunks, self.chunk_delay)
        return stream_of(text_chunks(self._answer(conversation), usage=usage), self.chunk_delay)

    def _plan_calls(self, conversation: Conversation) -> list[ToolCall]:
        """The calls to make after a user message: every selected tool, with
        `_arguments_for` it."""
        return [
            (tool["name"], self._arguments_for(tool, conversation))
            for tool in self._selected_tools(conversation)
        ]

    def _selected_tools(self, conversation: Conversation) -> list[dict[str, Any]]:
        """The offered tools that ``call_tools`` selects (never the output tool)."""
        tools = [tool for tool in conversation.tools if tool.get("name") != OUTPUT_TOOL]
        if self.call_tools == "all":
            return tools
        return [tool for tool in tools if tool.get("name") in self.call_tools]

    def _arguments_for(self, tool: dict[str, Any], conversation: Conversation) -> dict[str, Any]:
        """Arguments valid against ``tool``'s parameters schema."""
        parameters = tool.get("parameters") or {"type": "object", "properties": {}}
        return example_arguments(parameters, seed=f"{self.seed}:{tool.get('name')}")

    def _answer(self, conversation: Conversation) -> str:
        """The final text: ``text``, else the results quoted, else a JSON
        value for a ``json_schema`` response format."""
        if self.text is not None:
            return self.text
        schema = _response_schema(conversation)
        if schema is not None:
            value = example_value(
                schema, root=schema, rng=random.Random(f"{self.seed}:response_format")
            )
            return json.dumps(value)
        results = conversation.tool_results()
        if results:
            return "\n".join(f"{name}: {output}" for name, output in results)
        return "A stand-in answer: no tool was called."


def _response_schema(conversation: Conversation) -> dict[str, Any] | None:
    response_format = conversation.response_format or {}
    if response_format.get("type") != "json_schema":
        return None
    schema = (response_format.get("json_schema") or {}).get("schema")
    return schema if isinstance(schema, dict) else None

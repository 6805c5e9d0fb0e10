"""`FunctionModel`: a stand-in model whose replies you write as a function."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeAlias

from ._conversation import Conversation
from ._script import RecordedRequest, ScriptedResponse, text_chunks, tool_call_chunks
from ._stand_in import InvalidReply, StandIn, stream_of

__all__ = ["FunctionModel", "Reply"]

Reply: TypeAlias = (
    str
    | Sequence[tuple[str, Mapping[str, Any] | str]]
    | Sequence[Mapping[str, Any]]
    | ScriptedResponse
)
"""What a `FunctionModel` function returns: a ``str`` (the answer text), a
list of ``(tool name, arguments)`` pairs (tool calls, in parallel; the
arguments as a dict or a JSON string), a list of chunk dicts (streamed as
they are, see `text_chunks`), or a `ScriptedResponse` (errors, faults)."""

ReplyFunction: TypeAlias = Callable[
    [list[dict[str, Any]], list[dict[str, Any]]], "Reply | Awaitable[Reply]"
]


class FunctionModel(StandIn):
    """A stand-in model whose every reply is ``function(messages, tools)``,
    streamed from a loopback server like a real model's.

    ```python
    def reply(messages, tools):
        if messages[-1]["role"] == "user":
            return [("get_weather", {"city": "Paris"})]  # call a tool
        return f"It is {messages[-1]['content']}."  # then answer

    with FunctionModel(reply) as model:
        result = Agent(model, tools=[get_weather]).run_sync("Weather in Paris?")
    ```

    The function receives the request's messages (OpenAI format, the system
    message included) and the ``function`` objects of the tools offered
    (``name``, ``description``, ``parameters``), and returns a `Reply`. It
    may be sync or async; an async one runs on the loopback server's own
    event loop (asyncio, in the server's thread), so await anyio or asyncio
    functions in it. If it raises, or returns something else than a
    `Reply`, the request fails with HTTP 400 (a `BadRequestError` naming
    the problem).

    ``with FunctionModel(fn) as model:`` (or ``async with``) serves it and
    gives an `OpenAIChatModel`; `requests` lists what the agent sent.

    Args:
        function: ``(messages, tools) -> Reply``, sync or async.
        chunk_delay: Seconds between streamed chunks.
    """

    model_name = "function-stand-in"

    def __init__(self, function: ReplyFunction, *, chunk_delay: float = 0.0) -> None:
        super().__init__(chunk_delay=chunk_delay)
        self.function = function

    def reply(self, request: RecordedRequest) -> ScriptedResponse | Awaitable[ScriptedResponse]:
        """Call the function and stream what it returned."""
        conversation = Conversation.of(request)
        reply = self.function(conversation.messages, conversation.tools)
        if isinstance(reply, Awaitable):
            return self._stream_later(reply, conversation)
        return self._stream(reply, conversation)

    async def _stream_later(
        self, reply: Awaitable[Reply], conversation: Conversation
    ) -> ScriptedResponse:
        return self._stream(await reply, conversation)

    def _stream(self, reply: Any, conversation: Conversation) -> ScriptedResponse:
        if isinstance(reply, ScriptedResponse):
            return reply
        usage = conversation.usage()
        if isinstance(reply, str):
            return stream_of(text_chunks(reply, usage=usage), self.chunk_delay)
        items = list(reply) if isinstance(reply, (list, tuple)) else None
        if items and all(_is_call(item) for item in items):
            prefix = f"call_{conversation.turn}_"
            chunks = tool_call_chunks(items, usage=usage, id_prefix=prefix)
            return stream_of(chunks, self.chunk_delay)
        if items and all(isinstance(item, Mapping) for item in items):
            return stream_of([dict(item) for item in items], self.chunk_delay)
        raise InvalidReply(
            f"the function returned {reply!r}; return a str (the answer), a list of "
            "(tool name, arguments) pairs (tool calls), a list of chunk dicts, or a "
            "ScriptedResponse"
        )


def _is_call(item: Any) -> bool:
    return (
        isinstance(item, tuple)
        and len(item) == 2
        and isinstance(item[0], str)
        and isinstance(item[1], (Mapping, str))
    )

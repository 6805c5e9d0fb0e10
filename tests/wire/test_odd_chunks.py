"""A chunk that is a JSON object but whose fields have shapes no chunk has
(``"choices": "abc"``, a tool call that is a number...) is a
`MalformedChunkError` with the partial message, not a bare `AttributeError`."""

from __future__ import annotations

from typing import Any

import pytest
from _common import ASYNC_TESTS, make_model
from _streams import failed_turn, finish, sse, text

from agentkit import MalformedChunkError
from agentkit.testing import ScriptedServer, raw_response

pytestmark = ASYNC_TESTS

ODD_CHUNKS: list[Any] = [
    {"choices": "abc"},
    {"choices": [1]},
    {"choices": [{"delta": "x"}]},
    {"choices": [{"delta": {"tool_calls": [1]}}]},
    {"choices": [{"delta": {"tool_calls": {"index": 0}}}]},
    {"choices": [{"delta": {"tool_calls": [{"index": 0, "function": "f"}]}}]},
]


@pytest.mark.parametrize("odd", ODD_CHUNKS, ids=[str(i) for i in range(len(ODD_CHUNKS))])
async def test_an_odd_chunk_is_malformed_with_the_partial(odd: Any) -> None:
    data = sse(text("Before"), odd, finish("stop"))
    async with ScriptedServer([raw_response(data)]) as server, make_model(server) as model:
        events, error = await failed_turn(model, MalformedChunkError)
    assert [event.to_dict() for event in events] == [{"type": "text.delta", "text": "Before"}]
    assert error.partial is not None
    assert error.partial.content == "Before"
    assert "unexpected shape" in str(error)

"""SSE events to chunk dicts (`agentkit._chunks`): ``[DONE]``, typed errors
for bad payloads and for errors sent mid-stream, ignored events."""

from __future__ import annotations

import json

import pytest

from agentkit import MalformedChunkError, ProviderStreamError, StreamError
from agentkit._chunks import DONE, chunk_from_event
from agentkit._sse import ServerSentEvent, SSEDecoder


def event(data: str, event_type: str = "message") -> ServerSentEvent:
    return ServerSentEvent(data, event_type)


@pytest.mark.parametrize("data", ["[DONE]", "[DONE]  ", "[DONE]\t", " [DONE]", "[DONE]\n"])
def test_done(data: str) -> None:
    assert chunk_from_event(event(data)) is DONE


def test_done_from_the_wire_with_trailing_spaces() -> None:
    (server_event,) = SSEDecoder().feed(b"data: [DONE]   \r\n\r\n")
    assert chunk_from_event(server_event) is DONE


def test_chunk_object() -> None:
    payload = {"id": "x", "choices": [{"index": 0, "delta": {"content": "Hi"}}]}
    assert chunk_from_event(event(json.dumps(payload))) == payload


def test_error_null_is_an_ordinary_chunk() -> None:
    payload = {"choices": [], "error": None}
    assert chunk_from_event(event(json.dumps(payload))) == payload


@pytest.mark.parametrize("data", ["", " ", "\n"])
def test_empty_data_is_ignored(data: str) -> None:
    assert chunk_from_event(event(data)) is None


@pytest.mark.parametrize("event_type", ["ping", "keep-alive", "message_start", "done"])
def test_unknown_event_types_are_ignored(event_type: str) -> None:
    assert chunk_from_event(event('{"choices": []}', event_type)) is None
    assert chunk_from_event(event("not json", event_type)) is None


@pytest.mark.parametrize("data", ["not json", "{'single': 'quotes'}", '{"cut": "in hal', "nan?"])
def test_non_json_payload_is_a_malformed_chunk(data: str) -> None:
    with pytest.raises(MalformedChunkError) as caught:
        chunk_from_event(event(data))
    assert caught.value.payload == data
    assert repr(data) in str(caught.value)
    assert isinstance(caught.value, StreamError)


@pytest.mark.parametrize("data", ["[1, 2]", '"a string"', "42", "null", "true"])
def test_json_that_is_not_an_object_is_a_malformed_chunk(data: str) -> None:
    with pytest.raises(MalformedChunkError, match="not an object") as caught:
        chunk_from_event(event(data))
    assert caught.value.payload == data


def test_malformed_payload_is_quoted_truncated() -> None:
    data = "x" * 5000
    with pytest.raises(MalformedChunkError) as caught:
        chunk_from_event(event(data))
    message = str(caught.value)
    assert "x" * 200 in message
    assert "x" * 201 not in message
    assert "4800 more characters" in message
    assert len(message) < 600
    assert caught.value.payload.startswith("x" * 200)
    assert len(caught.value.payload) < 300


def test_error_object_in_the_data_is_a_provider_error() -> None:
    payload = {"error": {"message": "Overloaded", "type": "overloaded_error", "code": 529}}
    with pytest.raises(ProviderStreamError, match="Overloaded") as caught:
        chunk_from_event(event(json.dumps(payload)))
    assert caught.value.error == payload["error"]
    assert caught.value.payload == json.dumps(payload)


def test_error_object_without_message_names_its_type_or_code() -> None:
    with pytest.raises(ProviderStreamError, match="server_error"):
        chunk_from_event(event('{"error": {"type": "server_error"}}'))
    with pytest.raises(ProviderStreamError, match="502"):
        chunk_from_event(event('{"error": {"code": 502}}'))


def test_error_as_a_string() -> None:
    with pytest.raises(ProviderStreamError, match="rate limited") as caught:
        chunk_from_event(event('{"error": "rate limited"}'))
    assert caught.value.error == "rate limited"


def test_error_next_to_choices_still_raises() -> None:
    # OpenRouter ends a failed stream with a chunk carrying both.
    payload = {
        "choices": [{"index": 0, "delta": {}, "finish_reason": "error"}],
        "error": {"message": "upstream died", "code": 502},
    }
    with pytest.raises(ProviderStreamError, match="upstream died"):
        chunk_from_event(event(json.dumps(payload)))


def test_error_event_with_error_object() -> None:
    with pytest.raises(ProviderStreamError, match="boom") as caught:
        chunk_from_event(event('{"error": {"message": "boom"}}', "error"))
    assert caught.value.error == {"message": "boom"}


def test_error_event_with_bare_object() -> None:
    with pytest.raises(ProviderStreamError, match="quota") as caught:
        chunk_from_event(event('{"message": "quota exceeded"}', "error"))
    assert caught.value.error == {"message": "quota exceeded"}


def test_error_event_with_plain_text_is_a_provider_error() -> None:
    with pytest.raises(ProviderStreamError, match="Internal server error") as caught:
        chunk_from_event(event("Internal server error", "error"))
    assert caught.value.error == "Internal server error"


def test_error_event_with_empty_data_is_still_an_error() -> None:
    with pytest.raises(ProviderStreamError):
        chunk_from_event(event("", "error"))


def test_provider_error_payload_is_truncated() -> None:
    data = json.dumps({"error": {"message": "m" * 1000}})
    with pytest.raises(ProviderStreamError) as caught:
        chunk_from_event(event(data))
    assert len(str(caught.value)) < 700
    assert "more characters" in str(caught.value)
    assert len(caught.value.payload) < 300


def test_payload_with_unicode_line_separators_parses() -> None:
    payload = {"choices": [{"index": 0, "delta": {"content": "a\u2028b\u2029c\x85"}}]}
    data = json.dumps(payload, ensure_ascii=False)
    (server_event,) = SSEDecoder().feed(f"data: {data}\n\n".encode())
    assert chunk_from_event(server_event) == payload

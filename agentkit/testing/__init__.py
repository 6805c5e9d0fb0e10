"""Test your agents against a real loopback server that plays scripted turns.

`ScriptedServer` is an OpenAI-compatible HTTP server on 127.0.0.1; the
response helpers build realistic streams (text, parallel tool calls, errors,
raw bytes and faults such as a cut connection or a stall).
"""

from ._endpoint import LOCAL_SERVERS, Endpoint, open_endpoint
from ._faults import Fault, Faults
from ._offline import OfflineAssistant
from ._script import (
    Disconnect,
    Pause,
    ScriptedResponse,
    Step,
    error_response,
    raw_response,
    sse_bytes,
    text_chunks,
    text_response,
    tool_call_chunks,
    tool_call_response,
    usage_chunk,
)
from ._server import RecordedRequest, Responder, ScriptedServer

__all__ = [
    "LOCAL_SERVERS",
    "Disconnect",
    "Endpoint",
    "Fault",
    "Faults",
    "OfflineAssistant",
    "Pause",
    "RecordedRequest",
    "Responder",
    "ScriptedResponse",
    "ScriptedServer",
    "Step",
    "error_response",
    "open_endpoint",
    "raw_response",
    "sse_bytes",
    "text_chunks",
    "text_response",
    "tool_call_chunks",
    "tool_call_response",
    "usage_chunk",
]

"""Test your agents without a key or a network.

Stand-in models: `ToolCallingModel` calls your agent's tools with arguments
generated from their schemas, then answers; `FunctionModel` replies what
your function returns. Both stream from a real loopback server, so the
agent runs its real code.

`ScriptedServer` is that OpenAI-compatible HTTP server on 127.0.0.1; the
response helpers build realistic streams (text, parallel tool calls, errors,
raw bytes and faults such as a cut connection or a stall).
"""

from ._endpoint import LOCAL_SERVERS, Endpoint, open_endpoint
from ._faults import Fault, Faults
from ._function_model import FunctionModel, Reply
from ._offline import OfflineAssistant
from ._script import (
    Disconnect,
    Pause,
    RecordedRequest,
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
from ._server import Responder, ScriptedServer
from ._tool_calling import ToolCallingModel

__all__ = [
    "LOCAL_SERVERS",
    "Disconnect",
    "Endpoint",
    "Fault",
    "Faults",
    "FunctionModel",
    "OfflineAssistant",
    "Pause",
    "RecordedRequest",
    "Reply",
    "Responder",
    "ScriptedResponse",
    "ScriptedServer",
    "Step",
    "ToolCallingModel",
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

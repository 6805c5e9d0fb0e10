"""agentkit: tool-using assistants on any OpenAI-compatible Chat Completions
endpoint, with a streaming function-calling loop that is correct on the real
wire.

The public names load on first use (PEP 562): ``import agentkit`` costs
almost nothing, and ``from agentkit import Agent`` loads what `Agent` needs
(httpx, anyio, the loop), not the optional parts."""

from __future__ import annotations

import importlib
import typing

if typing.TYPE_CHECKING:
    from ._accumulate import StreamAccumulator
    from ._agent import Agent
    from ._agent_run import AgentRun
    from ._approval import Approval, ApprovalRequest, Approver
    from ._delivery import EventCallback
    from ._errors import (
        AgentkitError,
        APIConnectionError,
        APIStatusError,
        APITimeoutError,
        ApproverError,
        AuthenticationError,
        BadRequestError,
        CallbackError,
        ContentFilterError,
        IncompleteStreamError,
        MalformedChunkError,
        MaxTurnsExceeded,
        MCPError,
        ModelError,
        NotFoundError,
        OutputLengthError,
        OutputValidationError,
        PermissionDeniedError,
        ProviderStreamError,
        RateLimitError,
        RequestTooLargeError,
        RunError,
        ServerError,
        StreamError,
        StreamTimeoutError,
        ToolArgumentsError,
        ToolDefinitionError,
        ToolDefinitionWarning,
        ToolError,
        ToolExecutionError,
        ToolFailureLimitExceeded,
        ToolTimeoutError,
        UnknownToolError,
        UnprocessableEntityError,
        UsageError,
    )
    from ._events import (
        ApprovalRequested,
        ApprovalResolved,
        CustomEvent,
        Event,
        OutputPartial,
        ReasoningDelta,
        RefusalDelta,
        Retry,
        RunFailed,
        RunFinished,
        RunStarted,
        TextDelta,
        ToolCallArgumentsDelta,
        ToolCallReady,
        ToolCallStarted,
        ToolResult,
        TurnFinished,
        TurnStarted,
    )
    from ._messages import AssistantMessage, ToolCall, Usage
    from ._partial_json import parse_partial_json
    from ._result import RunResult, ToolCallRecord
    from ._tracing import instrument
    from .models import OpenAIChatModel, RetryPolicy, StreamedTurn, Timeouts
    from .tools import RunContext, Tool, ToolOutcome, ToolRegistry, ToolSource, tool

__version__ = "0.1.0.dev0"
"""The installed agentkit version."""

_HOMES: dict[str, str] = {
    "StreamAccumulator": "._accumulate",
    "Agent": "._agent",
    "AgentRun": "._agent_run",
    "Approval": "._approval",
    "ApprovalRequest": "._approval",
    "Approver": "._approval",
    "EventCallback": "._delivery",
    "AgentkitError": "._errors",
    "APIConnectionError": "._errors",
    "APIStatusError": "._errors",
    "APITimeoutError": "._errors",
    "ApproverError": "._errors",
    "AuthenticationError": "._errors",
    "BadRequestError": "._errors",
    "CallbackError": "._errors",
    "ContentFilterError": "._errors",
    "IncompleteStreamError": "._errors",
    "MalformedChunkError": "._errors",
    "MaxTurnsExceeded": "._errors",
    "MCPError": "._errors",
    "ModelError": "._errors",
    "NotFoundError": "._errors",
    "OutputLengthError": "._errors",
    "OutputValidationError": "._errors",
    "PermissionDeniedError": "._errors",
    "ProviderStreamError": "._errors",
    "RateLimitError": "._errors",
    "RequestTooLargeError": "._errors",
    "RunError": "._errors",
    "ServerError": "._errors",
    "StreamError": "._errors",
    "StreamTimeoutError": "._errors",
    "ToolArgumentsError": "._errors",
    "ToolDefinitionError": "._errors",
    "ToolDefinitionWarning": "._errors",
    "ToolError": "._errors",
    "ToolExecutionError": "._errors",
    "ToolFailureLimitExceeded": "._errors",
    "ToolTimeoutError": "._errors",
    "UnknownToolError": "._errors",
    "UnprocessableEntityError": "._errors",
    "UsageError": "._errors",
    "ApprovalRequested": "._events",
    "ApprovalResolved": "._events",
    "CustomEvent": "._events",
    "Event": "._events",
    "OutputPartial": "._events",
    "ReasoningDelta": "._events",
    "RefusalDelta": "._events",
    "Retry": "._events",
    "RunFailed": "._events",
    "RunFinished": "._events",
    "RunStarted": "._events",
    "TextDelta": "._events",
    "ToolCallArgumentsDelta": "._events",
    "ToolCallReady": "._events",
    "ToolCallStarted": "._events",
    "ToolResult": "._events",
    "TurnFinished": "._events",
    "TurnStarted": "._events",
    "AssistantMessage": "._messages",
    "ToolCall": "._messages",
    "Usage": "._messages",
    "parse_partial_json": "._partial_json",
    "RunResult": "._result",
    "ToolCallRecord": "._result",
    "instrument": "._tracing",
    "OpenAIChatModel": ".models",
    "RetryPolicy": ".models",
    "StreamedTurn": ".models",
    "Timeouts": ".models",
    "RunContext": ".tools",
    "Tool": ".tools",
    "ToolOutcome": ".tools",
    "ToolRegistry": ".tools",
    "ToolSource": ".tools",
    "tool": ".tools",
}
"""Where each public name is defined, for `__getattr__`."""

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "Agent",
    "AgentRun",
    "AgentkitError",
    "Approval",
    "ApprovalRequest",
    "ApprovalRequested",
    "ApprovalResolved",
    "Approver",
    "ApproverError",
    "AssistantMessage",
    "AuthenticationError",
    "BadRequestError",
    "CallbackError",
    "ContentFilterError",
    "CustomEvent",
    "Event",
    "EventCallback",
    "IncompleteStreamError",
    "MCPError",
    "MalformedChunkError",
    "MaxTurnsExceeded",
    "ModelError",
    "NotFoundError",
    "OpenAIChatModel",
    "OutputLengthError",
    "OutputPartial",
    "OutputValidationError",
    "PermissionDeniedError",
    "ProviderStreamError",
    "RateLimitError",
    "ReasoningDelta",
    "RefusalDelta",
    "RequestTooLargeError",
    "Retry",
    "RetryPolicy",
    "RunContext",
    "RunError",
    "RunFailed",
    "RunFinished",
    "RunResult",
    "RunStarted",
    "ServerError",
    "StreamAccumulator",
    "StreamError",
    "StreamTimeoutError",
    "StreamedTurn",
    "TextDelta",
    "Timeouts",
    "Tool",
    "ToolArgumentsError",
    "ToolCall",
    "ToolCallArgumentsDelta",
    "ToolCallReady",
    "ToolCallRecord",
    "ToolCallStarted",
    "ToolDefinitionError",
    "ToolDefinitionWarning",
    "ToolError",
    "ToolExecutionError",
    "ToolFailureLimitExceeded",
    "ToolOutcome",
    "ToolRegistry",
    "ToolResult",
    "ToolSource",
    "ToolTimeoutError",
    "TurnFinished",
    "TurnStarted",
    "UnknownToolError",
    "UnprocessableEntityError",
    "Usage",
    "UsageError",
    "__version__",
    "instrument",
    "parse_partial_json",
    "tool",
]


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'agentkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(home, __name__), name)
    globals()[name] = value  # the next access is a plain global
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

"""Every exception agentkit raises, in one hierarchy rooted at `AgentkitError`::

    AgentkitError
    ├── UsageError                      the library was used in an unsupported way
    ├── ModelError                      talking to the model endpoint failed
    │   ├── APIConnectionError          unreachable, or dropped before a response
    │   ├── APITimeoutError             a configured timeout expired (.phase)
    │   ├── APIStatusError              a non-2xx answer (.status_code, .body)
    │   │   ├── BadRequestError (400), AuthenticationError (401),
    │   │   ├── PermissionDeniedError (403), NotFoundError (404),
    │   │   ├── RequestTooLargeError (413), UnprocessableEntityError (422),
    │   │   ├── RateLimitError (429, .retry_after)
    │   │   └── ServerError (5xx)
    │   └── StreamError                 the stream was wrong or broken (.partial)
    │       ├── MalformedChunkError     a payload that is not a JSON object
    │       ├── ProviderStreamError     an error object inside the stream
    │       └── IncompleteStreamError   the stream broke off
    │           └── StreamTimeoutError  ... by a timeout (also an APITimeoutError)
    ├── ToolError                       about tools (sent to the model, not raised,
    │   │                               during a run)
    │   ├── ToolDefinitionError         a function cannot be a tool
    │   │   └── ToolDefinitionWarning   ... a warning: a tool without a description
    │   ├── ToolArgumentsError          the model's arguments were invalid
    │   ├── UnknownToolError            the model called a tool that does not exist
    │   └── ToolExecutionError          the tool raised
    │       └── ToolTimeoutError        ... or ran past its timeout
    ├── MCPError                        an MCP server failed to start or answer
    │                                   (.server, .stderr; agentkit.mcp)
    └── RunError                        a run stopped before the model finished
        ├── MaxTurnsExceeded, ToolFailureLimitExceeded
        ├── OutputLengthError, ContentFilterError (with raise_on_truncation)
        ├── OutputValidationError       no valid structured output after retries
        ├── ApproverError               the approver raised
        └── CallbackError               an on_event callback raised

Each error carries the data a caller needs to recover: the HTTP status and
body, the parsed ``Retry-After``, the partial message of a broken stream, the
partial result of a run (``.result``, on every error a run raised after its
first turn).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._messages import AssistantMessage, ToolCall

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AgentkitError",
    "ApproverError",
    "AuthenticationError",
    "BadRequestError",
    "CallbackError",
    "ContentFilterError",
    "IncompleteStreamError",
    "MCPError",
    "MalformedChunkError",
    "MaxTurnsExceeded",
    "ModelError",
    "NotFoundError",
    "OutputLengthError",
    "OutputValidationError",
    "PermissionDeniedError",
    "ProviderStreamError",
    "RateLimitError",
    "RequestTooLargeError",
    "RunError",
    "ServerError",
    "StreamError",
    "StreamTimeoutError",
    "ToolArgumentsError",
    "ToolDefinitionError",
    "ToolDefinitionWarning",
    "ToolError",
    "ToolExecutionError",
    "ToolFailureLimitExceeded",
    "ToolTimeoutError",
    "UnknownToolError",
    "UnprocessableEntityError",
    "UsageError",
]

_EXCERPT_LIMIT = 200


def excerpt(text: str, limit: int = _EXCERPT_LIMIT) -> str:
    """Shorten ``text`` for an error message, saying how much was cut."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters)"


class AgentkitError(Exception):
    """Base class of every error agentkit raises.

    Attributes:
        result: When a run raised the error after it had started, the partial
            `RunResult` (the conversation, usage and tool calls so far); else
            None.
    """

    result: Any = None


def attach_result(error: BaseException, result: Any) -> None:
    """Give ``error`` the partial result of the run it ended, unless it has one."""
    if isinstance(error, AgentkitError) and error.result is None:
        error.result = result


class UsageError(AgentkitError):
    """The library was used in a way it does not support (for example
    ``run_sync`` inside a running event loop)."""


# ---------------------------------------------------------------- model errors


class ModelError(AgentkitError):
    """Talking to the model endpoint failed."""


class APIConnectionError(ModelError):
    """The endpoint could not be reached, or the connection dropped before a
    response arrived. Retried automatically up to ``max_retries`` times."""


class APITimeoutError(ModelError):
    """A configured timeout expired.

    Attributes:
        phase: Which timeout expired: ``"pool"`` (waiting for a free
            connection), ``"connect"``, ``"write"`` (sending the request),
            ``"first_chunk"``, ``"chunk_gap"`` or ``"total"``.
        seconds: The configured limit that was exceeded.
    """

    def __init__(self, message: str, *, phase: str, seconds: float) -> None:
        super().__init__(message)
        self.phase = phase
        self.seconds = seconds


class APIStatusError(ModelError):
    """The endpoint answered with a non-2xx status.

    Attributes:
        status_code: The HTTP status.
        body: The response body as text (possibly truncated to 64 KiB).
        headers: The response headers.
    """

    def __init__(
        self, message: str, *, status_code: int, body: str, headers: dict[str, str]
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = body
        self.headers = headers


class BadRequestError(APIStatusError):
    """400: the request was rejected (bad parameters, context too long...)."""


class AuthenticationError(APIStatusError):
    """401: the API key is missing or invalid. Never retried."""


class PermissionDeniedError(APIStatusError):
    """403: the key is valid but not allowed to use this model or endpoint."""


class NotFoundError(APIStatusError):
    """404: wrong ``base_url`` or unknown model."""


class RequestTooLargeError(APIStatusError):
    """413: the request body is too large for the endpoint."""


class UnprocessableEntityError(APIStatusError):
    """422: the request was well-formed but its content was rejected."""


class RateLimitError(APIStatusError):
    """429: too many requests.

    Attributes:
        retry_after: Seconds the server asked us to wait (from ``Retry-After``
            or ``retry-after-ms``), or None when it did not say.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        body: str,
        headers: dict[str, str],
        retry_after: float | None,
    ) -> None:
        super().__init__(message, status_code=status_code, body=body, headers=headers)
        self.retry_after = retry_after


class ServerError(APIStatusError):
    """5xx: the endpoint failed. Retried automatically."""


class StreamError(ModelError):
    """The response stream itself was wrong or broken.

    Attributes:
        partial: The assistant message received before the problem (text,
            reasoning and the tool calls that were complete), when the error
            came from a turn that had started streaming; else None.
    """

    partial: AssistantMessage | None = None


class MalformedChunkError(StreamError):
    """A ``data:`` payload was not a JSON object.

    Attributes:
        payload: The offending payload, truncated.
    """

    def __init__(self, message: str, *, payload: str) -> None:
        super().__init__(message)
        self.payload = payload


class ProviderStreamError(StreamError):
    """The provider sent an error object in the middle of the stream.

    Attributes:
        error: The ``error`` object as sent (a dict, or a string).
        payload: The whole payload, truncated.
    """

    def __init__(self, message: str, *, error: Any, payload: str) -> None:
        super().__init__(message)
        self.error = error
        self.payload = payload


class IncompleteStreamError(StreamError):
    """The stream ended without ``[DONE]`` and without a ``finish_reason``.

    Nothing received is lost: ``message`` holds the text, reasoning and every
    tool call that was complete (sealed) before the break; ``dropped_tool_calls``
    holds the calls whose arguments were cut off, which must never be executed.

    Attributes:
        message: The partial assistant message (also ``partial``).
        dropped_tool_calls: Tool calls that were still streaming when it broke.
    """

    def __init__(
        self,
        message: str,
        *,
        partial: AssistantMessage,
        dropped_tool_calls: tuple[ToolCall, ...] = (),
    ) -> None:
        # Not super(): in StreamTimeoutError the next class in the MRO is
        # APITimeoutError, whose __init__ needs phase and seconds.
        StreamError.__init__(self, message)
        self.partial = partial
        self.dropped_tool_calls = dropped_tool_calls

    partial: AssistantMessage

    @property
    def message(self) -> AssistantMessage:
        """The partial assistant message (the same as ``partial``)."""
        return self.partial


class StreamTimeoutError(IncompleteStreamError, APITimeoutError):
    """A timeout expired after the stream had started (the stream stalled, or
    the whole turn took too long). Both an `IncompleteStreamError` (with the
    partial message) and an `APITimeoutError` (with the phase)."""

    def __init__(
        self,
        message: str,
        *,
        phase: str,
        seconds: float,
        partial: AssistantMessage,
        dropped_tool_calls: tuple[ToolCall, ...] = (),
    ) -> None:
        IncompleteStreamError.__init__(
            self, message, partial=partial, dropped_tool_calls=dropped_tool_calls
        )
        self.phase = phase
        self.seconds = seconds


# ----------------------------------------------------------------- tool errors


class ToolError(AgentkitError):
    """Base class of errors about tools."""


class ToolDefinitionError(ToolError):
    """A tool could not be defined: bad name, duplicate name, or a parameter
    type that has no JSON schema."""


class ToolDefinitionWarning(UserWarning, ToolDefinitionError):
    """A tool was defined with something the model will miss: a function
    without a docstring, so the model reads no description of what the tool
    does. Warned once per tool; where warnings are errors (``python -W
    error``, pytest's ``filterwarnings = error``) it is raised, and caught as
    a `ToolDefinitionError`."""


class ToolArgumentsError(ToolError):
    """The model's arguments for a tool call were invalid (not JSON, or not
    matching the schema). The message is written for the model to read and
    fix; the tool function was not called.

    Attributes:
        tool_name: The tool the model tried to call.
        errors: One entry per problem: ``{"path": "$.city", "message": ...}``.
    """

    def __init__(self, message: str, *, tool_name: str, errors: list[dict[str, str]]) -> None:
        super().__init__(message)
        self.tool_name = tool_name
        self.errors = errors


class UnknownToolError(ToolError):
    """The model called a tool that is not registered.

    Attributes:
        tool_name: The name the model used.
        available: The names that are registered.
    """

    def __init__(self, message: str, *, tool_name: str, available: list[str]) -> None:
        super().__init__(message)
        self.tool_name = tool_name
        self.available = available


class ToolExecutionError(ToolError):
    """The tool function raised, or returned a value that cannot be sent to
    the model. ``__cause__`` is the original exception.

    Attributes:
        tool_name: The tool that failed.
    """

    def __init__(self, message: str, *, tool_name: str) -> None:
        super().__init__(message)
        self.tool_name = tool_name


class ToolTimeoutError(ToolExecutionError):
    """The tool ran longer than its ``timeout``.

    Attributes:
        seconds: The configured timeout.
    """

    def __init__(self, message: str, *, tool_name: str, seconds: float) -> None:
        super().__init__(message, tool_name=tool_name)
        self.seconds = seconds


# ------------------------------------------------------------------ MCP errors


class MCPError(AgentkitError):
    """An MCP server (`agentkit.mcp`) could not be started, stopped answering,
    or answered a tool call with an error.

    Attributes:
        server: The server's command line or URL.
        stderr: The last lines the server wrote to its standard error (a
            stdio server), or None.
    """

    def __init__(self, message: str, *, server: str, stderr: str | None = None) -> None:
        super().__init__(message)
        self.server = server
        self.stderr = stderr


# ------------------------------------------------------------------ run errors


class RunError(AgentkitError):
    """A run stopped before the model finished.

    Attributes:
        result: The partial `RunResult` (messages, usage and tool calls so far),
            or None when the run failed before its first turn completed.
    """

    def __init__(self, message: str, *, result: Any = None) -> None:
        super().__init__(message)
        self.result = result


class MaxTurnsExceeded(RunError):
    """The run used ``max_turns`` model turns without finishing."""

    @classmethod
    def after(cls, max_turns: int, result: Any) -> MaxTurnsExceeded:
        """The error of a run stopped after ``max_turns`` turns."""
        return cls(
            f"The model was still calling tools after {max_turns} turns; the run was stopped "
            "(raise Agent(max_turns=...) if it needs more). The partial result is on this "
            "error's .result.",
            result=result,
        )


class ToolFailureLimitExceeded(RunError):
    """The model's tool calls failed too many times in a row."""

    @classmethod
    def after(cls, turns: int, last_error: str, result: Any) -> ToolFailureLimitExceeded:
        """The error of a run whose calls all failed in ``turns`` turns in a row."""
        return cls(
            f"Every tool call failed in {turns} turns in a row; the run was stopped (raise "
            f"Agent(max_tool_failures=...) to allow more). The last error: {last_error}",
            result=result,
        )


class OutputLengthError(RunError):
    """The model stopped at its output limit (``finish_reason: length``) and
    the agent was configured to raise instead of returning the result."""

    @classmethod
    def at(cls, finish_reason: str, result: Any) -> OutputLengthError:
        """The error of a turn cut with ``finish_reason`` (``length``/``max_tokens``)."""
        return cls(
            f"The model stopped at its output limit (finish_reason {finish_reason!r}); raise "
            "max_tokens or ask for a shorter answer. The partial result is on .result.",
            result=result,
        )


class ContentFilterError(RunError):
    """The provider's content filter stopped the answer and the agent was
    configured to raise instead of returning the result."""

    @classmethod
    def at(cls, result: Any) -> ContentFilterError:
        """The error of a turn stopped by the content filter."""
        return cls(
            "The provider's content filter stopped the answer (finish_reason "
            "'content_filter'). The partial result is on .result.",
            result=result,
        )


class OutputValidationError(RunError):
    """The model gave no valid structured output (``output_type``) within
    ``output_retries`` further tries.

    Attributes:
        errors: The problems with the last answer: ``{"path", "message"}``.
    """

    def __init__(self, message: str, *, errors: list[dict[str, str]], result: Any = None) -> None:
        super().__init__(message, result=result)
        self.errors = errors

    @classmethod
    def after(
        cls, tries: int, feedback: str, errors: list[dict[str, str]], result: Any
    ) -> OutputValidationError:
        """The error of a run whose ``tries`` answers were all invalid."""
        return cls(
            f"The model gave no valid output in {tries} tries (raise "
            f"Agent(output_retries=...) to allow more). The last answer: {feedback}",
            errors=errors,
            result=result,
        )


class ApproverError(RunError):
    """The approver (``Agent(approver=...)``) raised, or answered something
    that is not a decision; ``__cause__`` is its exception.

    Attributes:
        approver: The name of the approver.
    """

    def __init__(self, message: str, *, approver: str, result: Any = None) -> None:
        super().__init__(message, result=result)
        self.approver = approver


class CallbackError(RunError):
    """A user callback (``on_event``) raised; ``__cause__`` is its exception.

    Attributes:
        callback: The name of the callback that raised.
    """

    def __init__(self, message: str, *, callback: str, result: Any = None) -> None:
        super().__init__(message, result=result)
        self.callback = callback

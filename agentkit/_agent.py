"""`Agent`: a model, its tools and instructions; runs conversations to their end."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Generic

from typing_extensions import TypeVar

from ._agent_run import AgentRun, new_run_id
from ._approval import Approval, ApprovalGate, Approver, checked_decisions
from ._delivery import EventCallback, EventSink, callback_sink
from ._errors import UsageError
from ._output import OutputMode, OutputSchema
from ._result import RunResult
from ._run import ChatModel, Run, RunSettings
from ._sync import run_blocking
from ._tracing import InstrumentSetting, resolve_tracer
from .models import OpenAIChatModel
from .tools import Tool, ToolRegistry, ToolSource

__all__ = ["Agent", "Approvals", "Input"]

DepsT = TypeVar("DepsT", default=Any)
OutputT = TypeVar("OutputT", default=str)

Input = str | Mapping[str, Any] | Sequence[Mapping[str, Any]]
"""A user message (text, or one OpenAI-format message dict), or a
conversation of OpenAI-format messages."""

Approvals = Mapping[str, "bool | Approval"]
"""Decisions about calls waiting for approval, by call id."""


class Agent(Generic[DepsT, OutputT]):
    """A model with tools and instructions, run as a streaming
    function-calling loop: stream a turn, execute its tool calls (eagerly,
    in parallel), append the results, stream again, until the model answers.

    ```python
    agent = Agent(model=model, tools=[get_weather], instructions="Be brief.")
    result = agent.run_sync("What is the weather in Hanoi?")
    ```

    Args:
        model: An `OpenAIChatModel` (or a model name, for one with the
            endpoint from the environment).
        tools: A `ToolRegistry`, or a list of tools, plain functions and
            `ToolSource` objects (MCP servers, listed when a run starts).
        instructions: The system message, added to every request (not
            stored in `RunResult.messages`).
        output_type: The type of the run's structured output
            (`RunResult.output`): a pydantic model, dataclass, TypedDict, a
            union of models, or any type pydantic validates (a non-object
            type is sent as ``{"result": ...}``). See the docs page
            "Structured output".
        output_mode: How the model is asked for it: ``"tool"`` (a
            ``final_result`` function, the default), ``"native"``
            (``response_format`` ``json_schema``, strict) or ``"prompted"``
            (the schema in the instructions, ``json_object``).
        output_retries: How many more answers an invalid output may get
            (each told what was wrong); then `OutputValidationError`.
        output_tool_name: The name of the output function in tool mode.
        approver: Decides calls to tools with ``needs_approval``:
            ``approver(ApprovalRequest)`` returns a bool or an `Approval`
            (sync, run in a worker thread, or async). Without one, a run
            pauses at such calls (``finish_reason == "approval_required"``).
        max_turns: Most model turns in one run; then `MaxTurnsExceeded`.
        max_tool_failures: Most turns in a row in which every tool call
            failed; then `ToolFailureLimitExceeded`.
        turn_retries: How many times a turn whose stream broke before
            anything complete arrived is streamed again.
        turn_retry_delay: Seconds before the first such retry (doubling).
        eager_tools: Start each tool call as soon as it is complete, while the
            model is still streaming (False: after the turn).
        max_parallel_tools: Most tool calls running at once.
        raise_on_truncation: Raise `OutputLengthError`/`ContentFilterError`
            when a turn ends on ``length``/``content_filter`` instead of
            returning the result with that ``finish_reason``.
        model_params: Request parameters for every turn (``temperature``,
            ``max_tokens``, ``tool_choice``, ``parallel_tool_calls``...).
        instrument: OpenTelemetry tracing of this agent's runs: True (the
            global providers), a ``TracerProvider``, an
            `agentkit.otel.InstrumentationSettings`, False (off), or None
            (follow `agentkit.instrument`). Needs ``agentkit[otel]``.

    Raises:
        UsageError: A limit out of range, or an unknown ``output_mode``.
        ToolDefinitionError: ``output_type`` has no JSON schema (or, with
            ``output_mode="native"``, none strict mode can express).
    """

    def __init__(
        self,
        model: ChatModel | str,
        *,
        tools: ToolRegistry
        | Iterable[Tool[..., Any] | Callable[..., Any] | ToolSource]
        | None = None,
        instructions: str | None = None,
        output_type: type[OutputT] | None = None,
        output_mode: OutputMode = "tool",
        output_retries: int = 1,
        output_tool_name: str = "final_result",
        approver: Approver | None = None,
        max_turns: int = 10,
        max_tool_failures: int = 3,
        turn_retries: int = 2,
        turn_retry_delay: float = 0.5,
        eager_tools: bool = True,
        max_parallel_tools: int = 8,
        raise_on_truncation: bool = False,
        model_params: Mapping[str, Any] | None = None,
        instrument: InstrumentSetting = None,
    ) -> None:
        self.model: ChatModel = OpenAIChatModel(model) if isinstance(model, str) else model
        self.tools = tools if isinstance(tools, ToolRegistry) else ToolRegistry(tools or ())
        self.instructions = instructions
        self.output: OutputSchema[OutputT] | None = None
        if output_type is not None:
            self.output = OutputSchema(
                output_type, mode=output_mode, tool_name=output_tool_name, retries=output_retries
            )
        self.approver = approver
        self.instrument = instrument
        _check_limits(
            max_turns=max_turns,
            max_tool_failures=max_tool_failures,
            max_parallel_tools=max_parallel_tools,
            turn_retries=turn_retries,
            turn_retry_delay=turn_retry_delay,
        )
        self.settings = RunSettings(
            max_turns=max_turns,
            max_tool_failures=max_tool_failures,
            turn_retries=turn_retries,
            turn_retry_delay=turn_retry_delay,
            eager_tools=eager_tools,
            max_parallel_tools=max_parallel_tools,
            raise_on_truncation=raise_on_truncation,
            model_params=dict(model_params or {}),
        )

    def __repr__(self) -> str:
        return f"Agent(model={self.model!r}, tools={self.tools.names!r})"

    async def run(
        self,
        input: Input,
        *,
        deps: DepsT | None = None,
        on_event: EventCallback | Sequence[EventCallback] | None = None,
        approvals: Approvals | None = None,
    ) -> RunResult[OutputT]:
        """Run the conversation to its end (or to a pause for approvals).

        Args:
            input: A user message, or a conversation (for example a previous
                `RunResult.messages` plus a new user message, or the
                messages of a paused run to resume).
            deps: Given to tools as ``RunContext.deps``.
            on_event: Called with every event, in order; sync or async. If it
                raises, the run stops with a `CallbackError` naming it.
            approvals: Decisions about the calls a paused run waits for, by
                call id: True/False or an `Approval` (with a reason).

        Returns:
            The `RunResult`.

        Raises:
            AgentkitError: The run failed; see the docs page "Errors and
                retries" for each subclass. Limits (`MaxTurnsExceeded`...)
                carry the partial result on ``.result``.
            UsageError: ``approvals`` names a call that is not waiting, or
                was made for other arguments than the stored call's.
        """
        run = self._new_run(input, deps, callback_sink(on_event), approvals)
        return await run.execute()

    def run_sync(
        self,
        input: Input,
        *,
        deps: DepsT | None = None,
        on_event: EventCallback | Sequence[EventCallback] | None = None,
        approvals: Approvals | None = None,
    ) -> RunResult[OutputT]:
        """`run`, blocking: for scripts and threads, never inside an event
        loop (that raises `UsageError`; use ``await agent.run(...)``).

        Each call runs its own event loop, so the model's pooled connections
        (bound to that loop) are closed at the end.
        """
        return run_blocking(
            functools.partial(self.run, input, deps=deps, on_event=on_event, approvals=approvals),
            model=self.model,
        )

    def stream(
        self, input: Input, *, deps: DepsT | None = None, approvals: Approvals | None = None
    ) -> AgentRun[OutputT]:
        """Run with events delivered through async iteration:

        ```python
        async with agent.stream("Hi") as run:
            async for event in run:
                ...
        print(run.result.text)
        ```

        Leaving the block early cancels the run: the model connection is
        closed and running tools are cancelled.
        """
        messages = _conversation(input)
        decisions = checked_decisions(messages, approvals)
        return AgentRun(
            lambda sink, run_id: self._make_run(messages, deps, sink, decisions, run_id)
        )

    @contextmanager
    def override(self, *, model: ChatModel | str) -> Iterator[Agent[DepsT, OutputT]]:
        """Use another model inside a ``with`` block: for tests and scripts
        that run an agent built elsewhere against a stand-in.

        ```python
        with ToolCallingModel() as stand_in, agent.override(model=stand_in):
            result = agent.run_sync("Weather in Paris?")  # or await agent.run(...)
        ```

        Every run started inside the block (``run``, ``run_sync``,
        ``stream``) uses ``model`` until it ends, also if it ends after the
        block; the previous model is back when the block ends, also on an
        exception. Blocks nest. It changes the agent itself, so runs that
        other tasks or threads start meanwhile use ``model`` too.

        Args:
            model: An `OpenAIChatModel` (or a model name, as for `Agent`).
        """
        previous = self.model
        self.model = OpenAIChatModel(model) if isinstance(model, str) else model
        try:
            yield self
        finally:
            self.model = previous

    def _new_run(
        self, input: Input, deps: Any, sink: EventSink, approvals: Approvals | None
    ) -> Run:
        messages = _conversation(input)
        decisions = checked_decisions(messages, approvals)
        return self._make_run(messages, deps, sink, decisions, new_run_id())

    def _make_run(
        self,
        messages: list[dict[str, Any]],
        deps: Any,
        sink: EventSink,
        decisions: Mapping[str, Approval],
        run_id: str,
    ) -> Run:
        return Run(
            model=self.model,
            registry=self.tools,
            instructions=self.instructions,
            messages=messages,
            deps=deps,
            sink=sink,
            settings=self.settings,
            run_id=run_id,
            tracer=resolve_tracer(self.instrument),
            output=self.output,
            gate=ApprovalGate(self.approver),
            approvals=decisions,
        )


def _check_limits(**limits: float) -> None:
    minimums = {"turn_retries": 0, "turn_retry_delay": 0}
    for name, value in limits.items():
        minimum = minimums.get(name, 1)
        if value < minimum:
            raise UsageError(f"Agent({name}={value!r}): it must be >= {minimum}.")


def _conversation(input: Input) -> list[dict[str, Any]]:
    """The run's own copy of the conversation, in the form every server
    accepts (an assistant message's null ``content`` is sent as "": llama.cpp
    rejects null, and conversations saved by other SDKs carry it)."""
    if isinstance(input, str):
        return [{"role": "user", "content": input}]
    if isinstance(input, Mapping):  # one message
        return [_accepted(dict(input))]
    messages = []
    for message in input:
        to_dict = getattr(message, "to_dict", None)
        messages.append(_accepted(to_dict() if callable(to_dict) else dict(message)))
    return messages


def _accepted(message: dict[str, Any]) -> dict[str, Any]:
    if message.get("role") == "assistant" and message.get("content", "") is None:
        message["content"] = ""
    return message

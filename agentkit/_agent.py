"""`Agent`: a model, its tools and instructions; runs conversations to their end."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AsyncExitStack, contextmanager
from typing import Any, Generic, TypeVar

import anyio
import anyio.abc
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from ._delivery import EventCallback, callback_sink
from ._errors import UsageError
from ._events import Event
from ._result import RunResult
from ._run import ChatModel, Run, RunSettings
from ._sync import run_blocking
from .models import OpenAIChatModel
from .tools import Tool, ToolRegistry, ToolSource

__all__ = ["Agent", "AgentRun"]

DepsT = TypeVar("DepsT")

Input = str | Mapping[str, Any] | Sequence[Mapping[str, Any]]
"""A user message (text, or one OpenAI-format message dict), or a
conversation of OpenAI-format messages."""

_STREAM_BUFFER = 64


class Agent(Generic[DepsT]):
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
    """

    def __init__(
        self,
        model: ChatModel | str,
        *,
        tools: ToolRegistry
        | Iterable[Tool[..., Any] | Callable[..., Any] | ToolSource]
        | None = None,
        instructions: str | None = None,
        max_turns: int = 10,
        max_tool_failures: int = 3,
        turn_retries: int = 2,
        turn_retry_delay: float = 0.5,
        eager_tools: bool = True,
        max_parallel_tools: int = 8,
        raise_on_truncation: bool = False,
        model_params: Mapping[str, Any] | None = None,
    ) -> None:
        self.model: ChatModel = OpenAIChatModel(model) if isinstance(model, str) else model
        self.tools = tools if isinstance(tools, ToolRegistry) else ToolRegistry(tools or ())
        self.instructions = instructions
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
    ) -> RunResult:
        """Run the conversation to its end.

        Args:
            input: A user message, or a conversation (for example a previous
                `RunResult.messages` plus a new user message).
            deps: Given to tools as ``RunContext.deps``.
            on_event: Called with every event, in order; sync or async. If it
                raises, the run stops with a `CallbackError` naming it.

        Returns:
            The `RunResult`.

        Raises:
            AgentkitError: The run failed; see the docs page "Errors and
                retries" for each subclass. Limits (`MaxTurnsExceeded`...)
                carry the partial result on ``.result``.
        """
        run = self._new_run(input, deps, callback_sink(on_event))
        return await run.execute()

    def run_sync(
        self,
        input: Input,
        *,
        deps: DepsT | None = None,
        on_event: EventCallback | Sequence[EventCallback] | None = None,
    ) -> RunResult:
        """`run`, blocking: for scripts and threads, never inside an event
        loop (that raises `UsageError`; use ``await agent.run(...)``).

        Each call runs its own event loop, so the model's pooled connections
        (bound to that loop) are closed at the end.
        """
        return run_blocking(
            functools.partial(self.run, input, deps=deps, on_event=on_event), model=self.model
        )

    def stream(self, input: Input, *, deps: DepsT | None = None) -> AgentRun:
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
        return AgentRun(self, input, deps)

    @contextmanager
    def override(self, *, model: ChatModel | str) -> Iterator[Agent[DepsT]]:
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

    def _new_run(self, input: Input, deps: Any, sink: Any, run_id: str | None = None) -> Run:
        return Run(
            model=self.model,
            registry=self.tools,
            instructions=self.instructions,
            messages=_conversation(input),
            deps=deps,
            sink=sink,
            settings=self.settings,
            run_id=run_id or _new_run_id(),
        )


class AgentRun:
    """A run whose events are read by iteration; made by `Agent.stream`.

    Attributes:
        run_id: The run's id.
    """

    def __init__(self, agent: Agent[Any], input: Input, deps: Any) -> None:
        self._agent = agent
        self._input = input
        self._deps = deps
        self.run_id = _new_run_id()
        # Made on entry: a run that is never entered holds nothing to close.
        self._send: MemoryObjectSendStream[Event] | None = None
        self._receive: MemoryObjectReceiveStream[Event] | None = None
        self._task_group: anyio.abc.TaskGroup | None = None
        self._exit_stack: AsyncExitStack | None = None
        self._result: RunResult | None = None
        self._error: BaseException | None = None

    async def __aenter__(self) -> AgentRun:
        if self._send is not None:
            raise UsageError("This run was already started; call agent.stream() again.")
        self._send, self._receive = anyio.create_memory_object_stream[Event](_STREAM_BUFFER)
        run = self._agent._new_run(self._input, self._deps, self._send.send, self.run_id)
        async with AsyncExitStack() as stack:
            task_group = await stack.enter_async_context(anyio.create_task_group())
            task_group.start_soon(self._execute, run, self._send, name=f"agentkit {self.run_id}")
            self._task_group = task_group
            self._exit_stack = stack.pop_all()
        return self

    async def __aexit__(self, *exc_info: object) -> bool:
        stack, self._exit_stack = self._exit_stack, None
        try:
            if stack is not None and self._task_group is not None:
                self._task_group.cancel_scope.cancel()
                # Closed without the body's exception: it propagates as is
                # instead of inside an ExceptionGroup.
                await stack.aclose()
        finally:
            if self._send is not None and self._receive is not None:
                self._send.close()  # the run task may have been cancelled before it started
                self._receive.close()
        return False

    def __aiter__(self) -> AgentRun:
        return self

    async def __anext__(self) -> Event:
        if self._receive is None:
            # Without `async with` nothing runs: waiting would hang forever.
            raise UsageError(
                "Iterate the run inside `async with agent.stream(...) as run:`; "
                "the block starts the run and stops it when left."
            )
        try:
            return await self._receive.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            pass
        # Raised outside the except block, so the error keeps its own
        # __cause__ (``raise ... from None`` would erase it).
        if self._error is not None:
            raise self._error
        raise StopAsyncIteration

    @property
    def result(self) -> RunResult:
        """The `RunResult`, once the run finished.

        Raises:
            AgentkitError: The run failed (the same error iteration raised).
            UsageError: The run has not finished.
        """
        if self._error is not None:
            raise self._error
        if self._result is None:
            raise UsageError("The run has not finished; iterate it to the end first.")
        return self._result

    async def _execute(self, run: Run, send: MemoryObjectSendStream[Event]) -> None:
        async with send:
            try:
                self._result = await run.execute()
            except Exception as error:
                self._error = error


def _new_run_id() -> str:
    return f"run_{uuid.uuid4().hex[:16]}"


def _check_limits(**limits: float) -> None:
    minimums = {"turn_retries": 0, "turn_retry_delay": 0}
    for name, value in limits.items():
        minimum = minimums.get(name, 1)
        if value < minimum:
            raise UsageError(f"Agent({name}={value!r}): it must be >= {minimum}.")


def _conversation(input: Input) -> list[dict[str, Any]]:
    if isinstance(input, str):
        return [{"role": "user", "content": input}]
    if isinstance(input, Mapping):  # one message
        return [dict(input)]
    messages = []
    for message in input:
        to_dict = getattr(message, "to_dict", None)
        messages.append(to_dict() if callable(to_dict) else dict(message))
    return messages

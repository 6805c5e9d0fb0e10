"""`Tool`: a Python function the model can call, with its JSON schema."""

from __future__ import annotations

import copy
import inspect
import math
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeAlias, TypeVar

from .._context import RunContext
from .._errors import ToolDefinitionError, ToolError, ToolExecutionError
from ._execution import ToolOutcome, format_output, log_failure, run_function
from ._function_schema import FunctionSchema
from ._json_schema import JsonSchema

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = ["NeedsApproval", "Tool"]

P = ParamSpec("P")
R = TypeVar("R")

NeedsApproval: TypeAlias = (
    "bool | Callable[[RunContext[Any], dict[str, Any]], bool | Awaitable[bool]]"
)
"""Whether a tool's calls need a person's approval: True, False, or a
function ``(context, arguments) -> bool`` (sync or async) deciding per call."""


class Tool(Generic[P, R]):
    """A function the model can call: its name, description, JSON schema, and
    how to validate arguments and run it.

    Usually made with the `tool` decorator; `Tool(function, ...)` does the
    same. Calling the tool calls the function, unchanged.

    Args:
        function: The function (sync or async).
        name: The name the model calls (default: the function's name); must
            match ``^[a-zA-Z0-9_-]{1,64}$``.
        description: What the tool does (default: the docstring's summary and
            long description).
        strict: Publish an OpenAI strict-mode schema (see the docs page
            "Writing tools"); the definition then carries ``"strict": true``.
        timeout: Seconds the function may run before the call fails with
            `ToolTimeoutError` (None: no limit).
        eager: Whether the runner may start this call as soon as its arguments
            are complete, while the model is still streaming (False: only after
            the model's turn ended).
        needs_approval: Whether a person must approve each call before it
            runs: True, or a function ``(context, arguments) -> bool`` (sync
            or async; ``arguments`` is the call's validated JSON object)
            deciding per call. See the docs page "Approving tool calls".

    Raises:
        ToolDefinitionError: Bad name or timeout, ``*args``/``**kwargs``, a
            parameter without annotation or with a type that has no JSON
            schema, or a schema strict mode cannot express.
    """

    # Copied from the function, so a tool still looks like it.
    __name__: str
    __qualname__: str
    __wrapped__: Callable[P, R]

    def __init__(
        self,
        function: Callable[P, R],
        *,
        name: str | None = None,
        description: str | None = None,
        strict: bool = False,
        timeout: float | None = None,
        eager: bool = True,
        needs_approval: NeedsApproval = False,
    ) -> None:
        if isinstance(function, Tool):  # @tool over a tool: wrap the function itself
            function = function.function
        schema = FunctionSchema.from_function(
            function, name=name, description=description, strict=strict
        )
        self._setup(schema, strict, timeout, eager, needs_approval)

    @classmethod
    def from_schema(
        cls,
        function: Callable[..., Any],
        *,
        name: str,
        parameters: JsonSchema,
        description: str = "",
        strict: bool = False,
        timeout: float | None = None,
        eager: bool = True,
        needs_approval: NeedsApproval = False,
    ) -> Tool[..., Any]:
        """A tool with an explicit JSON schema (a dynamic tool).

        The arguments are validated against ``parameters`` and passed to
        ``function`` as keyword arguments (JSON values, not converted), plus
        the `RunContext` to any parameter annotated with it. With
        ``strict=True`` the schema is transformed to strict mode.

        Args:
            function: Receives the arguments as keyword arguments.
            name: The tool's name.
            parameters: A JSON schema of type ``object`` (Draft 2020-12).
            description: What the tool does.
            strict: Publish the strict-mode form of ``parameters``.
            timeout: Seconds before the call fails with `ToolTimeoutError`.
            eager: See `Tool`.
            needs_approval: See `Tool`.

        Raises:
            ToolDefinitionError: Bad name, or ``parameters`` is not a valid
                object schema.
        """
        schema = FunctionSchema.from_schema(
            function, name=name, description=description, parameters=parameters, strict=strict
        )
        return cls._create(schema, strict, timeout, eager, needs_approval)

    @classmethod
    def from_model(
        cls,
        model: type[BaseModel],
        function: Callable[..., Any],
        *,
        name: str | None = None,
        description: str | None = None,
        strict: bool = False,
        timeout: float | None = None,
        eager: bool = True,
        needs_approval: NeedsApproval = False,
    ) -> Tool[..., Any]:
        """A tool whose arguments are the fields of a pydantic model.

        ``function`` receives one validated instance of ``model`` (plus the
        `RunContext` to any parameter annotated with it).

        Args:
            model: The pydantic model class of the arguments.
            function: Takes the model instance.
            name: Default: the class name in snake_case (``GetWeather`` ->
                ``get_weather``).
            description: Default: the class docstring (its ``Attributes``
                section describes fields that have no ``Field`` description).
            strict: Publish a strict-mode schema.
            timeout: Seconds before the call fails with `ToolTimeoutError`.
            eager: See `Tool`.
            needs_approval: See `Tool`.

        Raises:
            ToolDefinitionError: Not a model class, bad name, or ``function``
                does not take exactly one non-context parameter.
        """
        schema = FunctionSchema.from_model(
            model, function, name=name, description=description, strict=strict
        )
        return cls._create(schema, strict, timeout, eager, needs_approval)

    @classmethod
    def _create(cls, schema: FunctionSchema, *options: Any) -> Tool[..., Any]:
        tool: Tool[..., Any] = cls.__new__(cls)
        tool._setup(schema, *options)
        return tool

    def _setup(
        self,
        schema: FunctionSchema,
        strict: bool,
        timeout: float | None,
        eager: bool,
        needs_approval: NeedsApproval,
    ) -> None:
        self._schema = schema
        self._strict = bool(strict)
        self._timeout = _check_timeout(timeout, schema.name)
        self._eager = bool(eager)
        self._needs_approval = _check_needs_approval(needs_approval, schema.name)
        self._shared_definition: dict[str, Any] | None = None
        for attribute in ("__module__", "__name__", "__qualname__", "__doc__"):
            if hasattr(schema.function, attribute):
                setattr(self, attribute, getattr(schema.function, attribute))
        self.__wrapped__ = schema.function

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        """Call the function directly, as if it were not a tool."""
        return self._schema.function(*args, **kwargs)  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return f"Tool(name={self.name!r}, strict={self.strict}, timeout={self.timeout})"

    @property
    def function(self) -> Callable[..., Any]:
        """The wrapped function."""
        return self._schema.function

    @property
    def name(self) -> str:
        """The name the model calls."""
        return self._schema.name

    @property
    def description(self) -> str:
        """What the tool does, as the model reads it."""
        return self._schema.description

    @property
    def parameters(self) -> JsonSchema:
        """The published JSON schema of the arguments (a copy)."""
        return copy.deepcopy(self._schema.parameters)

    @property
    def strict(self) -> bool:
        """Whether the schema is OpenAI strict-mode."""
        return self._strict

    @property
    def timeout(self) -> float | None:
        """Seconds the function may run, or None."""
        return self._timeout

    @property
    def eager(self) -> bool:
        """Whether the runner may start the call while the model still streams."""
        return self._eager

    @property
    def needs_approval(self) -> NeedsApproval:
        """True, False, or the function deciding per call."""
        return self._needs_approval

    async def requires_approval(self, context: RunContext[Any], arguments: dict[str, Any]) -> bool:
        """Whether this call (``arguments``: its JSON object) needs approval.

        Raises:
            ToolExecutionError: The deciding function raised.
        """
        rule = self._needs_approval
        if isinstance(rule, bool):
            return rule
        try:
            decision = rule(context, arguments)
            if inspect.isawaitable(decision):
                decision = await decision
        except Exception as exc:
            raise ToolExecutionError(
                f"The needs_approval function of tool {self.name!r} raised "
                f"{type(exc).__name__}: {exc}",
                tool_name=self.name,
            ) from exc
        return bool(decision)

    def definition(self) -> dict[str, Any]:
        """The OpenAI function definition: ``{"type": "function", "function":
        {"name", "description", "parameters"[, "strict": true]}}``."""
        function: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "parameters": self.parameters,
        }
        if self._strict:
            function["strict"] = True
        return {"type": "function", "function": function}

    def _request_definition(self) -> dict[str, Any]:
        """`definition`, built once and shared by every request, which only
        reads it (runs do not copy the schema): never change it."""
        if self._shared_definition is None:
            self._shared_definition = self.definition()
        return self._shared_definition

    def parse_arguments(self, arguments_json: str) -> dict[str, Any]:
        """Parse, validate and convert the model's arguments string.

        Returns:
            The function's keyword arguments (parameter name -> Python value).

        Raises:
            ToolArgumentsError: The message says, for the model, which path
                was wrong and how; ``errors`` lists ``{"path", "message"}``.
        """
        return self._schema.validate(arguments_json)

    async def run(self, arguments: dict[str, Any], context: RunContext[Any]) -> Any:
        """Call the function with parsed arguments and the run's context.

        Async functions are awaited; sync ones run in a worker thread. The
        ``timeout`` applies; cancellation propagates unchanged.

        Raises:
            ToolTimeoutError: The function ran longer than ``timeout`` (a sync
                function keeps running in its thread; its result is dropped).
            ToolExecutionError: The function raised (``__cause__``).
        """
        args, kwargs = self._schema.call_arguments(arguments, context)
        return await run_function(
            self._schema.function,
            args,
            kwargs,
            is_async=self._schema.is_async,
            tool_name=self.name,
            limit=self._timeout,
        )

    def format_output(self, value: Any) -> str:
        """The tool message content for a return value: ``str`` as is;
        models, dataclasses, dicts, lists, numbers, booleans, None as JSON.

        Raises:
            ToolExecutionError: The value has no JSON form.
        """
        return format_output(value, self.name)

    async def execute(self, arguments_json: str, context: RunContext[Any]) -> ToolOutcome:
        """Parse, run and format one call; failures become an error outcome
        (logged), never an exception. Cancellation propagates."""
        try:
            value = await self.run(self.parse_arguments(arguments_json), context)
            output = self.format_output(value)
        except ToolError as error:
            log_failure(error, self.name, context)
            return ToolOutcome.failure(error)
        return ToolOutcome(output=output, value=value)


def _check_needs_approval(rule: Any, tool_name: str) -> NeedsApproval:
    if isinstance(rule, bool) or callable(rule):
        return rule  # type: ignore[no-any-return]
    raise ToolDefinitionError(
        f"needs_approval of tool {tool_name!r} must be True, False or a function "
        f"(context, arguments) -> bool, not {rule!r}."
    )


def _check_timeout(timeout: float | None, tool_name: str) -> float | None:
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise ToolDefinitionError(f"The timeout of tool {tool_name!r} must be a number of seconds.")
    if not (timeout > 0 and math.isfinite(timeout)):
        raise ToolDefinitionError(
            f"The timeout of tool {tool_name!r} must be a positive number of seconds, "
            f"not {timeout!r}."
        )
    return float(timeout)

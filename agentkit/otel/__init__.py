"""Tracing with OpenTelemetry, following the GenAI semantic conventions
(``pip install "agentkit[otel]"``).

Turn it on per agent with ``Agent(instrument=True)`` (or a
``TracerProvider``, or `InstrumentationSettings`), or for every agent with
`agentkit.instrument`. Each run is an ``invoke_agent`` span; each model turn
a ``chat {model}`` span and each tool call an ``execute_tool {name}`` span,
both children of the run's; token usage and operation durations go to the
``gen_ai.client.token.usage`` and ``gen_ai.client.operation.duration``
histograms. See the docs page "Tracing".

`import agentkit` never imports this package (nor OpenTelemetry): it is
loaded when tracing is first turned on.
"""

from ._settings import InstrumentationSettings

__all__ = ["InstrumentationSettings"]

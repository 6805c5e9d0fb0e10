"""`InstrumentationSettings`: where spans and metrics go, and what they hold."""

from __future__ import annotations

from opentelemetry import metrics, trace

from .._errors import UsageError
from ._attributes import DURATION_BUCKETS, TOKEN_BUCKETS

__all__ = ["InstrumentationSettings"]

_SCOPE = "agentkit"


class InstrumentationSettings:
    """How agentkit traces runs with OpenTelemetry; give it to
    ``Agent(instrument=...)`` or `agentkit.instrument`.

    ```python
    from agentkit.otel import InstrumentationSettings

    settings = InstrumentationSettings(tracer_provider=provider, capture_content=True)
    agent = Agent(model, tools=[get_weather], instrument=settings)
    ```

    Args:
        tracer_provider: Where spans go. Default: the global provider
            (``opentelemetry.trace.set_tracer_provider``; Logfire and the
            ``opentelemetry-instrument`` agent set it), looked up when a span
            starts, so it may be set after this object was made.
        meter_provider: Where the ``gen_ai.client.*`` histograms go. Default:
            the global provider.
        capture_content: Also record what was said: the messages sent and
            received (``gen_ai.input.messages``, ``gen_ai.output.messages``)
            and each tool call's arguments and result
            (``gen_ai.tool.call.arguments``, ``gen_ai.tool.call.result``).
            Off by default: they may hold personal data and are large.
        provider_name: ``gen_ai.provider.name``. Default: the well-known
            name of the endpoint's host (``openai``, ``groq``, ``deepseek``,
            ``mistral_ai``...), else ``openai`` (the API agentkit speaks).

    Attributes:
        capture_content: As given.
        provider_name: As given.
    """

    def __init__(
        self,
        *,
        tracer_provider: trace.TracerProvider | None = None,
        meter_provider: metrics.MeterProvider | None = None,
        capture_content: bool = False,
        provider_name: str | None = None,
    ) -> None:
        if tracer_provider is not None and not isinstance(tracer_provider, trace.TracerProvider):
            raise UsageError(
                f"InstrumentationSettings(tracer_provider=...) takes an OpenTelemetry "
                f"TracerProvider, not {type(tracer_provider).__name__}."
            )
        if meter_provider is not None and not isinstance(meter_provider, metrics.MeterProvider):
            raise UsageError(
                f"InstrumentationSettings(meter_provider=...) takes an OpenTelemetry "
                f"MeterProvider, not {type(meter_provider).__name__}."
            )
        from .. import __version__

        self.capture_content = capture_content
        self.provider_name = provider_name
        self.tracer = trace.get_tracer(_SCOPE, __version__, tracer_provider)
        meter = metrics.get_meter(_SCOPE, __version__, meter_provider)
        self.token_usage = meter.create_histogram(
            "gen_ai.client.token.usage",
            unit="{token}",
            description="Number of input and output tokens used.",
            explicit_bucket_boundaries_advisory=TOKEN_BUCKETS,
        )
        self.operation_duration = meter.create_histogram(
            "gen_ai.client.operation.duration",
            unit="s",
            description="GenAI operation duration.",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
        )

    def __repr__(self) -> str:
        return (
            f"InstrumentationSettings(capture_content={self.capture_content!r}, "
            f"provider_name={self.provider_name!r})"
        )

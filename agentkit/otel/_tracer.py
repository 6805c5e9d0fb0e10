"""`make_tracer`: from what a user passed to ``instrument`` to the tracer of a run."""

from __future__ import annotations

import threading
import weakref
from typing import Any

from opentelemetry import trace

from .._errors import UsageError
from ._settings import InstrumentationSettings
from ._spans import OTelTracer

__all__ = ["make_tracer"]

_lock = threading.Lock()
_default: OTelTracer | None = None
_by_provider: weakref.WeakKeyDictionary[trace.TracerProvider, OTelTracer] = (
    weakref.WeakKeyDictionary()
)


def make_tracer(setting: Any, **options: Any) -> OTelTracer:
    """The tracer for ``setting``: True (the global providers), an
    OpenTelemetry ``TracerProvider``, or an `InstrumentationSettings`;
    ``options`` go to `InstrumentationSettings` with the first two.

    A run resolves its tracer when it starts, so the tracers of True and of a
    provider without options are made once and reused.
    """
    if isinstance(setting, InstrumentationSettings):
        if options:
            raise UsageError(
                "Give options to InstrumentationSettings(...) itself, not beside it: "
                f"{sorted(options)}."
            )
        return OTelTracer(setting)
    if setting is True:
        return OTelTracer(_settings(options)) if options else _shared_default()
    if isinstance(setting, trace.TracerProvider):
        if options:
            return OTelTracer(_settings({"tracer_provider": setting, **options}))
        return _shared_for(setting)
    raise UsageError(
        f"instrument={setting!r}: expected True, False, None, an OpenTelemetry "
        "TracerProvider or agentkit.otel.InstrumentationSettings."
    )


def _settings(options: dict[str, Any]) -> InstrumentationSettings:
    try:
        return InstrumentationSettings(**options)
    except TypeError as error:  # an unknown option
        raise UsageError(
            f"{error}; the options are tracer_provider, meter_provider, capture_content "
            "and provider_name (see agentkit.otel.InstrumentationSettings)."
        ) from None


def _shared_default() -> OTelTracer:
    global _default
    with _lock:
        if _default is None:
            _default = OTelTracer(InstrumentationSettings())
        return _default


def _shared_for(provider: trace.TracerProvider) -> OTelTracer:
    with _lock:
        tracer = _by_provider.get(provider)
        if tracer is None:
            tracer = OTelTracer(InstrumentationSettings(tracer_provider=provider))
            _by_provider[provider] = tracer
        return tracer

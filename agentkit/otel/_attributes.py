"""Names and values of the OpenTelemetry GenAI semantic conventions that the
spans and metrics use, and the attributes that describe a model's endpoint."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from opentelemetry.util.types import AttributeValue

__all__ = [
    "CHAT",
    "DURATION_BUCKETS",
    "EXECUTE_TOOL",
    "INVOKE_AGENT",
    "TOKEN_BUCKETS",
    "error_type",
    "model_attributes",
    "request_parameter_attributes",
]

INVOKE_AGENT, CHAT, EXECUTE_TOOL = "invoke_agent", "chat", "execute_tool"
"""Values of ``gen_ai.operation.name``."""

TOKEN_BUCKETS = tuple(4**power for power in range(14))  # 1, 4, 16 ... 67108864
"""Bucket boundaries the convention advises for ``gen_ai.client.token.usage``."""

DURATION_BUCKETS = tuple(round(0.01 * 2**power, 2) for power in range(14))  # 0.01 ... 81.92
"""Bucket boundaries the convention advises for ``gen_ai.client.operation.duration``."""

_PROVIDERS_BY_HOST = {
    "api.openai.com": "openai",
    "api.groq.com": "groq",
    "api.deepseek.com": "deepseek",
    "api.mistral.ai": "mistral_ai",
    "api.x.ai": "x_ai",
    "api.perplexity.ai": "perplexity",
    "generativelanguage.googleapis.com": "gcp.gemini",
    "aiplatform.googleapis.com": "gcp.vertex_ai",
    "api.anthropic.com": "anthropic",
    "api.cohere.ai": "cohere",
}
_PROVIDERS_BY_SUFFIX = {".openai.azure.com": "azure.ai.openai"}

_REQUEST_PARAMETERS = {
    "temperature": "gen_ai.request.temperature",
    "top_p": "gen_ai.request.top_p",
    "max_tokens": "gen_ai.request.max_tokens",
    "max_completion_tokens": "gen_ai.request.max_tokens",
    "frequency_penalty": "gen_ai.request.frequency_penalty",
    "presence_penalty": "gen_ai.request.presence_penalty",
    "seed": "gen_ai.request.seed",
}


def provider_for_host(host: str | None) -> str:
    """``gen_ai.provider.name`` for an endpoint's host: the well-known value
    when the host is a known provider's, else ``openai`` (the API flavour
    every endpoint agentkit talks to speaks; ``server.address`` tells which
    server it really was)."""
    if host is None:
        return "openai"
    known = _PROVIDERS_BY_HOST.get(host)
    if known is not None:
        return known
    for suffix, provider in _PROVIDERS_BY_SUFFIX.items():
        if host.endswith(suffix):
            return provider
    return "openai"


def model_attributes(model: Any, provider_name: str | None) -> dict[str, AttributeValue]:
    """The attributes every span and metric of a run shares: provider, model,
    server address and port (from ``model.base_url`` when it has one)."""
    attributes: dict[str, AttributeValue] = {}
    host: str | None = None
    base_url = getattr(model, "base_url", None)
    if isinstance(base_url, str):
        parts = urlsplit(base_url)
        host = parts.hostname
        if host is not None:
            attributes["server.address"] = host
            port = parts.port or (443 if parts.scheme == "https" else 80)
            attributes["server.port"] = port
    attributes["gen_ai.provider.name"] = provider_name or provider_for_host(host)
    name = getattr(model, "model", None)
    if isinstance(name, str):
        attributes["gen_ai.request.model"] = name
    return attributes


def request_parameter_attributes(params: Mapping[str, Any]) -> dict[str, AttributeValue]:
    """``gen_ai.request.*`` for the sampling parameters a model sends."""
    attributes: dict[str, AttributeValue] = {}
    for key, value in params.items():
        name = _REQUEST_PARAMETERS.get(key)
        if name is not None and isinstance(value, int | float) and not isinstance(value, bool):
            attributes[name] = value
    stop = params.get("stop")
    if isinstance(stop, str):
        attributes["gen_ai.request.stop_sequences"] = [stop]
    elif isinstance(stop, list | tuple) and all(isinstance(item, str) for item in stop):
        attributes["gen_ai.request.stop_sequences"] = list(stop)
    return attributes


def error_type(error: BaseException) -> str:
    """``error.type``: the exception's class name (agentkit's are listed in
    the docs page "Errors and retries")."""
    return type(error).__qualname__

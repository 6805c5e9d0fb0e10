"""Which model the command line talks to: the configured endpoint, a local
OpenAI-compatible server, or agentkit's offline scripted model."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from agentkit import OpenAIChatModel
from agentkit.testing import OfflineAssistant, ScriptedServer

__all__ = ["LOCAL_SERVERS", "Endpoint", "open_endpoint"]

LOCAL_SERVERS = (
    ("Ollama", "http://127.0.0.1:11434/v1"),
    ("LM Studio", "http://127.0.0.1:1234/v1"),
    ("vLLM", "http://127.0.0.1:8000/v1"),
    ("llama.cpp", "http://127.0.0.1:8080/v1"),
)
_PROBE_SECONDS = 0.5


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A model to use and a line saying what it is."""

    model: OpenAIChatModel
    description: str
    offline: bool = False


@contextmanager
def open_endpoint(
    model_name: str | None, base_url: str | None, *, offline: bool = False
) -> Iterator[Endpoint]:
    """The endpoint to use, in this order: ``base_url`` / ``AGENTKIT_BASE_URL``
    / ``OPENAI_BASE_URL``; a local server answering ``GET /models``; the
    offline scripted model (served on loopback while the block runs)."""
    configured = (
        None
        if offline
        else (base_url or os.environ.get("AGENTKIT_BASE_URL") or os.environ.get("OPENAI_BASE_URL"))
    )
    if configured:
        name = model_name or os.environ.get("AGENTKIT_MODEL") or "gpt-4o-mini"
        model = OpenAIChatModel(name, base_url=configured)
        yield Endpoint(model, f"model {name!r} at {configured}")
        return
    local = None if offline else _find_local_server(model_name)
    if local is not None:
        server_name, url, name = local
        yield Endpoint(
            OpenAIChatModel(name, base_url=url, api_key="local"),
            f"model {name!r} on the local {server_name} server at {url}",
        )
        return
    with ScriptedServer(responder=OfflineAssistant()) as server:
        model = OpenAIChatModel("agentkit-offline", base_url=server.base_url, api_key="offline")
        why = (
            "--offline"
            if offline
            else (
                "no AGENTKIT_BASE_URL set and no local Ollama, LM Studio, vLLM or llama.cpp "
                "server found"
            )
        )
        yield Endpoint(model, f"agentkit's offline scripted model ({why})", offline=True)


def _find_local_server(model_name: str | None) -> tuple[str, str, str] | None:
    for server_name, url in LOCAL_SERVERS:
        models = _list_models(url)
        if models is not None and (model_name or models):
            return server_name, url, model_name or models[0]
    return None


def _list_models(url: str) -> list[str] | None:
    try:
        response = httpx.get(f"{url}/models", timeout=_PROBE_SECONDS)
        response.raise_for_status()
        data = response.json().get("data", [])
        return [item["id"] for item in data if isinstance(item, dict) and "id" in item]
    except (httpx.HTTPError, ValueError, AttributeError, KeyError):
        return None

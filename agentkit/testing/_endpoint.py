"""Which model a script talks to: the configured endpoint, a local
OpenAI-compatible server, or a scripted stand-in on loopback.

The examples and the ``agentkit`` command share this choice, so a script
written against it runs unchanged with a real endpoint and offline.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from ..models import OpenAIChatModel
from ._script import ScriptedResponse
from ._server import Responder, ScriptedServer

__all__ = ["LOCAL_SERVERS", "Endpoint", "open_endpoint"]

LOCAL_SERVERS = (
    ("Ollama", "http://127.0.0.1:11434/v1"),
    ("LM Studio", "http://127.0.0.1:1234/v1"),
    ("vLLM", "http://127.0.0.1:8000/v1"),
    ("llama.cpp", "http://127.0.0.1:8080/v1"),
    ("llama.cpp", "http://127.0.0.1:9931/v1"),
)
"""Local servers `open_endpoint` probes (``GET /models``) when asked to, in
order. llama.cpp's ``llama-server`` is looked for on its old default port
(8080, also llama-cpp-python's) and on its new one (9931)."""

_PROBE_SECONDS = 0.5
_DEFAULT_MODEL = "gpt-4o-mini"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """The model `open_endpoint` chose.

    Attributes:
        model: The model to give to `Agent`.
        description: One line saying which model it is and why, for the user.
        offline: True when it is the scripted stand-in on loopback.
    """

    model: OpenAIChatModel
    description: str
    offline: bool = False


@contextmanager
def open_endpoint(
    fallback: Sequence[ScriptedResponse] | Responder,
    *,
    model: str | None = None,
    base_url: str | None = None,
    find_local: bool = False,
    offline: bool = False,
    **options: Any,
) -> Iterator[Endpoint]:
    """The endpoint to use, in this order: ``base_url``, else
    ``AGENTKIT_BASE_URL`` / ``OPENAI_BASE_URL`` (the key from
    ``AGENTKIT_API_KEY`` / ``OPENAI_API_KEY``); with ``find_local``, a local
    server that answers ``GET /models`` (see `LOCAL_SERVERS`); else a
    `ScriptedServer` on loopback playing ``fallback``, open while the block
    runs.

    ```python
    with open_endpoint([text_response("Hello!")]) as endpoint:
        print(endpoint.description)
        agent = Agent(endpoint.model)
    ```

    Args:
        fallback: The scripted responses, or a responder function, of the
            offline stand-in.
        model: The model name for a configured or local endpoint (default:
            ``AGENTKIT_MODEL``, else ``gpt-4o-mini``; on a local server, the
            first model it lists).
        base_url: An endpoint to use, overriding the environment.
        find_local: Probe the `LOCAL_SERVERS` when no endpoint is configured.
        offline: Use the stand-in whatever is configured.
        **options: Other `OpenAIChatModel` options (``timeout``,
            ``retry_policy``...), for whichever model is chosen.
    """
    configured = None if offline else _configured_base_url(base_url)
    if configured:
        name = model or os.environ.get("AGENTKIT_MODEL") or _DEFAULT_MODEL
        yield Endpoint(
            OpenAIChatModel(name, base_url=configured, **options), f"model {name!r} at {configured}"
        )
        return
    local = _find_local_server(model) if find_local and not offline else None
    if local is not None:
        server_name, url, name = local
        yield Endpoint(
            OpenAIChatModel(name, base_url=url, api_key="local", **options),
            f"model {name!r} on the local {server_name} server at {url}",
        )
        return
    responses, responder = ((), fallback) if callable(fallback) else (fallback, None)
    with ScriptedServer(responses, responder=responder) as server:
        stand_in = OpenAIChatModel(
            "agentkit-offline", base_url=server.base_url, api_key="offline", **options
        )
        why = _why_offline(offline, find_local)
        yield Endpoint(stand_in, f"agentkit's offline scripted model ({why})", offline=True)


def _configured_base_url(base_url: str | None) -> str | None:
    return base_url or os.environ.get("AGENTKIT_BASE_URL") or os.environ.get("OPENAI_BASE_URL")


def _why_offline(offline: bool, find_local: bool) -> str:
    if offline:
        return "offline requested"
    if find_local:
        return (
            "no AGENTKIT_BASE_URL set and no local Ollama, LM Studio, vLLM or llama.cpp "
            "server found"
        )
    return "no AGENTKIT_BASE_URL set"


def _find_local_server(model: str | None) -> tuple[str, str, str] | None:
    for server_name, url in LOCAL_SERVERS:
        models = _list_models(url)
        if models is not None and (model or models):
            return server_name, url, model or models[0]
    return None


def _list_models(url: str) -> list[str] | None:
    try:
        response = httpx.get(f"{url}/models", timeout=_PROBE_SECONDS)
        response.raise_for_status()
        data = response.json().get("data", [])
        return [item["id"] for item in data if isinstance(item, dict) and "id" in item]
    except (httpx.HTTPError, ValueError, AttributeError, KeyError):
        return None

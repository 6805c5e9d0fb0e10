"""The local-server probe of ``agentkit demo``/``chat`` (`open_endpoint` with
``find_local``): llama.cpp is looked for on its old and its new default port."""

from __future__ import annotations

import json
import socket

import pytest

from agentkit.testing import (
    LOCAL_SERVERS,
    RecordedRequest,
    ScriptedResponse,
    ScriptedServer,
    open_endpoint,
    text_response,
)
from agentkit.testing import _endpoint as endpoint_module


def test_llamacpp_is_probed_on_8080_and_9931() -> None:
    urls = [url for name, url in LOCAL_SERVERS if name == "llama.cpp"]
    assert urls == ["http://127.0.0.1:8080/v1", "http://127.0.0.1:9931/v1"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _models(request: RecordedRequest) -> ScriptedResponse:
    assert request.path == "/v1/models"
    return ScriptedResponse(body=json.dumps({"data": [{"id": "qwen-0.5b"}]}).encode())


def test_the_probe_moves_on_to_the_next_port(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AGENTKIT_BASE_URL", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    with ScriptedServer(responder=_models) as server:
        servers = (
            ("llama.cpp", f"http://127.0.0.1:{_free_port()}/v1"),  # nothing listens there
            ("llama.cpp", server.base_url),
        )
        monkeypatch.setattr(endpoint_module, "LOCAL_SERVERS", servers)
        with open_endpoint([text_response("offline")], find_local=True) as endpoint:
            assert not endpoint.offline
            assert endpoint.description == (
                f"model 'qwen-0.5b' on the local llama.cpp server at {server.base_url}"
            )

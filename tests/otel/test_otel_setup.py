"""Turning tracing on and off: per agent, for all agents, with the global
OpenTelemetry providers; typed errors for what cannot work; and no
OpenTelemetry import (nor cost) when tracing is off."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
from _common import ASYNC_TESTS, make_model
from _telemetry import Telemetry

import agentkit
from agentkit import Agent, UsageError
from agentkit._tracing import resolve_tracer
from agentkit.otel import InstrumentationSettings
from agentkit.otel._attributes import model_attributes, provider_for_host
from agentkit.testing import ScriptedServer, text_response

pytestmark = ASYNC_TESTS


@pytest.fixture
def global_off() -> Iterator[None]:
    """Leave the global default as it was found: off."""
    agentkit.instrument(False)
    yield
    agentkit.instrument(False)


async def run_once(agent_options: dict[str, Any], runs: int = 1) -> None:
    async with ScriptedServer([text_response("hi")] * runs) as server:
        model = make_model(server, model="gpt-test")
        agent: Agent[None] = Agent(model, **agent_options)
        for _ in range(runs):
            await agent.run("Hi")
        await model.aclose()


@pytest.mark.usefixtures("global_off")
async def test_instrument_traces_every_agent_without_a_setting_of_its_own() -> None:
    everyone, own = Telemetry(), Telemetry()
    agentkit.instrument(everyone.settings())
    await run_once({})
    await run_once({"instrument": own.settings()})
    await run_once({"instrument": False})
    assert [span.name for span in everyone.spans] == ["invoke_agent", "chat gpt-test"]
    assert [span.name for span in own.spans] == ["invoke_agent", "chat gpt-test"]

    agentkit.instrument(False)
    await run_once({})
    assert len(everyone.spans) == 2


@pytest.mark.usefixtures("global_off")
async def test_instrument_takes_a_provider_and_options() -> None:
    telemetry = Telemetry()
    agentkit.instrument(telemetry.tracer_provider, capture_content=True)
    await run_once({})
    assert "gen_ai.input.messages" in (telemetry.one("chat").attributes or {})


@pytest.mark.usefixtures("global_off")
def test_bad_settings_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="expected True, False, None"):
        agentkit.instrument("yes")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="turns tracing off and takes no options"):
        agentkit.instrument(False, capture_content=True)
    with pytest.raises(UsageError, match="the options are tracer_provider"):
        agentkit.instrument(True, capture_contents=True)
    with pytest.raises(UsageError, match="not beside it"):
        agentkit.instrument(InstrumentationSettings(), capture_content=True)
    with pytest.raises(UsageError, match="takes an OpenTelemetry TracerProvider"):
        InstrumentationSettings(tracer_provider="localhost:4317")  # type: ignore[arg-type]
    agent: Agent[None] = Agent(make_model_stub(), instrument=42)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="instrument=42"):
        agent.run_sync("Hi")


def make_model_stub() -> agentkit.OpenAIChatModel:
    return agentkit.OpenAIChatModel("m", base_url="http://127.0.0.1:9/v1", api_key="k")


@pytest.mark.usefixtures("global_off")
def test_true_and_a_provider_reuse_one_tracer_across_runs() -> None:
    telemetry = Telemetry()
    assert resolve_tracer(True) is resolve_tracer(True)
    assert resolve_tracer(telemetry.tracer_provider) is resolve_tracer(telemetry.tracer_provider)
    assert resolve_tracer(None) is None
    assert resolve_tracer(False) is None


def test_the_provider_name_follows_the_endpoint() -> None:
    assert provider_for_host("api.openai.com") == "openai"
    assert provider_for_host("api.groq.com") == "groq"
    assert provider_for_host("api.deepseek.com") == "deepseek"
    assert provider_for_host("api.mistral.ai") == "mistral_ai"
    assert provider_for_host("my-team.openai.azure.com") == "azure.ai.openai"
    assert provider_for_host("localhost") == "openai"  # vLLM, Ollama...: the API's flavour
    model = agentkit.OpenAIChatModel("llama3", base_url="https://llm.internal/v1", api_key="k")
    assert model_attributes(model, None) == {
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "llama3",
        "server.address": "llm.internal",
        "server.port": 443,
    }
    assert model_attributes(model, "vllm")["gen_ai.provider.name"] == "vllm"


# ------------------------------------------------------- fresh interpreters


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
    )


def test_import_agentkit_does_not_import_opentelemetry() -> None:
    completed = run_python(
        """
        import sys
        import agentkit
        from agentkit.testing import ScriptedServer, text_response

        with ScriptedServer([text_response("hi")]) as server:
            model = agentkit.OpenAIChatModel("m", base_url=server.base_url, api_key="k")
            agent = agentkit.Agent(model)
            assert agent.run_sync("Hi").text == "hi"
        prefixes = ("opentelemetry", "agentkit.otel")
        print(sorted(name for name in sys.modules if name.startswith(prefixes)))
        """
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "[]"


def test_without_opentelemetry_turning_tracing_on_says_what_to_install() -> None:
    completed = run_python(
        """
        import sys
        sys.modules["opentelemetry"] = None  # as if it were not installed
        import agentkit

        agent = agentkit.Agent(agentkit.OpenAIChatModel("m", api_key="k"), instrument=True)
        for attempt in (lambda: agentkit.instrument(), lambda: agent.run_sync("Hi")):
            try:
                attempt()
            except agentkit.UsageError as error:
                print(error)
        """
    )
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    assert len(lines) == 2
    assert all('pip install "agentkit[otel]"' in line for line in lines)


def test_instrument_true_uses_the_global_providers_set_later() -> None:
    completed = run_python(
        """
        import agentkit
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        from agentkit.testing import ScriptedServer, text_response

        agentkit.instrument()  # before the application configured OpenTelemetry
        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        with ScriptedServer([text_response("hi"), text_response("hi")]) as server:
            model = agentkit.OpenAIChatModel("m", base_url=server.base_url, api_key="k")
            agentkit.Agent(model).run_sync("Hi")
            agentkit.Agent(model, instrument=True).run_sync("Hi")
        print(sorted(span.name for span in exporter.get_finished_spans()))
        """
    )
    assert completed.returncode == 0, completed.stderr
    expected = ["chat m", "chat m", "invoke_agent", "invoke_agent"]
    assert completed.stdout.strip() == str(expected)

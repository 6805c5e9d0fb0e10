"""The example chat page (examples/chat_app) in a real headless Chromium.

Debian's chromium is driven by Playwright (no browser download). Screenshots
go to test-artifacts/.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import anyio
import pytest
from _common import wait_until
from _support import require_program, serve_asgi

from agentkit import OpenAIChatModel, tool
from agentkit.testing import (
    OfflineAssistant,
    Pause,
    ScriptedResponse,
    ScriptedServer,
    tool_call_chunks,
)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "chat_app_server", ROOT / "examples" / "chat_app" / "server.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium = require_program("chromium", "apt-get install chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1000, "height": 760})
    page = context.new_page()
    yield page
    context.close()


def test_the_page_streams_text_and_shows_the_tool_call_and_its_result(page: Any) -> None:
    example = _load_example()
    with ScriptedServer(responder=OfflineAssistant(chunk_delay=0.01)) as model_server:
        model = OpenAIChatModel("offline", base_url=model_server.base_url, api_key="k")
        with serve_asgi(example.build_app(model)) as url:
            page.goto(url)
            page.fill("#input", "What is 17 * 23 + 4?")
            page.click("#send")
            tool_card = page.locator("[data-testid=tool-calculate]")
            tool_card.wait_for(timeout=10_000)
            page.locator("[data-testid=tool-result]").wait_for(timeout=10_000)
            page.wait_for_function(
                "document.querySelector('.status:last-of-type').textContent.startsWith('done')",
                timeout=10_000,
            )
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "browser-chat.png"), full_page=True)
            assert "17 * 23 + 4" in tool_card.locator(".args").inner_text()
            assert "395" in tool_card.locator("[data-testid=tool-result]").inner_text()
            answer = page.locator("[data-testid=assistant]").inner_text()
            assert "calculate: 395" in answer
            assert page.locator(".status").last.inner_text() == "done (stop)"
            # A second question continues the same conversation.
            page.fill("#input", "what time is it?")
            page.click("#send")
            page.locator("[data-testid=tool-current_time]").wait_for(timeout=10_000)
            page.wait_for_function(
                "document.querySelectorAll('.status').length === 2 && "
                "document.querySelectorAll('.status')[1].textContent.startsWith('done')",
                timeout=10_000,
            )
        roles = [m["role"] for m in model_server.requests[-1].json()["messages"]]
    assert roles[:5] == ["system", "user", "assistant", "tool", "assistant"]
    assert roles[-1] == "tool"


def test_stop_cancels_the_run_on_the_server(page: Any) -> None:
    example = _load_example()
    started, cancelled = threading.Event(), threading.Event()

    @tool
    async def research(topic: str) -> str:
        """Research a topic slowly.

        Args:
            topic: What to research.
        """
        started.set()
        try:
            await anyio.sleep(30)
        except anyio.get_cancelled_exc_class():
            cancelled.set()
            raise
        return "done"

    # The call is sealed when a second one begins; the model then stalls with
    # its connection open, so Stop finds both a running tool and a live stream.
    chunks = tool_call_chunks(
        [("research", {"topic": "ducks"}), ("research", {"topic": "geese"})],
        finish_reason=None,
        usage=None,
    )
    stalled = ScriptedResponse([*chunks[:-2], Pause(None)], done=False, chunk_delay=0.01)
    with ScriptedServer([stalled]) as model_server:
        model = OpenAIChatModel("scripted", base_url=model_server.base_url, api_key="k")
        with serve_asgi(example.build_app(model, tools=[research])) as url:
            page.goto(url)
            page.fill("#input", "research ducks")
            page.click("#send")
            page.locator("[data-testid=tool-research]").first.wait_for(timeout=10_000)
            assert started.wait(10), "the tool never started"
            assert model_server.open_connections == 1
            page.click("#stop")
            page.wait_for_function(
                "document.querySelector('.status').textContent === 'stopped'", timeout=10_000
            )
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "browser-chat-stopped.png"), full_page=True)
            assert cancelled.wait(10), "Stop did not cancel the running tool"
            assert wait_until(lambda: model_server.open_connections == 0, timeout=5), (
                "the model connection was left open after Stop"
            )


def _ask_to_delete_a_note(page: Any, url: str) -> Any:
    """Asks the offline model to delete a note; returns the approval card."""
    page.goto(url)
    page.fill("#input", "Please delete the note 'shopping'.")
    page.click("#send")
    card = page.locator("[data-testid=tool-delete_note] [data-testid=approval]")
    card.wait_for(timeout=10_000)
    page.wait_for_function(
        "document.querySelector('.status').textContent === 'waiting for your approval'",
        timeout=10_000,
    )
    return card


def _wait_for_the_answer(page: Any) -> None:
    page.wait_for_function(
        "document.querySelectorAll('.status').length === 2 && "
        "document.querySelectorAll('.status')[1].textContent === 'done (stop)'",
        timeout=10_000,
    )


def test_approve_runs_the_tool_and_the_reply_goes_on(page: Any) -> None:
    example = _load_example()
    with ScriptedServer(responder=OfflineAssistant(chunk_delay=0.005)) as model_server:
        model = OpenAIChatModel("offline", base_url=model_server.base_url, api_key="k")
        with serve_asgi(example.build_app(model)) as url:
            card = _ask_to_delete_a_note(page, url)
            assert "shopping" in example.NOTES, "the tool ran before it was approved"
            assert len(model_server.requests) == 1
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "browser-chat-approval.png"), full_page=True)
            card.locator("[data-testid=approve]").click()
            _wait_for_the_answer(page)
            page.screenshot(path=str(ARTIFACTS / "browser-chat-approved.png"), full_page=True)
            tool_card = page.locator("[data-testid=tool-delete_note]")
            assert "deleted the note 'shopping'" in tool_card.inner_text()
            assert page.locator("[data-testid=assistant]").count() == 1  # the same reply went on
            answer = page.locator("[data-testid=assistant]").inner_text()
            assert "delete_note: deleted the note 'shopping'" in answer
    assert "shopping" not in example.NOTES
    assert len(model_server.requests) == 2
    sent = model_server.requests[-1].json()["messages"]
    assert sent[-1] == {
        "role": "tool",
        "tool_call_id": sent[-2]["tool_calls"][0]["id"],
        "content": "deleted the note 'shopping'",
    }


def test_deny_never_runs_the_tool(page: Any) -> None:
    example = _load_example()
    with ScriptedServer(responder=OfflineAssistant(chunk_delay=0.005)) as model_server:
        model = OpenAIChatModel("offline", base_url=model_server.base_url, api_key="k")
        with serve_asgi(example.build_app(model)) as url:
            card = _ask_to_delete_a_note(page, url)
            card.locator("[data-testid=deny]").click()
            _wait_for_the_answer(page)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "browser-chat-denied.png"), full_page=True)
            result = page.locator("[data-testid=tool-delete_note] [data-testid=tool-result]")
            assert "denied" in result.inner_text()
            answer = page.locator("[data-testid=assistant]").inner_text()
            assert "delete_note: Not run: the user denied this tool call." in answer
    assert example.NOTES["shopping"] == "rice, eggs, limes"
    sent = model_server.requests[-1].json()["messages"]
    assert sent[-1]["role"] == "tool"
    assert sent[-1]["content"] == "Not run: the user denied this tool call."

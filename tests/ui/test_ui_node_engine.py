"""The Node.js that runs the AI SDK's parser (tests/js) is one the `ai`
package supports: its package-lock entry declares ``engines.node``. CI
installs Node 22 from the npm registry's `node` package (.ci/node) when the
system's is older."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from _support import require_program

JS_DIR = Path(__file__).resolve().parents[1] / "js"


def _minimum_major(engines: str) -> int:
    match = re.fullmatch(r">=\s*(\d+)(?:\.\d+){0,2}", engines.strip())
    assert match, f"an engines range this test does not read: {engines!r}"
    return int(match.group(1))


def test_node_satisfies_what_the_ai_package_declares() -> None:
    node = require_program("node", "install Node.js to check the Vercel AI SDK protocol")
    lock = json.loads((JS_DIR / "package-lock.json").read_text(encoding="utf-8"))
    minimum = _minimum_major(lock["packages"]["node_modules/ai"]["engines"]["node"])
    version = subprocess.run(
        [node, "-p", "process.versions.node"], capture_output=True, text=True, check=True
    ).stdout.strip()
    if int(version.split(".")[0]) >= minimum:
        return
    message = (
        f"Node {version} is older than the {minimum} the `ai` package declares; "
        "install it with `npm ci --prefix .ci/node` and put .ci/node/node_modules/.bin "
        "first on PATH (as .ci/run does)"
    )
    if os.environ.get("AGENTKIT_REQUIRE_ALL") == "1":
        pytest.fail(message)
    pytest.skip(message)


def test_the_ci_node_package_is_pinned_to_a_version_that_satisfies_it() -> None:
    lock = json.loads((JS_DIR / "package-lock.json").read_text(encoding="utf-8"))
    minimum = _minimum_major(lock["packages"]["node_modules/ai"]["engines"]["node"])
    ci = json.loads((JS_DIR.parents[1] / ".ci" / "node" / "package-lock.json").read_text())
    pinned = ci["packages"]["node_modules/node"]["version"]
    assert int(pinned.split(".")[0]) >= minimum
    assert ci["packages"][""]["dependencies"]["node"] == pinned  # exact, not a range

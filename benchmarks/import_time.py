"""`import agentkit` against `import httpx`, measured in the same run.

Each round starts two fresh interpreters with ``python -X importtime``, one
importing agentkit and one importing httpx, alternately, and reads the
cumulative import time of the top-level package from the report (the
interpreter's own start-up is not counted). The figure is the ratio of the
medians (target: at most 1.3). agentkit itself imports httpx, anyio and its
own modules; pydantic, jsonschema, structlog and the optional integrations
load only when used.

Run: ``python benchmarks/import_time.py [--rounds N]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys


def import_microseconds(module: str) -> int:
    """Cumulative microseconds importing ``module`` in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        check=True,
    )
    for line in reversed(done.stderr.splitlines()):
        parts = [part.strip() for part in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[2] == module:
            return int(parts[1])
    raise RuntimeError(f"no import time for {module!r} in:\n{done.stderr[-500:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=21)
    args = parser.parse_args()
    ours: list[int] = []
    theirs: list[int] = []
    import_microseconds("agentkit")  # warm the file system cache
    for _ in range(args.rounds):
        ours.append(import_microseconds("agentkit"))
        theirs.append(import_microseconds("httpx"))
    agentkit_ms, httpx_ms = statistics.median(ours) / 1000, statistics.median(theirs) / 1000
    print(f"rounds={args.rounds} (cumulative import time, median [min-max])")
    print(f"import agentkit {agentkit_ms:7.1f} ms  [{min(ours) / 1000:.1f}-{max(ours) / 1000:.1f}]")
    print(
        f"import httpx    {httpx_ms:7.1f} ms  [{min(theirs) / 1000:.1f}-{max(theirs) / 1000:.1f}]"
    )
    print(f"ratio {agentkit_ms / httpx_ms:.2f}x")


if __name__ == "__main__":
    main()

"""Import cost of agentkit against `import httpx`, measured in the same run.

Each round starts fresh interpreters, in turn, that time one statement with
``time.perf_counter`` (the interpreter's own start-up is not counted):

- ``import agentkit``: the package (its public names load on first use);
- ``from agentkit import Agent, OpenAIChatModel, tool``: what a script does
  (httpx, anyio and the loop; not pydantic, jsonschema, structlog or the
  optional integrations, which load when used);
- ``import httpx``: the baseline of both ratios (agentkit imports httpx).

The figures are medians with their spread (target for ``import agentkit``:
at most 1.3x ``import httpx``).

Run: ``python benchmarks/import_time.py [--rounds N]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

STATEMENTS = {
    "import agentkit": "import agentkit",
    "from agentkit import Agent, OpenAIChatModel, tool": (
        "from agentkit import Agent, OpenAIChatModel, tool"
    ),
    "import httpx": "import httpx",
}


def import_seconds(statement: str) -> float:
    """Seconds ``statement`` takes in a fresh interpreter."""
    code = (
        f"import time; start = time.perf_counter(); {statement}; print(time.perf_counter() - start)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=21)
    args = parser.parse_args()
    times: dict[str, list[float]] = {label: [] for label in STATEMENTS}
    for statement in STATEMENTS.values():
        import_seconds(statement)  # warm the file system cache
    for _ in range(args.rounds):
        for label, statement in STATEMENTS.items():
            times[label].append(import_seconds(statement))
    baseline = statistics.median(times["import httpx"])
    print(f"rounds={args.rounds} (milliseconds, median [min-max], ratio to import httpx)")
    for label, values in times.items():
        median = statistics.median(values)
        print(
            f"{label:<52} {median * 1000:7.1f} ms  [{min(values) * 1000:.1f}-"
            f"{max(values) * 1000:.1f}]  {median / baseline:.2f}x"
        )


if __name__ == "__main__":
    main()

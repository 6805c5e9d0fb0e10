"""Asking the person at the terminal before a tool that needs approval runs:
``Run delete_file(path='a.txt')? [y/N]``."""

from __future__ import annotations

import json
import sys
from typing import TextIO

import anyio

from agentkit import Approval, ApprovalRequest

__all__ = ["TerminalApprover", "describe_call"]


def describe_call(request: ApprovalRequest) -> str:
    """``name(key=value, ...)`` with the call's arguments as Python literals."""
    try:
        arguments = json.loads(request.arguments or "{}")
    except ValueError:
        return f"{request.name}({request.arguments})"
    if not isinstance(arguments, dict):
        return f"{request.name}({request.arguments})"
    listed = ", ".join(f"{key}={value!r}" for key, value in arguments.items())
    return f"{request.name}({listed})"


class TerminalApprover:
    """An async approver that asks on the terminal and reads the answer
    without a blocking thread, so Ctrl-C stops the wait like the rest of the
    run. Only "y" or "yes" approves."""

    def __init__(self, stdin: TextIO | None = None, stdout: TextIO | None = None) -> None:
        self._in = stdin or sys.stdin
        self._out = stdout or sys.stdout

    async def __call__(self, request: ApprovalRequest) -> Approval:
        self._out.write(f"\n? Run {describe_call(request)}? [y/N] ")
        self._out.flush()
        await anyio.wait_readable(self._in)
        answer = self._in.readline().strip().lower()
        if answer in ("y", "yes"):
            return Approval(True)
        return Approval(False, reason="the user said no at the terminal")

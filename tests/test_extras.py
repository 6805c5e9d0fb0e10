"""The optional extras declare what their docs promise: ``agentkit[trio]``
is anyio's own trio extra (so the trio that anyio needs comes with it), and
``agentkit[ui]`` has what the docs' Starlette example imports."""

from __future__ import annotations

import importlib.metadata

from packaging.requirements import Requirement


def _extras() -> dict[str, list[Requirement]]:
    """agentkit's extras, as installed (from pyproject.toml)."""
    extras: dict[str, list[Requirement]] = {}
    for line in importlib.metadata.requires("agentkit") or []:
        requirement = Requirement(line)
        marker = str(requirement.marker or "")
        if marker.startswith("extra == "):
            extras.setdefault(marker.split('"')[1], []).append(requirement)
    return extras


def test_the_trio_extra_is_anyios_trio_extra() -> None:
    (requirement,) = _extras()["trio"]
    assert requirement.name == "anyio"
    assert requirement.extras == {"trio"}


def test_the_installed_trio_is_one_anyio_accepts() -> None:
    wanted = [
        Requirement(line)
        for line in importlib.metadata.requires("anyio") or []
        if line.startswith("trio")
    ]
    assert wanted, "anyio declares no trio extra"
    installed = importlib.metadata.version("trio")
    assert all(requirement.specifier.contains(installed) for requirement in wanted), (
        f"trio {installed} does not satisfy anyio's {wanted}"
    )


def test_the_ui_extra_has_the_server_and_starlette() -> None:
    names = {requirement.name for requirement in _extras()["ui"]}
    assert {"uvicorn", "starlette"} <= names

"""Helpers for manifest tests: write a small project into a temporary directory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
HEADER = "apiVersion: reconciler.dev/v1\n"

Write = Callable[[str, str], Path]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "reconcile.yaml").write_text(HEADER + "kind: Project\nmetadata: {name: t}\nspec: {}\n")
    return tmp_path


@pytest.fixture
def write(project: Path) -> Write:
    def _write(name: str, text: str) -> Path:
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    return _write


def doc(kind: str, name: str, spec: str) -> str:
    """One document; `spec` is YAML indented by two spaces."""
    body = "\n".join("  " + line for line in spec.strip("\n").splitlines())
    return f"{HEADER}kind: {kind}\nmetadata:\n  name: {name}\nspec:\n{body}\n"

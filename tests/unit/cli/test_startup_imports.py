"""What a command imports before it answers: start-up time is import time, so the light commands must not
load the SDK or the libraries only other commands need (issue 13, item 1).

Each case runs `reconcile` in a fresh interpreter, as a user does, and lists the heavy modules present when
the command has finished. Behaviour, not timing: `benchmarks/bench_startup.py` shows the seconds.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconciler.cli.commands import COMMAND_MODULES
from tests.probe import REPO, probe

# Never needed before a command talks to a platform, a store or a plan.
PLATFORM = {
    "openai",
    "httpx2",
    "deepdiff",
    "werkzeug",
    "waitress",
    "psycopg",
    "reconciler.service",
    "reconciler.targets",
    "reconciler.emulator.app",
    "reconciler.plan",
    "reconciler.store",
    "reconciler.render.text",
}
# Needed only to read manifests (jsonschema only for a schema beyond schema.quickmeta's common keywords).
MANIFESTS = {"pydantic", "jsonschema", "yaml"}


def _example(tmp: Path) -> Path:
    """The repository's example project (reconcile.yaml and manifests/), copied so nothing can touch it."""
    project = tmp / "example"
    project.mkdir()
    shutil.copy(REPO / "reconcile.yaml", project / "reconcile.yaml")
    shutil.copytree(REPO / "manifests", project / "manifests")
    return project


def _loaded(cwd: Path, *argv: str) -> tuple[set[str], str]:
    done = probe(cwd, PLATFORM | MANIFESTS, *argv, timeout=120)
    assert done.code == 0, done.printed[-2000:]
    return done.loaded, done.printed


HELP = [["--help"], *([name, "--help"] for name in sorted(COMMAND_MODULES)), ["emulator", "serve", "--help"]]


def test_version_loads_neither_the_sdk_nor_the_manifest_libraries(tmp_path: Path) -> None:
    loaded, out = _loaded(tmp_path, "--version")
    assert out == "reconcile, version 0.1.0"
    assert loaded == set(), f"reconcile --version imported {sorted(loaded)}"


@pytest.mark.parametrize("argv", HELP, ids=" ".join)
def test_help_loads_neither_the_sdk_nor_the_manifest_libraries(tmp_path: Path, argv: list[str]) -> None:
    loaded, out = _loaded(tmp_path, *argv)
    assert out.startswith("Usage: reconcile")
    assert loaded == set(), f"reconcile {' '.join(argv)} imported {sorted(loaded)}"


def test_help_lists_every_command(tmp_path: Path) -> None:
    _, out = _loaded(tmp_path, "--help")
    listed = {line.split()[0] for line in out.split("Commands:")[1].splitlines() if line.strip()}
    assert listed == {
        "apply",
        "ci",
        "conversations",
        "costs",
        "drift",
        "emulator",
        "gc",
        "import",
        "plan",
        "promote",
        "resolve",
        "rollback",
        "rollout",
        "schema",
        "start",
        "state",
        "stop",
        "validate",
        "versions",
    }


def test_validate_of_the_example_loads_the_manifest_libraries_only(tmp_path: Path) -> None:
    loaded, out = _loaded(_example(tmp_path), "validate")
    assert out == "valid: 6 documents in 6 files, 0 errors, 0 warnings"
    assert not loaded & PLATFORM, f"reconcile validate imported {sorted(loaded & PLATFORM)}"
    # The example's two parameter schemas use common keywords only: checked without jsonschema.
    assert loaded & MANIFESTS == {"pydantic", "yaml"}


def test_validate_loads_jsonschema_for_a_schema_beyond_the_common_keywords(tmp_path: Path) -> None:
    project = _example(tmp_path)
    tool = project / "manifests" / "list-expenses.yaml"
    text = tool.read_text()
    text = text.replace(
        "      from:\n        type: string\n        format: date\n",
        '      from:\n        $ref: "#/$defs/day"\n',
    )
    text += "    $defs:\n      day:\n        type: string\n        format: date\n"
    tool.write_text(text)
    loaded, out = _loaded(project, "validate")
    assert out == "valid: 6 documents in 6 files, 0 errors, 0 warnings"
    assert "jsonschema" in loaded  # `$ref` is left to jsonschema

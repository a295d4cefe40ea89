"""The benchmarks' generated projects are projects `validate` accepts: a benchmark that times a refusal
measures nothing (bench_validate wrote manifests without a reconcile.yaml, and once a missing project
became an error it timed that error)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from reconciler.manifest import validate_project

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture
def bench_validate(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    monkeypatch.syspath_prepend(str(BENCHMARKS))  # the scripts import _fixtures as run from there
    import bench_validate as module

    monkeypatch.setattr(module, "ASSISTANTS", 3)
    yield module
    sys.modules.pop("bench_validate", None)
    sys.modules.pop("_fixtures", None)


@pytest.mark.parametrize("distinct", [False, True])
def test_bench_validate_generates_a_valid_project(
    bench_validate: ModuleType, tmp_path: Path, distinct: bool
) -> None:
    files = bench_validate.write_project(tmp_path, distinct=distinct)
    assert files
    report = validate_project(tmp_path, strict=True)
    assert report.ok, [str(p) for p in report.problems[:5]]
    assert len(report.desired.assistants) == 3


@pytest.fixture
def bench_migrate(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import bench_migrate as module

    yield module
    sys.modules.pop("bench_migrate", None)
    sys.modules.pop("_fixtures", None)


@pytest.mark.parametrize("version", [1, 2])
def test_bench_migrate_generates_a_valid_project(
    bench_migrate: ModuleType, tmp_path: Path, version: int
) -> None:
    bench_migrate.write_project(tmp_path, "http://127.0.0.1:9/v1", 4_000, version=version)
    report = validate_project(tmp_path, strict=True)
    assert report.ok, [str(p) for p in report.problems[:5]]
    assert len(report.desired.assistants) == 3


def test_bench_migrate_conversations_hold_ten_items_in_call_pairs(bench_migrate: ModuleType) -> None:
    items = bench_migrate.conversation_items(7)
    assert len(items) == 10
    calls = [i["call_id"] for i in items if i["type"] == "function_call"]
    outputs = [i["call_id"] for i in items if i["type"] == "function_call_output"]
    assert calls == outputs and len(set(calls)) == 4


def test_bench_migrate_window_max_counts_a_half_open_minute(bench_migrate: ModuleType) -> None:
    assert bench_migrate.window_max([0.0, 59.9, 60.0, 120.0]) == 2  # 60.0 is out of 0.0's minute
    assert bench_migrate.window_max([0.0, 30.0, 59.9, 60.0, 61.0]) == 4  # 30.0 to 61.0
    assert bench_migrate.window_max([]) == 0

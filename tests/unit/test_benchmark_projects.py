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

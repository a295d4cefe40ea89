"""`bench_abort` measures what it says: a Router in another process stops handing new conversations to the
canary once the abort commits - on SQLite from the first assignment begun after the commit - and the
benchmark's own checks hold on a short run (it is `make bench` that times it)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture
def bench_abort(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import bench_abort as module

    yield module
    sys.modules.pop("bench_abort", None)


def test_an_abort_reaches_another_process_within_one_store_check_on_sqlite(
    bench_abort: ModuleType, tmp_path: Path
) -> None:
    got = bench_abort.measure(f"sqlite:///{tmp_path / 'state.db'}", trials=3, after=20)
    assert len(got.propagation) == 3
    assert all(late <= 0 for late in got.late_canary)  # none begun after the commit got the canary
    assert (got.checked, got.wrong) == (60, 0)


@pytest.mark.parametrize(
    ("backend", "late", "wrong", "met"),
    [
        ("sqlite", [-0.001, -0.002, -0.001], 0, True),
        ("sqlite", [-0.001, 0.0005, -0.001], 0, False),  # a canary assignment begun after the commit
        ("postgresql", [-0.001, 0.0005, -0.001], 0, True),  # within the notice's delivery: reported only
        ("postgresql", [-0.001, -0.002, -0.001], 1, False),  # the canary after the abort was seen
    ],
)
def test_the_goals_it_judges(
    bench_abort: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    backend: str,
    late: list[float],
    wrong: int,
    met: bool,
) -> None:
    got = bench_abort.Trials([0.001] * 3, [0.0] * 3, late, checked=30, wrong=wrong)
    monkeypatch.setattr(bench_abort, "measure", lambda dsn, trials, after: got)
    assert bench_abort.report(backend, "unused", 3, 10) is met
    assert ("MISSED" in capsys.readouterr().out) is not met

"""A `reconcile plan` process keeps the cyclic collector out of its way: from loading the manifests to
rendering, and with higher thresholds from start-up on (`cli.main.main`)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli import main as cli_main
from reconciler.errors import UserError
from reconciler.service import workspace

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def _restore_gc() -> Iterator[None]:
    was, thresholds = gc.isenabled(), gc.get_threshold()
    yield
    gc.set_threshold(*thresholds)
    if was:
        gc.enable()
    else:
        gc.disable()


@pytest.mark.parametrize("command", ["plan", "drift"])
def test_the_manifests_load_with_collection_paused_and_it_is_back_after(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[bool] = []

    def loading(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        raise UserError("stop after loading")

    monkeypatch.setattr(workspace, "load_project", loading)
    gc.enable()
    assert cli_main.run([command, str(REPO)]) == 1
    assert seen == [False]
    assert gc.isenabled()
    assert "stop after loading" in capsys.readouterr().err


def test_the_entry_point_raises_the_collection_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[int, int, int]] = []
    monkeypatch.setattr(cli_main, "run", lambda: seen.append(gc.get_threshold()) or 0)
    gc.set_threshold(700, 10, 10)
    with pytest.raises(SystemExit):
        cli_main.main()
    assert seen == [cli_main.GC_THRESHOLDS]
    assert cli_main.GC_THRESHOLDS[0] > 700

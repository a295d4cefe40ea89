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


def test_the_sdk_is_imported_on_a_fresh_thread_before_the_command_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib
    import threading

    from reconciler.cli import plan as cli_plan

    seen: list[tuple[str, str]] = []
    real = importlib.import_module

    def recording(name: str, package: str | None = None) -> Any:
        seen.append((name, threading.current_thread().name))
        return real(name, package)

    def loading(*args: Any, **kwargs: Any) -> Any:
        seen.append(("load_project", threading.current_thread().name))
        raise UserError("stop after loading")

    monkeypatch.setattr(importlib, "import_module", recording)
    monkeypatch.setattr(workspace, "load_project", loading)
    assert cli_main.run(["plan", str(REPO)]) == 1
    main = threading.current_thread().name
    assert (cli_plan.SDK_MODULE, "load-sdk") in seen
    assert seen.index((cli_plan.SDK_MODULE, "load-sdk")) < seen.index(("load_project", main))


def test_an_sdk_that_fails_to_load_on_its_thread_prints_nothing_there(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from reconciler.cli import plan as cli_plan

    monkeypatch.setattr(cli_plan, "SDK_MODULE", "reconciler.no_such_module")
    cli_plan._load_sdk()
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_the_entry_point_leaves_what_the_run_loaded_out_of_the_exit_collection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    frozen: list[int] = []
    monkeypatch.setattr(cli_main, "run", lambda: 0)
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(1))
    with pytest.raises(SystemExit) as exited:
        cli_main.main()
    assert exited.value.code == 0
    assert frozen == [1]

"""Keys: a missing or wrong key is one clear line, and no output, saved plan, state row or log record
contains a key. Against the emulator as a real HTTP server on 127.0.0.1 (target `type: openai`)."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.cli.main import run
from reconciler.emulator import EmulatorConfig
from reconciler.emulator.server import EmulatorServer
from tests.integration.support import make_project

pytestmark = [pytest.mark.server, pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")]

API_KEY = "sk-proj-SECRETSCAN7f3a9c2e41b8d605aa17e0c9"
ADMIN_KEY = "sk-admin-SECRETSCAN0d4e8b1f72c93a56e2f4"
SECRETS = (API_KEY, ADMIN_KEY, "SECRETSCAN")


@pytest.fixture
def server() -> Iterator[EmulatorServer]:
    emulator = EmulatorServer(EmulatorConfig(admin_keys=(ADMIN_KEY,), project_id="proj_remote")).start()
    yield emulator
    emulator.close()


def _remote_project(tmp_path: Path, server: EmulatorServer, *, spend: bool = False) -> Path:
    targets = (
        "  targets:\n"
        "    remote:\n"
        "      type: openai\n"
        f"      baseURL: {server.base_url}\n"
        "      apiKeyEnv: OPENAI_API_KEY\n"
        "      adminKeyEnv: OPENAI_ADMIN_KEY\n"
        "      projectId: proj_remote\n"
    )
    root = make_project(
        tmp_path / "project", spend=spend, target_yaml=targets, retry={"adminRequestsPerMinute": 6000}
    )
    config = root / "reconcile.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("defaultTarget: local", "defaultTarget: remote"),
        encoding="utf-8",
    )
    return root


def _one_clear_line(err: str) -> str:
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    assert err.startswith("error: ")
    return err


def test_a_missing_api_key_is_one_line_naming_the_variable(
    tmp_path: Path,
    server: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = _remote_project(tmp_path, server)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    for argv in (["plan", str(root)], ["apply", str(root), "--auto-approve"], ["drift", str(root)]):
        assert run(argv) == 1, argv
        out, err = capsys.readouterr()
        assert "OPENAI_API_KEY" in _one_clear_line(err)
        assert out == ""
    assert server.app.storage.all("assistant") == []  # nothing reached the platform


def test_a_wrong_admin_key_is_one_line_with_the_401(
    tmp_path: Path,
    server: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The emulator takes any bearer key on normal routes, so the wrong key is a non-admin key on the
    Admin API (spend controls)."""
    root = _remote_project(tmp_path, server, spend=True)
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    monkeypatch.setenv("OPENAI_ADMIN_KEY", "sk-admin-SECRETSCAN-not-the-admin-key")
    assert run(["apply", str(root), "--auto-approve"]) == 1
    out, err = capsys.readouterr()
    line = _one_clear_line(err)
    assert "401" in line
    assert "SECRETSCAN" not in out + err
    assert server.app.storage.all("assistant") == []  # the plan failed before anything was written


def test_a_missing_admin_key_with_spend_controls_is_one_line(
    tmp_path: Path,
    server: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = _remote_project(tmp_path, server, spend=True)
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    monkeypatch.delenv("OPENAI_ADMIN_KEY", raising=False)
    assert run(["plan", str(root)]) == 1
    assert "OPENAI_ADMIN_KEY" in _one_clear_line(capsys.readouterr().err)


def test_no_output_plan_file_state_row_or_log_record_contains_a_key(
    tmp_path: Path,
    server: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # everything any library logs, the SDK's and httpx's debug lines too
    root = _remote_project(tmp_path, server, spend=True)
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    monkeypatch.setenv("OPENAI_ADMIN_KEY", ADMIN_KEY)
    monkeypatch.chdir(root)  # `apply PLANFILE` works in the current directory
    plan_file = root / "plan.json"

    assert run(["plan", ".", "-out", str(plan_file), "--format", "json", "--detailed-exitcode"]) == 2
    assert run(["apply", str(plan_file)]) == 0
    assert run(["plan", ".", "--format", "markdown", "--detailed-exitcode"]) == 0
    assert run(["drift", ".", "--format", "json"]) == 0
    assert run(["plan", ".", "--out", str(root / "empty.json"), "--format", "text"]) == 0
    out, err = capsys.readouterr()

    # The run really happened on the platform, with spend controls (so the admin key was used).
    assert len(server.app.storage.all("assistant")) == 1
    assert "SpendAlert/corporate-assist-monthly" in plan_file.read_text(encoding="utf-8")

    places: dict[str, str] = {"stdout": out, "stderr": err}
    for saved in (plan_file, root / "empty.json"):
        places[saved.name] = saved.read_text(encoding="utf-8")
    places["log records"] = "\n".join(
        f"{r.name} {r.getMessage()} {r.args!r} {getattr(r, '__dict__', {})!r}" for r in caplog.records
    )
    state_db = root / ".reconcile" / "state.db"
    with sqlite3.connect(state_db) as db:
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        assert len(tables) >= 3, tables
        rows = 0
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}"'):  # names from sqlite_master
                rows += 1
                places[f"state row {table}:{rows}"] = repr(row)
    assert rows > 10  # inventory, journal and more: the scan covered real rows
    for path in sorted((root / ".reconcile").iterdir()):
        places[f"file {path.name}"] = path.read_bytes().decode("latin-1")
    assert len(caplog.records) > 0

    leaks = [(place, secret) for place, text in places.items() for secret in SECRETS if secret in text]
    assert leaks == []

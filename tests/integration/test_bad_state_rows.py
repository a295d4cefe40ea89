"""Issue 12 item 14: a state store whose rows were damaged (invalid JSON, wrong types, out-of-range
numbers) is one line naming the table and the row, exit 1, never a traceback.

The store is a real one: the example project applied twice on the embedded platform (two assistant
versions, pointer history, a journal), then one column of one table overwritten through sqlite3.
"""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest

from reconciler.cli.main import run
from tests.integration.support import make_project

pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")


@dataclass(frozen=True)
class Case:
    sql: tuple[str, ...]
    argv: tuple[str, ...]
    table: str
    column: str


APPLY = ("apply", "--auto-approve")
VERSIONS = ("versions", "CorporateAssist")
ROLLBACK = ("rollback", "CorporateAssist")
RUNNING = (
    "UPDATE applies SET status = 'running', finished_at = NULL WHERE seq = (SELECT MAX(seq) FROM applies)"
)
LOCKED = "INSERT INTO locks VALUES ('local', 'lock1', 'me', 'here', 1000, 4102444800, 900, NULL, '')"
CASES = {
    "inventory-json": Case(
        ("UPDATE inventory SET attributes = '{bad'",), ("plan",), "inventory", "attributes"
    ),
    "inventory-json-array": Case(
        ("UPDATE inventory SET attributes = '[1]'",), ("plan",), "inventory", "attributes"
    ),
    "inventory-kind": Case(("UPDATE inventory SET kind = 'Bogus'",), ("plan",), "inventory", "Kind"),
    "inventory-blob": Case(
        ("UPDATE inventory SET platform_id = X'00ff'",), ("drift",), "inventory", "platform_id"
    ),
    "inventory-time": Case(
        ("UPDATE inventory SET updated_at = 'soon'",), ("plan",), "inventory", "updated_at"
    ),
    "inventory-flag": Case(("UPDATE inventory SET protect = 'yes'",), ("plan",), "inventory", "protect"),
    "versions-parent": Case(("UPDATE versions SET parent = 'x'",), VERSIONS, "versions", "parent"),
    "versions-time": Case(("UPDATE versions SET created_at = 1e999",), VERSIONS, "versions", "created_at"),
    "versions-verdict": Case(("UPDATE versions SET verdict = 'x'",), ("plan",), "versions", "verdict"),
    "pointers-version": Case(
        ("UPDATE pointers SET version = 'x'",), ("resolve", "CorporateAssist"), "pointers", "version"
    ),
    "pointers-huge": Case(("UPDATE pointers SET version = 1e999",), ("plan",), "pointers", "version"),
    "history-time": Case(
        ("UPDATE pointer_history SET moved_at = 'x'",), ROLLBACK, "pointer_history", "moved_at"
    ),
    "history-version": Case(
        ("UPDATE pointer_history SET to_version = 1e999",), ROLLBACK, "pointer_history", "to_version"
    ),
    "applies-time": Case((RUNNING, "UPDATE applies SET started_at = 'x'"), APPLY, "applies", "started_at"),
    "applies-seq": Case(("UPDATE applies SET seq = 99999999999999999999",), APPLY, "applies", "seq"),
    "steps-attempts": Case(
        (RUNNING, "UPDATE apply_steps SET attempts = 'x'"), APPLY, "apply_steps", "attempts"
    ),
    "steps-status": Case(
        (RUNNING, "UPDATE apply_steps SET status = 'weird'"), APPLY, "apply_steps", "StepStatus"
    ),
    "steps-detail": Case((RUNNING, "UPDATE apply_steps SET detail = '{'"), APPLY, "apply_steps", "detail"),
    "locks-expiry": Case((LOCKED, "UPDATE locks SET expires_at = 'x'"), APPLY, "locks", "expires_at"),
    "locks-ttl": Case(
        (LOCKED, "UPDATE locks SET ttl_seconds = X'01'"), ("state", "unlock", "other"), "locks", "ttl_seconds"
    ),
}


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example applied twice (a new assistant version the second time), then a plan that changes
    something, so that apply has work to do after the corruption."""
    root = make_project(tmp_path_factory.mktemp("state") / "project")
    assert run(["apply", str(root), "--auto-approve"]) == 0
    manifest = root / "manifests" / "corporate-assist.yaml"
    manifest.write_text(
        manifest.read_text().replace("You are CorporateAssist,", "You are CorporateAssist (2),")
    )
    assert run(["apply", str(root), "--auto-approve"]) == 0
    manifest.write_text(manifest.read_text().replace("(2),", "(3),"))
    return root


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_damaged_row_is_one_line_naming_its_table(
    name: str,
    applied: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case = CASES[name]
    root = tmp_path / "project"
    shutil.copytree(applied, root)
    with sqlite3.connect(root / ".reconcile" / "state.db") as db:
        for statement in case.sql:
            assert db.execute(statement).rowcount > 0, statement
    capsys.readouterr()
    monkeypatch.chdir(root)

    assert run(list(case.argv)) == 1
    _, err = capsys.readouterr()
    assert "Traceback" not in err
    assert err.count("\n") == 1, err
    assert err.startswith(f"error: the state store's {case.table} table holds an unreadable row (")
    assert case.column in err

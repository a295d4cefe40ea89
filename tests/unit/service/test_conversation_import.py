"""`service.import_conversations` and `reconcile conversations import` (issue 17 item 1): an application's
own table of conversations becomes pins; every bad row is named with its line and nothing is written then;
an existing pin is never overwritten."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.cli.main import run
from reconciler.errors import UserError
from reconciler.model.stored import VersionRecord
from reconciler.service import BadRows, import_conversations
from reconciler.service import conversation_import as module
from reconciler.store import StateStore, open_store

WS = "local"
BOT = "Bot"
NOW = 1_800_000_000.0


def _version(number: int, *, assistant: str = BOT, deleted: bool = False, pid: str = "") -> VersionRecord:
    return VersionRecord(
        assistant=assistant,
        number=number,
        platform_id=pid or f"bundle_{assistant}_{number}",
        fingerprint=f"{assistant}{number}".ljust(64, "0"),
        deleted=deleted,
    )


def _seed(store: StateStore) -> None:
    for record in (_version(1), _version(2), _version(3), _version(1, assistant="Helper")):
        store.add_version(WS, record)
    store.mark_version_deleted(WS, BOT, 3)


@pytest.fixture
def store() -> Iterator[StateStore]:
    with open_store("sqlite:///:memory:") as s:
        _seed(s)
        yield s


def test_a_csv_table_is_pinned_and_existing_pins_are_kept(store: StateStore, tmp_path: Path) -> None:
    store.assign_conversation(WS, BOT, "thread_kept", 1, now=5.0)
    table = tmp_path / "threads.csv"
    table.write_text(
        "id,assistant,version,platform_id,last_seen\n"
        "thread_a,Bot,1,,2026-05-01T12:00:00Z\n"
        "thread_b,Bot,,bundle_Bot_2,1700000000\n"
        "thread_c,Helper,1,,\n"
        "thread_kept,Bot,2,,\n",
        encoding="utf-8",
    )
    report = import_conversations(store, WS, table, now=NOW)
    assert (report.rows, report.new, report.already) == (4, 3, 1)
    assert [(c.conversation, c.held, c.imported) for c in report.conflicts] == [("thread_kept", 1, 2)]
    a, b, c = (
        store.assignment(WS, n, i) for n, i in ((BOT, "thread_a"), (BOT, "thread_b"), ("Helper", "thread_c"))
    )
    assert a is not None and (a.version, a.last_seen, a.assigned_at) == (1, 1_777_636_800.0, NOW)
    assert b is not None and (b.version, b.last_seen) == (2, 1_700_000_000.0)
    assert c is not None and c.last_seen == NOW  # no last_seen: now
    kept = store.assignment(WS, BOT, "thread_kept")
    assert kept is not None and kept.version == 1


def test_every_bad_row_is_named_with_its_line_and_nothing_is_written(
    store: StateStore, tmp_path: Path
) -> None:
    rows = [
        {"id": "conv_ok", "assistant": BOT, "version": 1},
        {"id": "conv_1", "assistant": "Bott", "version": 1},
        {"id": "conv_2", "assistant": BOT, "version": 9},
        {"id": "conv_3", "assistant": BOT, "version": 3},
        {"id": "conv_4", "assistant": BOT, "platform_id": "bundle_Helper_1"},
        {"id": "conv_5", "assistant": BOT, "version": 1, "platform_id": "bundle_Bot_1"},
        {"id": "conv_6", "assistant": BOT, "version": 1, "last_seen": "yesterday"},
        {"id": "conv_ok", "assistant": BOT, "version": 2},
        {"id": "conv_7", "assistant": BOT, "version": 1, "lastSeen": 5},
    ]
    table = tmp_path / "conversations.jsonl"
    table.write_text("\n".join(json.dumps(r) for r in rows) + "\n[1, 2]\n{not json\n", encoding="utf-8")
    with pytest.raises(BadRows) as caught:
        import_conversations(store, WS, table, now=NOW)
    f = str(table)
    assert caught.value.details() == [
        f"{f}:2: assistant: unknown assistant 'Bott'; did you mean 'Bot'?",
        f"{f}:3: version: Bot has no version 9 (versions: 1, 2)",
        f"{f}:4: version: Bot version 3 was deleted (gc or destroy); it serves nothing",
        f"{f}:5: platform_id: 'bundle_Helper_1' is no version of Bot (it is a version of Helper)",
        f"{f}:6: give exactly one of version (a number) and platform_id",
        f"{f}:7: last_seen: 'yesterday' is neither ISO 8601 (2026-05-01T12:00:00Z) nor epoch seconds",
        f"{f}:8: conversation 'conv_ok' of Bot again (line 1)",
        f"{f}:9: unknown key 'lastSeen'; did you mean 'last_seen'? "
        "(keys: id, assistant, version, platform_id, last_seen)",
        f'{f}:10: not a JSON object: each line holds one conversation, {{"id": ..., "assistant": ...}}',
        f"{f}:11: not JSON: Expecting property name enclosed in double quotes (column 2)",
    ]
    assert caught.value.one_line() == f"10 bad rows in {f}; nothing was imported"
    assert store.conversation_counts(WS, BOT) == {}


def test_a_dry_run_counts_and_writes_nothing(store: StateStore, tmp_path: Path) -> None:
    table = tmp_path / "t.jsonl"
    table.write_text('{"id": "c1", "assistant": "Bot", "version": "2"}\n', encoding="utf-8")
    report = import_conversations(store, WS, table, dry_run=True, now=NOW)
    assert (report.new, report.already, report.dry_run) == (1, 0, True)
    assert store.conversation_counts(WS, BOT) == {}


def test_files_too_large_too_long_or_of_no_known_format_are_refused(
    store: StateStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = tmp_path / "t.txt"
    table.write_text("id,assistant,version\nc1,Bot,1\nc2,Bot,1\nc3,Bot,1\n", encoding="utf-8")
    with pytest.raises(UserError, match="give --format csv or --format jsonl"):
        import_conversations(store, WS, table)
    monkeypatch.setattr(module, "MAX_ROWS", 2)
    with pytest.raises(BadRows) as caught:
        import_conversations(store, WS, table, fmt="csv")
    assert caught.value.details() == [f"{table}:4: more than 2 rows; split the file and import each part"]
    monkeypatch.setattr(module, "MAX_BYTES", 10)
    with pytest.raises(UserError, match=r"is 48 bytes, over the 0 MB an import takes; split it"):
        import_conversations(store, WS, table, fmt="csv")
    with pytest.raises(UserError, match="cannot read it"):
        import_conversations(store, WS, tmp_path / "missing.csv")


def test_the_cli_imports_and_reports_pins_that_disagree(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "reconcile.yaml").write_text(
        "apiVersion: reconciler.dev/v1\nkind: Project\nmetadata: {name: t}\nspec: {}\n", encoding="utf-8"
    )
    (tmp_path / ".reconcile").mkdir()
    with open_store(f"sqlite:///{tmp_path / '.reconcile' / 'state.db'}") as store:
        _seed(store)
        store.assign_conversation(WS, BOT, "held", 1, now=5.0)
    table = tmp_path / "pins.csv"
    table.write_text("id,assistant,version\nnew,Bot,2\nheld,Bot,2\n", encoding="utf-8")
    assert run(["conversations", "import", str(table), "-C", str(tmp_path), "--dry-run"]) == 0
    out, err = capsys.readouterr()
    assert out == f"{table}: 2 rows; 1 would be pinned in local, 1 already pinned (kept as they are).\n"
    assert err == (
        "1 conversation already pinned to another version than the file says (the pin in force is kept):\n"
        "  Bot held: pinned to version 1, the file says 2\n"
    )
    assert run(["conversations", "import", str(table), "-C", str(tmp_path)]) == 0
    assert "1 pinned in local" in capsys.readouterr().out
    table.write_text("id,assistant,version\nx,Nobody,1\ny,Bot,7\n", encoding="utf-8")
    assert run(["conversations", "import", str(table), "-C", str(tmp_path)]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"{table}:2: assistant: unknown assistant 'Nobody' (known: Bot, Helper)",
        f"{table}:3: version: Bot has no version 7 (versions: 1, 2)",
        f"error: 2 bad rows in {table}; nothing was imported",
    ]


def test_a_csv_saved_with_a_byte_order_mark_reads_its_first_column(store: StateStore, tmp_path: Path) -> None:
    table = tmp_path / "excel.csv"  # as spreadsheet programs save "CSV UTF-8"
    table.write_text("id,assistant,version\nthread_x,Bot,1\n", encoding="utf-8-sig")
    report = import_conversations(store, WS, table, now=NOW)
    assert (report.rows, report.new) == (1, 1)

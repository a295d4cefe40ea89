"""The state file and its loss (issue 12, item 7): an existing state file that is empty (0 bytes) or
unreadable is an error saying what to do, never a fresh start that would upload every file again beside
the old copies; a missing one is a fresh start, and a state lost for good finds our own labelled objects
again, uploads and attachments included, instead of duplicating them (checked through the SDK)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.emulator import EmulatorApp
from reconciler.errors import StateError
from reconciler.plan.definition import Action, Plan
from tests.integration.support import (
    apply_project,
    assert_uploads_hold_their_content,
    plain_names,
    plan_project,
    platform_state,
    transport,
)

pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")


def _lose_the_state(project: Path) -> None:
    for leftover in (project / ".reconcile").glob("state.db*"):
        leftover.unlink()


def _assert_adopts_every_upload_and_attachment(plan: Plan) -> None:
    uploads = [c for c in plan.changes if c.kind == "File"]
    assert uploads and all(c.adopt and c.action is Action.NOOP for c in uploads), uploads
    attachments = [c for c in plan.changes if c.kind == "VectorStoreFile"]
    assert attachments and all(c.adopt and c.action is Action.NOOP for c in attachments), attachments


def test_a_zero_byte_state_file_is_an_error_not_a_fresh_start(project: Path, app: EmulatorApp) -> None:
    apply_project(project, transport(app))
    files = sorted(f.id for f in platform_state(app).files)
    state = project / ".reconcile" / "state.db"
    state.write_bytes(b"")  # `truncate -s 0 .reconcile/state.db`
    with pytest.raises(StateError, match="empty") as caught:
        apply_project(project, transport(app))
    assert "\n" not in caught.value.one_line()
    assert sorted(f.id for f in platform_state(app).files) == files  # nothing uploaded again
    assert state.stat().st_size == 0  # and the file is left as it was found


def test_an_unreadable_state_file_is_an_error(project: Path, app: EmulatorApp) -> None:
    apply_project(project, transport(app))
    state = project / ".reconcile" / "state.db"
    state.write_bytes(b"this is not a database\n" * 400)
    with pytest.raises(StateError, match=r"unreadable .* backup"):
        plan_project(project, transport(app))


def test_the_cli_says_what_to_do_with_an_empty_state_file(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from reconciler.cli.main import run

    monkeypatch.chdir(project)
    (project / ".reconcile").mkdir()
    (project / ".reconcile" / "state.db").write_bytes(b"")
    assert run(["plan"]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "empty" in err and "backup" in err


def test_a_state_lost_for_good_adopts_our_uploads_instead_of_uploading_again(
    project: Path, app: EmulatorApp
) -> None:
    apply_project(project, transport(app))
    before = sorted(f.id for f in platform_state(app).files)
    _lose_the_state(project)
    _assert_adopts_every_upload_and_attachment(plan_project(project, transport(app)))
    _, report = apply_project(project, transport(app))
    assert report is not None and report.ok
    assert sorted(f.id for f in platform_state(app).files) == before  # through the SDK: no duplicate
    assert not plan_project(project, transport(app)).has_changes
    assert_uploads_hold_their_content(project, app)


def test_a_missing_state_file_is_still_a_fresh_start(project: Path, app: EmulatorApp) -> None:
    plan, report = apply_project(project, transport(app))
    assert report is not None and report.ok and plan.summary.create > 0
    assert (project / ".reconcile" / "state.db").stat().st_size > 0


def test_a_lost_state_adopts_uploads_named_before_tags_by_our_stores_attributes(
    project: Path, app: EmulatorApp
) -> None:
    with plain_names():
        apply_project(project, transport(app))
    before = sorted(f.id for f in platform_state(app).files)
    _lose_the_state(project)
    _assert_adopts_every_upload_and_attachment(plan_project(project, transport(app)))
    _, report = apply_project(project, transport(app))
    assert report is not None and report.ok
    assert sorted(f.id for f in platform_state(app).files) == before
    assert not plan_project(project, transport(app)).has_changes

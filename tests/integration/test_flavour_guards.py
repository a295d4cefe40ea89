"""What must not happen between the two platform flavours and a release's platform objects (issue 15,
found by a newcomer's review): versions made on one flavour are never planned over, served, rolled back
to or "deleted" by the other; a saved plan is bound to the flavour it was made for; and a rollback to a
bundle whose vector store apply has since destroyed is refused instead of failing every request."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli.main import run
from reconciler.emulator import EmulatorApp, EmulatorConfig
from reconciler.store import open_store
from tests.integration.support import edit_file, make_project, platform_state, set_api

pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")

NAME = "CorporateAssist"
MANIFEST = "manifests/corporate-assist.yaml"


def _platform_assistants(root: Path) -> list[str]:
    app = EmulatorApp(EmulatorConfig(db_path=str(root / ".reconcile" / "local-platform.db")))
    try:
        return [a.id for a in platform_state(app).assistants]
    finally:
        app.close()


@pytest.mark.parametrize(
    ("before", "after"), [("assistants-v2", "responses"), ("responses", "assistants-v2")]
)
def test_switching_flavour_under_applied_versions_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], before: str, after: str
) -> None:
    root = make_project(tmp_path / "project", api=before)
    assert run(["apply", str(root), "--auto-approve"]) == 0
    on_platform = _platform_assistants(root)
    set_api(root, after)
    capsys.readouterr()
    for command in (["plan", str(root)], ["apply", str(root), "--auto-approve"]):
        assert run(command) == 1
        (line,) = capsys.readouterr().err.splitlines()
        assert f"is api: {after}, but versions were made on api: {before} (Assistant/{NAME} v1)" in line
        assert f"Set `api: {before}` back" in line
    # Nothing planned, nothing sent: the old version objects are where they were.
    assert _platform_assistants(root) == on_platform
    assert run(["rollback", NAME, str(root), "--to", "1"]) == 1  # nor served by the other flavour
    assert "cannot serve it" in capsys.readouterr().err


def test_a_saved_plan_is_bound_to_the_flavour_it_was_made_for(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(tmp_path / "project", api="responses")
    monkeypatch.chdir(root)  # `apply PLANFILE` works in the current directory
    saved = tmp_path / "first.plan"
    assert run(["plan", str(root), "-out", str(saved)]) == 0
    set_api(root, "assistants-v2")
    capsys.readouterr()
    assert run(["apply", str(saved)]) == 1
    err = capsys.readouterr().err
    assert "made for api: responses" in err and "plan again" in err
    assert _platform_assistants(root) == []  # no platform assistant where a bundle was promised


def test_a_rollback_to_a_bundle_whose_vector_store_was_destroyed_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(tmp_path / "project", api="responses")
    assert run(["apply", str(root), "--auto-approve"]) == 0
    # Version 2 stops searching the policy, and the policy's store is destroyed with it.
    (root / "manifests" / "expense-policy.yaml").unlink()
    edit_file(root, MANIFEST, "    - file_search\n", "")
    edit_file(
        root, MANIFEST, "  toolResources:\n    fileSearch:\n      vectorStores: [ExpensePolicy2026]\n", ""
    )
    capsys.readouterr()
    assert run(["apply", str(root), "--auto-approve"]) == 0, capsys.readouterr().err
    with open_store(f"sqlite:///{root / '.reconcile' / 'state.db'}") as store:
        assert store.pointers("local", NAME) == {"stable": 2}
    capsys.readouterr()
    assert run(["rollback", NAME, str(root)]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert f"{NAME} version 1 uses vs_" in line and "apply has deleted since" in line
    with open_store(f"sqlite:///{root / '.reconcile' / 'state.db'}") as store:
        assert store.pointers("local", NAME) == {"stable": 2}  # nothing moved

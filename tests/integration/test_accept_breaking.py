"""Issue 12 item 10: an `acceptBreaking` reason is bound to the breaking change it was written for. Through
`reconcile ...` on the `local` target: one break is accepted and applied; an unrelated new required
property under the same reason is refused (exit 1, naming tool, pointer and rule) until a new reason is
written; re-planning the very change that was accepted (after a rollback) still passes; the mapping form
accepts exactly the findings it lists."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconciler.cli.main import run
from reconciler.model.desired import BreakingFinding
from reconciler.store import open_store
from tests.integration.support import edit_file, make_project

pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")

MAIN = Path(__file__).resolve().parents[2]
NAME = "CorporateAssist"
WS = "local"
TOOL = "manifests/create-meeting.yaml"
ASSISTANT = "manifests/corporate-assist.yaml"
ROOMS = "rooms are needed for the new office"
LOCATION = BreakingFinding(tool="create_meeting", pointer="/properties/location", rule="OBJ-06")


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    root = make_project(tmp_path / "project", api="responses")  # apply moves stable: no canary
    assert run(["apply", str(root), "--auto-approve"]) == 0
    capsys.readouterr()
    return root


def _require(root: Path, prop: str) -> None:
    """A new required string property of create_meeting: breaks old callers (OBJ-06 under `backward`)."""
    edit_file(root, TOOL, "      attendees:\n", f"      {prop}:\n        type: string\n      attendees:\n")
    text = (root / TOOL).read_text(encoding="utf-8")
    head, required, tail = text.rpartition("    required: [")
    assert required, "create_meeting has no required list"
    (root / TOOL).write_text(head + required + tail.replace("]", f", {prop}]", 1), encoding="utf-8")


def _accept(root: Path, accept_yaml: str) -> None:
    text = (root / ASSISTANT).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines(keepends=True) if not line.startswith("  acceptBreaking")]
    text = "".join(lines).replace("  versioning: immutable\n", f"  versioning: immutable\n{accept_yaml}", 1)
    (root / ASSISTANT).write_text(text, encoding="utf-8")


def _history(root: Path) -> tuple[dict[str, int], list[tuple[int | None, int | None, str | None]]]:
    with open_store(f"sqlite:///{root / '.reconcile' / 'state.db'}") as store:
        moves = store.pointer_history(WS, NAME)
        pointers = store.pointers(WS, NAME)
    return pointers, [
        (m.from_version, m.to_version, m.accepted.reason if m.accepted else None) for m in moves
    ]


def test_a_reason_accepts_its_break_and_not_an_unrelated_later_one(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _require(project, "location")
    _accept(project, f'  acceptBreaking: "{ROOMS}"\n')
    assert run(["apply", str(project), "--auto-approve"]) == 0
    capsys.readouterr()
    pointers, moves = _history(project)
    assert pointers == {"stable": 2}
    assert moves[-1] == (1, 2, ROOMS)  # the release history records what the reason accepted
    with open_store(f"sqlite:///{project / '.reconcile' / 'state.db'}") as store:
        (recorded,) = store.read(WS).acceptances
    assert recorded.findings == (LOCATION,)

    # Later, an unrelated new required property, with the old reason still in the manifest: refused.
    _require(project, "floor")
    assert run(["plan", str(project)]) == 1
    err = capsys.readouterr().err
    assert "create_meeting" in err and "/properties/floor" in err and "OBJ-06" in err
    assert f'acceptBreaking "{ROOMS}" was already used for another change' in err
    assert "write a new reason" in err
    assert run(["apply", str(project), "--auto-approve"]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert (
        line.startswith("error: ")
        and "PlanRejected" not in line
        and "/properties/floor" in line
        and "new reason" in line
    )
    assert _history(project)[0] == {"stable": 2}  # nothing shipped

    # A new reason, written for this change, ships it.
    _accept(project, '  acceptBreaking: "the floor plan needs it"\n')
    assert run(["apply", str(project), "--auto-approve"]) == 0
    capsys.readouterr()
    pointers, moves = _history(project)
    assert pointers == {"stable": 3}
    assert moves[-1] == (2, 3, "the floor plan needs it")
    assert run(["plan", str(project), "--detailed-exitcode"]) == 0


def test_the_accepted_change_planned_again_after_a_rollback_still_passes(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _require(project, "location")
    _accept(project, f'  acceptBreaking: "{ROOMS}"\n')
    assert run(["apply", str(project), "--auto-approve"]) == 0
    assert run(["rollback", NAME, str(project)]) == 0
    capsys.readouterr()
    # The manifests still describe version 2: the same change (1 -> 2), under the same reason.
    assert run(["plan", str(project), "--detailed-exitcode"]) == 2
    assert "error" not in capsys.readouterr().err
    assert run(["apply", str(project), "--auto-approve"]) == 0
    pointers, moves = _history(project)
    assert pointers == {"stable": 2}
    assert moves[-1] == (1, 2, ROOMS)


def test_the_mapping_form_accepts_exactly_the_findings_it_lists(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listed = (
        "  acceptBreaking:\n"
        f"    reason: {ROOMS}\n"
        "    findings:\n"
        "      - {tool: create_meeting, pointer: /properties/location, rule: OBJ-06}\n"
    )
    _require(project, "location")
    _require(project, "floor")
    _accept(project, listed)
    assert run(["plan", str(project)]) == 1
    err = capsys.readouterr().err
    assert "OBJ-06 at /properties/floor" in err
    assert "acceptBreaking lists findings that do not include create_meeting /properties/floor OBJ-06" in err

    shutil.copy(MAIN / TOOL, project / TOOL)  # only the listed break is left
    _require(project, "location")
    assert run(["apply", str(project), "--auto-approve"]) == 0
    capsys.readouterr()
    assert _history(project)[1][-1] == (1, 2, ROOMS)

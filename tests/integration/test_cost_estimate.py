"""Issue 19, Done when: the example plan shows a cost line; switching the example's model to a pricier one
shows the delta and, with the budget below it, fails the plan (and apply); `budget.acceptOver` lets it
through, and the apply records who accepted what, which `reconcile costs` then lists. Through the CLI, on
the example project and its embedded local platform (the real SDK over the emulator's transport)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.cli.main import run
from reconciler.store import open_store
from tests.integration.support import edit_file, make_project

MODEL = "model: gpt-5.5-2026-04-23"


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OPENAI_ADMIN_KEY", "sk-admin-local")
    project = make_project(tmp_path / "project", spend=True, api="responses")
    # The admin pace shared through the store would space the spend calls a minute apart here.
    edit_file(
        project, "reconcile.yaml", "  targets:\n", "  retry: {adminRequestsPerMinute: 6000}\n  targets:\n"
    )
    return project


def versions(root: Path) -> int:
    with open_store(f"sqlite:///{root / '.reconcile' / 'state.db'}") as store:
        return len(store.read("local").versions)


def test_the_plan_prices_the_example_and_the_budget_gates_a_pricier_model(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = cli(capsys, "plan", str(root))
    assert code == 0
    assert "Cost estimate (monthly, USD); list prices checked 2026-12-07:" in out
    assert "Assistant/CorporateAssist  $0.00 -> $88.80 (+$88.80)  gpt-5.5-2026-04-23, 4,800 turns" in out
    assert "Budget (project): ok: estimate $88.80 a month, within the budget $150.00" in out
    assert cli(capsys, "apply", str(root), "--auto-approve")[0] == 0
    code, out, _ = cli(capsys, "plan", str(root))
    assert "  Total: $88.80 -> $88.80 ($0.00)" in out

    edit_file(root, "manifests/corporate-assist.yaml", MODEL, "model: gpt-5-pro")
    code, out, err = cli(capsys, "plan", str(root))
    assert code == 1
    assert "Assistant/CorporateAssist  $88.80 -> $392.40 (+$303.60)  gpt-5-pro, 4,800 turns" in out
    assert "Budget (project): refused: estimate $392.40 a month is over the budget $150.00" in out
    assert (
        "SpendAlert/corporate-assist-monthly: the estimate $392.40 a month passes its threshold $100.00"
        in out
    )
    assert (
        "error: budget: project: estimate $392.40 a month is over the budget $150.00 (this plan adds $303.60)"
        in err
    )
    before = versions(root)
    code, _, err = cli(capsys, "apply", str(root), "--auto-approve")
    assert code == 1 and "over the budget $150.00" in err and "Traceback" not in err
    assert versions(root) == before  # refused before anything was written

    document = json.loads(cli(capsys, "plan", str(root), "--format", "json")[1])
    assert (document["costs"]["before"], document["costs"]["after"], document["costs"]["delta"]) == (
        "88.80",
        "392.40",
        "303.60",
    )
    assert document["costs"]["budgets"][0]["status"] == "over"
    markdown = cli(capsys, "plan", str(root), "--format", "markdown")[1]
    assert "| `Assistant/CorporateAssist` | $88.80 | $392.40 | +$303.60 |" in markdown


def test_accept_over_ships_the_overrun_and_the_apply_records_it(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(capsys, "apply", str(root), "--auto-approve")[0] == 0
    edit_file(root, "manifests/corporate-assist.yaml", MODEL, "model: gpt-5-pro")
    accept = "    monthlyUSD: 150\n    acceptOver: {reason: launch month (FIN-12), upToUSD: 300}\n"
    edit_file(root, "reconcile.yaml", "    monthlyUSD: 150", accept.rstrip("\n"))
    code, out, _ = cli(capsys, "plan", str(root))
    assert code == 1 and "past acceptOver.upToUSD $300.00" in out  # written for a smaller overrun
    edit_file(root, "reconcile.yaml", "upToUSD: 300", "upToUSD: 400")
    code, out, _ = cli(capsys, "plan", str(root))
    assert code == 0
    assert (
        "Budget (project): accepted: estimate $392.40 a month is over the budget $150.00; accepted up to"
        in out
    )
    assert cli(capsys, "apply", str(root), "--auto-approve")[0] == 0
    code, out, _ = cli(capsys, "costs", "-C", str(root))
    assert code == 0
    assert "budget overruns accepted (acceptOver), newest first:" in out
    assert "project: $392.40 a month over $150.00, accepted up to $400.00 by " in out
    assert out.rstrip().endswith("launch month (FIN-12)")
    assert "estimate: $392.40 a month" in out

"""The cost fields of the manifests (issue 19 items 1, 2 and 4): an assistant's `usage` laid over the
project's, a missing volume an error at its line, budgets and their acceptance, and negotiated prices."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from reconciler.manifest import load_project, validate_project
from reconciler.model.costs import Budget, BudgetAcceptance, ModelRate

from .conftest import HEADER, Write, doc

DEFAULT_USAGE = """  usage:
    conversationsPerMonth: 1000
    turnsPerConversation: 4
    inputTokensPerTurn: 2000
    outputTokensPerTurn: 300
"""


def project_file(project: Path, spec: str) -> None:
    (project / "reconcile.yaml").write_text(f"{HEADER}kind: Project\nmetadata: {{name: t}}\nspec:\n{spec}")


def assistant(write: Write, name: str, extra: str = "") -> None:
    write(f"{name}.yaml", doc("Assistant", name, "model: gpt-5.5\ninstructions: Help.\n" + extra))


def test_an_assistants_usage_is_laid_over_the_projects(project: Path, write: Write) -> None:
    project_file(project, DEFAULT_USAGE + "  budget: {monthlyUSD: 250}\n")
    assistant(write, "A")
    assistant(
        write, "B", "usage: {conversationsPerMonth: 50, cachedInputShare: 0.25}\nbudget: {monthlyUSD: 20.5}"
    )
    costs = load_project(project).desired.costs
    assert costs.usage["A"].conversations_per_month == 1000
    b = costs.usage["B"]
    assert (b.conversations_per_month, b.turns_per_conversation, b.cached_input_share) == (
        Decimal(50),
        Decimal(4),
        Decimal("0.25"),
    )
    assert b.file_search_calls_per_turn is None  # not given: the estimate says it is not counted
    assert costs.budget == Budget(monthly=Decimal("250.0"))
    assert costs.budgets == {"B": Budget(monthly=Decimal("20.5"))}


def test_without_a_default_an_assistants_usage_must_be_whole(project: Path, write: Write) -> None:
    assistant(write, "A", "usage: {conversationsPerMonth: 50, turnsPerConversation: 2}")
    (error,) = validate_project(project).errors
    assert str(error).startswith(
        "A.yaml:8:10: error: spec.usage: inputTokensPerTurn, outputTokensPerTurn missing"
    )
    assert error.code == "usage.incomplete"


def test_an_incomplete_default_is_blamed_in_the_project_file_once(project: Path, write: Write) -> None:
    project_file(project, "  usage: {conversationsPerMonth: 10}\n")
    assistant(write, "A")
    assistant(write, "B")
    (error,) = validate_project(project).errors
    assert str(error).startswith("reconcile.yaml:5:10: error: spec.usage: turnsPerConversation")
    assert "A (and any assistant without its own usage)" in str(error)


def test_bad_numbers_are_errors_at_their_line(project: Path, write: Write) -> None:
    assistant(
        write,
        "A",
        'usage: {conversationsPerMonth: -1, turnsPerConversation: "4", inputTokensPerTurn: 1, '
        "outputTokensPerTurn: 1, cachedInputShare: 1.5}\nbudget: {monthlyUSD: 10.001}",
    )
    errors = [str(e) for e in validate_project(project).errors]
    assert [e.split(": error: ")[0] for e in errors] == [
        "A.yaml:8:34",
        "A.yaml:8:60",
        "A.yaml:8:130",
        "A.yaml:9:24",
    ]
    assert "conversationsPerMonth" in errors[0] and "greater than or equal to 0" in errors[0]
    assert "turnsPerConversation" in errors[1] and "valid number, got '4'" in errors[1]  # no coercion
    assert "cachedInputShare" in errors[2]
    assert "precision than a cent" in errors[3]


def test_accept_over_and_prices(project: Path, write: Write) -> None:
    project_file(
        project,
        DEFAULT_USAGE
        + "  budget:\n    monthlyUSD: 100\n    acceptOver: {reason: launch month, upToUSD: 180}\n"
        + "  prices:\n    models:\n      gpt-5.5: {input: 4, cachedInput: 0.4, output: 24}\n"
        + "    fileSearchPer1kCalls: 2\n    vectorStorageGBDay: 0.05\n",
    )
    assistant(write, "A")
    costs = load_project(project).desired.costs
    assert costs.budget is not None
    assert costs.budget.accept == BudgetAcceptance(reason="launch month", up_to=Decimal("180.0"))
    assert costs.prices.models == {
        "gpt-5.5": ModelRate(input=Decimal("4.0"), cached_input=Decimal("0.4"), output=Decimal("24.0"))
    }
    book = costs.prices.book()
    assert book.model("gpt-5.5-2026-04-23") is not None  # a family's override covers its snapshots
    assert book.model("gpt-5.5-2026-04-23").input == Decimal("4.0")  # type: ignore[union-attr]
    assert book.tools.vector_storage_gb_day == Decimal("0.05")
    assert book.tools.code_interpreter_session == Decimal("0.03")  # not overridden: the list price


def test_usage_changes_no_fingerprint(project: Path, write: Write) -> None:
    from reconciler.model.specs import assistant_spec, behaviour_fingerprint

    assistant(
        write,
        "A",
        "usage: {conversationsPerMonth: 1, turnsPerConversation: 1, inputTokensPerTurn: 1, "
        "outputTokensPerTurn: 1}",
    )
    before = behaviour_fingerprint(assistant_spec(load_project(project).desired.assistants["A"]))
    assistant(
        write,
        "A",
        "usage: {conversationsPerMonth: 9, turnsPerConversation: 9, inputTokensPerTurn: 9, "
        "outputTokensPerTurn: 9}",
    )
    assert behaviour_fingerprint(assistant_spec(load_project(project).desired.assistants["A"])) == before


def test_acceptances_prices_and_budgets_that_cannot_mean_anything_are_refused(
    project: Path, write: Write
) -> None:
    """Review of issue 19: an acceptance up to the budget accepts nothing; a reason is one line; a cached
    price above the input price is no discount; a budget with no usage can never be checked."""
    project_file(
        project,
        "  budget:\n    monthlyUSD: 100\n    acceptOver: {reason: launch, upToUSD: 100}\n"
        "  prices:\n    models:\n      gpt-5.5: {input: 1, cachedInput: 2, output: 3}\n",
    )
    errors = [str(e) for e in validate_project(project).errors]
    assert errors[0].startswith("reconcile.yaml:6:5: error: spec.budget: acceptOver.upToUSD must be above")
    assert errors[1].startswith("reconcile.yaml:10:16: error: spec.prices.models.gpt-5.5: cachedInput must")
    project_file(project, "  budget: {monthlyUSD: 100}\n")
    assistant(write, "A", 'budget: {monthlyUSD: 10, acceptOver: {reason: "two\\nlines", upToUSD: 20}}')
    errors = [str(e) for e in validate_project(project).errors]
    assert any(e.startswith("A.yaml:8:") and "reason" in e for e in errors)  # the line break
    assistant(write, "A", "budget: {monthlyUSD: 10}")
    (error,) = [str(e) for e in validate_project(project).errors]
    assert error.startswith("A.yaml:8:11: error: spec.budget: no usage to check it against")

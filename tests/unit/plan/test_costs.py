"""The plan's cost estimate (issue 19 items 1-4): the arithmetic of an assistant's month, before (the
stable version) -> after, unknowns that are never zero, vector storage past the free allowance, every
budget outcome, and the spend controls an estimate passes. Figures are worked by hand from the list
prices (gpt-5.5: 5.00 / 0.50 cached / 30.00 per 1M; gpt-5-pro: 15.00 / - / 120.00; file_search
2.50 per 1,000 calls; code interpreter 0.03 a session; storage 0.10 per GB-day past 1 GB)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from reconciler.model.costs import Budget, BudgetAcceptance, CostSettings, ModelRate, PriceOverrides, Usage
from reconciler.model.desired import (
    BuiltinTool,
    DesiredState,
    Kind,
    ResourceKey,
    SourceFile,
    SpendAlert,
    SpendLimit,
    VectorStore,
)
from reconciler.model.estimates import BudgetStatus, CostEstimate
from reconciler.model.live import LiveState, LiveVectorStore, LiveVectorStoreFile
from reconciler.model.stored import InventoryRecord, StoredState
from reconciler.plan.costs import estimate_costs
from tests.unit.plan.support import NAME, WS, assistant, live_assistant, plan_for, version

KEY = ResourceKey(kind=Kind.ASSISTANT, name=NAME)
USAGE = Usage(
    conversations_per_month=Decimal(800),
    turns_per_conversation=Decimal(6),
    input_tokens_per_turn=Decimal(2500),
    output_tokens_per_turn=Decimal(350),
    cached_input_share=Decimal("0.6"),
    file_search_calls_per_turn=Decimal("0.5"),
    code_interpreter_sessions_per_conversation=Decimal("0.2"),
)
TOOLS = (BuiltinTool.FILE_SEARCH, BuiltinTool.CODE_INTERPRETER)
# 4,800 turns: 12M input tokens (7.2M cached), 1.68M output; 2,400 file_search calls; 160 sessions.
GPT55 = Decimal("7.2") * Decimal("0.5") + Decimal("4.8") * 5 + Decimal("1.68") * 30 + 6 + Decimal("4.8")
GPT5PRO = 12 * 15 + Decimal("1.68") * 120 + 6 + Decimal("4.8")  # no cached rate: all input at 15.00


def serving(model: str) -> tuple[LiveState, StoredState]:
    """`NAME` served as version 1 (stable) on `model`, with the built-in tools."""
    served = assistant(model=model, builtins=TOOLS)
    live = live_assistant(served, "asst_1", version=1)
    stored = StoredState(
        workspace=WS, versions=(version(served, 1, "asst_1"),), pointers={NAME: {"stable": 1}}
    )
    return LiveState(assistants={"asst_1": live}), stored


def desired(model: str = "gpt-5.5", **costs: object) -> DesiredState:
    settings = CostSettings(**{"usage": {NAME: USAGE}, **costs})  # type: ignore[arg-type]
    return DesiredState(assistants={NAME: assistant(model=model, builtins=TOOLS)}, costs=settings)


def estimate(state: DesiredState, live: LiveState, stored: StoredState) -> CostEstimate:
    found = estimate_costs(state, live, stored)
    assert found is not None
    return found


def test_a_project_without_usage_budget_or_prices_has_no_cost_section() -> None:
    assert (
        estimate_costs(DesiredState(assistants={NAME: assistant()}), LiveState(), StoredState(workspace=WS))
        is None
    )


def test_a_new_assistant_costs_its_usage_at_its_models_prices() -> None:
    (line,) = estimate(desired(), LiveState(), StoredState(workspace=WS)).lines
    assert Decimal("88.80") == GPT55
    assert (line.before, line.after) == (0, GPT55)
    assert line.basis == "gpt-5.5, 4,800 turns; 2,400 file_search calls; 160 code_interpreter sessions"


def test_switching_to_a_pricier_model_shows_the_delta_against_the_stable_version() -> None:
    live, stored = serving("gpt-5.5")
    found = estimate(desired("gpt-5-pro"), live, stored)
    (line,) = found.lines
    assert (line.before, line.after, line.delta) == (GPT55, GPT5PRO, GPT5PRO - GPT55)
    assert Decimal("392.40") == GPT5PRO
    assert (found.before, found.after) == (GPT55, GPT5PRO)
    plan = plan_for(desired("gpt-5-pro"), live, stored)
    assert plan.costs is not None and plan.costs.after == GPT5PRO  # the planner carries it


def test_an_unknown_model_is_unknown_never_zero_and_a_budget_cannot_pass_it() -> None:
    found = estimate(
        desired("o9-ultra", budget=Budget(monthly=Decimal(1000))), LiveState(), StoredState(workspace=WS)
    )
    (line,) = found.lines
    assert line.after is None and "no price for model o9-ultra" in line.unknown
    assert found.unknown == 1
    (check,) = found.budgets
    assert check.status is BudgetStatus.UNKNOWN and check.blocking
    assert found.violations() == [
        "project: the estimate is unknown (1 resource's cost unknown), so the budget $1,000.00 a month "
        "cannot be checked; give the missing usage or prices"
    ]


def test_a_negotiated_price_prices_a_model_the_table_lacks() -> None:
    prices = PriceOverrides(models={"o9-ultra": ModelRate(input=Decimal(1), output=Decimal(2))})
    (line,) = estimate(desired("o9-ultra", prices=prices), LiveState(), StoredState(workspace=WS)).lines
    assert line.after == 12 * 1 + Decimal("1.68") * 2 + 6 + Decimal("4.8")


def test_an_assistant_without_usage_is_unknown() -> None:
    state = DesiredState(
        assistants={NAME: assistant()}, costs=CostSettings(budget=Budget(monthly=Decimal(10)))
    )
    (line,) = estimate(state, LiveState(), StoredState(workspace=WS)).lines
    assert line.after is None and line.unknown.startswith("no usage assumptions")


def test_tool_calls_left_out_of_the_usage_are_named_not_guessed() -> None:
    usage = USAGE.model_copy(update={"file_search_calls_per_turn": None})
    state = DesiredState(
        assistants={NAME: assistant(model="gpt-5.5", builtins=(BuiltinTool.FILE_SEARCH,))},
        costs=CostSettings(usage={NAME: usage}),
    )
    (line,) = estimate(state, LiveState(), StoredState(workspace=WS)).lines
    assert line.after == Decimal("7.2") * Decimal("0.5") + Decimal("4.8") * 5 + Decimal("1.68") * 30
    assert "file_search calls not counted (no fileSearchCallsPerTurn)" in line.basis


def test_a_deleted_assistant_saves_what_it_cost_at_the_projects_default_usage() -> None:
    live, stored = serving("gpt-5.5")
    (line,) = estimate(DesiredState(costs=CostSettings(default_usage=USAGE)), live, stored).lines
    assert (line.before, line.after) == (GPT55, 0)
    # Without a default, what it was used as is gone with its manifest: unknown, not zero.
    (line,) = estimate(
        DesiredState(costs=CostSettings(budget=Budget(monthly=Decimal(9)))), live, stored
    ).lines
    assert (line.before, line.after) == (None, 0) and line.unknown.startswith("no usage assumptions")


def test_vector_storage_past_the_free_gigabyte_is_shared_out_by_size() -> None:
    big = VectorStore(name="Big", files=(SourceFile(path="a.md", sha256="a", size=1_500_000_000),))
    small = VectorStore(name="Small", files=(SourceFile(path="b.md", sha256="b", size=500_000_000),))
    state = DesiredState(vector_stores={"Big": big, "Small": small}, costs=CostSettings(usage={NAME: USAGE}))
    lines = {
        str(line.address): line for line in estimate(state, LiveState(), StoredState(workspace=WS)).lines
    }
    # 2 GB - 1 GB free = 1 GB at 0.10 a day for 30 days: 3.00, split 3:1.
    assert (lines["VectorStore/Big"].after, lines["VectorStore/Small"].after) == (
        Decimal("2.25"),
        Decimal("0.75"),
    )
    assert lines["VectorStore/Big"].basis == "1.5 GB stored"


def test_a_stores_before_is_what_it_holds_measured_as_the_manifests_files_are() -> None:
    records = (
        InventoryRecord(key=ResourceKey(kind=Kind.VECTOR_STORE, name="Big"), platform_id="vs_1"),
        InventoryRecord(
            key=ResourceKey.attachment("Big", "a.md"), platform_id="file_a", attributes={"sha256": "a"}
        ),
        InventoryRecord(
            key=ResourceKey.attachment("Big", "b.md"), platform_id="file_b", attributes={"sha256": "old"}
        ),
    )
    attached = tuple(
        LiveVectorStoreFile(id=f, vector_store_id="vs_1", status="completed", usage_bytes=n)
        for f, n in (("file_a", 1_700_000_000), ("file_b", 800_000_000))
    )
    live = LiveState(vector_stores={"vs_1": LiveVectorStore(id="vs_1", files=attached)})
    files = (
        SourceFile(path="a.md", sha256="a", size=1_500_000_000),
        SourceFile(path="b.md", sha256="b", size=500_000_000),
    )
    state = DesiredState(
        vector_stores={"Big": VectorStore(name="Big", files=files)}, costs=CostSettings(usage={NAME: USAGE})
    )
    (line,) = estimate(state, live, StoredState(workspace=WS, inventory=records)).lines
    # Before: a.md unchanged counts its 1.5 GB as after does (not the platform's 1.7 GB), the old b.md
    # the platform's 0.8 GB: 2.3 GB, 1.3 GB billable. After: 2 GB, 1 GB billable.
    assert (line.before, line.after) == (Decimal("3.90"), Decimal("3.00"))


def test_an_unchanged_store_has_no_line_whatever_the_platform_reports() -> None:
    records = (
        InventoryRecord(key=ResourceKey(kind=Kind.VECTOR_STORE, name="Big"), platform_id="vs_1"),
        InventoryRecord(
            key=ResourceKey.attachment("Big", "a.md"), platform_id="file_a", attributes={"sha256": "a"}
        ),
    )
    attached = (
        LiveVectorStoreFile(
            id="file_a", vector_store_id="vs_1", status="completed", usage_bytes=9_000_000_000
        ),
    )
    live = LiveState(vector_stores={"vs_1": LiveVectorStore(id="vs_1", files=attached)})
    files = (SourceFile(path="a.md", sha256="a", size=3_000_000_000),)
    state = DesiredState(
        vector_stores={"Big": VectorStore(name="Big", files=files)}, costs=CostSettings(usage={NAME: USAGE})
    )
    found = estimate(state, live, StoredState(workspace=WS, inventory=records))
    assert found.lines == () and (found.unchanged, found.unchanged_cost) == (1, Decimal("6.00"))


@pytest.mark.parametrize(
    ("monthly", "accept", "status", "blocking", "says"),
    [
        (Decimal(400), None, BudgetStatus.WITHIN, False, "within the budget $400.00"),
        (
            Decimal(150),
            None,
            BudgetStatus.OVER,
            True,
            "(this plan adds $303.60); lower it, or set budget.acceptOver",
        ),
        (
            Decimal(150),
            BudgetAcceptance(reason="launch", up_to=Decimal(400)),
            BudgetStatus.ACCEPTED,
            False,
            "accepted up to $400.00: launch",
        ),
        (
            Decimal(150),
            BudgetAcceptance(reason="launch", up_to=Decimal(300)),
            BudgetStatus.OVER,
            True,
            "past acceptOver.upToUSD $300.00",
        ),
    ],
)
def test_budget_outcomes(
    monthly: Decimal, accept: BudgetAcceptance | None, status: BudgetStatus, blocking: bool, says: str
) -> None:
    live, stored = serving("gpt-5.5")
    found = estimate(desired("gpt-5-pro", budget=Budget(monthly=monthly, accept=accept)), live, stored)
    (check,) = found.budgets
    assert (check.status, check.blocking) == (status, blocking)
    assert says in check.message
    assert bool(found.violations()) is blocking
    assert found.accepted() == ((check,) if status is BudgetStatus.ACCEPTED else ())


def test_any_plan_over_the_budget_is_refused_even_one_that_lowers_the_cost() -> None:
    """Issue 19: a plan whose estimate exceeds the budget exits 1 unless accepted; a plan that lowers
    the cost, or raises the usage assumptions alone, is no exception (the acceptance is the way out)."""
    live, stored = serving("gpt-5-pro")
    found = estimate(desired("gpt-5.5", budget=Budget(monthly=Decimal(50))), live, stored)
    (check,) = found.budgets
    assert check.status is BudgetStatus.OVER and check.blocking
    assert check.message.endswith(
        "is over the budget $50.00; lower it, or set budget.acceptOver {reason, upToUSD} to ship it"
    )


def test_a_plan_without_changes_is_only_warned() -> None:
    live, stored = serving("gpt-5.5")
    found = estimate_costs(
        desired("gpt-5.5", budget=Budget(monthly=Decimal(50))), live, stored, changes=False
    )
    assert found is not None
    (check,) = found.budgets
    assert check.status is BudgetStatus.ALREADY_OVER and not check.blocking
    assert check.message == "estimate $88.80 a month is over the budget $50.00; this plan changes nothing"
    plan = plan_for(desired("gpt-5.5", budget=Budget(monthly=Decimal(50))), live, stored)
    assert not plan.has_changes and plan.budget_violations() == []  # the planner says so itself


def test_an_assistants_own_budget_holds_its_own_line() -> None:
    live, stored = serving("gpt-5.5")
    found = estimate(desired("gpt-5-pro", budgets={NAME: Budget(monthly=Decimal(100))}), live, stored)
    (check,) = found.budgets
    assert check.scope == "Assistant/Helper" and check.status is BudgetStatus.OVER


def test_spend_alerts_and_limits_the_estimate_passes_are_warned_of() -> None:
    state = desired("gpt-5-pro").model_copy(
        update={
            "spend_alerts": {
                "low": SpendAlert(name="low", scope="proj_1", threshold_cents=10_000),
                "high": SpendAlert(name="high", scope="organization", threshold_cents=100_000),
            },
            "spend_limits": {"cap": SpendLimit(name="cap", scope="proj_1", amount_cents=30_000)},
        }
    )
    state = state.model_copy(
        update={
            "spend_alerts": {
                **state.spend_alerts,
                "theirs": SpendAlert(name="theirs", scope="proj_2", threshold_cents=1),
            }
        }
    )
    found = estimate_costs(state, LiveState(), StoredState(workspace=WS), project_id="proj_1")
    assert found is not None
    assert found.warnings == (  # not proj_2's alert: this project's estimate says nothing of its spend
        "SpendAlert/low: the estimate $392.40 a month passes its threshold $100.00: it will alert every "
        "month",
        "SpendLimit/cap: the estimate $392.40 a month passes the limit $300.00: requests will be refused "
        "before the month ends",
    )


def test_the_lines_add_up_to_the_total() -> None:
    """Four assistants of half a cent each: every figure is rounded once, so the total is the lines'."""
    tiny = USAGE.model_copy(
        update={
            "conversations_per_month": Decimal(1),
            "turns_per_conversation": Decimal(1),
            "input_tokens_per_turn": Decimal(100_000),
            "output_tokens_per_turn": Decimal(0),
            "cached_input_share": Decimal(0),
        }
    )
    names = [f"a{i}" for i in range(4)]
    state = DesiredState(
        assistants={n: assistant(name=n, model="gpt-5-nano") for n in names},
        costs=CostSettings(usage=dict.fromkeys(names, tiny)),
    )
    found = estimate(state, LiveState(), StoredState(workspace=WS))
    assert [line.after for line in found.lines] == [Decimal("0.01")] * 4  # 0.005 each, half up
    assert found.after == Decimal("0.04")


def test_an_absurd_but_valid_usage_is_priced_not_crashed() -> None:
    huge = USAGE.model_copy(
        update={
            k: Decimal("1e12")
            for k in ("conversations_per_month", "turns_per_conversation", "input_tokens_per_turn")
        }
    )
    state = DesiredState(
        assistants={NAME: assistant(model="gpt-5.5")}, costs=CostSettings(usage={NAME: huge})
    )
    (line,) = estimate(state, LiveState(), StoredState(workspace=WS)).lines
    assert line.after is not None and line.after > Decimal("1e30")


def test_a_negotiated_input_price_keeps_the_lists_cached_price() -> None:
    prices = PriceOverrides(models={"gpt-5.5": ModelRate(input=Decimal(4), output=Decimal(24))})
    (line,) = estimate(desired(prices=prices), LiveState(), StoredState(workspace=WS)).lines
    # 4,800 turns: 4.8M uncached at 4.00, 7.2M cached at the list's 0.50, 1.68M out at 24.00; tools as listed.
    assert line.after == Decimal("4.8") * 4 + Decimal("7.2") * Decimal("0.5") + Decimal(
        "1.68"
    ) * 24 + 6 + Decimal("4.8")


def test_assistants_the_plan_leaves_alone_are_counted_and_still_held_to_their_budgets() -> None:
    live, stored = serving("gpt-5.5")
    plan = plan_for(desired("gpt-5.5", budgets={NAME: Budget(monthly=Decimal(500))}), live, stored)
    assert not plan.has_changes and plan.costs is not None
    (check,) = plan.costs.budgets  # the assistant's own budget sees its amount though no line is shown
    assert (check.scope, check.status, check.estimate) == (f"Assistant/{NAME}", BudgetStatus.WITHIN, GPT55)
    plan = plan_for(desired("gpt-5.5"), live, stored)
    assert plan.costs is not None
    assert (plan.costs.lines, plan.costs.unchanged, plan.costs.unchanged_cost) == ((), 1, GPT55)

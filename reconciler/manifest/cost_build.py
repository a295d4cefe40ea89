"""The manifests' cost fields turned into `model.costs.CostSettings`, each problem at its line.

An assistant's `usage` is laid over the project's (reconcile.yaml `spec.usage`) field by field, so a
project states its typical turn once and an assistant overrides only what differs. After that the four
volumes must be known: an assistant's `usage` missing one is an error there, and a project default
missing one is an error in reconcile.yaml when an assistant relies on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from reconciler.config import PROJECT_FILE
from reconciler.manifest.cost_specs import REQUIRED, BudgetSpec, PricesSpec, UsageSpec
from reconciler.manifest.documents import Document
from reconciler.manifest.problems import Collector
from reconciler.manifest.specs import AssistantSpec, ProjectSpec
from reconciler.model.costs import Budget, BudgetAcceptance, CostSettings, ModelRate, PriceOverrides, Usage

__all__ = ["build_costs"]


def decimal(value: float) -> Decimal:
    """The number as written (0.1 is 0.1, not the float nearest it)."""
    return Decimal(repr(float(value)))


def build_costs(c: Collector, assistants: Iterable[Document], project: Document | None) -> CostSettings:
    """The cost settings of the project file `project` and the Assistant documents `assistants`."""
    spec = project.spec if project is not None and isinstance(project.spec, ProjectSpec) else None
    default = spec.usage if spec is not None else None
    usage: dict[str, Usage] = {}
    budgets: dict[str, Budget] = {}
    blamed_default = False
    defaults = given(default) if default is not None else None
    inherited = merged_usage(None, defaults)  # what every assistant without its own usage gets
    for doc in assistants:
        own = doc.spec
        assert isinstance(own, AssistantSpec)
        merged, missing = inherited if own.usage is None else merged_usage(own.usage, defaults)
        if merged is not None:
            usage[doc.name] = merged
        elif missing and own.usage is not None:
            message = (
                f"spec.usage: {_names(missing)} missing (neither here nor in {PROJECT_FILE}'s spec.usage)"
            )
            c.at(doc.file, doc.root, ["spec", "usage"], "usage.incomplete", message)
        elif missing and project is not None and not blamed_default:
            blamed_default = True
            message = (
                f"spec.usage: {_names(missing)} missing; {doc.name} (and any assistant without its own "
                "usage) has only this default"
            )
            c.at(project.file, project.root, ["spec", "usage"], "usage.incomplete", message)
        found = budget(own.budget)
        if found is not None:
            budgets[doc.name] = found
            if merged is None and not missing:
                message = (
                    "spec.budget: no usage to check it against: give the assistant a spec.usage (or "
                    f"{PROJECT_FILE} a spec.usage default)"
                )
                c.at(doc.file, doc.root, ["spec", "budget"], "budget.no-usage", message)
    return CostSettings(
        usage=usage,
        default_usage=inherited[0],
        budget=budget(spec.budget if spec is not None else None),
        budgets=budgets,
        prices=price_overrides(spec.prices if spec is not None else None),
    )


def _names(missing: tuple[str, ...]) -> str:
    return ", ".join(missing)


def merged_usage(
    own: UsageSpec | None, default: dict[str, Decimal] | None
) -> tuple[Usage | None, tuple[str, ...]]:
    """The assistant's usage laid over the project's (`given(default)`, read once for all assistants),
    and the required fields neither gives (camelCase). (None, ()) when neither declares usage."""
    if own is None and default is None:
        return None, ()
    values = (default or {}) | given(own)
    missing = tuple(UsageSpec.model_fields[name].alias or name for name in REQUIRED if name not in values)
    if missing:
        return None, missing
    # Built without validating again: every value passed UsageSpec's checks and is a Decimal already (a
    # thousand assistants each with a usage of their own made validation a tenth of the estimate's cost).
    fields: dict[str, Any] = dict.fromkeys(_OPTIONAL) | values
    return Usage.model_construct(None, **fields), ()


_OPTIONAL = ("file_search_calls_per_turn", "code_interpreter_sessions_per_conversation")


def given(layer: UsageSpec | None) -> dict[str, Decimal]:
    """The fields a usage sets, as the numbers written."""
    if layer is None:
        return {}
    return {name: decimal(value) for name, value in layer.model_dump(exclude_none=True).items()}


def budget(spec: BudgetSpec | None) -> Budget | None:
    if spec is None:
        return None
    accept = spec.accept_over
    return Budget(
        monthly=decimal(spec.monthly_usd),
        accept=None
        if accept is None
        else BudgetAcceptance(reason=accept.reason, up_to=decimal(accept.up_to_usd)),
    )


def price_overrides(spec: PricesSpec | None) -> PriceOverrides:
    if spec is None:
        return PriceOverrides()

    def opt(value: float | None) -> Decimal | None:
        return None if value is None else decimal(value)

    return PriceOverrides(
        models={
            name: ModelRate(
                input=decimal(r.input), cached_input=opt(r.cached_input), output=decimal(r.output)
            )
            for name, r in spec.models.items()
        },
        file_search_per_1k_calls=opt(spec.file_search_per_1k_calls),
        vector_storage_gb_day=opt(spec.vector_storage_gb_day),
        code_interpreter_session=opt(spec.code_interpreter_session),
    )

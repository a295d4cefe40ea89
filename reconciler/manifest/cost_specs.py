"""The cost fields of the manifests as spec models: `usage` and `budget` (on an Assistant, and
project-wide in reconcile.yaml) and `prices` (reconcile.yaml). `cost_build` turns them into
`model.costs.CostSettings`."""

from __future__ import annotations

from pydantic import Field, field_validator

from reconciler.manifest.spec_base import Spec, money

__all__ = ["REQUIRED", "BudgetSpec", "PricesSpec", "UsageSpec"]

REQUIRED = (
    "conversations_per_month",
    "turns_per_conversation",
    "input_tokens_per_turn",
    "output_tokens_per_turn",
)
# A bound far above any real volume or price: it keeps an estimate's arithmetic meaningful.
MAX_AMOUNT = 1e15

Amount = float


class UsageSpec(Spec):
    """How much an assistant is used in a month (Infracost's usage file, per assistant or project-wide).
    Every field is optional here: an assistant's are laid over the project's."""

    conversations_per_month: Amount | None = Field(default=None, ge=0, le=MAX_AMOUNT)
    turns_per_conversation: Amount | None = Field(default=None, ge=0, le=MAX_AMOUNT)
    input_tokens_per_turn: Amount | None = Field(default=None, ge=0, le=MAX_AMOUNT)
    output_tokens_per_turn: Amount | None = Field(default=None, ge=0, le=MAX_AMOUNT)
    cached_input_share: Amount | None = Field(default=None, ge=0, le=1)
    file_search_calls_per_turn: Amount | None = Field(default=None, ge=0, le=MAX_AMOUNT)
    code_interpreter_sessions_per_conversation: Amount | None = Field(default=None, ge=0, le=MAX_AMOUNT)


class AcceptOverSpec(Spec):
    """A plan over the budget let through, with its reason, up to `upToUSD` a month."""

    reason: str = Field(min_length=1)
    up_to_usd: float = Field(alias="upToUSD")

    _money = field_validator("up_to_usd")(money)


class BudgetSpec(Spec):
    """`monthlyUSD`: a plan whose estimate exceeds it fails, unless `acceptOver` covers the estimate."""

    monthly_usd: float = Field(alias="monthlyUSD")
    accept_over: AcceptOverSpec | None = None

    _money = field_validator("monthly_usd")(money)


class ModelRateSpec(Spec):
    """USD per 1M tokens; `cachedInput` left out: cached tokens cost `input`."""

    input: Amount = Field(ge=0, le=MAX_AMOUNT)
    cached_input: Amount | None = Field(default=None, ge=0, le=MAX_AMOUNT)
    output: Amount = Field(ge=0, le=MAX_AMOUNT)


class PricesSpec(Spec):
    """Negotiated prices laid over the list prices shipped with reconciler: per model (a family name
    covers its dated snapshots) and per tool."""

    models: dict[str, ModelRateSpec] = Field(default_factory=dict)
    file_search_per_1k_calls: Amount | None = Field(
        default=None, ge=0, le=MAX_AMOUNT, alias="fileSearchPer1kCalls"
    )
    vector_storage_gb_day: Amount | None = Field(
        default=None, ge=0, le=MAX_AMOUNT, alias="vectorStorageGBDay"
    )
    code_interpreter_session: Amount | None = Field(default=None, ge=0, le=MAX_AMOUNT)

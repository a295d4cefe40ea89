"""The cost fields of the manifests as spec models: `usage` and `budget` (on an Assistant, and
project-wide in reconcile.yaml) and `prices` (reconcile.yaml). `cost_build` turns them into
`model.costs.CostSettings`."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from reconciler.manifest.spec_base import MAX_USD, Spec, money

__all__ = ["REQUIRED", "BudgetSpec", "PricesSpec", "UsageSpec"]

REQUIRED = (
    "conversations_per_month",
    "turns_per_conversation",
    "input_tokens_per_turn",
    "output_tokens_per_turn",
)
# A bound far above any real volume or price (a trillion conversations a month, tokens a turn, dollars per
# 1M tokens): the product of four of them still fits the estimate's 80-digit arithmetic with room to spare.
MAX_AMOUNT = 1e12

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
    """A plan over the budget let through, with its reason (one line), up to `upToUSD` a month."""

    reason: str = Field(min_length=1, pattern=r"^[^\r\n]*\S[^\r\n]*$")
    up_to_usd: float = Field(alias="upToUSD", gt=0, le=MAX_USD)

    _money = field_validator("up_to_usd")(money)


class BudgetSpec(Spec):
    """`monthlyUSD`: a plan whose estimate exceeds it fails, unless `acceptOver` covers the estimate."""

    monthly_usd: float = Field(alias="monthlyUSD", gt=0, le=MAX_USD)
    accept_over: AcceptOverSpec | None = None

    _money = field_validator("monthly_usd")(money)

    @model_validator(mode="after")
    def _accepts_more_than_the_budget(self) -> BudgetSpec:
        if self.accept_over is not None and self.accept_over.up_to_usd <= self.monthly_usd:
            raise ValueError(
                "acceptOver.upToUSD must be above monthlyUSD: an acceptance up to the budget accepts nothing"
            )
        return self


class ModelRateSpec(Spec):
    """USD per 1M tokens; `cachedInput` left out: the list's cached price (or `input` when it has none)."""

    input: Amount = Field(ge=0, le=MAX_AMOUNT)
    cached_input: Amount | None = Field(default=None, ge=0, le=MAX_AMOUNT)
    output: Amount = Field(ge=0, le=MAX_AMOUNT)

    @model_validator(mode="after")
    def _cached_is_cheaper(self) -> ModelRateSpec:
        if self.cached_input is not None and self.cached_input > self.input:
            raise ValueError("cachedInput must not be above input: cached tokens are the discounted ones")
        return self


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

"""The `spec` of each manifest kind as frozen pydantic models: the one source of field names and types.

These models check shape (types, enums, ranges, unknown fields) and generate the JSON Schema that
`reconcile schema` prints. Rules that need more than one field, files or other documents (references,
paths, chunk overlap, metadata budgets, JSON Schema checks) live in `checks.py` and `build.py`, where they
can point at the exact line. Field names are camelCase in YAML (aliases), snake_case in Python. The
rollout's specs and the AnalysisTemplate kind are in `rollout_specs.py`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Discriminator, Field, Tag, field_validator

from reconciler.config import ConversationSettings, RetrySettings, StateDSN, TargetConfig
from reconciler.manifest.cost_specs import BudgetSpec, PricesSpec, UsageSpec
from reconciler.manifest.rollout_specs import AnalysisTemplateSpec, RolloutSpec
from reconciler.manifest.spec_base import FUNCTION_NAME_PATTERN, Spec, money
from reconciler.manifest.upcast_specs import MigrationSpec

SCOPE_PATTERN = r"^(organization|project|proj_[A-Za-z0-9]+)$"  # "project": the target's own project
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
Metadata = dict[str, str]


# --- FunctionTool -------------------------------------------------------------------------------------


class FunctionToolSpec(Spec):
    """A function the model may call. `name` defaults to the document name. `migrations` upcast calls
    made with an earlier revision of `parameters` (see `upcast_specs.py`); they are not behaviour."""

    name: str | None = Field(default=None, pattern=FUNCTION_NAME_PATTERN)
    description: str | None = None
    parameters: dict[str, Any] | None = None
    parameters_file: str | None = None
    strict: bool = False
    migrations: list[MigrationSpec] = Field(default_factory=list)


# --- VectorStore --------------------------------------------------------------------------------------


class FileEntry(Spec):
    """A file (or glob) with attributes that file_search can filter on."""

    path: str = Field(min_length=1)
    attributes: dict[str, str | int | float | bool] = Field(default_factory=dict)


class ChunkingSpec(Spec):
    type: Literal["auto", "static"]
    max_chunk_size_tokens: int | None = Field(default=None, ge=100, le=4096)
    chunk_overlap_tokens: int | None = Field(default=None, ge=0)


def _string_or_object(value: Any) -> str:
    return "text" if isinstance(value, str) else "object"


FileItem = Annotated[
    Annotated[str, Tag("text"), Field(min_length=1)] | Annotated[FileEntry, Tag("object")],
    Discriminator(_string_or_object),
]
Chunking = Annotated[
    Annotated[Literal["auto"], Tag("text")] | Annotated[ChunkingSpec, Tag("object")],
    Discriminator(_string_or_object),
]


class VectorStoreSpec(Spec):
    """Files to index for file_search. Paths and globs are relative to the manifest's directory."""

    name: str | None = Field(default=None, min_length=1, max_length=256)
    files: list[FileItem] = Field(default_factory=list)
    chunking: Chunking = "auto"
    expires_after_days: int | None = Field(default=None, ge=1, le=365)
    metadata: Metadata = Field(default_factory=dict)
    protect: bool = False


# --- Assistant ----------------------------------------------------------------------------------------


class FileSearchResources(Spec):
    vector_stores: list[str] = Field(default_factory=list)


class CodeInterpreterResources(Spec):
    files: list[str] = Field(default_factory=list)


class ToolResources(Spec):
    file_search: FileSearchResources | None = None
    code_interpreter: CodeInterpreterResources | None = None


class JsonSchemaFormat(Spec):
    """`responseFormat: {type: json_schema, name, schema, strict}`."""

    type: Literal["json_schema"]
    name: str = Field(pattern=FUNCTION_NAME_PATTERN)
    description: str | None = None
    json_schema: dict[str, Any] = Field(alias="schema")
    strict: bool = False


ResponseFormat = Annotated[
    Annotated[Literal["auto", "text", "json_object"], Tag("text")]
    | Annotated[JsonSchemaFormat, Tag("object")],
    Discriminator(_string_or_object),
]


class AcceptedFinding(Spec):
    """One breaking finding `acceptBreaking` accepts, as a refused plan names it: `tool create_meeting:
    OBJ-06 at /properties/location` is `{tool: create_meeting, pointer: /properties/location, rule: OBJ-06}`
    (the schema root is the pointer `""`)."""

    tool: str = Field(min_length=1)
    pointer: str
    rule: str = Field(min_length=1)


class AcceptBreakingSpec(Spec):
    """`acceptBreaking` naming exactly the findings it accepts; any other breaking finding is refused."""

    reason: str = Field(min_length=1)
    findings: list[AcceptedFinding] = Field(min_length=1)


AcceptBreaking = Annotated[
    Annotated[str, Tag("text")] | Annotated[AcceptBreakingSpec, Tag("object")],
    Discriminator(_string_or_object),
]


class AssistantSpec(Spec):
    model: str = Field(min_length=1)
    instructions: str | None = None
    instructions_file: str | None = None
    description: str | None = Field(default=None, max_length=512)
    tools: list[str] = Field(default_factory=list)
    tool_resources: ToolResources | None = None
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    response_format: ResponseFormat | None = None
    reasoning_effort: Literal["minimal", "low", "medium", "high"] | None = None
    metadata: Metadata = Field(default_factory=dict)
    versioning: Literal["immutable", "in-place"] = "immutable"
    compatibility: Literal["backward", "forward", "full", "none"] = "backward"
    # A string accepts the breaking findings of the change it is first applied with; a mapping lists them.
    accept_breaking: AcceptBreaking | None = None
    rollout: RolloutSpec | None = None
    # Not behaviour: what the plan's cost estimate assumes and the budget it is held to.
    usage: UsageSpec | None = None
    budget: BudgetSpec | None = None
    protect: bool = False


# --- Spend --------------------------------------------------------------------------------------------


class NotifySpec(Spec):
    email: list[Annotated[str, Field(pattern=EMAIL_PATTERN)]] = Field(min_length=1)


class SpendAlertSpec(Spec):
    """Email when the month's spend passes `thresholdUSD` (stored as integer cents)."""

    scope: str = Field(pattern=SCOPE_PATTERN)
    threshold_usd: float = Field(alias="thresholdUSD")
    interval: Literal["month"] = "month"
    notify: NotifySpec
    subject_prefix: str | None = Field(default=None, max_length=100)
    protect: bool = False

    _money = field_validator("threshold_usd")(money)


class SpendLimitSpec(Spec):
    """A hard monthly budget for a scope."""

    scope: str = Field(pattern=SCOPE_PATTERN)
    amount_usd: float = Field(alias="amountUSD")
    interval: Literal["month"] = "month"
    protect: bool = False

    _money = field_validator("amount_usd")(money)


# --- Project (reconcile.yaml) -------------------------------------------------------------------------


class ProjectSpec(Spec):
    """The project file's spec; becomes `reconciler.config.ProjectConfig`."""

    model_config = ConfigDict(strict=False)  # the settings models come from config.py as they are
    targets: dict[str, TargetConfig] = Field(default_factory=lambda: {"local": TargetConfig()})
    default_target: str = "local"
    state: StateDSN = "sqlite:///.reconcile/state.db"
    manifests: str = "."
    retry: RetrySettings = RetrySettings()
    conversations: ConversationSettings = ConversationSettings()
    # The cost estimate's project-wide usage default, the project's budget and negotiated prices.
    usage: UsageSpec | None = None
    budget: BudgetSpec | None = None
    prices: PricesSpec | None = None


SPECS: dict[str, type[Spec]] = {
    "Assistant": AssistantSpec,
    "FunctionTool": FunctionToolSpec,
    "VectorStore": VectorStoreSpec,
    "SpendAlert": SpendAlertSpec,
    "SpendLimit": SpendLimitSpec,
    "AnalysisTemplate": AnalysisTemplateSpec,
    "Project": ProjectSpec,
}

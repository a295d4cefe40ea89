"""Desired state: the target-neutral description of what should exist, resolved from manifests.

Every reference is resolved here (an assistant embeds its function tools; files carry their content hash),
so the planner needs nothing but this, the live state and the stored state.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field, model_serializer, model_validator

from reconciler.model.costs import CostSettings
from reconciler.model.frozen import Frozen as Frozen  # noqa: PLC0414  (re-exported: the model's base)
from reconciler.model.rollouts import AnalysisTemplate, Rollout
from reconciler.model.upcasts import ToolMigration


class Kind(StrEnum):
    ASSISTANT = "Assistant"
    FUNCTION_TOOL = "FunctionTool"
    VECTOR_STORE = "VectorStore"
    SPEND_ALERT = "SpendAlert"
    SPEND_LIMIT = "SpendLimit"
    FILE = "File"  # an upload; not a manifest kind, but inventoried like one
    VECTOR_STORE_FILE = "VectorStoreFile"  # a file attached to a vector store; not a manifest kind either


class ResourceKey(Frozen):
    """How a resource is named across plan, store and messages, and a plan change's address:
    `Assistant/CorporateAssist`, `VectorStoreFile/Policies/docs/rules.md`.

    It is written as that one string wherever it is serialised (a saved plan, rendered JSON), and read
    back from it, so users see the same address the plan's code holds as a value.
    """

    kind: Kind
    name: str

    def __str__(self) -> str:
        return f"{self.kind.value}/{self.name}"

    @classmethod
    def parse(cls, text: str) -> ResourceKey:
        kind, _, name = text.partition("/")
        return cls(kind=Kind(kind), name=name)

    @classmethod
    def attachment(cls, store: str, path: str) -> ResourceKey:
        """A vector-store file: `VectorStoreFile/<store>/<path>` (store names hold no `/`)."""
        return cls(kind=Kind.VECTOR_STORE_FILE, name=f"{store}/{path}")

    @property
    def store_and_path(self) -> tuple[str, str]:
        """A vector-store file's store name and project path."""
        store, _, path = self.name.partition("/")
        return store, path

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            kind, sep, name = value.partition("/")
            if not sep:
                raise ValueError(f"{value!r} is not an address of the form Kind/name")
            return {"kind": kind, "name": name}
        return value

    @model_serializer(mode="plain")
    def _to_text(self) -> str:
        return str(self)

    def __lt__(self, other: ResourceKey) -> bool:
        return str(self) < str(other)


class BuiltinTool(StrEnum):
    FILE_SEARCH = "file_search"
    CODE_INTERPRETER = "code_interpreter"


class FunctionTool(Frozen):
    """A function tool; `name` is the function name the model sees (may differ from the document name)."""

    name: str
    description: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    strict: bool = False


class SourceFile(Frozen):
    """A file from the project, identified by content. `path` is POSIX, relative to the project root."""

    path: str
    sha256: str
    size: int
    attributes: dict[str, str | int | float | bool] = Field(default_factory=dict)


class Chunking(Frozen):
    type: Literal["auto", "static"] = "auto"
    max_chunk_size_tokens: int | None = None
    chunk_overlap_tokens: int | None = None


class Resource(Frozen):
    """Fields every managed kind shares."""

    name: str
    protect: bool = False


class VectorStore(Resource):
    files: tuple[SourceFile, ...] = ()
    chunking: Chunking = Chunking()
    expires_after_days: int | None = None
    metadata: dict[str, str] = Field(default_factory=dict)


class BreakingFinding(Frozen):
    """One finding of a breaking tool-schema change, as `acceptBreaking` names it: the function tool, the
    JSON pointer into its parameters schema (`""` is the root; `tool:NAME` when a whole tool was added,
    removed or renamed) and the compatibility rule id (e.g. `OBJ-06`)."""

    tool: str
    pointer: str
    rule: str

    def __str__(self) -> str:
        return f"{self.tool} {self.pointer or '/'} {self.rule}"


class Assistant(Resource):
    model: str
    instructions: str = ""
    description: str | None = None
    functions: tuple[FunctionTool, ...] = ()
    builtins: tuple[BuiltinTool, ...] = ()
    file_search_vector_stores: tuple[str, ...] = ()
    code_interpreter_files: tuple[SourceFile, ...] = ()
    temperature: float | None = None
    top_p: float | None = None
    response_format: str | dict[str, Any] | None = None
    reasoning_effort: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    versioning: Literal["immutable", "in-place"] = "immutable"
    compatibility: Literal["backward", "forward", "full", "none"] = "backward"
    accept_breaking: str | None = None  # the reason
    # acceptBreaking's mapping form: it accepts exactly these findings. None is the string form, which
    # accepts the findings of the change it is first applied with (see plan.acceptance).
    accept_findings: tuple[BreakingFinding, ...] | None = None
    rollout: Rollout = Rollout()


class SpendAlert(Resource):
    scope: str  # "organization" or a project id
    threshold_cents: int
    interval: Literal["month"] = "month"
    emails: tuple[str, ...] = ()
    subject_prefix: str | None = None


class SpendLimit(Resource):
    scope: str
    amount_cents: int
    interval: Literal["month"] = "month"


class DesiredState(Frozen):
    """Everything the manifests ask for, keyed by document name. `sources` maps `Kind/name` to `file:line`."""

    assistants: dict[str, Assistant] = Field(default_factory=dict)
    function_tools: dict[str, FunctionTool] = Field(default_factory=dict)
    vector_stores: dict[str, VectorStore] = Field(default_factory=dict)
    spend_alerts: dict[str, SpendAlert] = Field(default_factory=dict)
    spend_limits: dict[str, SpendLimit] = Field(default_factory=dict)
    # Not platform objects: rollouts read them; the planner never compares them with anything live.
    analysis_templates: dict[str, AnalysisTemplate] = Field(default_factory=dict)
    # Function name -> its `spec.migrations`, sorted by `from`: read when conversations move between
    # versions, never part of a tool's spec, so they change no fingerprint and no plan.
    tool_migrations: Mapping[str, tuple[ToolMigration, ...]] = Field(default_factory=dict)
    # Usage assumptions, budgets and price overrides: what the plan's cost estimate reads; not part of
    # any resource's spec, so they change no fingerprint.
    costs: CostSettings = CostSettings()
    sources: dict[str, str] = Field(default_factory=dict)

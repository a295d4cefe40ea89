"""What a plan change carries beyond its spec, typed per kind: the payload the executor and renderers read.

One frozen model per kind (`PAYLOADS`); `ResourceChange.payload` holds the one its kind names. Optional
entries are left out of the serialised form while unset (`exclude_if`), so a saved plan and the rendered
`attributes` hold exactly what the planner said, as the untyped mapping they replace did.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from reconciler.model.desired import BreakingFinding, Frozen, Kind
from reconciler.model.rollouts import AnalysisTemplate, OnAbort, Rollout
from reconciler.model.stored import Acceptance


def _unset(value: object) -> bool:
    return value is None


def _off(value: object) -> bool:
    return value is False


class FieldChange(Frozen):
    """One field-level difference. `path` is dotted (`tools[create_meeting].parameters.required`)."""

    path: str
    before: Any = None
    after: Any = None
    kind: str = "changed"  # changed | added | removed


Answer = Literal["yes", "no", "unknown"]


class Finding(Frozen):
    """One compatibility finding in a tool's parameters schema; `pointer` "" is the schema root."""

    pointer: str
    rule: str
    message: str
    backward: Answer | None = Field(default=None, exclude_if=_unset)
    forward: Answer | None = Field(default=None, exclude_if=_unset)


class ToolVerdict(Frozen):
    """Whether old calls still fit the new schema (`backward`) and new calls the old one (`forward`)."""

    backward: Answer = "unknown"
    forward: Answer = "unknown"
    findings: tuple[Finding, ...] = ()


class VersionVerdict(Frozen):
    """The new version judged against one earlier version: its parent, or a version conversations still
    use (`conversations`: those seen within `conversations.retention`, migrated ones not counted).
    `broken`: per tool, the findings that break the policy against it. `judged` False: that version's
    tools were never recorded (a platform assistant made before versions kept them), so nothing is known."""

    version: int
    conversations: int = 0
    parent: bool = Field(default=False, exclude_if=_off)
    satisfied: bool = True
    judged: bool = True
    broken: dict[str, tuple[str, ...]] = Field(default_factory=dict, exclude_if=lambda v: not v)


class Verdict(Frozen):
    """The compatibility verdict on a new assistant version: per tool, and whether the policy (or an
    `acceptBreaking` bound to this change, `accepted`) lets it through."""

    policy: str = "backward"
    satisfied: bool = True
    accepted: str | None = None  # the acceptBreaking reason that lets a violation through
    tools: dict[str, ToolVerdict] = Field(default_factory=dict)
    violations: tuple[str, ...] | None = Field(default=None, exclude_if=_unset)
    breaking: tuple[BreakingFinding, ...] | None = Field(default=None, exclude_if=_unset)
    acceptance: Acceptance | None = Field(default=None, exclude_if=_unset)  # recorded with the move
    # Why the manifest's acceptBreaking does not cover this change.
    acceptance_note: str | None = Field(default=None, exclude_if=_unset)
    # Transitive compatibility: the parent and every version live conversations use, each judged (by
    # version number). Absent when no version of the assistant has live conversations.
    against: tuple[VersionVerdict, ...] | None = Field(default=None, exclude_if=_unset)

    @property
    def blocking(self) -> bool:
        """Violations no `acceptBreaking` covers: such a plan must not apply."""
        return not self.satisfied and not self.accepted


class VersionPlan(Frozen):
    """The assistant version a change creates, reuses (`reuse`: stable moves back to it) or adopts
    (`record`: created by an apply that died before recording it)."""

    number: int
    parent: int | None
    strategy: Literal["immutable"] = "immutable"
    reuse: bool = Field(default=False, exclude_if=_off)
    record: bool = Field(default=False, exclude_if=_off)
    bundle: bool = Field(default=False, exclude_if=_off)  # a release bundle in the store, not on the platform


class RolloutPlan(Frozen):
    """How a new version reaches traffic under `rollout: {strategy: canary}`: apply names it in the
    `canary` pointer and starts a rollout of it over `stable` (which keeps serving until the last step);
    an active rollout of another version is superseded (`supersedes`: its id)."""

    stable: int
    rollout: Rollout
    on_abort: OnAbort
    templates: dict[str, AnalysisTemplate] = Field(default_factory=dict)  # those the steps name
    supersedes: str | None = Field(default=None, exclude_if=_unset)


class KeptLabels(Frozen):
    """The version labels an update in place sends again (the platform replaces metadata whole)."""

    version: str | None = Field(default=None, exclude_if=_unset)
    parent: str | None = Field(default=None, exclude_if=_unset)


class AssistantPayload(Frozen):
    version: VersionPlan | None = Field(default=None, exclude_if=_unset)
    verdict: Verdict | None = Field(default=None, exclude_if=_unset)
    keep_labels: KeptLabels | None = Field(default=None, exclude_if=_unset)
    # A reused version's differences in name, description or metadata: sent as an update in place.
    metadata_changes: tuple[FieldChange, ...] | None = Field(default=None, exclude_if=_unset)
    versions: tuple[str, ...] | None = Field(default=None, exclude_if=_unset)  # a delete's other versions
    rollout_note: str | None = Field(default=None, exclude_if=_unset)
    rollout: RolloutPlan | None = Field(default=None, exclude_if=_unset)  # a canary instead of a move
    # The manifest went back to the stable version during a rollout: apply aborts that rollout (its id).
    abort_rollout: str | None = Field(default=None, exclude_if=_unset)


class FilePayload(Frozen):
    retire: str | None = Field(default=None, exclude_if=_unset)  # an old upload this step deletes
    filename: str | None = Field(default=None, exclude_if=_unset)  # an adopted upload's platform name


class AttachmentPayload(Frozen):
    """A vector-store file's extras: where a delete detaches from (`store_id`), whether nothing records
    the attachment (`unrecorded`, and whether its upload goes too), an upload to retire, and an adopted
    attachment's ingestion `status` (apply waits unless `completed`)."""

    store_id: str | None = Field(default=None, exclude_if=_unset)
    unrecorded: bool = Field(default=False, exclude_if=_off)
    delete_upload: bool | None = Field(default=None, exclude_if=_unset)
    retire: str | None = Field(default=None, exclude_if=_unset)
    status: str | None = Field(default=None, exclude_if=_unset)


class SpendAlertPayload(Frozen):
    scope: str | None = Field(default=None, exclude_if=_unset)  # where a delete goes


class NoPayload(Frozen):
    """Kinds whose changes carry nothing beyond their spec (vector stores, spend limits)."""


Payload = AssistantPayload | FilePayload | AttachmentPayload | SpendAlertPayload | NoPayload

PAYLOADS: dict[Kind, type[Payload]] = {
    Kind.ASSISTANT: AssistantPayload,
    Kind.FILE: FilePayload,
    Kind.VECTOR_STORE_FILE: AttachmentPayload,
    Kind.SPEND_ALERT: SpendAlertPayload,
    Kind.VECTOR_STORE: NoPayload,
    Kind.SPEND_LIMIT: NoPayload,
    Kind.FUNCTION_TOOL: NoPayload,
}

"""The Plan: immutable, JSON-serialisable output of the planner, walked by the executor and rendered.

A plan is a list of resource changes in dependency-ordered stages (files -> vector stores -> vector-store
files -> assistants -> spend), plus a separate drift section. Each change carries the *neutral* spec the
executor sends (references by name, resolved to platform ids at apply time) and the hash of the live object
it saw, so a saved plan can be refused as stale when the platform moved underneath it. Its `plan_id` hashes
everything the executor acts on, so a saved plan edited afterwards is refused on load (`Plan.load`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from reconciler.errors import PlanFileError
from reconciler.model import labels
from reconciler.model.canonical import sha256_hex
from reconciler.model.desired import Frozen, Kind, ResourceKey
from reconciler.model.estimates import CostEstimate
from reconciler.plan.payloads import PAYLOADS, AssistantPayload, NoPayload, Payload
from reconciler.plan.payloads import FieldChange as FieldChange  # noqa: PLC0414  (re-exported)

# 1.1: `owner`; 1.2: `summary.adopt`; 2.0: kinds, addresses and typed payloads (`payload`, not `attributes`)
FORMAT_VERSION = "2.0"
RENEW = "make a new plan with `reconcile plan -out FILE`"

P = TypeVar("P", bound=Frozen)


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"  # delete-and-create: a field the platform cannot update in place
    DELETE = "delete"
    NOOP = "no-op"


class Stage(StrEnum):
    """Creation order. Deletes run in the reverse order, after every create and update."""

    FILES = "files"
    VECTOR_STORES = "vector_stores"
    VECTOR_STORE_FILES = "vector_store_files"
    ASSISTANTS = "assistants"
    SPEND = "spend"


STAGE_ORDER: tuple[Stage, ...] = tuple(Stage)

# Settings only the state store holds (the platform never sees them). A change to one of them alone is
# an update that apply records in the inventory without a platform call: `protect` decides whether a
# later plan may delete the object, so it must be recorded when it changes, not only when the object does.
STORE_ONLY_FIELDS: frozenset[str] = frozenset({"protect"})
SETTINGS_ONLY = "protect changed: recorded in the state, no platform call"

SYMBOLS: dict[Action, str] = {
    Action.CREATE: "+",
    Action.UPDATE: "~",
    Action.REPLACE: "-/+",
    Action.DELETE: "-",
    Action.NOOP: " ",
}


class ResourceChange(Frozen):
    """What the plan does to one resource, and why.

    `address` is unique in a plan: `Assistant/CorporateAssist`, `VectorStore/Policies`,
    `File/docs/rules.md`, `VectorStoreFile/Policies/docs/rules.md`, `SpendAlert/monthly`.
    `spec` is the neutral desired spec (None for deletes); `live_hash` the hash of the live object the plan
    saw (None when there was none); `depends_on` lists addresses that must be applied first.
    """

    address: ResourceKey
    kind: Kind
    name: str
    stage: Stage
    action: Action
    reason: str
    platform_id: str | None = None
    spec: dict[str, Any] | None = None
    fingerprint: str | None = None
    live_hash: str | None = None
    changes: tuple[FieldChange, ...] = ()
    depends_on: tuple[ResourceKey, ...] = ()
    protect: bool = False
    adopt: bool = False  # a labelled object missing from the inventory is taken over, not recreated
    payload: Payload = NoPayload()  # the kind's own (`plan.payloads.PAYLOADS`), an empty one when not given

    @model_validator(mode="before")
    @classmethod
    def _payload_of_kind(cls, data: Any) -> Any:
        """The payload's type is the change's kind's: a saved plan's payload is read as that type."""
        if isinstance(data, dict):
            kind = Kind(str(data.get("kind")))
            if not isinstance(data.get("payload"), PAYLOADS[kind]):
                data = {**data, "payload": PAYLOADS[kind].model_validate(data.get("payload") or {})}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> ResourceChange:
        if self.address.kind is not self.kind or not isinstance(self.payload, PAYLOADS[self.kind]):
            raise ValueError(f"{self.address}: address, kind {self.kind} and payload disagree")
        return self

    def payload_as(self, kind: type[P]) -> P:
        """The payload as the type this kind's step or renderer expects."""
        if not isinstance(self.payload, kind):
            raise TypeError(f"{self.address} carries a {type(self.payload).__name__}, not a {kind.__name__}")
        return self.payload

    @property
    def symbol(self) -> str:
        return SYMBOLS[self.action]

    @property
    def step_key(self) -> str:
        """The apply journal's key for this change's step (and its line in apply's report)."""
        return str(self.address)

    @property
    def store_only(self) -> bool:
        """An update of store-only settings alone (`protect`): apply records it and calls no platform
        API. It creates no version and moves no pointer."""
        return (
            self.action is Action.UPDATE
            and bool(self.changes)
            and all(c.path in STORE_ONLY_FIELDS for c in self.changes)
            and not (isinstance(self.payload, AssistantPayload) and self.payload.version is not None)
        )


def setting_changes(recorded_protect: bool | None, protect: bool) -> tuple[FieldChange, ...]:
    """The store-only settings that differ from what the inventory recorded (`None`: nothing recorded,
    so nothing to compare): they are changes too, though no platform object differs."""
    if recorded_protect is None or recorded_protect == protect:
        return ()
    return (FieldChange(path="protect", before=recorded_protect, after=protect),)


OWNER_LABEL_PATH = f"labels.{labels.OWNER}"
OWNER_LABEL_ONLY = "labelled before owner labels existed: our owner label is added"


def owner_label_changes(metadata: Mapping[str, str] | None, owner: str) -> tuple[FieldChange, ...]:
    """An object our state records that was labelled before owner labels existed gets ours at the next
    apply, so that a state lost later can still find it (look-ups take only our owner's objects)."""
    if not owner or not labels.is_managed(metadata) or labels.owner_of(metadata) is not None:
        return ()
    return (FieldChange(path=OWNER_LABEL_PATH, before=None, after=owner, kind="added"),)


def settings_reason(changes: tuple[FieldChange, ...]) -> str:
    """Why an update that changes no manifest field is planned."""
    return OWNER_LABEL_ONLY if any(c.path == OWNER_LABEL_PATH for c in changes) else SETTINGS_ONLY


class Drift(Frozen):
    """A managed object changed outside the tool since the last apply."""

    address: ResourceKey
    platform_id: str
    reason: str
    changes: tuple[FieldChange, ...] = ()


class Summary(Frozen):
    """Counts per action; every change is in exactly one of create, update, replace, delete, adopt, noop.

    `adopt` counts adoptions that are otherwise no-ops: apply writes them to the inventory, so they are
    changes (`--detailed-exitcode` exits 2 for them). An adoption that also updates the object counts
    once, as an update, as its `~` line shows.
    """

    create: int = 0
    update: int = 0
    replace: int = 0
    delete: int = 0
    adopt: int = 0
    noop: int = 0
    drift: int = 0

    @property
    def changed(self) -> int:
        return self.create + self.update + self.replace + self.delete + self.adopt


class Plan(Frozen):
    """The whole plan. `plan_id` is a content hash, so two identical plans share an id."""

    format_version: str = FORMAT_VERSION
    plan_id: str = ""
    workspace: str
    owner: str = ""  # the owner label the plan's objects carry (`model.labels.owner_value`)
    created_at: float = 0.0
    changes: tuple[ResourceChange, ...] = ()
    drift: tuple[Drift, ...] = ()
    warnings: tuple[str, ...] = ()
    # The monthly cost estimate (`plan.costs`); None when the project declares no usage, budget or prices.
    costs: CostEstimate | None = None

    @property
    def summary(self) -> Summary:
        counts = {a: 0 for a in Action}
        adopt = 0
        for change in self.changes:
            if change.action is Action.NOOP and change.adopt:
                adopt += 1
            else:
                counts[change.action] += 1
        return Summary(
            create=counts[Action.CREATE],
            update=counts[Action.UPDATE],
            replace=counts[Action.REPLACE],
            delete=counts[Action.DELETE],
            adopt=adopt,
            noop=counts[Action.NOOP],
            drift=len(self.drift),
        )

    @property
    def has_changes(self) -> bool:
        """Anything for apply to do, adoptions included (they are written to the state)."""
        return self.summary.changed > 0

    def actionable(self) -> tuple[ResourceChange, ...]:
        return tuple(c for c in self.changes if c.action is not Action.NOOP)

    def violations(self) -> list[str]:
        """Compatibility-policy violations no `acceptBreaking` reason covers: such a plan must not apply."""
        out: list[str] = []
        for change in self.changes:
            verdict = change.payload.verdict if isinstance(change.payload, AssistantPayload) else None
            if verdict is not None and verdict.blocking:
                out.extend(
                    f"{change.address}: {v} (policy: {verdict.policy})" for v in verdict.violations or ()
                )
        return out

    def budget_violations(self) -> list[str]:
        """Budgets the plan's estimate passes (or cannot be checked against) that no acceptance covers."""
        return self.costs.violations() if self.costs is not None else []

    def acceptance_notes(self) -> list[str]:
        """Why an `acceptBreaking` an assistant carries does not cover its violations (it was written for
        another change, or does not list them): what the user must change to ship the plan."""
        out: list[str] = []
        for change in self.changes:
            verdict = change.payload.verdict if isinstance(change.payload, AssistantPayload) else None
            if verdict is not None and verdict.acceptance_note:
                out.append(f"{change.address}: {verdict.acceptance_note}")
        return out

    def by_address(self) -> dict[ResourceKey, ResourceChange]:
        return {c.address: c for c in self.changes}

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), indent=2, sort_keys=False)

    @classmethod
    def from_json(cls, text: str) -> Plan:
        """Parse a plan, trusting it: for plans this process made. Files a user hands in go through `load`."""
        return cls.model_validate_json(text)

    @classmethod
    def load(cls, text: str | bytes, *, source: str) -> Plan:
        """A saved plan file (`reconcile plan -o`), refused (PlanFileError naming `source`) unless it is
        a plan whose content still hashes to its `plan_id`."""
        try:
            plan = cls.model_validate_json(text)
        except ValidationError as exc:
            _refuse_other_format(source, _format_version(text))
            # The first error's place and message only: never the input, which may be a whole file.
            first = exc.errors(include_url=False, include_input=False, include_context=False)[0]
            where = ".".join(str(part) for part in first["loc"])
            raise PlanFileError(
                f"{source}: not a saved plan: {where + ': ' if where else ''}{first['msg']}"
            ) from None
        plan.verify_id(source)
        _refuse_other_format(source, plan.format_version)
        return plan

    def content_id(self) -> str:
        """The hash of every field but `plan_id` and `created_at` (which nothing acts on): the changes with
        their specs, attributes and live hashes, the workspace, drift, warnings and format version.

        The hash is over pydantic's own JSON, not canonical JSON: the planner is deterministic, so equal
        inputs give byte-equal plans, and for 1,000 resources this is ~10x cheaper than canonicalising.
        A saved plan survives the trip through `to_json` and `load` with the same bytes.
        """
        # `model_dump_json` without its decode: hashing the serializer's UTF-8 bytes as they come spares
        # two copies of the whole plan's text (12 MB at 3,000 assistants, at the plan's peak of memory).
        # A plan without a cost section hashes as it did before `costs` existed: a plan saved then still
        # loads (its id checks out) and equal plans keep their ids across the change.
        skipped = {"plan_id", "created_at"} | ({"costs"} if self.costs is None else set())
        content = self.__pydantic_serializer__.to_json(self, exclude=skipped)
        return sha256_hex(content)[:20]

    def with_id(self) -> Plan:
        """The same plan with `plan_id` set from its content."""
        return self.model_copy(update={"plan_id": self.content_id()})

    def verify_id(self, source: str = "the saved plan") -> None:
        """Refuse a plan whose content does not hash to its `plan_id`: it was changed after it was made.

        This catches a plan edited by hand or by a tool that kept the id; the hash is not keyed, so it
        is no defence against someone who recomputes the id as well (the stale-plan check, which compares
        every touched object with the platform, still applies to such a plan).
        """
        actual = self.content_id()
        if self.plan_id != actual:
            raise PlanFileError(
                f"{source}: its content does not hash to its plan_id {self.plan_id or '(none)'} "
                f"(it hashes to {actual}): the plan was edited after it was saved; {RENEW} and apply that"
            )


class _Version(BaseModel):
    """Only a saved plan's `format_version`, whatever else it holds: read before the plan itself."""

    model_config = ConfigDict(extra="ignore")

    format_version: Any = None


def _format_version(text: str | bytes) -> str | None:
    """The saved plan's format version, when it is a JSON object naming one (else the full parse says
    what is wrong with it)."""
    try:
        found = _Version.model_validate_json(text).format_version
    except ValidationError:
        return None
    return found if isinstance(found, str) else None


def _refuse_other_format(source: str, version: str | None) -> None:
    """One line for a plan saved by another format: its changes cannot be read as this one's."""
    if version is not None and version != FORMAT_VERSION:
        raise PlanFileError(
            f"{source}: a saved plan of format {version}, which this reconciler (format {FORMAT_VERSION}) "
            f"does not read; {RENEW}"
        )

"""The field table: every spec field of every kind declared once, for all the places that handle it.

A row names a field in each of its three spellings: the manifest key under `spec` (camelCase; a dotted
path where the field sits inside another, `notify.email`), the neutral key (the comparable spec of
`model.specs` and `plan.normalise`, and the attribute of the desired and live models) and the wire path
(the platform's parameter, dotted where nested). It says what the field is to the plan (behaviour makes a
new version, metadata is updated in place, control steers the reconciler and never reaches the platform),
the platform's value when it is left out, and how desired and live values become comparable.

Manifest models, desired and live models keep their typed declarations (types, constraints, validation
messages, the generated JSON Schema); `tests/unit/model/test_fields.py` holds them to this table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from reconciler.model.desired import Kind


class Role(StrEnum):
    BEHAVIOUR = "behaviour"  # in the behaviour fingerprint: a change creates a version
    METADATA = "metadata"  # compared, fingerprinted apart, changed in place
    CONTROL = "control"  # read by the reconciler only: never compared, never sent


def as_is(value: Any) -> Any:
    return value


def sorted_list(value: Any) -> list[Any]:
    return sorted(value)


def copied_dict(value: Any) -> dict[str, Any]:
    return dict(value)


@dataclass(frozen=True, slots=True)
class SpecField:
    manifest: str | None  # key under `spec`; None: not written there (an assistant's name: the document's)
    neutral: str | None  # key of the neutral spec; None: not compared (control fields)
    wire: str | None  # the platform's parameter; None: not sent (control fields, the scope in the URL)
    role: Role = Role.BEHAVIOUR
    default: Any = None  # the platform's value for a missing (None) one, comparable as it is; None: none
    normalise: Callable[[Any], Any] = as_is  # applied after the default, to desired and live alike
    live: str | None = None  # the live model's attribute when it differs from `neutral` (platform ids)

    @property
    def live_name(self) -> str | None:
        return self.live or self.neutral

    @property
    def wire_path(self) -> tuple[str, ...]:
        """The wire key's steps (none for a field not sent)."""
        return tuple(self.wire.split(".")) if self.wire is not None else ()


ASSISTANT: tuple[SpecField, ...] = (
    SpecField(None, "name", "name", Role.METADATA),
    SpecField("model", "model", "model"),
    SpecField("instructions", "instructions", "instructions", default=""),
    SpecField("instructionsFile", None, None, Role.CONTROL),
    SpecField("description", "description", "description", Role.METADATA),
    SpecField("tools", "tools", "tools"),
    SpecField(
        "toolResources.fileSearch.vectorStores",
        "file_search_vector_stores",
        "tool_resources.file_search.vector_store_ids",
        normalise=sorted_list,
        live="file_search_vector_store_ids",
    ),
    SpecField(
        "toolResources.codeInterpreter.files",
        "code_interpreter_files",
        "tool_resources.code_interpreter.file_ids",
        normalise=sorted_list,
        live="code_interpreter_file_ids",
    ),
    SpecField("temperature", "temperature", "temperature", default=1.0),
    SpecField("topP", "top_p", "top_p", default=1.0),
    SpecField("responseFormat", "response_format", "response_format", default="auto"),
    SpecField("reasoningEffort", "reasoning_effort", "reasoning_effort"),
    SpecField("metadata", "metadata", "metadata", Role.METADATA, normalise=copied_dict),
    SpecField("versioning", None, None, Role.CONTROL),
    SpecField("compatibility", None, None, Role.CONTROL),
    SpecField("acceptBreaking", None, None, Role.CONTROL),
    SpecField("rollout", None, None, Role.CONTROL),
    SpecField("usage", None, None, Role.CONTROL),  # the cost estimate's (DesiredState.costs)
    SpecField("budget", None, None, Role.CONTROL),
    SpecField("protect", None, None, Role.CONTROL),
)

# The neutral spec of a function tool is `{"type": "function", **fields}`; on the wire the fields sit
# under `function`, and `description` is left out rather than sent as null.
FUNCTION_TOOL: tuple[SpecField, ...] = (
    SpecField("name", "name", "name"),
    SpecField("description", "description", "description"),
    SpecField("parameters", "parameters", "parameters", default={}),
    SpecField("parametersFile", None, None, Role.CONTROL),
    SpecField("strict", "strict", "strict", default=False),
    # Upcasters for conversations moving between versions: carried by `DesiredState.tool_migrations`.
    SpecField("migrations", None, None, Role.CONTROL),
)

VECTOR_STORE: tuple[SpecField, ...] = (
    SpecField("name", "name", "name", Role.METADATA),  # the document's name when left out
    SpecField("files", None, None, Role.CONTROL),  # planned as VectorStoreFile changes of their own
    # A per-attachment setting the platform does not report on the store (see `plan.normalise`).
    SpecField("chunking", "chunking", None, normalise=copied_dict),
    SpecField("expiresAfterDays", "expires_after_days", "expires_after.days"),
    SpecField("metadata", "metadata", "metadata", Role.METADATA, normalise=copied_dict),
    SpecField("protect", None, None, Role.CONTROL),
)

SPEND_ALERT: tuple[SpecField, ...] = (
    SpecField("scope", "scope", None),
    SpecField("thresholdUSD", "threshold_cents", "threshold_amount"),
    SpecField("interval", "interval", "interval", default="month"),
    SpecField("notify.email", "emails", "notification_channel.recipients", normalise=sorted_list),
    SpecField("subjectPrefix", "subject_prefix", "notification_channel.subject_prefix"),
    SpecField("protect", None, None, Role.CONTROL),
)

SPEND_LIMIT: tuple[SpecField, ...] = (
    SpecField("scope", "scope", None),
    SpecField("amountUSD", "amount_cents", "threshold_amount"),
    SpecField("interval", "interval", "interval", default="month"),
    SpecField("protect", None, None, Role.CONTROL),
)

FIELDS: Mapping[Kind, tuple[SpecField, ...]] = {
    Kind.ASSISTANT: ASSISTANT,
    Kind.FUNCTION_TOOL: FUNCTION_TOOL,
    Kind.VECTOR_STORE: VECTOR_STORE,
    Kind.SPEND_ALERT: SPEND_ALERT,
    Kind.SPEND_LIMIT: SPEND_LIMIT,
}


def compared(fields: tuple[SpecField, ...]) -> tuple[SpecField, ...]:
    """The fields of the neutral spec, in table order."""
    return tuple(f for f in fields if f.neutral is not None)


def neutral_keys(fields: tuple[SpecField, ...], role: Role) -> tuple[str, ...]:
    return tuple(f.neutral for f in fields if f.neutral is not None and f.role is role)


def find(fields: tuple[SpecField, ...], neutral: str) -> SpecField:
    """The row of a neutral key (a KeyError names a key the table lacks)."""
    for f in fields:
        if f.neutral == neutral:
            return f
    raise KeyError(neutral)


def sent(fields: tuple[SpecField, ...], *shaped: str) -> tuple[SpecField, ...]:
    """The fields sent as they are: compared, with a wire path, and not among the neutral keys `shaped`
    (those the caller sends in a shape of their own)."""
    return tuple(f for f in compared(fields) if f.wire is not None and f.neutral not in shaped)


def neutral_spec(fields: tuple[SpecField, ...], values: Mapping[str, Any]) -> dict[str, Any]:
    """The neutral spec of one object, from its values by neutral key (a missing key is None): the
    platform's default for None (defaults are written comparable), else the field's normalisation.
    Desired and live objects both come through here, so they compare alike. On the plan's hot path:
    one pass, no call for fields kept as they are."""
    out: dict[str, Any] = {}
    for f in fields:
        key = f.neutral
        if key is None:
            continue
        value = values.get(key)
        if value is None:
            value = f.default
        elif f.normalise is not as_is:
            value = f.normalise(value)
        out[key] = value
    return out


def values_of(model: BaseModel) -> dict[str, Any]:
    """A model's field values by name, shallow: pydantic keeps them in the instance's `__dict__`, and
    reading that is ~80x cheaper than iterating the model (this runs once per assistant in a plan)."""
    return dict(vars(model))


def wire_get(data: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """The value at a wire path (`SpecField.wire_path`) in JSON data, None where any step is missing or
    null. Runs for every field of every object read: a plain key costs one lookup."""
    value: Any = data.get(path[0])
    if len(path) > 1:
        for step in path[1:]:
            value = value.get(step) if isinstance(value, dict) else None
    return value


def wire_put(params: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    """Set the value at a wire path, making the mappings on the way."""
    target = params
    for step in path[:-1]:
        target = target.setdefault(step, {})
    target[path[-1]] = value

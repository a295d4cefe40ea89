"""Release bundles as the planner sees them: on a platform that stores no assistant versions, the live
assistants are the bundles our store holds (every version not deleted), so planning, reuse on revert and
compatibility verdicts work as they do against platform assistants. Bundles cannot drift: they are what
apply wrote.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.model.live import LiveAssistant, LiveState
from reconciler.model.stored import StoredState, VersionRecord

# A function without parameters, as a bundle offers it (`targets.responses_wire` sends the same closed
# schema): closed, so it is also a valid strict schema, which an open one is not.
NO_PARAMETERS: Mapping[str, Any] = {
    "type": "object",
    "properties": {},
    "required": [],
    "additionalProperties": False,
}


def bundle_assistant(version: VersionRecord) -> LiveAssistant | None:
    """The version's bundle as the assistant it stands for; None for a platform assistant's version."""
    if version.deleted or not version.bundle:
        return None
    return LiveAssistant.model_validate(version.bundle)


def version_function_tools(record: VersionRecord) -> dict[str, tuple[Mapping[str, Any], bool]] | None:
    """Function tool name -> (its `parameters` JSON Schema, strict) as the version offered them: from its
    bundle, or from the tools recorded with a platform assistant's version; None for a platform
    assistant recorded before versions kept their tools (what it offered is unknown).

    A deleted version still says what it offered: its bundle stays in the store, and tool revisions
    (`threads.revisions`) are numbered over every version ever recorded."""
    if record.bundle:
        tools: dict[str, tuple[Mapping[str, Any], bool]] = {}
        # The bundle's tools are kept as the neutral dicts they were made from (`LiveAssistant.tools` is not
        # validated), so they are read without building the whole assistant.
        for tool in record.bundle.get("tools") or ():
            if tool.get("type") == "function":
                parameters = tool.get("parameters") or NO_PARAMETERS
                tools[str(tool["name"])] = (parameters, bool(tool.get("strict", False)))
        return tools
    if not record.tools:
        return None
    return {
        name: (tool.get("parameters") or {}, bool(tool.get("strict", False)))
        for name, tool in record.tools.items()
    }


def stored_bundles(versions: Iterable[VersionRecord]) -> dict[str, LiveAssistant]:
    """Platform id -> bundle of every live version."""
    return {b.id: b for v in versions if (b := bundle_assistant(v)) is not None}


def other_flavour_versions(stored: StoredState, *, bundles: bool) -> dict[str, list[int]]:
    """Assistant -> numbers of its live versions made on the other flavour: platform assistants when the
    target keeps bundles, bundles when it keeps platform assistants."""
    other: dict[str, list[int]] = {}
    for version in stored.versions:
        if not version.deleted and bool(version.bundle) != bundles:
            other.setdefault(version.assistant, []).append(version.number)
    return other


def with_bundles(live: LiveState, stored: StoredState) -> LiveState:
    """The platform read, with the store's bundles as its assistants."""
    return live.model_copy(update={"assistants": {**live.assistants, **stored_bundles(stored.versions)}})

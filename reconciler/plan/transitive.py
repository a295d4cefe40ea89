"""Transitive compatibility (Confluent's `*_TRANSITIVE` levels): a new assistant version is judged against
its parent and against every version that live conversations still use, since each of those
conversations will carry its tool calls to whatever version serves it next. Pure: the live counts come in
`StoredState.live_conversations`, the versions' tools from the live specs (release bundles are there,
`plan.bundles`) or, for a platform assistant, from the tools recorded with its version.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.model.desired import BreakingFinding
from reconciler.model.stored import VersionRecord
from reconciler.plan.payloads import VersionVerdict

Tools = dict[str, dict[str, Any]]


def function_tools(spec: Mapping[str, Any]) -> Tools:
    """A spec's function tools as the classifier takes them: name -> {"parameters", "strict"}."""
    return {
        str(t["name"]): {"parameters": t.get("parameters") or {}, "strict": bool(t.get("strict"))}
        for t in spec.get("tools", [])
        if t.get("type") == "function"
    }


def version_tools(version: VersionRecord, live_specs: Mapping[str, Mapping[str, Any]]) -> Tools | None:
    """The function tools `version` offers; None when nothing records them."""
    if version.tools:
        # Recorded when the version was made: what its conversations saw, whatever the platform holds now.
        return {
            name: {"parameters": tool.get("parameters") or {}, "strict": bool(tool.get("strict", False))}
            for name, tool in version.tools.items()
        }
    spec = live_specs.get(version.platform_id)
    return function_tools(spec) if spec is not None else None


@dataclass(frozen=True)
class Transitive:
    """What the live versions add to a verdict: one entry per version judged, and the violations and
    breaking findings of those other than the parent (the parent's are the verdict's own)."""

    against: tuple[VersionVerdict, ...] = ()
    violations: tuple[str, ...] = ()
    breaking: tuple[BreakingFinding, ...] = ()

    @property
    def satisfied(self) -> bool:
        return all(v.satisfied for v in self.against)


def judge_live_versions(
    new_tools: Tools,
    policy: str,
    *,
    parent: int | None,
    parent_broken: Mapping[str, tuple[str, ...]],
    live: Mapping[int, int],
    versions: Mapping[int, VersionRecord],
    live_specs: Mapping[str, Mapping[str, Any]],
) -> Transitive:
    """Judge `new_tools` under `policy` against each version of `live` (version -> live conversations)
    other than the parent, and list the parent's own result (`parent_broken`, judged by the caller)
    beside them. Nothing when no version has live conversations."""
    if not any(live.values()):
        return Transitive()
    # Imported only when a version changes and conversations are live (see versioning._verdict).
    from reconciler.schema.compat import classify_tools

    against: list[VersionVerdict] = []
    violations: list[str] = []
    breaking: list[BreakingFinding] = []
    if parent is not None:
        against.append(
            VersionVerdict(
                version=parent,
                conversations=live.get(parent, 0),
                parent=True,
                satisfied=not parent_broken,
                broken=dict(parent_broken),
            )
        )
    for number, conversations in sorted(live.items()):
        record = versions.get(number)
        if number == parent or not conversations or record is None:
            continue  # the parent is judged by the caller; a deleted version serves nobody
        tools = version_tools(record, live_specs)
        if tools is None:
            against.append(VersionVerdict(version=number, conversations=conversations, judged=False))
            continue
        broken: dict[str, tuple[str, ...]] = {}
        for tool, verdict in sorted(classify_tools(tools, new_tools).items()):
            if verdict.satisfies(policy):
                continue
            findings = verdict.breaking_findings(policy) or verdict.findings
            broken[tool] = tuple(f.message for f in findings)
            for finding in findings:
                violations.append(
                    f"tool {tool}: {finding} (against version {number}, used by "
                    f"{conversations} live conversation{'s' if conversations != 1 else ''})"
                )
                breaking.append(BreakingFinding(tool=tool, pointer=finding.pointer, rule=finding.rule))
        against.append(
            VersionVerdict(version=number, conversations=conversations, satisfied=not broken, broken=broken)
        )
    against.sort(key=lambda v: v.version)
    return Transitive(tuple(against), tuple(violations), tuple(breaking))

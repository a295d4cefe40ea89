"""Whether an assistant's `acceptBreaking` covers the breaking findings of a planned change.

An acceptance is bound to what it was written for, so a reason left in a manifest never approves a later,
unrelated break:

* the mapping form (`{reason, findings: [{tool, pointer, rule}]}`) accepts exactly the findings it lists;
* the string form accepts the breaking findings of the change planned when it is first applied. That apply
  records them with the reason in the release history (`model.stored.Acceptance`); from then on the same
  reason covers the same change (a resumed apply, a re-plan after a rollback) and no finding it did not
  accept. Another break needs a new reason.

Stores written before acceptances were recorded hold only a version's verdict with its reason; those count
as uses too, with the findings that verdict found breaking.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from reconciler.model.desired import Assistant, BreakingFinding
from reconciler.model.stored import Acceptance, StoredState, VersionRecord

_DIRECTIONS = {"backward": ("backward",), "forward": ("forward",), "full": ("backward", "forward")}


@dataclass(frozen=True)
class Judgement:
    """`record` is what apply writes when it ships the change; `note` says why a reason does not cover it."""

    accepted: bool
    record: Acceptance | None = None
    note: str | None = None


def judge(
    assistant: Assistant,
    breaking: Sequence[BreakingFinding],
    change: tuple[str, str],
    prior: Sequence[Acceptance],
) -> Judgement:
    """`breaking` are the findings that violate the policy (none: nothing to accept); `change` the
    behaviour fingerprints before and after; `prior` this assistant's recorded acceptances."""
    reason = assistant.accept_breaking
    if not breaking or not reason:
        return Judgement(accepted=False)
    wanted = set(breaking)
    if assistant.accept_findings is not None:
        missing = wanted - set(assistant.accept_findings)
        if missing:
            return Judgement(
                accepted=False,
                note=f"acceptBreaking lists findings that do not include {_names(missing)}; "
                "list them too, or write a new acceptBreaking for this change",
            )
    else:
        uses = [a for a in prior if a.reason == reason]
        covered = {f for a in uses for f in a.findings}
        same_change = any((a.from_fingerprint, a.to_fingerprint) == change for a in uses)
        if uses and not same_change and not wanted <= covered:
            return Judgement(
                accepted=False,
                note=f'acceptBreaking "{reason}" was already used for another change (it accepted '
                f"{_names(covered)}) and does not cover {_names(wanted - covered)}; "
                "write a new reason for this change",
            )
    record = Acceptance(
        assistant=assistant.name,
        reason=reason,
        from_fingerprint=change[0],
        to_fingerprint=change[1],
        findings=tuple(sorted(wanted, key=str)),
    )
    return Judgement(accepted=True, record=record)


def prior_acceptances(stored: StoredState, assistant: str) -> list[Acceptance]:
    """What the release history says this assistant's reasons were used for, oldest first."""
    found = [a for a in stored.acceptances if a.assistant == assistant]
    versions = {v.number: v for v in stored.versions if v.assistant == assistant}
    for version in sorted(versions.values(), key=lambda v: v.number):
        legacy = _from_verdict(version, versions)
        if legacy is not None:
            found.append(legacy)
    return found


def _from_verdict(version: VersionRecord, versions: Mapping[int, VersionRecord]) -> Acceptance | None:
    """A version recorded before acceptances were: its verdict's reason, bound to what it found breaking."""
    verdict = version.verdict
    reason = verdict.get("accepted")
    parent = versions.get(version.parent) if version.parent is not None else None
    if not reason or "acceptance" in verdict or verdict.get("satisfied") is True or parent is None:
        return None
    tools = verdict.get("tools")
    directions = _DIRECTIONS.get(str(verdict.get("policy", "backward")), ())
    findings: set[BreakingFinding] = set()
    for tool, entry in (tools if isinstance(tools, dict) else {}).items():
        if not isinstance(entry, dict) or all(entry.get(d) == "yes" for d in directions):
            continue  # this tool met the policy: nothing of it was accepted
        raw = entry.get("findings")
        rows = [r for r in raw if isinstance(r, dict)] if isinstance(raw, list) else []
        breaking = [r for r in rows if any(r.get(d) != "yes" for d in directions)] or rows
        findings.update(
            BreakingFinding(tool=str(tool), pointer=str(r.get("pointer", "")), rule=str(r.get("rule", "")))
            for r in breaking
        )
    return Acceptance(
        assistant=version.assistant,
        reason=str(reason),
        from_fingerprint=parent.fingerprint,
        to_fingerprint=version.fingerprint,
        findings=tuple(sorted(findings, key=str)),
    )


def _names(findings: Collection[BreakingFinding]) -> str:
    return ", ".join(sorted(str(f) for f in findings)) or "nothing"

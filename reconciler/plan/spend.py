"""What the planner adds for spend controls, which carry no metadata: the scope a delete must go to, and
the warnings about alerts and limits made outside reconciler.

An alert equal to ours that no record owns is never adopted (nothing proves it is ours: it may be a
hand-made twin); the plan creates ours beside it and says so. A spend limit is one per scope: declaring
it takes over the scope's limit, and the plan says so when one was set outside reconciler.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.model.desired import Kind
from reconciler.model.stored import InventoryRecord
from reconciler.plan.definition import Action, ResourceChange

LiveSpecs = Mapping[str, tuple[Mapping[str, str], dict[str, Any]]]


def recorded_scope(rec: InventoryRecord, live: LiveSpecs) -> str | None:
    """Where a recorded alert lives: the scope its record's spec names (recorded since alerts were first
    applied), else the scope the platform listed it under; None when neither knows (it is gone)."""
    spec = rec.applied_spec
    if spec is not None and isinstance(spec.get("scope"), str) and spec["scope"]:
        return str(spec["scope"])
    listed = live.get(rec.platform_id)
    scope = listed[1].get("scope") if listed is not None else None
    return scope if isinstance(scope, str) and scope else None


def spend_warnings(
    changes: Iterable[ResourceChange], live_alerts: LiveSpecs, records: Iterable[InventoryRecord]
) -> list[str]:
    """One line per alert created beside an identical unmanaged one, and per limit taken over."""
    claimed = {r.platform_id for r in records if r.key.kind is Kind.SPEND_ALERT}
    out: list[str] = []
    for change in changes:
        if change.kind is Kind.SPEND_ALERT and change.action is Action.CREATE:
            twins = sorted(
                i for i, (_, spec) in live_alerts.items() if i not in claimed and spec == change.spec
            )
            if twins:
                out.append(
                    f"{change.address}: {_identical(twins)} but nothing records "
                    f"{'it' if len(twins) == 1 else 'them'} as ours (alerts carry no label), so a new one is "
                    "created beside it; delete the old one if an earlier state of this project made it"
                )
        elif change.kind is Kind.SPEND_LIMIT and change.adopt:
            scope = (change.spec or {}).get("scope")
            out.append(
                f"{change.address}: takes over the spend limit set for {scope} outside reconciler "
                "(a scope has one limit); removing the manifest later deletes it"
            )
    return out


def _identical(twins: list[str]) -> str:
    if len(twins) == 1:
        return f"identical alert {twins[0]} exists"
    return f"identical alerts {', '.join(twins)} exist"

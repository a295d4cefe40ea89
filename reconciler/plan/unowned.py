"""Warnings about live objects our labels name but no owner claims, beside which the plan creates anew.

A reconciler from before owner labels labelled its objects `managed-by: reconciler` and `reconciler/name`
only. After such a project loses its state, those objects cannot be adopted: a label written by hand looks
the same, and a hand-labelled object must never be taken over (issue 12, item 5). Creating their twins in
silence would orphan them, so the plan names each one and the `reconcile import` that adopts it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from reconciler.model import labels
from reconciler.model.desired import Kind
from reconciler.model.live import LiveState
from reconciler.model.stored import StoredState
from reconciler.plan.definition import Action, ResourceChange

# The kinds that carry labels, and the `reconcile import` argument for each.
IMPORT_KIND: dict[Kind, str] = {Kind.ASSISTANT: "assistant", Kind.VECTOR_STORE: "vector-store"}


def unowned_warnings(changes: Iterable[ResourceChange], live: LiveState, stored: StoredState) -> list[str]:
    """One line per assistant or vector store to create while objects labelled with its name, but with
    no owner, exist that neither the inventory nor the versions record."""
    claimed = {r.platform_id for r in stored.inventory} | {v.platform_id for v in stored.versions}
    objects: list[tuple[Kind, str, Mapping[str, str]]] = [
        (Kind.ASSISTANT, i, a.metadata) for i, a in live.assistants.items()
    ]
    objects += [(Kind.VECTOR_STORE, i, s.metadata) for i, s in live.vector_stores.items()]
    # Indexed once by (kind, name): another project's thousand objects must not be scanned per create.
    unowned: dict[tuple[Kind, str], list[str]] = {}
    for kind, platform_id, metadata in objects:
        if platform_id not in claimed and labels.is_managed(metadata) and labels.owner_of(metadata) is None:
            unowned.setdefault((kind, metadata.get(labels.NAME, "")), []).append(platform_id)
    out: list[str] = []
    for change in changes:
        if change.action is not Action.CREATE or change.kind not in IMPORT_KIND:
            continue
        found = sorted(unowned.get((change.kind, change.name), ()))
        if not found:
            continue
        command = f"reconcile import {IMPORT_KIND[change.kind]}"
        label = f"reconciler/name {change.name} by an earlier reconciler (or by hand)"
        if len(found) == 1:
            out.append(
                f"{change.address}: {found[0]} is labelled {label} but names no owner, so it is not "
                f"adopted; if it is this project's, adopt it with `{command} {found[0]}`"
            )
        else:
            out.append(
                f"{change.address}: {', '.join(found)} are labelled {label} but name no owner, so they "
                f"are not adopted; if one is this project's, adopt it with `{command} ID`"
            )
    return out

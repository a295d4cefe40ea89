"""The apply's dependency graph: which changes run, and which must finish (and be written down) before
each starts. The executor walks it with `graphlib.TopologicalSorter`; stages are only how it is shown.

Edges come from each change's `depends_on` (an assistant on its vector stores and code-interpreter
files, an attachment on its store and its upload), plus those the old stage order implied, kept here:
- an assistant also waits for the attachments of the stores it searches, so it goes live with them;
- spend changes wait for every create and update of the other kinds (one `Gate`), as they did;
- deletes wait for every create and update (an update may be what stops pointing at the deleted
  object), and then run in the reverse stage order, each stage's deletes after the later stages' ones:
  nothing is deleted while something may still point at it.
Gates are nodes that do no work: they stand for "all of these finished", so the graph keeps one edge
per change instead of one per pair.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass

from reconciler.model.desired import Kind
from reconciler.plan.definition import STAGE_ORDER, Action, Plan, ResourceChange, Stage

__all__ = ["Gate", "Graph", "build_graph", "render_stages", "runs"]


@dataclass(frozen=True)
class Gate:
    """A node standing for a set of changes all finished; it runs nothing."""

    name: str


Node = Hashable


@dataclass
class Graph:
    """Nodes (changes by address, and gates) with what each waits for; `rank` orders ready changes as
    the plan lists them, so one worker runs them in the plan's (stage) order."""

    changes: dict[Node, ResourceChange]
    needs: dict[Node, tuple[Node, ...]]
    rank: dict[Node, int]

    def dependents(self) -> dict[Node, list[Node]]:
        out: dict[Node, list[Node]] = {node: [] for node in self.needs}
        for node, needs in self.needs.items():
            for need in needs:
                out[need].append(node)
        return out


def runs(change: ResourceChange) -> bool:
    """Whether apply acts on a change. Adoptions with no change still run: the object has to be written
    down, or it stays unowned."""
    return change.action is not Action.NOOP or change.adopt


def build_graph(plan: Plan) -> Graph:
    todo = [c for c in plan.changes if runs(c)]
    changes: dict[Node, ResourceChange] = {c.address: c for c in todo}
    needs: dict[Node, list[Node]] = {c.address: [d for d in c.depends_on if d in changes] for c in todo}
    _attachments_before_assistants(todo, needs)
    writes = [c for c in todo if c.action is not Action.DELETE]
    spend = [c.address for c in writes if Kind(c.kind) in _SPEND]
    others: list[Node] = [c.address for c in writes if Kind(c.kind) not in _SPEND]
    if spend and others:
        needs[_OTHER_WRITES] = others
        for address in spend:
            needs[address].append(_OTHER_WRITES)
    deletes = [c for c in todo if c.action is Action.DELETE]
    if deletes:
        needs[_WRITES] = [c.address for c in writes]
        after: Node = _WRITES
        for stage in reversed(STAGE_ORDER):
            stage_deletes: list[Node] = [c.address for c in deletes if c.stage is stage]
            if not stage_deletes:
                continue
            for node in stage_deletes:
                needs[node].append(after)
            after = Gate(f"deletes of {stage.value}")
            needs[after] = stage_deletes
    rank: dict[Node, int] = {c.address: i for i, c in enumerate(todo)}
    return Graph(changes, {n: tuple(dict.fromkeys(d)) for n, d in needs.items()}, rank)


_SPEND = frozenset({Kind.SPEND_ALERT, Kind.SPEND_LIMIT})
_WRITES = Gate("every create and update")
_OTHER_WRITES = Gate("every create and update but spend")


def _attachments_before_assistants(todo: Iterable[ResourceChange], needs: dict[Node, list[Node]]) -> None:
    """An assistant waits for every attachment that waits for one of its stores."""
    attachments: dict[Node, list[Node]] = {}
    for change in todo:
        if Kind(change.kind) is Kind.VECTOR_STORE_FILE:
            for store in change.depends_on:
                if store.kind is Kind.VECTOR_STORE:
                    attachments.setdefault(store, []).append(change.address)
    for change in todo:
        if Kind(change.kind) is Kind.ASSISTANT and change.action is not Action.DELETE:
            for store in change.depends_on:
                needs[change.address].extend(attachments.get(store, ()))


def render_stages(plan: Plan) -> list[list[ResourceChange]]:
    """The graph's changes as the stages show them: creates and updates per stage in order, then deletes
    per stage in reverse order (a dry run reports them so)."""
    todo = [c for c in plan.changes if runs(c)]
    waves: list[list[ResourceChange]] = []
    order: list[tuple[Stage, bool]] = [(s, False) for s in STAGE_ORDER]
    order += [(s, True) for s in reversed(STAGE_ORDER)]
    for stage, deleting in order:
        wave = [c for c in todo if c.stage is stage and (c.action is Action.DELETE) is deleting]
        if wave:
            waves.append(wave)
    return waves

"""`read_all`: a target's read made from its handlers alone, one listing per kind, for a target that has
not adopted the speed machinery of `targets.tuning` (nothing is requested ahead or from hints)."""

from __future__ import annotations

from collections.abc import Collection
from functools import partial
from typing import Any

from reconciler.model import labels
from reconciler.model.desired import Kind
from reconciler.model.live import LiveState
from reconciler.targets.handlers import HandlerTable
from reconciler.targets.tuning import ReadTuning


def read_all(table: HandlerTable, kinds: Collection[Kind], tuning: ReadTuning | None = None) -> LiveState:
    """Every kind asked for, each listing through the tuning's runner; the files of each store we manage
    under it. Kinds the table has no handler for are refused (`UnsupportedKind`)."""
    run = (tuning or ReadTuning()).run
    wanted = set(kinds) - {Kind.VECTOR_STORE_FILE}
    table.refuse_unsupported(sorted(wanted))

    def listed(kind: Kind) -> list[Any]:
        return run(table[kind].read_all) if kind in wanted else []

    stores = listed(Kind.VECTOR_STORE)
    if stores and Kind.VECTOR_STORE_FILE in table.kinds:
        files = table[Kind.VECTOR_STORE_FILE]
        stores = [
            s.model_copy(update={"files": tuple(run(partial(files.read_all, s.id)))})
            if labels.is_managed(s.metadata)
            else s
            for s in stores
        ]
    return LiveState(
        assistants={a.id: a for a in listed(Kind.ASSISTANT)},
        files={f.id: f for f in listed(Kind.FILE)},
        vector_stores={s.id: s for s in stores},
        spend_alerts={a.id: a for a in listed(Kind.SPEND_ALERT)},
        spend_limits={lim.scope: lim for lim in listed(Kind.SPEND_LIMIT)},
    )

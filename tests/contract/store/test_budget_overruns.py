"""Budget overruns shipped under `acceptOver` (issue 19 item 4), on every backend: recorded once per apply
and scope (a resumed apply records nothing twice), read back newest first and per workspace, amounts
kept exactly to the cent, and a reason holding something shaped like a key refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from reconciler.errors import StateError
from reconciler.model.estimates import AcceptedOverrun
from reconciler.store.sqlstore import SqlStore


def overrun(apply_id: str, *, at: float, workspace: str = "prod", scope: str = "project") -> AcceptedOverrun:
    return AcceptedOverrun(
        workspace=workspace,
        apply_id=apply_id,
        plan_id=f"plan-{apply_id}",
        scope=scope,
        monthly=Decimal("150.00"),
        estimate=Decimal("392.405"),
        up_to=Decimal("400"),
        reason="launch month, approved by finance",
        at=at,
        user="ana",
        host="ci-1",
    )


def test_overruns_are_recorded_once_and_read_newest_first(store: SqlStore) -> None:
    first = overrun("a1", at=10.0)
    second = (overrun("a2", at=20.0), overrun("a2", at=20.0, scope="Assistant/CorporateAssist"))
    store.record_overruns([first])
    store.record_overruns(second)
    store.record_overruns([first])  # a resumed apply records its overruns again: nothing changes
    store.record_overruns([overrun("x", at=30.0, workspace="staging")])
    found = store.overruns("prod")
    assert [(o.apply_id, o.scope) for o in found] == [
        ("a2", "Assistant/CorporateAssist"),
        ("a2", "project"),
        ("a1", "project"),
    ]
    assert found[-1] == first  # every field back as written, the amounts exactly
    assert found[-1].estimate == Decimal("392.405")
    assert [o.apply_id for o in store.overruns("prod", limit=1)] == ["a2"]
    assert [o.workspace for o in store.overruns("staging")] == ["staging"]


def test_a_reason_shaped_like_a_key_is_refused(store: SqlStore) -> None:
    leaked = overrun("a1", at=1.0).model_copy(update={"reason": "ok sk-proj-" + "a" * 40})
    with pytest.raises(StateError, match="acceptOver reason"):
        store.record_overruns([leaked])
    assert store.overruns("prod") == ()

"""Budget overruns shipped under `acceptOver` (`model.estimates.AcceptedOverrun`): written when an apply
of such a plan has succeeded, read back, newest first, by `reconcile costs`. Amounts are stored as
decimal text, so that what was accepted is kept to the cent on either backend."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Protocol

from reconciler.model.estimates import AcceptedOverrun
from reconciler.store import rows
from reconciler.store.guard import check_text
from reconciler.store.sqlcore import Row, SqlCore

__all__ = ["BudgetStore", "BudgetTables"]

_COLUMNS = "workspace, apply_id, plan_id, scope, monthly, estimate, up_to, reason, at, by_user, by_host"


class BudgetStore(Protocol):
    def record_overruns(self, overruns: Sequence[AcceptedOverrun]) -> None:
        """Record the accepted overruns of one apply in one transaction; recording one again (the same
        apply id and scope) changes nothing."""
        ...

    def overruns(self, workspace: str, *, limit: int = 20) -> tuple[AcceptedOverrun, ...]:
        """The latest `limit` accepted overruns of `workspace`, newest first."""
        ...


def _amount(value: object, column: str) -> Decimal:
    try:
        found = Decimal(rows.text(value, column))
    except InvalidOperation:
        raise rows.BadColumn(f"column {column} holds text that is not a decimal amount") from None
    if not found.is_finite():
        raise rows.BadColumn(f"column {column} holds an amount that is not finite")
    return found


def _to_overrun(row: Row) -> AcceptedOverrun:
    workspace, apply_id, plan_id, scope, monthly, estimate, up_to, reason, at, user, host = row
    return rows.decode(
        "budget_acceptances",
        lambda: rows.row_key(apply_id=apply_id, scope=scope),
        lambda: AcceptedOverrun(
            workspace=rows.text(workspace, "workspace"),
            apply_id=rows.text(apply_id, "apply_id"),
            plan_id=rows.text(plan_id, "plan_id"),
            scope=rows.text(scope, "scope"),
            monthly=_amount(monthly, "monthly"),
            estimate=_amount(estimate, "estimate"),
            up_to=_amount(up_to, "up_to"),
            reason=rows.text(reason, "reason"),
            at=rows.timestamp(at, "at"),
            user=rows.text(user, "by_user"),
            host=rows.text(host, "by_host"),
        ),
    )


class BudgetTables(SqlCore):
    def record_overruns(self, overruns: Sequence[AcceptedOverrun]) -> None:
        params = [
            (
                self._workspace(o.workspace),
                o.apply_id,
                o.plan_id,
                o.scope,
                str(o.monthly),
                str(o.estimate),
                str(o.up_to),
                check_text(o.reason, what="the acceptOver reason"),
                o.at,
                o.user,
                o.host,
            )
            for o in overruns
        ]
        if not params:
            return
        marks = ", ".join("?" for _ in range(11))
        with self.transaction():
            self._exec_many(
                f"INSERT INTO budget_acceptances ({_COLUMNS}) VALUES ({marks}) "  # noqa: S608 (only ? marks)
                "ON CONFLICT (apply_id, scope) DO NOTHING",
                params,
            )

    def overruns(self, workspace: str, *, limit: int = 20) -> tuple[AcceptedOverrun, ...]:
        found = self._query(
            f"SELECT {_COLUMNS} FROM budget_acceptances WHERE workspace = ? "  # noqa: S608
            "ORDER BY at DESC, apply_id, scope LIMIT ?",
            (self._workspace(workspace), max(1, limit)),
        )
        return tuple(_to_overrun(row) for row in found)

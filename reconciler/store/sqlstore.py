"""`SqlStore`: the whole StateStore assembled from its tables (inventory, releases, journal, batched
apply writes, locks, list hints, pace budgets, stops, rollouts, conversation pins, telemetry, conversation
migrations, rate budgets), plus the one-snapshot `read()` the planner uses.
Backends subclass it with a connection and a dialect.
"""

from __future__ import annotations

from reconciler.model.stored import StoredState
from reconciler.store.batch import BatchTable
from reconciler.store.budget_tables import BudgetTables
from reconciler.store.conversation_tables import ConversationTable
from reconciler.store.hints import HintTable
from reconciler.store.inventory import InventoryTable
from reconciler.store.journal import JournalTables
from reconciler.store.locks import LockTable
from reconciler.store.migrate import Migration, applied_migrations, migrate
from reconciler.store.migration_tables import MigrationTables
from reconciler.store.pace import PaceTable
from reconciler.store.rate_tables import RateTable
from reconciler.store.release_tables import ReleaseTables
from reconciler.store.rollout_tables import RolloutTables
from reconciler.store.stop_tables import StopTables
from reconciler.store.telemetry_tables import TelemetryTable

__all__ = ["SqlStore"]


class SqlStore(
    InventoryTable,
    ReleaseTables,
    RolloutTables,
    StopTables,
    ConversationTable,
    MigrationTables,
    TelemetryTable,
    JournalTables,
    BatchTable,
    LockTable,
    HintTable,
    PaceTable,
    RateTable,
    BudgetTables,
):
    def read(self, workspace: str) -> StoredState:
        with self._snapshot():
            return StoredState(
                workspace=self._workspace(workspace),
                inventory=self.inventory(workspace),
                versions=self._all_versions(workspace),
                pointers=self._all_pointers(workspace),
                acceptances=self._all_acceptances(workspace),
                rollouts=self._active_rollouts(workspace),
                aborted=self._aborted_rollouts(workspace),
            )

    def migrate(self, migrations: tuple[Migration, ...] | None = None) -> list[int]:
        """Apply pending migrations (the bundled ones unless given); returns the numbers applied."""
        return migrate(self, migrations)

    def schema_version(self) -> int:
        return max(applied_migrations(self), default=0)

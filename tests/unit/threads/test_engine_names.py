"""Where the durable engine keeps a workspace's work: DBOS's system database beside the state (a SQLite
file next to a SQLite state; for PostgreSQL, a schema next to the state's own, so two projects sharing a
database never share a queue), one queue per workspace, and workflow ids keyed by migration and
conversation. An in-memory state has nowhere to keep it."""

from __future__ import annotations

import pytest

from reconciler.errors import StateError
from reconciler.threads.engine import queue_name, system_database_url, system_schema, workflow_id


def test_a_sqlite_state_keeps_its_workflows_in_a_file_beside_it() -> None:
    assert system_database_url("sqlite:////srv/app/.reconcile/state.db") == (
        "sqlite:////srv/app/.reconcile/workflows.sqlite"
    )
    with pytest.raises(StateError, match="on disk"):
        system_database_url("sqlite:///:memory:")


@pytest.mark.parametrize(
    ("dsn", "schema"),
    [
        ("postgresql://ci@db:5432/state", "reconciler_dbos"),
        ("postgresql://ci@db:5432/state?options=-csearch_path%3Dteam_a", "team_a_dbos"),
        ("postgres://ci@db/state?sslmode=require&options=-c%20search_path%3D%22TeamB%22", "TeamB_dbos"),
    ],
)
def test_a_postgresql_state_keeps_its_workflows_in_a_schema_of_its_own(dsn: str, schema: str) -> None:
    assert system_database_url(dsn) == dsn
    assert system_schema(dsn) == schema


def test_two_states_in_one_database_never_share_a_schema_and_two_workspaces_never_a_queue() -> None:
    base = "postgresql://ci@db/state?options=-csearch_path%3D"
    assert system_schema(base + "a") != system_schema(base + "b")
    assert queue_name("prod") != queue_name("staging")
    assert workflow_id("mig_1", "conv_1") == "mig_1/conv_1"
    assert len(system_schema(base + "x" * 80)) <= 63  # PostgreSQL's identifier limit

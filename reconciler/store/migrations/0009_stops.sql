-- The stop button (`reconcile stop NAME` / `reconcile start NAME`): while an assistant has a row in
-- `stops`, the runtime refuses new turns for it. `stops` holds only the current stops (one small table the
-- runtime re-reads whenever the database changed, so it stays cheap however long the history grows);
-- `stop_history` keeps every stop and start (who, where, when, why), as pointer_history does for moves.

CREATE TABLE stops (
    workspace  TEXT NOT NULL,
    assistant  TEXT NOT NULL,
    stopped_at DOUBLE PRECISION NOT NULL,
    stopped_by_user TEXT NOT NULL,
    stopped_by_host TEXT NOT NULL,
    reason     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (workspace, assistant)
);

CREATE TABLE stop_history (
    id {{ID_PRIMARY_KEY}},
    workspace  TEXT NOT NULL,
    assistant  TEXT NOT NULL,
    stopped    INTEGER NOT NULL,
    at         DOUBLE PRECISION NOT NULL,
    by_user    TEXT NOT NULL,
    by_host    TEXT NOT NULL,
    reason     TEXT NOT NULL DEFAULT ''
);

CREATE INDEX stop_history_by_assistant ON stop_history (workspace, assistant, id)

-- Migrating conversations between versions when a tool schema drifts (issue 17).
--
-- `conversation_migrations`: one row per `reconcile conversations migrate run` (its target version, the
-- options it was started with, whether it runs, was cancelled or is done).
-- `migration_items`: one row per conversation it covers, the unit of work (keyed by migration and
-- conversation; a migration targets one version, so the key is also conversation and target version).
-- `conversation_moves`: old -> new conversation, what the runtime follows (`Router.route`); written in the
-- same transaction that marks the item done and pins the copy, so a crash leaves either all three or none.
-- `conversations.moved_to` repeats the move on the pin, so the counts behind gc and the plan's verdicts
-- (live conversations per version) skip migrated ones without a join.
-- `rate_budgets`: one shared request budget per name (a GCRA: the theoretical arrival time of the next
-- request), so every process working one migration keeps the project's requests per minute together.

ALTER TABLE conversations ADD COLUMN moved_to TEXT;

CREATE TABLE conversation_migrations (
    id          TEXT PRIMARY KEY,
    workspace   TEXT NOT NULL,
    assistant   TEXT NOT NULL,
    to_version  INTEGER NOT NULL,
    flavour     TEXT NOT NULL,
    options     TEXT NOT NULL DEFAULT '{}',
    status      TEXT NOT NULL,
    total       INTEGER NOT NULL,
    created_at  DOUBLE PRECISION NOT NULL,
    updated_at  DOUBLE PRECISION NOT NULL,
    by_user     TEXT NOT NULL,
    by_host     TEXT NOT NULL,
    message     TEXT NOT NULL DEFAULT ''
);

CREATE INDEX conversation_migrations_by_assistant ON conversation_migrations (workspace, assistant, created_at);

CREATE TABLE migration_items (
    migration_id     TEXT NOT NULL REFERENCES conversation_migrations (id),
    conversation     TEXT NOT NULL,
    from_version     INTEGER NOT NULL,
    status           TEXT NOT NULL,
    new_conversation TEXT,
    items            INTEGER NOT NULL DEFAULT 0,
    error            TEXT NOT NULL DEFAULT '',
    updated_at       DOUBLE PRECISION NOT NULL,
    delete_after     DOUBLE PRECISION,
    deleted_at       DOUBLE PRECISION,
    PRIMARY KEY (migration_id, conversation)
);

CREATE INDEX migration_items_by_status ON migration_items (migration_id, status);

CREATE TABLE conversation_moves (
    workspace        TEXT NOT NULL,
    assistant        TEXT NOT NULL,
    conversation     TEXT NOT NULL,
    to_version       INTEGER NOT NULL,
    new_conversation TEXT NOT NULL,
    from_version     INTEGER NOT NULL,
    migration_id     TEXT NOT NULL,
    moved_at         DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (workspace, assistant, conversation, to_version)
);

CREATE TABLE rate_budgets (
    budget     TEXT PRIMARY KEY,
    tat        DOUBLE PRECISION NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL
);

-- Inventory, apply journal and the state lease (plan/apply).
-- Portable SQL for SQLite and PostgreSQL: TEXT, INTEGER, DOUBLE PRECISION; JSON is kept as TEXT;
-- booleans are INTEGER 0/1. No semicolons inside literals: the runner splits statements on them.
-- No column ever holds a secret.

CREATE TABLE inventory (
    workspace   TEXT NOT NULL,
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    path        TEXT NOT NULL DEFAULT '',
    platform_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL DEFAULT '',
    live_hash   TEXT NOT NULL DEFAULT '',
    protect     INTEGER NOT NULL DEFAULT 0,
    attributes  TEXT NOT NULL DEFAULT '{}',
    updated_at  DOUBLE PRECISION NOT NULL DEFAULT 0,
    PRIMARY KEY (workspace, kind, name, path)
);

CREATE TABLE applies (
    apply_id    TEXT PRIMARY KEY,
    seq         BIGINT NOT NULL,
    workspace   TEXT NOT NULL,
    plan_id     TEXT NOT NULL,
    status      TEXT NOT NULL,
    started_at  DOUBLE PRECISION NOT NULL,
    finished_at DOUBLE PRECISION
);

CREATE INDEX applies_by_workspace ON applies (workspace, status, seq);

CREATE TABLE apply_steps (
    apply_id   TEXT NOT NULL REFERENCES applies (apply_id) ON DELETE CASCADE,
    step_key   TEXT NOT NULL,
    status     TEXT NOT NULL,
    detail     TEXT NOT NULL DEFAULT '{}',
    attempts   INTEGER NOT NULL DEFAULT 0,
    updated_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (apply_id, step_key)
);

CREATE TABLE locks (
    workspace   TEXT PRIMARY KEY,
    lock_id     TEXT NOT NULL,
    owner       TEXT NOT NULL,
    host        TEXT NOT NULL,
    acquired_at DOUBLE PRECISION NOT NULL,
    expires_at  DOUBLE PRECISION NOT NULL,
    ttl_seconds DOUBLE PRECISION NOT NULL
);

-- Immutable assistant versions and release pointers with their history (versions and rollback).
-- {{ID_PRIMARY_KEY}} is the one per-dialect substitution: an auto-numbered surrogate key.

CREATE TABLE versions (
    workspace   TEXT NOT NULL,
    assistant   TEXT NOT NULL,
    number      INTEGER NOT NULL,
    platform_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    parent      INTEGER,
    created_at  DOUBLE PRECISION NOT NULL DEFAULT 0,
    verdict     TEXT NOT NULL DEFAULT '{}',
    deleted     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (workspace, assistant, number)
);

CREATE INDEX versions_by_fingerprint ON versions (workspace, assistant, fingerprint);

CREATE TABLE pointers (
    workspace  TEXT NOT NULL,
    assistant  TEXT NOT NULL,
    pointer    TEXT NOT NULL,
    version    INTEGER NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (workspace, assistant, pointer),
    FOREIGN KEY (workspace, assistant, version) REFERENCES versions (workspace, assistant, number)
);

CREATE TABLE pointer_history (
    id            {{ID_PRIMARY_KEY}},
    workspace     TEXT NOT NULL,
    assistant     TEXT NOT NULL,
    pointer       TEXT NOT NULL,
    from_version  INTEGER,
    to_version    INTEGER NOT NULL,
    moved_at      DOUBLE PRECISION NOT NULL,
    moved_by_user TEXT NOT NULL,
    moved_by_host TEXT NOT NULL,
    reason        TEXT NOT NULL DEFAULT ''
);

CREATE INDEX pointer_history_by_assistant ON pointer_history (workspace, assistant, id);

-- Where each cursor list's pages began at the last read, so the next read can request every page at
-- once instead of one after another. Hints only: a stale or missing row costs round trips, never data.

CREATE TABLE list_hints (
    workspace  TEXT NOT NULL,
    listing    TEXT NOT NULL,
    cursors    TEXT NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (workspace, listing)
);

-- Canary rollouts (issue 16). `rollouts` keeps each rollout's record (steps, analysis and the analysis
-- templates they name frozen as JSON at its start; `revision` grows with every save, which names the revision it read: compare and swap);
-- `rollout_events` every move of one, as pointer_history does for pointers; `analysis_runs` each step's
-- analysis with its measurements so far (step -1: background analysis).

CREATE TABLE rollouts (
    id              TEXT PRIMARY KEY,
    workspace       TEXT NOT NULL,
    assistant       TEXT NOT NULL,
    stable_version  INTEGER NOT NULL,
    canary_version  INTEGER NOT NULL,
    steps           TEXT NOT NULL,
    analysis        TEXT,
    templates       TEXT NOT NULL DEFAULT '{}',
    on_abort        TEXT NOT NULL,
    status          TEXT NOT NULL,
    step_index      INTEGER NOT NULL,
    step_started_at DOUBLE PRECISION NOT NULL,
    weight          INTEGER NOT NULL,
    message         TEXT NOT NULL DEFAULT '',
    created_at      DOUBLE PRECISION NOT NULL,
    updated_at      DOUBLE PRECISION NOT NULL,
    revision        INTEGER NOT NULL
);

CREATE INDEX rollouts_by_assistant ON rollouts (workspace, assistant, created_at);

-- At most one active (progressing or paused) rollout per assistant. The store checks first and says so
-- in a sentence; the index holds even against a writer that did not.
CREATE UNIQUE INDEX rollouts_one_active ON rollouts (workspace, assistant)
    WHERE status IN ('progressing', 'paused');

CREATE TABLE rollout_events (
    id          {{ID_PRIMARY_KEY}},
    workspace   TEXT NOT NULL,
    rollout_id  TEXT NOT NULL REFERENCES rollouts (id),
    assistant   TEXT NOT NULL,
    action      TEXT NOT NULL,
    at          DOUBLE PRECISION NOT NULL,
    by_user     TEXT NOT NULL,
    by_host     TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    step_index  INTEGER NOT NULL,
    weight      INTEGER NOT NULL
);

CREATE INDEX rollout_events_by_rollout ON rollout_events (rollout_id, id);

CREATE TABLE analysis_runs (
    rollout_id   TEXT NOT NULL REFERENCES rollouts (id),
    step_index   INTEGER NOT NULL,
    workspace    TEXT NOT NULL,
    templates    TEXT NOT NULL,
    args         TEXT NOT NULL DEFAULT '{}',
    phase        TEXT NOT NULL,
    started_at   DOUBLE PRECISION NOT NULL,
    finished_at  DOUBLE PRECISION,
    measurements TEXT NOT NULL DEFAULT '[]',
    message      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (rollout_id, step_index)
);

-- Each conversation (or thread) the runtime pinned to a version: written once, when it is first seen
-- (insert if absent, so racing writers agree on the first one's version); `last_seen` moves in batches.
-- The index answers "how many conversations per version, seen since T" without touching the table.

CREATE TABLE conversations (
    workspace    TEXT NOT NULL,
    assistant    TEXT NOT NULL,
    conversation TEXT NOT NULL,
    version      INTEGER NOT NULL,
    assigned_at  DOUBLE PRECISION NOT NULL,
    last_seen    DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (workspace, assistant, conversation)
);

CREATE INDEX conversations_by_version ON conversations (workspace, assistant, version, last_seen);

-- What the runtime recorded per version and second (`bucket`: epoch seconds, floored), summed as
-- batches arrive (`latency_ms_max` keeps the maximum); analysis sums the buckets of a window.

CREATE TABLE telemetry (
    workspace          TEXT NOT NULL,
    assistant          TEXT NOT NULL,
    version            INTEGER NOT NULL,
    bucket             BIGINT NOT NULL,
    responses          BIGINT NOT NULL DEFAULT 0,
    failed             BIGINT NOT NULL DEFAULT 0,
    tool_calls         BIGINT NOT NULL DEFAULT 0,
    invalid_tool_calls BIGINT NOT NULL DEFAULT 0,
    tool_errors        BIGINT NOT NULL DEFAULT 0,
    latency_ms_sum     DOUBLE PRECISION NOT NULL DEFAULT 0,
    latency_ms_max     DOUBLE PRECISION NOT NULL DEFAULT 0,
    input_tokens       BIGINT NOT NULL DEFAULT 0,
    output_tokens      BIGINT NOT NULL DEFAULT 0,
    cost_usd           DOUBLE PRECISION NOT NULL DEFAULT 0,
    PRIMARY KEY (workspace, assistant, version, bucket)
)

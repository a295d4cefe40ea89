-- Budget overruns shipped under `acceptOver` (issue 19): a plan whose cost estimate passed a budget was
-- applied because an acceptance covered it. One row per apply and budget scope, written when the apply
-- has succeeded (as an `acceptBreaking` is written with the pointer move it let through), so
-- `reconcile costs` can say who accepted which overrun and why. Amounts are decimal US dollars as text: exact on both backends.

CREATE TABLE budget_acceptances (
    workspace  TEXT NOT NULL,
    apply_id   TEXT NOT NULL,
    plan_id    TEXT NOT NULL,
    scope      TEXT NOT NULL,
    monthly    TEXT NOT NULL,
    estimate   TEXT NOT NULL,
    up_to      TEXT NOT NULL,
    reason     TEXT NOT NULL,
    at         DOUBLE PRECISION NOT NULL,
    by_user    TEXT NOT NULL,
    by_host    TEXT NOT NULL,
    PRIMARY KEY (apply_id, scope)
);

CREATE INDEX budget_acceptances_by_time ON budget_acceptances (workspace, at);

-- Shared pacing budgets (store.pace): per budget, such as the Admin API of one platform endpoint, the
-- start times of the requests admitted in the last window, as a JSON array of epoch seconds, so every
-- process on this store keeps one pace. Times, not holdings: a crashed process holds nothing for long.

CREATE TABLE pace_budgets (
    budget     TEXT PRIMARY KEY,
    slots      TEXT NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL
);

-- The process that holds a lease: its pid and start token (boot id, pid namespace, start time), so a
-- rerun on the same host can prove a killed apply gone and take its lock over instead of waiting out
-- the lease. Leases written before this migration have no pid and are never taken over early.

ALTER TABLE locks ADD COLUMN pid INTEGER;

ALTER TABLE locks ADD COLUMN process_start TEXT NOT NULL DEFAULT ''

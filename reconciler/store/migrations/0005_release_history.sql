-- The release history also records pointers that were cleared: when apply destroys an assistant, each
-- of its pointers stops naming any version. Such a row has `cleared` = 1 and keeps in `to_version` the
-- version the pointer let go (equal to `from_version`; the column stays NOT NULL); readers see no target.

ALTER TABLE pointer_history ADD COLUMN cleared INTEGER NOT NULL DEFAULT 0;

-- And which breaking change a move shipped under acceptBreaking (JSON: reason, behaviour fingerprints
-- before and after, the breaking findings), '{}' for none: the planner binds a reason to what it accepted.

ALTER TABLE pointer_history ADD COLUMN accepted TEXT NOT NULL DEFAULT '{}';

-- Release bundles: on a platform that stores no assistant versions (the Responses era) a version is the
-- bundle an application serves (model, instructions, tools with their schemas, resolved vector-store ids,
-- sampling, text format, metadata), kept with its version row as JSON. '{}' for a version that is a
-- platform assistant. Behaviour never changes under a version (its fingerprint is its key); metadata,
-- name and description may be rewritten in place, as a platform assistant's would be.

ALTER TABLE versions ADD COLUMN bundle TEXT NOT NULL DEFAULT '{}'

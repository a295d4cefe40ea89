-- The function tools of a version that is a platform assistant (Assistants v2): name -> its `parameters`
-- JSON Schema and `strict`, so the runtime can validate the arguments of the calls it records, as it does
-- from a release bundle's tools. '{}' for a bundle (its tools are in `bundle`) and for versions recorded
-- before this migration (their calls are counted but not validated).

ALTER TABLE versions ADD COLUMN tools TEXT NOT NULL DEFAULT '{}'

-- Vector-store files get inventory records of their own kind: `VectorStoreFile`, named `<store>/<path>`
-- (store names hold no slash). They were `VectorStore` rows told apart by a non-empty `path`. The path
-- column stays (it is part of the key) and is empty from now on; the `path` left in such a row's
-- attributes is read by nothing and goes when an apply next rewrites the record.

UPDATE inventory
SET kind = 'VectorStoreFile', name = name || '/' || path, path = ''
WHERE kind = 'VectorStore' AND path <> ''

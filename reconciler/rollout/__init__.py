"""Release pointers (stable, canary) and their history: versions view, promote, rollback, resolve
(`releases`), in-process move notifications (`events`) and garbage collection of old versions (`gc`)."""

"""Release pointers (stable, canary) and their history: promote, rollback, abort."""

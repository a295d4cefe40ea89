"""Running platform calls: retries with backoff that honours Retry-After, and the Admin API's pacer.

Both the plan's reads (in `service`) and apply's writes stand on this package, so it sits below them.
"""

"""The rollout defaults a command line shows before it does anything: the serving pointer's name and gc's
retention.

Its own module, importing nothing, so `reconcile --help` can print them without loading the store and the
models that `rollout.releases` and `rollout.gc` need.
"""

from __future__ import annotations

__all__ = ["DEFAULT_KEEP", "STABLE"]

# The pointer that names the serving version; apply moves it, rollback and promote move it back and forth.
STABLE = "stable"
# Newest versions gc keeps per assistant besides every version a pointer holds.
DEFAULT_KEEP = 5

"""Who runs this process, as leases, pointer moves and the journal record it: the user and the host.

Read here and nowhere else, so an apply, a rollback, gc and `state unlock` name the same person and
machine for the same run.
"""

from __future__ import annotations

import getpass
import os
import socket
from dataclasses import dataclass

__all__ = ["Identity", "whoami"]


@dataclass(frozen=True)
class Identity:
    """A user on a host."""

    user: str
    host: str


def whoami() -> Identity:
    """This process's user (USER when the password database has no entry, "unknown" without it) and
    host name. Read afresh each call: it is cheap, and a long-lived library process may change either."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = os.environ.get("USER", "unknown")
    return Identity(user=user, host=socket.gethostname())

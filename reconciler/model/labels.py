"""Ownership and fingerprint labels kept in platform `metadata`, and the budget they leave the user.

The platform allows 16 metadata pairs (keys <= 64 chars, values <= 512). We reserve RESERVED_KEYS for
ourselves, so a user's own metadata may hold at most USER_PAIR_BUDGET pairs.
"""

from __future__ import annotations

from collections.abc import Mapping

MAX_PAIRS = 16
MAX_KEY_LENGTH = 64
MAX_VALUE_LENGTH = 512

MANAGED_BY = "managed-by"
MANAGED_BY_VALUE = "reconciler"
NAME = "reconciler/name"
FINGERPRINT = "reconciler/fingerprint"
VERSION = "reconciler/version"
PARENT = "reconciler/parent"

RESERVED_KEYS: tuple[str, ...] = (MANAGED_BY, NAME, FINGERPRINT, VERSION, PARENT)
RESERVED_PREFIX = "reconciler/"
USER_PAIR_BUDGET = MAX_PAIRS - len(RESERVED_KEYS)


def is_reserved(key: str) -> bool:
    return key == MANAGED_BY or key.startswith(RESERVED_PREFIX)


def is_managed(metadata: Mapping[str, str] | None) -> bool:
    return bool(metadata) and metadata is not None and metadata.get(MANAGED_BY) == MANAGED_BY_VALUE


def user_metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    """The user's own pairs, with ours removed."""
    return {k: v for k, v in (metadata or {}).items() if not is_reserved(k)}


def with_labels(user: Mapping[str, str], **labels: str | None) -> dict[str, str]:
    """User metadata plus our labels (keywords: name=, fingerprint=, version=, parent=)."""
    keys = {"name": NAME, "fingerprint": FINGERPRINT, "version": VERSION, "parent": PARENT}
    out = dict(user)
    out[MANAGED_BY] = MANAGED_BY_VALUE
    for arg, value in labels.items():
        if value is not None:
            out[keys[arg]] = value
    return out


# Attributes we keep on each vector-store file: its content hash and project path, so a re-apply uploads
# only what changed. They count against the platform's 16 attribute keys like user attributes do.
FILE_SHA256 = "reconciler_sha256"
FILE_PATH = "reconciler_path"
FILE_ATTRIBUTE_KEYS: tuple[str, ...] = (FILE_SHA256, FILE_PATH)
MAX_FILE_ATTRIBUTES = 16

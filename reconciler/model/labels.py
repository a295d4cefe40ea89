"""Ownership and fingerprint labels kept in platform `metadata`, and the budget they leave the user.

The platform allows 16 metadata pairs (keys <= 64 chars, values <= 512). We reserve RESERVED_KEYS for
ourselves, so a user's own metadata may hold at most USER_PAIR_BUDGET pairs.

`managed-by` says reconciler made an object; `reconciler/owner` says which project and workspace did
(`corporate-assist/production`), so two projects, or two workspaces of one project, sharing a platform
never take each other's objects. Objects labelled before the owner label existed carry none: they stay
ours only where our inventory records them.

Uploaded files have no metadata (OpenAI's File object holds id, bytes, created_at, filename and purpose,
and files of purpose `assistants` cannot be downloaded), so their one label is their name: we upload
`policy.md` as `policy.rcl-<tag>.md`, the tag a hash of (owner, project path, content SHA-256), the
extension kept last so ingestion still knows the type. A file is taken as one of our uploads only when
its name carries exactly the tag expected: that proves owner, path and content at once, where a name and
a size proved nothing (two `policy.md` of 34 bytes swapped; a user's own copy was taken and deleted).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import PurePosixPath

from reconciler.model.canonical import fingerprint

MAX_PAIRS = 16
MAX_KEY_LENGTH = 64
MAX_VALUE_LENGTH = 512

MANAGED_BY = "managed-by"
MANAGED_BY_VALUE = "reconciler"
NAME = "reconciler/name"
FINGERPRINT = "reconciler/fingerprint"
VERSION = "reconciler/version"
PARENT = "reconciler/parent"
OWNER = "reconciler/owner"
# Conversation migrations (issue 17): the copy names its original, the original names its copy.
MIGRATED_FROM = "reconciler/migrated-from"
MIGRATED_TO = "reconciler/migrated-to"

RESERVED_KEYS: tuple[str, ...] = (MANAGED_BY, OWNER, NAME, FINGERPRINT, VERSION, PARENT)
RESERVED_PREFIX = "reconciler/"
USER_PAIR_BUDGET = MAX_PAIRS - len(RESERVED_KEYS)


def is_reserved(key: str) -> bool:
    return key == MANAGED_BY or key.startswith(RESERVED_PREFIX)


def is_managed(metadata: Mapping[str, str] | None) -> bool:
    return bool(metadata) and metadata is not None and metadata.get(MANAGED_BY) == MANAGED_BY_VALUE


def owner_value(project: str, workspace: str) -> str:
    """The owner label of a project's workspace (a target): `project/workspace`, cut to the value limit."""
    return f"{project}/{workspace}"[:MAX_VALUE_LENGTH]


def owner_of(metadata: Mapping[str, str] | None) -> str | None:
    """The owner a managed object names; None for unmanaged objects and for those labelled before owners."""
    return (metadata or {}).get(OWNER) if is_managed(metadata) else None


def is_ours(metadata: Mapping[str, str] | None, owner: str) -> bool:
    """Labelled by this owner: the only objects a look-up (recovery, adoption) may take as ours."""
    return bool(owner) and owner_of(metadata) == owner


def foreign_owner(metadata: Mapping[str, str] | None, owner: str) -> str | None:
    """The other owner an object names, when it names one that is not `owner`."""
    other = owner_of(metadata)
    return other if other is not None and other != owner else None


def user_metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    """The user's own pairs, with ours removed."""
    return {k: v for k, v in (metadata or {}).items() if not is_reserved(k)}


def with_labels(user: Mapping[str, str], *, owner: str, **labels: str | None) -> dict[str, str]:
    """User metadata plus our labels (keywords: name=, fingerprint=, version=, parent=)."""
    keys = {"name": NAME, "fingerprint": FINGERPRINT, "version": VERSION, "parent": PARENT}
    out = dict(user)
    out[MANAGED_BY] = MANAGED_BY_VALUE
    if owner:
        out[OWNER] = owner
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


# ---- uploads: the identity tag in a file's name ------------------------------------------------------

FILE_TAG_MARK = "rcl-"
FILE_TAG_LENGTH = 16
_TAGGED = re.compile(rf"\.{FILE_TAG_MARK}([0-9a-f]{{{FILE_TAG_LENGTH}}})(\.[^./]*)?$")


def file_tag(owner: str, path: str, sha256: str) -> str:
    """The identity of one upload: which owner uploaded which project path with which content."""
    return fingerprint({"owner": owner, "path": path, "sha256": sha256}, length=FILE_TAG_LENGTH)


def tagged_filename(path: str, tag: str) -> str:
    """The name a project file is uploaded under: `docs/policy.md` -> `policy.rcl-<tag>.md`."""
    name = PurePosixPath(path)
    return f"{name.stem}.{FILE_TAG_MARK}{tag}{name.suffix}"


def tag_of(filename: str) -> str | None:
    """The tag a file's name carries; None for names we did not give (a user's files, older uploads)."""
    match = _TAGGED.search(filename)
    return match.group(1) if match else None


def merged_within_limits(
    existing: Mapping[str, str] | None, extra: Mapping[str, str]
) -> dict[str, str] | None:
    """`existing` with `extra` merged in (ours win on a shared key), or None when the result breaks the
    platform's rules: more than MAX_PAIRS pairs, a key over MAX_KEY_LENGTH or a value over
    MAX_VALUE_LENGTH characters."""
    merged = {**(existing or {}), **extra}
    if len(merged) > MAX_PAIRS:
        return None
    if any(len(k) > MAX_KEY_LENGTH or len(v) > MAX_VALUE_LENGTH for k, v in merged.items()):
        return None
    return merged

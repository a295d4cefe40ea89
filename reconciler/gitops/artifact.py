"""The saved plan out of a workflow artifact's zip, pure: one JSON file read into memory, never written
under a name the archive chose.

An artifact is whatever the plan job uploaded, so it is read as untrusted: at most one `plan-*.json`
member, a plain name (no directory, no `..`, no absolute path, no drive), its size bounded before and
while it is read (a zip bomb stops at the bound), and a bounded number of members.
"""

from __future__ import annotations

import io
import re
import zipfile

from reconciler.errors import PlanFileError

MAX_PLAN_BYTES = 64 * 1024 * 1024  # a 3,000-assistant plan is ~12 MB of JSON
MAX_MEMBERS = 16
_PLAN_NAME = re.compile(r"plan-[A-Za-z0-9._-]{1,200}\.json")


def plan_from_zip(data: bytes, *, source: str, limit: int = MAX_PLAN_BYTES) -> bytes:
    """The bytes of the one `plan-*.json` at the top of the zip `data`; a PlanFileError naming `source`
    for anything else (not a zip, no plan, two plans, a path, a member over `limit` bytes)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise PlanFileError(f"{source}: not a zip archive") from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise PlanFileError(f"{source}: {len(members)} files, more than a saved plan's artifact holds")
        for member in members:
            if not safe_name(member.filename):
                raise PlanFileError(
                    f"{source}: refused member {member.filename[:80]!r}: not a plain file name"
                )
        plans = [m for m in members if _PLAN_NAME.fullmatch(m.filename)]
        if len(plans) != 1:
            found = "no" if not plans else str(len(plans))
            raise PlanFileError(f"{source}: {found} plan-*.json files; a saved plan's artifact holds one")
        (member,) = plans
        if member.file_size > limit:
            raise PlanFileError(f"{source}: {member.filename} is {member.file_size} bytes, over {limit}")
        try:
            with archive.open(member) as stream:
                content = stream.read(limit + 1)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError) as error:
            raise PlanFileError(f"{source}: cannot read {member.filename}: {error}") from None
        if len(content) > limit:  # the header lied about the size
            raise PlanFileError(f"{source}: {member.filename} is over {limit} bytes")
        return content


def safe_name(name: str) -> bool:
    """A member name with no directory part: no separator, no `..`, not absolute, no drive letter."""
    return bool(name) and "/" not in name and "\\" not in name and name not in (".", "..") and ":" not in name

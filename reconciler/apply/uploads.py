"""What identifies one of our uploads: the tagged name it is sent under, what a file step journals before
sending it, the look-up that finds it again, and the inventory record it leaves.

A file is only ever taken as ours when its name carries exactly the tag of (owner, path, content): a lost
upload's look-up, a resumed apply's and an abandoned apply's cleanup all go through `find_upload`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from reconciler.model import labels
from reconciler.model.desired import Kind, ResourceKey
from reconciler.model.live import LiveFile
from reconciler.model.stored import InventoryRecord
from reconciler.plan.definition import ResourceChange
from reconciler.targets.base import Target
from reconciler.targets.handlers import Write

PURPOSE = "assistants"


def upload_name(owner: str, path: str, sha256: str) -> str:
    """The name a project file's content is uploaded under (`model.labels.tagged_filename`)."""
    return labels.tagged_filename(path, labels.file_tag(owner, path, sha256))


def upload_detail(change: ResourceChange, owner: str) -> dict[str, object]:
    """What a file step's journal record says before the upload is sent: enough to find it again."""
    spec = change.spec or {}
    return {
        "filename": upload_name(owner, change.name, str(spec.get("sha256"))),
        "size": spec.get("size"),
        "sha256": spec.get("sha256"),
    }


def find_upload(target: Target, detail: Mapping[str, Any], taken: Collection[str]) -> list[LiveFile]:
    """Uploads named exactly as a journalled (or about to be sent) upload, that no record takes.

    A detail journalled before names carried a tag gives nothing: a plain name and a size would match a
    user's file, or our other file of that name and size."""
    filename, size = detail.get("filename"), detail.get("size")
    if not isinstance(filename, str) or labels.tag_of(filename) is None or not isinstance(size, int):
        return []
    found = target.handlers[Kind.FILE].recover(
        Write({"filename": filename, "size": size, "purpose": PURPOSE})
    )
    return [f for f in found if f.id not in taken]


def upload_record(path: str, platform_id: str, sha256: str, filename: str | None) -> InventoryRecord:
    """An upload as the platform holds it: the content the tag in its name proves (or, for an upload
    named before tags, the content the inventory or our store's attributes recorded)."""
    attributes: dict[str, Any] = {"sha256": sha256}
    if filename:
        attributes["filename"] = filename
    return InventoryRecord(
        key=ResourceKey(kind=Kind.FILE, name=path),
        platform_id=platform_id,
        fingerprint=sha256[:16],
        attributes=attributes,
    )

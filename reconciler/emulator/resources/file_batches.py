"""File batches: `/vector_stores/{id}/file_batches` create, `/{batch_id}` get, `/cancel`, `/files` list
(VectorStoreFileBatchObject). A batch attaches its files like single attaches and tracks them."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from reconciler.emulator.http import ApiError, body, json_response, new_id, paginate
from reconciler.emulator.resources.ingestion import (
    BATCH,
    VS_FILE,
    attach,
    chunking,
    counts,
    file_status,
    file_view,
    load_vector_store,
    public,
)
from reconciler.emulator.resources.vector_store_files import status_filter
from reconciler.emulator.router import Context, Router
from reconciler.emulator.storage import JSON

GROUP = "vector_stores"
MAX_FILES = 2000


def register(router: Router) -> None:
    base = "/v1/vector_stores/<vector_store_id>/file_batches"
    router.add("POST", base, create_batch, group=GROUP)
    router.add("GET", f"{base}/<batch_id>", get_batch, group=GROUP)
    router.add("POST", f"{base}/<batch_id>/cancel", cancel_batch, group=GROUP)
    router.add("GET", f"{base}/<batch_id>/files", list_batch_files, group=GROUP)


def _members(ctx: Context, batch: JSON) -> list[JSON]:
    return [
        f for f in ctx.storage.all(VS_FILE, parent=batch["vector_store_id"]) if batch["id"] in f["_batches"]
    ]


def view(ctx: Context, batch: JSON) -> JSON:
    file_counts = counts(ctx, _members(ctx, batch))
    out = public(batch)
    out["file_counts"] = file_counts
    if batch.get("_cancelled"):
        out["status"] = "cancelled"
    elif file_counts["in_progress"]:
        out["status"] = "in_progress"
    elif file_counts["total"] and file_counts["failed"] == file_counts["total"]:
        out["status"] = "failed"
    else:
        out["status"] = "completed"
    return out


def create_batch(ctx: Context, request: Request, vector_store_id: str) -> Response:
    data = body(request)
    for key in data:
        if key not in ("file_ids", "files", "chunking_strategy", "attributes"):
            raise ApiError(400, f"Unrecognized request argument supplied: {key}", param=key)
    entries = _entries(data)
    chunking(data.get("chunking_strategy"))
    batch: JSON = {
        "id": new_id("vsfb_"),
        "object": "vector_store.files_batch",
        "created_at": int(ctx.clock()),
        "vector_store_id": vector_store_id,
        "status": "in_progress",
        "file_counts": {},
    }
    with ctx.storage.atomic():
        load_vector_store(ctx, vector_store_id)
        ctx.storage.insert(BATCH, batch, parent=vector_store_id)
        for index, entry in enumerate(entries):
            attach(
                ctx,
                vector_store_id,
                entry.get("file_id"),
                chunking_strategy=entry.get("chunking_strategy", data.get("chunking_strategy")),
                attrs=entry.get("attributes", data.get("attributes")),
                batch_id=batch["id"],
                param=f"files[{index}].file_id",
            )
    return json_response(view(ctx, batch))


def _entries(data: JSON) -> list[JSON]:
    """`file_ids` or `files` (one of them, 1 to 2000 entries)."""
    file_ids: Any = data.get("file_ids")
    files: Any = data.get("files")
    if (file_ids is None) == (files is None):
        raise ApiError(400, "Provide exactly one of 'file_ids' or 'files'.", param="file_ids")
    items = file_ids if file_ids is not None else files
    param = "file_ids" if file_ids is not None else "files"
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_FILES:
        raise ApiError(400, f"Invalid '{param}': expected an array of 1 to {MAX_FILES} items.", param=param)
    if file_ids is not None:
        return [{"file_id": file_id} for file_id in file_ids]
    for index, entry in enumerate(files):
        if not isinstance(entry, dict):
            raise ApiError(
                400, f"Invalid type for 'files[{index}]': expected an object.", param=f"files[{index}]"
            )
    return list(files)


def get_batch(ctx: Context, request: Request, vector_store_id: str, batch_id: str) -> Response:
    return json_response(view(ctx, _load(ctx, vector_store_id, batch_id)))


def cancel_batch(ctx: Context, request: Request, vector_store_id: str, batch_id: str) -> Response:
    with ctx.storage.atomic():
        batch = _load(ctx, vector_store_id, batch_id)
        if view(ctx, batch)["status"] == "in_progress":
            # Files already ingested stay as they are; the rest stop where they are.
            for vs_file in _members(ctx, batch):
                if file_status(ctx, vs_file) == "in_progress":
                    vs_file["_cancelled"] = True
                    ctx.storage.put(VS_FILE, vs_file, parent=vector_store_id)
            batch["_cancelled"] = True
            ctx.storage.put(BATCH, batch, parent=vector_store_id)
    return json_response(view(ctx, batch))


def list_batch_files(ctx: Context, request: Request, vector_store_id: str, batch_id: str) -> Response:
    _load(ctx, vector_store_id, batch_id)
    keep = status_filter(ctx, request, batch_id)
    return paginate(
        ctx.storage,
        request,
        VS_FILE,
        parent=vector_store_id,
        keep=keep,
        view=lambda f: file_view(ctx, f),
    )


def _load(ctx: Context, vector_store_id: str, batch_id: str) -> JSON:
    load_vector_store(ctx, vector_store_id)
    batch = ctx.storage.get(BATCH, batch_id, parent=vector_store_id)
    if batch is None:
        raise ApiError(404, f"No file batch found with id '{batch_id}'.", param="batch_id")
    return batch

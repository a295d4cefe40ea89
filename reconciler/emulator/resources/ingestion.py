"""Vector-store ingestion, driven by the clock rather than threads: states, counts and attaching files.

A vector-store file keeps a float `_t0` (when it was attached). It is `in_progress` until
`_t0 + ingestion_seconds`, then `completed`, or `failed` when the file cannot be indexed (empty, or an
extension outside file search's allow-list, `filetypes.FILE_SEARCH`). Cancelling freezes in-progress
files as `cancelled`. Every count and status is computed on read, so nothing has to run in the
background. Keys starting with `_` are internal and stripped by `public`.
"""

from __future__ import annotations

from typing import Any

from reconciler.emulator import filetypes
from reconciler.emulator.http import ApiError
from reconciler.emulator.router import Context
from reconciler.emulator.storage import JSON

VECTOR_STORE = "vector_store"
VS_FILE = "vector_store.file"
BATCH = "vector_store.file_batch"
FILE = "file"
STATUSES = ("in_progress", "completed", "failed", "cancelled")
# What the platform reports for `auto` (and for no strategy): a static 800-token chunk, 400 overlap.
AUTO_CHUNKING: JSON = {
    "type": "static",
    "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400},
}
MAX_ATTRIBUTES, MAX_ATTRIBUTE_KEY, MAX_ATTRIBUTE_VALUE = 16, 64, 512


def public(obj: JSON) -> JSON:
    return {k: v for k, v in obj.items() if not k.startswith("_")}


def file_status(ctx: Context, vs_file: JSON) -> str:
    if vs_file.get("_cancelled"):
        return "cancelled"
    if ctx.clock() < vs_file["_t0"] + ctx.config.ingestion_seconds:
        return "in_progress"
    return "failed" if vs_file.get("_failure") else "completed"


def file_view(ctx: Context, vs_file: JSON) -> JSON:
    status = file_status(ctx, vs_file)
    view = public(vs_file)
    view["status"] = status
    view["usage_bytes"] = vs_file["_bytes"] if status == "completed" else 0
    view["last_error"] = vs_file["_failure"] if status == "failed" else None
    return view


def counts(ctx: Context, vs_files: list[JSON]) -> JSON:
    tally = dict.fromkeys(STATUSES, 0)
    for vs_file in vs_files:
        tally[file_status(ctx, vs_file)] += 1
    return {**tally, "total": len(vs_files)}


def chunking(value: Any, *, param: str = "chunking_strategy") -> JSON:
    """Validate a ChunkingStrategyRequestParam; the response always reports the static parameters."""
    if value is None:
        return AUTO_CHUNKING
    if not isinstance(value, dict) or value.get("type") not in ("auto", "static"):
        raise ApiError(400, f"Invalid '{param}.type': expected 'auto' or 'static'.", param=f"{param}.type")
    if value["type"] == "auto":
        return AUTO_CHUNKING
    static = value.get("static")
    if not isinstance(static, dict):
        raise ApiError(400, f"Missing required parameter: '{param}.static'.", param=f"{param}.static")
    size, overlap = static.get("max_chunk_size_tokens"), static.get("chunk_overlap_tokens")
    if not isinstance(size, int) or isinstance(size, bool) or not 100 <= size <= 4096:
        raise ApiError(
            400,
            f"Invalid '{param}.static.max_chunk_size_tokens': expected 100 to 4096.",
            param=f"{param}.static.max_chunk_size_tokens",
        )
    # The platform: the overlap must not exceed half of the chunk size.
    if not isinstance(overlap, int) or isinstance(overlap, bool) or not 0 <= overlap <= size // 2:
        raise ApiError(
            400,
            f"Invalid '{param}.static.chunk_overlap_tokens': expected 0 to half of max_chunk_size_tokens.",
            param=f"{param}.static.chunk_overlap_tokens",
        )
    return {"type": "static", "static": {"max_chunk_size_tokens": size, "chunk_overlap_tokens": overlap}}


def attributes(value: Any, *, param: str = "attributes") -> JSON | None:
    """The platform's rules: at most 16 keys of <= 64 chars; values strings (<= 512), numbers or booleans."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ApiError(400, f"Invalid type for '{param}': expected an object.", param=param)
    if len(value) > MAX_ATTRIBUTES:
        raise ApiError(
            400,
            f"Invalid '{param}': too many properties; at most {MAX_ATTRIBUTES} are allowed.",
            param=param,
            code="object_above_max_properties",
        )
    for key, item in value.items():
        if len(key) > MAX_ATTRIBUTE_KEY:
            raise ApiError(
                400, f"Invalid '{param}': key too long (max {MAX_ATTRIBUTE_KEY}).", param=f"{param}.{key}"
            )
        if isinstance(item, str):
            if len(item) > MAX_ATTRIBUTE_VALUE:
                raise ApiError(
                    400,
                    f"Invalid '{param}.{key}': string too long (max {MAX_ATTRIBUTE_VALUE}).",
                    param=f"{param}.{key}",
                    code="string_above_max_length",
                )
        elif not isinstance(item, int | float | bool):
            raise ApiError(
                400,
                f"Invalid type for '{param}.{key}': expected a string, number or boolean.",
                param=f"{param}.{key}",
            )
    return dict(value)


def attach(
    ctx: Context,
    vs_id: str,
    file_id: Any,
    *,
    chunking_strategy: Any = None,
    attrs: Any = None,
    batch_id: str | None = None,
    param: str = "file_id",
) -> JSON:
    """Attach an uploaded file to a vector store (idempotent: attaching it again returns the same object)."""
    if not isinstance(file_id, str) or not file_id:
        raise ApiError(400, f"Missing required parameter: '{param}'.", param=param)
    strategy = chunking(chunking_strategy)
    checked = attributes(attrs)
    with ctx.storage.atomic():
        file = ctx.storage.get(FILE, file_id)
        if file is None:
            raise ApiError(404, f"No file found with id '{file_id}'.", param=param)
        existing = ctx.storage.get(VS_FILE, file_id, parent=vs_id)
        if existing is not None:
            if batch_id is not None and batch_id not in existing["_batches"]:
                existing["_batches"].append(batch_id)
                ctx.storage.put(VS_FILE, existing, parent=vs_id)
            return existing
        now = ctx.clock()
        vs_file: JSON = {
            "id": file_id,  # a vector-store file keeps its file's id
            "object": "vector_store.file",
            "usage_bytes": 0,
            "created_at": int(now),
            "vector_store_id": vs_id,
            "status": "in_progress",
            "last_error": None,
            "chunking_strategy": strategy,
            "attributes": checked or {},
            "_t0": now,
            "_bytes": file["bytes"],
            "_failure": _failure(file),
            "_batches": [batch_id] if batch_id else [],
        }
        ctx.storage.insert(VS_FILE, vs_file, parent=vs_id)
    return vs_file


def _failure(file: JSON) -> JSON | None:
    if file["bytes"] == 0:
        return {"code": "invalid_file", "message": "The file is empty and cannot be indexed."}
    filename = str(file["filename"])
    if not filetypes.searchable(filename):
        # What the platform says (the same words as its 400 for such a file on a message attachment).
        suffix = filetypes.extension(filename) or "(none)"
        return {
            "code": "unsupported_file",
            "message": f"Files with extensions [{suffix}] are not supported for retrieval.",
        }
    return None


def load_vector_store(ctx: Context, vs_id: str) -> JSON:
    store = ctx.storage.get(VECTOR_STORE, vs_id)
    if store is None:
        raise ApiError(404, f"No vector store found with id '{vs_id}'.", param="vector_store_id")
    return store

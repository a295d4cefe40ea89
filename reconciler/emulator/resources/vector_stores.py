"""Vector stores: `/vector_stores` list/create, `/vector_stores/{id}` get/modify/delete (VectorStoreObject).

`file_counts`, `usage_bytes` and `status` are computed on read from the store's files (see ingestion).
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from reconciler.emulator.http import ApiError, body, check_metadata, json_response, new_id, paginate
from reconciler.emulator.resources.ingestion import (
    VECTOR_STORE,
    VS_FILE,
    attach,
    chunking,
    counts,
    file_view,
    load_vector_store,
    public,
)
from reconciler.emulator.router import Context, Router
from reconciler.emulator.storage import JSON

_CREATE = ("file_ids", "name", "expires_after", "chunking_strategy", "metadata", "description")
_MODIFY = ("name", "expires_after", "metadata")
MAX_FILE_IDS = 500
DAY = 86_400


def register(router: Router) -> None:
    router.add("GET", "/v1/vector_stores", list_vector_stores, group="vector_stores")
    router.add("POST", "/v1/vector_stores", create_vector_store, group="vector_stores")
    router.add("GET", "/v1/vector_stores/<vector_store_id>", get_vector_store, group="vector_stores")
    router.add("POST", "/v1/vector_stores/<vector_store_id>", modify_vector_store, group="vector_stores")
    router.add("DELETE", "/v1/vector_stores/<vector_store_id>", delete_vector_store, group="vector_stores")


def view(ctx: Context, store: JSON) -> JSON:
    files = ctx.storage.all(VS_FILE, parent=store["id"])
    file_counts = counts(ctx, files)
    out = public(store)
    out["file_counts"] = file_counts
    out["usage_bytes"] = sum(file_view(ctx, f)["usage_bytes"] for f in files)
    expires_at = out.get("expires_at")
    if expires_at is not None and ctx.clock() >= expires_at:
        out["status"] = "expired"
    else:
        out["status"] = "in_progress" if file_counts["in_progress"] else "completed"
    return out


def list_vector_stores(ctx: Context, request: Request) -> Response:
    return paginate(ctx.storage, request, VECTOR_STORE, view=lambda s: view(ctx, s))


def create_vector_store(ctx: Context, request: Request) -> Response:
    data = body(request)
    _reject_unknown(data, _CREATE)
    file_ids = data.get("file_ids") or []
    if not isinstance(file_ids, list) or len(file_ids) > MAX_FILE_IDS:
        raise ApiError(
            400, f"Invalid 'file_ids': expected an array of at most {MAX_FILE_IDS} ids.", param="file_ids"
        )
    strategy = data.get("chunking_strategy")
    chunking(strategy)  # validate before anything is written
    created_at = int(ctx.clock())
    store: JSON = {
        "id": new_id("vs_"),
        "object": "vector_store",
        "created_at": created_at,
        # The spec requires a string name; the platform's unnamed stores get the empty string here.
        "name": "",
        "usage_bytes": 0,
        "file_counts": {},
        "status": "completed",
        "last_active_at": created_at,
        "expires_at": None,
        "metadata": {},
    }
    _apply(store, data)
    with ctx.storage.atomic():
        ctx.storage.insert(VECTOR_STORE, store)
        for index, file_id in enumerate(file_ids):
            attach(ctx, store["id"], file_id, chunking_strategy=strategy, param=f"file_ids[{index}]")
    return json_response(view(ctx, store))


def get_vector_store(ctx: Context, request: Request, vector_store_id: str) -> Response:
    return json_response(view(ctx, load_vector_store(ctx, vector_store_id)))


def modify_vector_store(ctx: Context, request: Request, vector_store_id: str) -> Response:
    data = body(request)
    _reject_unknown(data, _MODIFY)
    with ctx.storage.atomic():
        store = load_vector_store(ctx, vector_store_id)
        _apply(store, data)
        ctx.storage.put(VECTOR_STORE, store)
    return json_response(view(ctx, store))


def delete_vector_store(ctx: Context, request: Request, vector_store_id: str) -> Response:
    # Storage.delete also removes the store's children: its files and batches.
    if not ctx.storage.delete(VECTOR_STORE, vector_store_id):
        raise ApiError(404, f"No vector store found with id '{vector_store_id}'.", param="vector_store_id")
    return json_response({"id": vector_store_id, "object": "vector_store.deleted", "deleted": True})


def _reject_unknown(data: JSON, allowed: tuple[str, ...]) -> None:
    for key in data:
        if key not in allowed:
            raise ApiError(400, f"Unrecognized request argument supplied: {key}", param=key)


def _apply(store: JSON, data: JSON) -> None:
    if "name" in data:
        name = data["name"]
        if name is not None and not isinstance(name, str):
            raise ApiError(400, "Invalid type for 'name': expected a string.", param="name")
        store["name"] = name or ""
    if "metadata" in data:
        store["metadata"] = check_metadata(data["metadata"]) or {}
    if "expires_after" in data:
        expires_after = _expires_after(data["expires_after"])
        if expires_after is None:
            store.pop("expires_after", None)
            store["expires_at"] = None
        else:
            store["expires_after"] = expires_after
            store["expires_at"] = store["last_active_at"] + expires_after["days"] * DAY


def _expires_after(value: Any) -> JSON | None:
    if value is None:
        return None
    days = value.get("days") if isinstance(value, dict) else None
    if not isinstance(value, dict) or value.get("anchor") != "last_active_at":
        raise ApiError(
            400, "Invalid 'expires_after.anchor': expected 'last_active_at'.", param="expires_after.anchor"
        )
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 365:
        raise ApiError(400, "Invalid 'expires_after.days': expected 1 to 365.", param="expires_after.days")
    return {"anchor": "last_active_at", "days": days}

"""Vector-store files: `/vector_stores/{id}/files` list (with `filter`)/create, and
`/vector_stores/{id}/files/{file_id}` get/update `attributes`/delete (VectorStoreFileObject).

Eventual consistency: for `consistency_lag_seconds` after attaching, a GET of the file answers 404,
as the real platform briefly does.
"""

from __future__ import annotations

from collections.abc import Callable

from werkzeug.wrappers import Request, Response

from reconciler.emulator.http import ApiError, body, json_response, paginate
from reconciler.emulator.resources.ingestion import (
    STATUSES,
    VS_FILE,
    attach,
    attributes,
    file_status,
    file_view,
    load_vector_store,
)
from reconciler.emulator.router import Context, Router
from reconciler.emulator.storage import JSON

_CREATE = ("file_id", "chunking_strategy", "attributes")
GROUP = "vector_stores"


def register(router: Router) -> None:
    base = "/v1/vector_stores/<vector_store_id>/files"
    router.add("GET", base, list_files, group=GROUP)
    router.add("POST", base, create_file, group=GROUP)
    router.add("GET", f"{base}/<file_id>", get_file, group=GROUP)
    router.add("POST", f"{base}/<file_id>", update_file, group=GROUP)
    router.add("DELETE", f"{base}/<file_id>", delete_file, group=GROUP)


def status_filter(
    ctx: Context, request: Request, batch_id: str | None = None
) -> Callable[[JSON], bool] | None:
    """The `keep` predicate for a list: the `filter` status and, for a batch, membership."""
    wanted = request.args.get("filter")
    if wanted is not None and wanted not in STATUSES:
        raise ApiError(
            400,
            f"Invalid value for 'filter': '{wanted}'. Expected one of {', '.join(STATUSES)}.",
            param="filter",
        )

    def keep(vs_file: JSON) -> bool:
        if batch_id is not None and batch_id not in vs_file["_batches"]:
            return False
        return wanted is None or file_status(ctx, vs_file) == wanted

    return keep if (wanted is not None or batch_id is not None) else None


def list_files(ctx: Context, request: Request, vector_store_id: str) -> Response:
    load_vector_store(ctx, vector_store_id)
    keep = status_filter(ctx, request)
    return paginate(
        ctx.storage,
        request,
        VS_FILE,
        parent=vector_store_id,
        keep=keep,
        view=lambda f: file_view(ctx, f),
    )


def create_file(ctx: Context, request: Request, vector_store_id: str) -> Response:
    data = body(request)
    for key in data:
        if key not in _CREATE:
            raise ApiError(400, f"Unrecognized request argument supplied: {key}", param=key)
    load_vector_store(ctx, vector_store_id)
    vs_file = attach(
        ctx,
        vector_store_id,
        data.get("file_id"),
        chunking_strategy=data.get("chunking_strategy"),
        attrs=data.get("attributes"),
    )
    return json_response(file_view(ctx, vs_file))


def get_file(ctx: Context, request: Request, vector_store_id: str, file_id: str) -> Response:
    vs_file = _load(ctx, vector_store_id, file_id)
    if ctx.clock() < vs_file["_t0"] + ctx.config.consistency_lag_seconds:
        raise _missing(vector_store_id, file_id)  # not yet visible to reads
    return json_response(file_view(ctx, vs_file))


def update_file(ctx: Context, request: Request, vector_store_id: str, file_id: str) -> Response:
    data = body(request)
    for key in data:
        if key != "attributes":
            raise ApiError(400, f"Unrecognized request argument supplied: {key}", param=key)
    if "attributes" not in data:
        raise ApiError(400, "Missing required parameter: 'attributes'.", param="attributes")
    checked = attributes(data["attributes"])
    with ctx.storage.atomic():
        vs_file = _load(ctx, vector_store_id, file_id)
        vs_file["attributes"] = checked or {}
        ctx.storage.put(VS_FILE, vs_file, parent=vector_store_id)
    return json_response(file_view(ctx, vs_file))


def delete_file(ctx: Context, request: Request, vector_store_id: str, file_id: str) -> Response:
    load_vector_store(ctx, vector_store_id)
    if not ctx.storage.delete(VS_FILE, file_id, parent=vector_store_id):
        raise _missing(vector_store_id, file_id)
    return json_response({"id": file_id, "object": "vector_store.file.deleted", "deleted": True})


def _load(ctx: Context, vector_store_id: str, file_id: str) -> JSON:
    load_vector_store(ctx, vector_store_id)
    vs_file = ctx.storage.get(VS_FILE, file_id, parent=vector_store_id)
    if vs_file is None:
        raise _missing(vector_store_id, file_id)
    return vs_file


def _missing(vector_store_id: str, file_id: str) -> ApiError:
    return ApiError(
        404, f"No file found with id '{file_id}' in vector store '{vector_store_id}'.", param="file_id"
    )

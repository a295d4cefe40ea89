"""Files: `/files` multipart upload and list, `/files/{id}` get/delete, `/files/{id}/content` download.

Contents live as blobs in Storage; the object follows `OpenAIFile` (`status` is deprecated but required).
An upload's extension must be on its purpose's allow-list (`filetypes.BY_PURPOSE`): `batch`,
`fine-tune` and `evals` take JSONL, `assistants` what file search and code interpreter read.
"""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from reconciler.emulator import filetypes
from reconciler.emulator.http import ApiError, json_response, new_id, not_found, paginate
from reconciler.emulator.router import Context, Router
from reconciler.emulator.storage import JSON

KIND = "file"
VECTOR_STORE_FILE = "vector_store.file"
# CreateFileRequest's purposes; `evals` is accepted on upload although OpenAIFile's enum lacks it.
PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
MIN_EXPIRY, MAX_EXPIRY = 3600, 2_592_000


def register(router: Router) -> None:
    router.add("GET", "/v1/files", list_files, group="files")
    router.add("POST", "/v1/files", create_file, group="files")
    router.add("GET", "/v1/files/<file_id>", get_file, group="files")
    router.add("DELETE", "/v1/files/<file_id>", delete_file, group="files")
    router.add("GET", "/v1/files/<file_id>/content", download_file, group="files")


def create_file(ctx: Context, request: Request) -> Response:
    upload = request.files.get("file")
    if upload is None:
        raise ApiError(400, "Missing required parameter: 'file'.", param="file")
    purpose = request.form.get("purpose")
    if purpose is None:
        raise ApiError(400, "Missing required parameter: 'purpose'.", param="purpose")
    if purpose not in PURPOSES:
        raise ApiError(
            400,
            f"Invalid value for 'purpose': '{purpose}'. Expected one of {', '.join(PURPOSES)}.",
            param="purpose",
        )
    filename = upload.filename or "upload"
    refused = filetypes.upload_refusal(filename, purpose)
    if refused is not None:
        raise ApiError(400, refused, param="file", code="invalid_file_format")
    content = upload.read()
    created_at = int(ctx.clock())
    file: JSON = {
        "id": new_id("file-"),
        "object": "file",
        "bytes": len(content),
        "created_at": created_at,
        "filename": filename,
        "purpose": purpose,
        "status": "processed",
    }
    seconds = _expiry_seconds(request)
    if seconds is not None:
        file["expires_at"] = created_at + seconds
    with ctx.storage.atomic():
        ctx.storage.put_blob(file["id"], content)
        ctx.storage.insert(KIND, file)
    return json_response(file)


def _expiry_seconds(request: Request) -> int | None:
    """`expires_after` arrives as bracketed form fields, as the SDK encodes nested multipart objects."""
    anchor = request.form.get("expires_after[anchor]")
    seconds = request.form.get("expires_after[seconds]")
    if anchor is None and seconds is None:
        return None
    if anchor != "created_at":
        raise ApiError(
            400, "Invalid 'expires_after.anchor': expected 'created_at'.", param="expires_after.anchor"
        )
    try:
        value = int(seconds or "")
    except ValueError:
        raise ApiError(
            400, "Invalid 'expires_after.seconds': expected an integer.", param="expires_after.seconds"
        ) from None
    if not MIN_EXPIRY <= value <= MAX_EXPIRY:
        raise ApiError(
            400,
            f"Invalid 'expires_after.seconds': must be between {MIN_EXPIRY} and {MAX_EXPIRY}.",
            param="expires_after.seconds",
        )
    return value


def list_files(ctx: Context, request: Request) -> Response:
    purpose = request.args.get("purpose")
    keep = None if purpose is None else (lambda f: f["purpose"] == purpose)
    # listFiles pages up to 10,000 objects and returns them all by default.
    return paginate(ctx.storage, request, KIND, keep=keep, default_limit=10_000, max_limit=10_000)


def get_file(ctx: Context, request: Request, file_id: str) -> Response:
    return json_response(load(ctx, file_id))


def delete_file(ctx: Context, request: Request, file_id: str) -> Response:
    with ctx.storage.atomic():
        load(ctx, file_id)
        # The spec: deleting a file also removes it from every vector store.
        for attached in ctx.storage.all(VECTOR_STORE_FILE, parent=None):
            if attached["id"] == file_id:
                ctx.storage.delete(VECTOR_STORE_FILE, file_id, parent=attached["vector_store_id"])
        ctx.storage.delete(KIND, file_id)
        ctx.storage.delete_blob(file_id)
    return json_response({"id": file_id, "object": "file", "deleted": True})


def download_file(ctx: Context, request: Request, file_id: str) -> Response:
    load(ctx, file_id)
    content = ctx.storage.get_blob(file_id) or b""
    return Response(content, status=200, mimetype="application/octet-stream")


def load(ctx: Context, file_id: str) -> JSON:
    file = ctx.storage.get(KIND, file_id)
    if file is None:
        raise not_found("file", file_id, param="file_id")
    return file

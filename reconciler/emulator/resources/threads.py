"""Threads and their messages: `/threads` create, `/threads/{id}` get/modify/delete (the API has no thread
list), `/threads/{id}/messages` list/create, `/threads/{id}/messages/{id}` get/modify/delete
(CreateThreadRequest, ThreadObject, CreateMessageRequest, MessageObject, ListMessagesResponse)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from reconciler.emulator.http import (
    ApiError,
    body,
    check_metadata,
    json_response,
    new_id,
    not_found,
    paginate,
)
from reconciler.emulator.resources import rules
from reconciler.emulator.router import Context, Router
from reconciler.emulator.storage import JSON

THREAD = "thread"
MESSAGE = "message"
MAX_THREAD_MESSAGES = 32  # the platform's limit on `messages` in a thread-create request
_IMAGE_PARTS = ("image_file", "image_url")


def register(router: Router) -> None:
    router.add("POST", "/v1/threads", create_thread, group="threads")
    router.add("GET", "/v1/threads/<thread_id>", get_thread, group="threads")
    router.add("POST", "/v1/threads/<thread_id>", modify_thread, group="threads")
    router.add("DELETE", "/v1/threads/<thread_id>", delete_thread, group="threads")
    router.add("GET", "/v1/threads/<thread_id>/messages", list_messages, group="threads")
    router.add("POST", "/v1/threads/<thread_id>/messages", create_message, group="threads")
    router.add("GET", "/v1/threads/<thread_id>/messages/<message_id>", get_message, group="threads")
    router.add("POST", "/v1/threads/<thread_id>/messages/<message_id>", modify_message, group="threads")
    router.add("DELETE", "/v1/threads/<thread_id>/messages/<message_id>", delete_message, group="threads")


# --- threads -------------------------------------------------------------------------------------------


def create_thread(ctx: Context, request: Request) -> Response:
    data = body(request)
    _only(data, ("messages", "tool_resources", "metadata"))
    messages = data.get("messages") or []
    if not isinstance(messages, list):
        raise ApiError(400, "Invalid type for 'messages': expected an array.", param="messages")
    if len(messages) > MAX_THREAD_MESSAGES:
        raise ApiError(
            400,
            f"Invalid 'messages': array too long. Expected at most {MAX_THREAD_MESSAGES} messages.",
            param="messages",
        )
    thread: JSON = {
        "id": new_id("thread_"),
        "object": "thread",
        "created_at": int(ctx.clock()),
        "tool_resources": rules.tool_resources(ctx, data.get("tool_resources")),
        "metadata": check_metadata(data.get("metadata")) or {},
    }
    # Validate every message before writing anything: a bad message must not leave a half-made thread.
    built = [
        message_from_request(ctx, thread["id"], m, param=f"messages[{i}]") for i, m in enumerate(messages)
    ]
    with ctx.storage.atomic():
        ctx.storage.insert(THREAD, thread)
        for message in built:
            ctx.storage.insert(MESSAGE, message, parent=thread["id"])
    return json_response(thread)


def get_thread(ctx: Context, request: Request, thread_id: str) -> Response:
    return json_response(load_thread(ctx, thread_id))


def modify_thread(ctx: Context, request: Request, thread_id: str) -> Response:
    thread = load_thread(ctx, thread_id)
    data = body(request)
    _only(data, ("tool_resources", "metadata"))
    if "metadata" in data:
        thread["metadata"] = check_metadata(data["metadata"]) or {}
    if "tool_resources" in data:
        thread["tool_resources"] = rules.tool_resources(ctx, data["tool_resources"])
    ctx.storage.put(THREAD, thread)
    return json_response(thread)


def delete_thread(ctx: Context, request: Request, thread_id: str) -> Response:
    # Storage.delete also removes the thread's children (messages and runs: their parent is the thread).
    if not ctx.storage.delete(THREAD, thread_id):
        raise not_found("thread", thread_id, param="thread_id")
    return json_response({"id": thread_id, "object": "thread.deleted", "deleted": True})


def load_thread(ctx: Context, thread_id: str) -> JSON:
    thread = ctx.storage.get(THREAD, thread_id)
    if thread is None:
        raise not_found("thread", thread_id, param="thread_id")
    return thread


# --- messages ------------------------------------------------------------------------------------------


def list_messages(ctx: Context, request: Request, thread_id: str) -> Response:
    load_thread(ctx, thread_id)
    _settle_runs(ctx, thread_id)
    run_id = request.args.get("run_id")
    keep = (lambda m: m.get("run_id") == run_id) if run_id else None
    return paginate(ctx.storage, request, MESSAGE, parent=thread_id, keep=keep)


def create_message(ctx: Context, request: Request, thread_id: str) -> Response:
    load_thread(ctx, thread_id)
    _refuse_during_run(ctx, thread_id)
    message = message_from_request(ctx, thread_id, body(request), param=None)
    ctx.storage.insert(MESSAGE, message, parent=thread_id)
    return json_response(message)


def get_message(ctx: Context, request: Request, thread_id: str, message_id: str) -> Response:
    load_thread(ctx, thread_id)
    _settle_runs(ctx, thread_id)
    return json_response(_load_message(ctx, thread_id, message_id))


def modify_message(ctx: Context, request: Request, thread_id: str, message_id: str) -> Response:
    load_thread(ctx, thread_id)
    message = _load_message(ctx, thread_id, message_id)
    data = body(request)
    _only(data, ("metadata",))
    if "metadata" in data:
        message["metadata"] = check_metadata(data["metadata"]) or {}
    ctx.storage.put(MESSAGE, message, parent=thread_id)
    return json_response(message)


def delete_message(ctx: Context, request: Request, thread_id: str, message_id: str) -> Response:
    load_thread(ctx, thread_id)
    if not ctx.storage.delete(MESSAGE, message_id, parent=thread_id):
        raise not_found("message", message_id, param="message_id")
    return json_response({"id": message_id, "object": "thread.message.deleted", "deleted": True})


def message_from_request(ctx: Context, thread_id: str, data: Any, *, param: str | None) -> JSON:
    """A MessageObject from a CreateMessageRequest (also used for `messages` and `additional_messages`)."""
    prefix = f"{param}." if param else ""
    if not isinstance(data, dict):
        raise ApiError(400, f"Invalid type for '{param}': expected an object.", param=param)
    _only(data, ("role", "content", "attachments", "metadata"), prefix=prefix)
    role = data.get("role")
    if role not in ("user", "assistant"):
        raise ApiError(
            400,
            f"Invalid value for '{prefix}role': expected 'user' or 'assistant'.",
            param=f"{prefix}role",
        )
    attachments = data.get("attachments")
    if attachments is not None and not isinstance(attachments, list):
        raise ApiError(
            400, f"Invalid type for '{prefix}attachments': expected an array.", param=f"{prefix}attachments"
        )
    return new_message(
        ctx,
        thread_id,
        role=str(role),
        content=_content(data.get("content"), f"{prefix}content"),
        attachments=list(attachments or []),
        metadata=check_metadata(data.get("metadata"), param=f"{prefix}metadata") or {},
    )


def new_message(
    ctx: Context,
    thread_id: str,
    *,
    role: str,
    content: list[JSON],
    assistant_id: str | None = None,
    run_id: str | None = None,
    attachments: list[Any] | None = None,
    metadata: dict[str, str] | None = None,
) -> JSON:
    created = int(ctx.clock())
    return {
        "id": new_id("msg_"),
        "object": "thread.message",
        "created_at": created,
        "thread_id": thread_id,
        "status": "completed",
        "incomplete_details": None,
        # Messages written by a run finish when the run writes them; user messages carry no completion time.
        "completed_at": created if run_id else None,
        "incomplete_at": None,
        "role": role,
        "content": content,
        "assistant_id": assistant_id,
        "run_id": run_id,
        "attachments": attachments or [],
        "metadata": metadata or {},
    }


def text_part(text: str) -> JSON:
    return {"type": "text", "text": {"value": text, "annotations": []}}


def message_text(message: JSON) -> str:
    """The text the model reads from a message: its text parts joined by newlines (images are skipped)."""
    parts = [p["text"]["value"] for p in message.get("content", []) if p.get("type") == "text"]
    return "\n".join(parts)


def _content(content: Any, param: str) -> list[JSON]:
    if isinstance(content, str):
        return [text_part(content)]
    if not isinstance(content, list) or not content:
        raise ApiError(
            400, f"Invalid '{param}': expected a string or a non-empty array of content parts.", param=param
        )
    parts: list[JSON] = []
    for index, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text" and isinstance(part.get("text"), str):
            parts.append(text_part(part["text"]))
        elif kind in _IMAGE_PARTS and isinstance(part.get(kind), dict):
            parts.append({"type": kind, kind: dict(part[kind])})
        else:
            raise ApiError(400, f"Invalid value for '{param}[{index}]'.", param=f"{param}[{index}]")
    return parts


def _only(data: JSON, allowed: tuple[str, ...], *, prefix: str = "") -> None:
    for key in data:
        if key not in allowed:
            raise ApiError(
                400, f"Unrecognized request argument supplied: {prefix}{key}", param=f"{prefix}{key}"
            )


def _load_message(ctx: Context, thread_id: str, message_id: str) -> JSON:
    message = ctx.storage.get(MESSAGE, message_id, parent=thread_id)
    if message is None:
        raise not_found("message", message_id, param="message_id")
    return message


def _settle_runs(ctx: Context, thread_id: str) -> None:
    # Runs advance lazily on the clock; a message list must show what a finished run wrote.
    # Imported here because runs builds on this module (a module-level import would be circular).
    from reconciler.emulator.resources import runs

    runs.settle_thread(ctx, thread_id)


def _refuse_during_run(ctx: Context, thread_id: str) -> None:
    from reconciler.emulator.resources import runs

    active = runs.active_run(ctx, thread_id)
    if active is not None:
        raise ApiError(
            400, f"Can't add messages to {thread_id} while a run {active['id']} is active.", param=None
        )

"""Conversations: `/conversations` create (the API has no list), `/conversations/{id}` get/update/delete,
`/conversations/{id}/items` list/create, `/conversations/{id}/items/{id}` get/delete
(CreateConversationBody, UpdateConversationBody, ConversationResource, DeletedConversationResource,
ConversationItemList, ConversationItem). Deleting an item answers the Conversation, as the spec says.
A file search call's `results` show only where `include` names `file_search_call.results`."""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from reconciler.emulator.http import (
    ApiError,
    body,
    check_metadata,
    json_response,
    new_id,
    not_found,
    paginate,
    query_list,
)
from reconciler.emulator.resources import file_search, items
from reconciler.emulator.resources.items import CONVERSATION_ITEM
from reconciler.emulator.router import Context, Router
from reconciler.emulator.storage import JSON

KIND = "conversation"
MAX_ITEMS_PER_REQUEST = 20


def register(router: Router) -> None:
    base = "/v1/conversations"
    router.add("POST", base, create_conversation, group="conversations")
    router.add("GET", f"{base}/<conversation_id>", get_conversation, group="conversations")
    router.add("POST", f"{base}/<conversation_id>", update_conversation, group="conversations")
    router.add("DELETE", f"{base}/<conversation_id>", delete_conversation, group="conversations")
    router.add("GET", f"{base}/<conversation_id>/items", list_items, group="conversations")
    router.add("POST", f"{base}/<conversation_id>/items", create_items, group="conversations")
    router.add("GET", f"{base}/<conversation_id>/items/<item_id>", get_item, group="conversations")
    router.add("DELETE", f"{base}/<conversation_id>/items/<item_id>", delete_item, group="conversations")


def create_conversation(ctx: Context, request: Request) -> Response:
    data = body(request)
    _only(data, ("metadata", "items"))
    new_items = _bounded_items(ctx, data.get("items"), "items")
    conversation: JSON = {
        "id": new_id("conv_"),
        "object": "conversation",
        "created_at": int(ctx.clock()),
        "metadata": check_metadata(data.get("metadata")) or {},
    }
    with ctx.storage.atomic():
        ctx.storage.insert(KIND, conversation)
        append(ctx, conversation["id"], new_items)
    return json_response(conversation)


def get_conversation(ctx: Context, request: Request, conversation_id: str) -> Response:
    return json_response(load(ctx, conversation_id))


def update_conversation(ctx: Context, request: Request, conversation_id: str) -> Response:
    conversation = load(ctx, conversation_id)
    data = body(request)
    _only(data, ("metadata",))
    if "metadata" not in data:
        raise ApiError(400, "Missing required parameter: 'metadata'.", param="metadata")
    conversation["metadata"] = check_metadata(data["metadata"]) or {}
    ctx.storage.put(KIND, conversation)
    return json_response(conversation)


def delete_conversation(ctx: Context, request: Request, conversation_id: str) -> Response:
    # Storage.delete takes the conversation's items with it (their parent is the conversation).
    if not ctx.storage.delete(KIND, conversation_id):
        raise not_found("conversation", conversation_id, param="conversation_id")
    return json_response({"id": conversation_id, "object": "conversation.deleted", "deleted": True})


def list_items(ctx: Context, request: Request, conversation_id: str) -> Response:
    load(ctx, conversation_id)
    include = query_list(request.args, "include")
    return paginate(
        ctx.storage,
        request,
        CONVERSATION_ITEM,
        parent=conversation_id,
        view=lambda item: file_search.view(item, include=include),
    )


def create_items(ctx: Context, request: Request, conversation_id: str) -> Response:
    load(ctx, conversation_id)
    data = body(request)
    _only(data, ("items",))
    if not isinstance(data.get("items"), list):
        raise ApiError(400, "Missing required parameter: 'items'.", param="items")
    added = append(ctx, conversation_id, _bounded_items(ctx, data["items"], "items"))
    added = file_search.shown(added, query_list(request.args, "include"))
    return json_response(
        {
            "object": "list",
            "data": added,
            "first_id": added[0]["id"] if added else "",
            "last_id": added[-1]["id"] if added else "",
            "has_more": False,
        }
    )


def get_item(ctx: Context, request: Request, conversation_id: str, item_id: str) -> Response:
    load(ctx, conversation_id)
    item = ctx.storage.get(CONVERSATION_ITEM, item_id, parent=conversation_id)
    if item is None:
        raise not_found("item", item_id, param="item_id")
    return json_response(file_search.view(item, include=query_list(request.args, "include")))


def delete_item(ctx: Context, request: Request, conversation_id: str, item_id: str) -> Response:
    conversation = load(ctx, conversation_id)
    if not ctx.storage.delete(CONVERSATION_ITEM, item_id, parent=conversation_id):
        raise not_found("item", item_id, param="item_id")
    return json_response(conversation)


def load(ctx: Context, conversation_id: str) -> JSON:
    conversation = ctx.storage.get(KIND, conversation_id)
    if conversation is None:
        raise not_found("conversation", conversation_id, param="conversation_id")
    return conversation


def append(ctx: Context, conversation_id: str, new_items: list[JSON]) -> list[JSON]:
    """Add items at the end of a conversation; an item already in it (an `item_reference`) is not repeated."""
    added: list[JSON] = []
    with ctx.storage.atomic():
        for item in new_items:
            if ctx.storage.get(CONVERSATION_ITEM, item["id"], parent=conversation_id) is None:
                ctx.storage.insert(CONVERSATION_ITEM, item, parent=conversation_id)
            added.append(item)
    return added


def history(ctx: Context, conversation_id: str) -> list[JSON]:
    """Every item of a conversation, oldest first: what a response in it reads before its own input."""
    return ctx.storage.all(CONVERSATION_ITEM, parent=conversation_id)


def _bounded_items(ctx: Context, value: object, param: str) -> list[JSON]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ApiError(400, f"Invalid type for '{param}': expected an array.", param=param)
    if len(value) > MAX_ITEMS_PER_REQUEST:
        raise ApiError(
            400,
            f"Invalid '{param}': array too long. Expected an array with maximum length "
            f"{MAX_ITEMS_PER_REQUEST}, but got an array with length {len(value)} instead.",
            param=param,
        )
    return items.from_input(ctx, value, param=param)


def _only(data: JSON, allowed: tuple[str, ...]) -> None:
    for key in data:
        if key not in allowed:
            raise ApiError(400, f"Unrecognized request argument supplied: {key}", param=key)

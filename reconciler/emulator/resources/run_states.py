"""The run status machine, driven by the clock: `queued` -> `in_progress` -> `requires_action` | `completed`
| `failed`, `cancelling` -> `cancelled`, and `expired` when `expires_at` passes before the run finishes.

A run carries private bookkeeping under `STATE` (stripped by `public`): when its current phase began, the
tool calls and outputs of earlier steps, the tokens used so far and the project that pays. `advance`
replays every transition whose time has come, in time order, stamping each at the moment it happened
(not at the moment someone looked), so results do not depend on how often a client polls.

Timing comes from EmulatorConfig: `run_queued_seconds`, `run_in_progress_seconds` (per model step),
`run_cancel_seconds`, `run_expires_seconds` (set as `expires_at` at creation; null once terminal,
except on an expired run).
"""

from __future__ import annotations

import math

from reconciler.emulator import model, usage
from reconciler.emulator.http import new_id
from reconciler.emulator.resources import file_search
from reconciler.emulator.resources.assistants import KIND as ASSISTANT
from reconciler.emulator.resources.threads import MESSAGE, THREAD, message_text, new_message, text_part
from reconciler.emulator.router import Context
from reconciler.emulator.storage import JSON

KIND = "run"
STATE = "_emulator"
ACTIVE = ("queued", "in_progress", "requires_action")
TERMINAL = ("completed", "failed", "cancelled", "expired", "incomplete")
_MAX_STEPS = 8  # a run can move at most this many states in one `advance`; the longest path is 4


def initial_state(started: float, project_id: str) -> JSON:
    return {"phase_at": started, "history": [], "prompt": 0, "completion": 0, "project_id": project_id}


def public(run: JSON) -> JSON:
    return {k: v for k, v in run.items() if k != STATE}


def advance(ctx: Context, run: JSON) -> JSON:
    """Bring a run up to `ctx.clock()`, store it if it moved, and return it."""
    now = ctx.clock()
    moved = False
    for _ in range(_MAX_STEPS):
        step = _next_transition(ctx, run)
        expires = run["expires_at"]
        due = step if step is not None and step <= now else None
        if (
            run["status"] in ACTIVE
            and expires is not None
            and expires <= now
            and (due is None or expires <= due)
        ):
            _finish(run, "expired", expires)
            run["expires_at"] = expires
            moved = True
            break
        if due is None:
            break
        _transition(ctx, run, due)
        moved = True
    if moved:
        ctx.storage.put(KIND, run, parent=run["thread_id"])
    return run


def cancel(ctx: Context, run: JSON) -> JSON:
    run["status"] = "cancelling"
    run[STATE]["phase_at"] = ctx.clock()
    ctx.storage.put(KIND, run, parent=run["thread_id"])
    return run


def resume(ctx: Context, run: JSON, outputs: list[str]) -> JSON:
    """Tool outputs arrived: remember the call and its outputs, and queue the run for its next step."""
    calls = run["required_action"]["submit_tool_outputs"]["tool_calls"]
    history = run[STATE]["history"]
    for call in calls:
        history.append(
            {"role": "tool_call", "text": call["function"]["name"] + call["function"]["arguments"]}
        )
    history.extend({"role": "tool_output", "text": output} for output in outputs)
    run["status"] = "queued"
    run["required_action"] = None
    run[STATE]["phase_at"] = ctx.clock()
    ctx.storage.put(KIND, run, parent=run["thread_id"])
    return run


def _next_transition(ctx: Context, run: JSON) -> float | None:
    """When the current phase ends on its own, or None if it waits for the client (or is over)."""
    config = ctx.config
    phase_at = float(run[STATE]["phase_at"])
    status = run["status"]
    if status == "queued":
        return phase_at + config.run_queued_seconds
    if status == "in_progress":
        return phase_at + config.run_in_progress_seconds
    if status == "cancelling":
        return phase_at + config.run_cancel_seconds
    return None


def _transition(ctx: Context, run: JSON, at: float) -> None:
    status = run["status"]
    if status == "queued":
        run["status"] = "in_progress"
        if run["started_at"] is None:
            run["started_at"] = _stamp(at)
        run[STATE]["phase_at"] = at
    elif status == "in_progress":
        _step(ctx, run, at)
    elif status == "cancelling":
        _finish(run, "cancelled", at)


def _step(ctx: Context, run: JSON, at: float) -> None:
    """One model call: the run ends (completed/failed) or stops for tool outputs (requires_action)."""
    state = run[STATE]
    turns = [model.Turn(m["role"], message_text(m)) for m in _messages(ctx, run)]
    turns += [model.Turn(h["role"], h["text"]) for h in state["history"]]
    stores = _search_stores(ctx, run)
    answer = model.answer(
        turns,
        instructions=run["instructions"],
        tools=_function_names(run),
        file_search="off" if stores is None else ("only" if len(run["tools"]) == 1 else "offered"),
    )
    if answer.search is not None and stores is not None:
        # The platform searches between the model's two steps, as it does for a response.
        tool = {
            "type": "file_search",
            "vector_store_ids": stores,
            "max_num_results": 20,
            "ranking_options": {"score_threshold": 0.0},
            "filters": None,
        }
        hits = file_search.search(ctx, [tool], answer.search)
        best = hits[0] if hits else None
        passage = model.Passage(best.filename, best.passage) if best is not None else None
        answer = model.after_search(answer, [h.text for h in hits], passage)
    state["prompt"] += answer.input_tokens
    state["completion"] += answer.output_tokens
    usage.record(
        ctx.storage,
        usage.UsageRecord(
            model=run["model"],
            input_tokens=answer.input_tokens,
            output_tokens=answer.output_tokens,
            at=at,
            project_id=state["project_id"],
            source="run",
            source_id=run["id"],
        ),
    )
    if answer.error is not None:
        run["last_error"] = {"code": "server_error", "message": answer.error}
        _finish(run, "failed", at)
    elif answer.tool_call is not None:
        run["status"] = "requires_action"
        run["required_action"] = {
            "type": "submit_tool_outputs",
            "submit_tool_outputs": {
                "tool_calls": [
                    {
                        "id": new_id("call_"),
                        "type": "function",
                        "function": {"name": answer.tool_call.name, "arguments": answer.tool_call.arguments},
                    }
                ]
            },
        }
        state["phase_at"] = at
    else:
        message = new_message(
            ctx,
            run["thread_id"],
            role="assistant",
            content=[text_part(answer.text or "")],
            assistant_id=run["assistant_id"],
            run_id=run["id"],
        )
        message["created_at"] = message["completed_at"] = _stamp(at)
        ctx.storage.insert(MESSAGE, message, parent=run["thread_id"])
        _finish(run, "completed", at)


def _finish(run: JSON, status: str, at: float) -> None:
    run["status"] = status
    run["required_action"] = None
    run["expires_at"] = None
    stamp = {"completed": "completed_at", "failed": "failed_at", "cancelled": "cancelled_at"}.get(status)
    if stamp is not None:
        run[stamp] = _stamp(at)
    state = run[STATE]
    run["usage"] = {
        "prompt_tokens": state["prompt"],
        "completion_tokens": state["completion"],
        "total_tokens": state["prompt"] + state["completion"],
    }


def _messages(ctx: Context, run: JSON) -> list[JSON]:
    """The thread's messages in order. No message can be added while a run is active, so these are
    exactly what the run saw when it started."""
    return ctx.storage.all(MESSAGE, parent=run["thread_id"])


def _search_stores(ctx: Context, run: JSON) -> list[str] | None:
    """The vector stores a run's file_search reads (its assistant's and its thread's), or None when the
    run offers no file_search."""
    if run.get("tool_choice") == "none" or not any(t.get("type") == "file_search" for t in run["tools"]):
        return None
    stores: list[str] = []
    for kind, obj_id in ((ASSISTANT, run["assistant_id"]), (THREAD, run["thread_id"])):
        found = ctx.storage.get(kind, obj_id) or {}
        resources = found.get("tool_resources") or {}
        stores += (resources.get("file_search") or {}).get("vector_store_ids") or []
    return list(dict.fromkeys(stores))


def _function_names(run: JSON) -> set[str]:
    if run.get("tool_choice") == "none":
        return set()
    return {t["function"]["name"] for t in run["tools"] if t.get("type") == "function"}


def _stamp(at: float) -> int:
    return math.floor(at)

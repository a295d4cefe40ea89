"""rollback, promote and resolve: the pointer moves, what they refuse, and the history they leave."""

from __future__ import annotations

import pytest

from reconciler.errors import UserError
from reconciler.rollout import events
from reconciler.rollout.pointers import (
    AlreadyThere,
    NothingToRollBack,
    RollbackWouldMoveForward,
    UnknownAssistant,
    UnknownVersion,
    promote,
    resolve,
    rollback,
)
from reconciler.store import StateStore
from tests.unit.rollout.conftest import NAME, WS, add, move

WHO = {"user": "alice", "host": "laptop", "reason": "v3 answers in French", "now": 5000.0}


def _three_applied(store: StateStore) -> None:
    for n in (1, 2, 3):
        add(store, n)
        move(store, n)


def test_rollback_defaults_to_the_version_stable_held_before(store: StateStore) -> None:
    _three_applied(store)
    moved = rollback(store, WS, NAME, **WHO)
    assert (moved.from_version, moved.to_version) == (3, 2)
    assert store.pointers(WS, NAME) == {"stable": 2}
    assert resolve(store, WS, NAME).platform_id == "asst_v2"


def test_a_second_rollback_does_not_move_forward_and_says_so(store: StateStore) -> None:
    """Issue 13 item 5: it swapped back to version 3 silently, like `cd -`."""
    _three_applied(store)
    rollback(store, WS, NAME, **WHO)
    with pytest.raises(RollbackWouldMoveForward) as refused:
        rollback(store, WS, NAME, **WHO)
    assert str(refused.value) == (
        f"{NAME}'s 'stable' pointer was moved back from version 3 to version 2 at 1970-01-01 01:23:20Z by "
        "alice@laptop; rolling back again would move it forward, to version 3, so nothing was changed: "
        f"`reconcile promote {NAME} --to 3` undoes that rollback, and `reconcile rollback {NAME} --to N` "
        "goes further back (versions 1)"
    )
    assert isinstance(refused.value, UserError)
    assert store.pointers(WS, NAME) == {"stable": 2}
    # going forward takes promote, or an explicit version
    assert rollback(store, WS, NAME, to=3, **WHO).to_version == 3


def test_a_default_rollback_after_a_promote_to_an_older_version_is_refused_too(store: StateStore) -> None:
    _three_applied(store)
    promote(store, WS, NAME, to=1, **WHO)
    with pytest.raises(RollbackWouldMoveForward, match="forward, to version 3"):
        rollback(store, WS, NAME, **WHO)
    assert store.pointers(WS, NAME) == {"stable": 1}


def test_rollback_to_an_explicit_version(store: StateStore) -> None:
    _three_applied(store)
    assert rollback(store, WS, NAME, to=1, **WHO).to_version == 1
    assert store.pointers(WS, NAME)["stable"] == 1


def test_history_records_user_host_reason_and_time(store: StateStore) -> None:
    _three_applied(store)
    rollback(store, WS, NAME, to=1, **WHO)
    last = store.pointer_history(WS, NAME)[-1]
    assert (last.pointer, last.from_version, last.to_version) == ("stable", 3, 1)
    assert (last.user, last.host, last.reason, last.at) == ("alice", "laptop", "v3 answers in French", 5000.0)


def test_nothing_to_roll_back_to_after_the_first_apply(store: StateStore) -> None:
    add(store, 1)
    move(store, 1)
    with pytest.raises(NothingToRollBack, match="no earlier version"):
        rollback(store, WS, NAME, **WHO)
    assert len(store.pointer_history(WS, NAME)) == 1


def test_nothing_to_roll_back_when_no_pointer_exists(store: StateStore) -> None:
    add(store, 1)
    with pytest.raises(NothingToRollBack):
        rollback(store, WS, NAME, **WHO)


def test_refusals_are_user_errors_and_leave_the_pointer(store: StateStore) -> None:
    _three_applied(store)
    store.mark_version_deleted(WS, NAME, 1)
    cases: list[tuple[type[UserError], dict[str, int]]] = [
        (UnknownVersion, {"to": 9}),  # no such version
        (UnknownVersion, {"to": 1}),  # deleted by gc
        (AlreadyThere, {"to": 3}),
    ]
    for error, kwargs in cases:
        with pytest.raises(error):
            rollback(store, WS, NAME, **kwargs, **WHO)
    assert store.pointers(WS, NAME) == {"stable": 3}


def test_default_rollback_refuses_a_deleted_previous_version(store: StateStore) -> None:
    add(store, 1)
    add(store, 2)
    add(store, 3)
    move(store, 1)
    move(store, 3)
    store.mark_version_deleted(WS, NAME, 1)
    with pytest.raises(UnknownVersion, match="deleted"):
        rollback(store, WS, NAME, **WHO)


def test_unknown_assistant(store: StateStore) -> None:
    add(store, 1)
    with pytest.raises(UnknownAssistant, match="'Nobody' has no versions in local"):
        rollback(store, WS, "Nobody", **WHO)
    with pytest.raises(UnknownAssistant):
        resolve(store, WS, "Nobody")
    with pytest.raises(UnknownAssistant):
        promote(store, "other-workspace", NAME, to=1, **WHO)


def test_promote_moves_forward_and_backward(store: StateStore) -> None:
    _three_applied(store)
    assert promote(store, WS, NAME, to=1, **WHO).to_version == 1
    assert promote(store, WS, NAME, to=3, **WHO).from_version == 1
    with pytest.raises(AlreadyThere, match="already holds version 3"):
        promote(store, WS, NAME, to=3, **WHO)


def test_promote_another_pointer_leaves_stable(store: StateStore) -> None:
    _three_applied(store)
    promote(store, WS, NAME, to=2, pointer="canary", **WHO)
    assert store.pointers(WS, NAME) == {"canary": 2, "stable": 3}
    assert resolve(store, WS, NAME, "canary").number == 2


def test_resolve_without_a_pointer(store: StateStore) -> None:
    add(store, 1)
    with pytest.raises(UnknownVersion, match="no 'stable' pointer"):
        resolve(store, WS, NAME)


def test_every_move_notifies_listeners_once(store: StateStore) -> None:
    _three_applied(store)
    seen: list[tuple[str, str]] = []
    cancel = events.subscribe(lambda ws, name: seen.append((ws, name)))
    try:
        rollback(store, WS, NAME, **WHO)
        promote(store, WS, NAME, to=3, **WHO)
        with pytest.raises(AlreadyThere):
            promote(store, WS, NAME, to=3, **WHO)  # refused: no move, no event
    finally:
        cancel()
    assert seen == [(WS, NAME), (WS, NAME)]


def test_a_failing_listener_does_not_hide_the_move_from_others(store: StateStore) -> None:
    _three_applied(store)
    seen: list[str] = []

    def broken(ws: str, name: str) -> None:
        raise RuntimeError("boom")

    cancels = [events.subscribe(broken), events.subscribe(lambda ws, name: seen.append(name))]
    try:
        rollback(store, WS, NAME, **WHO)
    finally:
        for cancel in cancels:
            cancel()
    assert seen == [NAME]
    assert store.pointers(WS, NAME) == {"stable": 2}

"""The release history on every backend (issue 12 items 9 and 10): clearing an assistant's pointers when
it is destroyed (the pointers go, the history keeps one row per pointer saying who cleared it, where and
why, and a later move starts from nothing), and the acceptance a move shipped under acceptBreaking."""

from __future__ import annotations

import pytest

from reconciler.errors import StateError
from reconciler.model.desired import BreakingFinding
from reconciler.model.stored import Acceptance, VersionRecord
from reconciler.store.sqlstore import SqlStore

NAME = "CorporateAssist"


def _seed(store: SqlStore) -> None:
    for n in (1, 2, 3):
        version = VersionRecord(assistant=NAME, number=n, platform_id=f"asst_{n}", fingerprint=f"f{n}")
        store.add_version("prod", version)
    store.move_pointer("prod", NAME, "stable", 2, user="ci", host="runner", reason="apply", now=1.0)
    store.move_pointer("prod", NAME, "canary", 3, user="ci", host="runner", reason="canary", now=2.0)


def test_clearing_removes_every_pointer_and_records_each_in_the_history(store: SqlStore) -> None:
    _seed(store)
    cleared = store.clear_pointers(
        "prod", NAME, user="ana", host="ci-1", reason="destroyed: removed from the manifests", now=10.0
    )
    assert [(m.pointer, m.from_version, m.to_version, m.cleared) for m in cleared] == [
        ("canary", 3, None, True),
        ("stable", 2, None, True),
    ]
    assert store.pointers("prod", NAME) == {}
    assert store.read("prod").pointers == {}
    history = store.pointer_history("prod", NAME)
    assert history[-2:] == cleared
    assert (history[-1].user, history[-1].host, history[-1].at) == ("ana", "ci-1", 10.0)
    assert "removed from the manifests" in history[-1].reason

    # Every version can now be flagged deleted, and a later deploy moves stable from nothing.
    for n in (1, 2, 3):
        store.mark_version_deleted("prod", NAME, n)
    store.add_version("prod", VersionRecord(assistant=NAME, number=4, platform_id="asst_4", fingerprint="f4"))
    again = store.move_pointer("prod", NAME, "stable", 4, user="ci", host="runner", reason="apply", now=20.0)
    assert (again.from_version, again.to_version) == (None, 4)


def test_clearing_an_assistant_without_pointers_records_nothing(store: SqlStore) -> None:
    assert store.clear_pointers("prod", NAME, user="u", host="h", reason="r", now=1.0) == ()
    assert store.pointer_history("prod", NAME) == ()


def test_an_acceptance_is_kept_with_its_move_and_read_with_the_state(store: SqlStore) -> None:
    _seed(store)
    accepted = Acceptance(
        assistant=NAME,
        reason="rooms are needed",
        from_fingerprint="f2",
        to_fingerprint="f3",
        findings=(BreakingFinding(tool="create_meeting", pointer="/properties/location", rule="OBJ-06"),),
    )
    move = store.move_pointer(
        "prod", NAME, "stable", 3, user="ci", host="runner", reason="apply", now=3.0, accepted=accepted
    )
    assert move.accepted == accepted
    history = store.pointer_history("prod", NAME)
    assert history[-1] == move and history[0].accepted is None
    assert store.read("prod").acceptances == (accepted,)
    assert store.read("staging").acceptances == ()


def test_an_acceptance_shaped_like_a_key_is_refused(store: SqlStore) -> None:
    _seed(store)
    leaky = Acceptance(assistant=NAME, reason="sk-" + "a" * 48, from_fingerprint="f2", to_fingerprint="f3")
    with pytest.raises(StateError):
        store.move_pointer("prod", NAME, "stable", 3, user="u", host="h", reason="", now=3.0, accepted=leaky)
    assert store.pointers("prod", NAME)["stable"] == 2

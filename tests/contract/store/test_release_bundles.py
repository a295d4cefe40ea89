"""Release bundles on every backend (issue 15): a version row keeps its bundle; a later batch may rewrite
the bundle of the same behaviour (metadata changed in place) but never the row, and never a bundle under
another fingerprint."""

from __future__ import annotations

from reconciler.model.stored import VersionRecord
from reconciler.store.records import ApplyStatus, WriteBatch
from reconciler.store.sqlstore import SqlStore

WS = "prod"


def _bundle(team: str) -> dict[str, object]:
    return {"id": "bndl_1", "model": "gpt-4.1", "metadata": {"team": team}, "tools": []}


def _version(fingerprint: str, team: str, *, parent: int | None = None) -> VersionRecord:
    return VersionRecord(
        assistant="A",
        number=1,
        platform_id="bndl_1",
        fingerprint=fingerprint,
        parent=parent,
        created_at=7.0,
        bundle=_bundle(team),
    )


def _batch(store: SqlStore, version: VersionRecord) -> None:
    apply_id = store.begin_apply(WS, f"plan-{version.bundle['metadata']}", now=1.0)
    store.write_batch(WS, WriteBatch(apply_id, versions=[version]), user="ana", host="ci", now=2.0)
    store.finish_apply(apply_id, ApplyStatus.SUCCEEDED, now=3.0)


def test_a_version_keeps_its_bundle(store: SqlStore) -> None:
    store.add_version(WS, _version("f", "a"))
    (found,) = store.versions(WS, "A")
    assert found.bundle == _bundle("a")
    assert store.read(WS).versions[0].bundle == _bundle("a")


def test_a_batch_rewrites_the_bundle_of_the_same_behaviour_and_nothing_else(store: SqlStore) -> None:
    store.add_version(WS, _version("f", "a"))
    _batch(store, _version("f", "b", parent=9))
    (found,) = store.versions(WS, "A")
    assert found.bundle == _bundle("b")
    assert (found.parent, found.created_at) == (None, 7.0)  # the row itself is immutable


def test_a_bundle_under_another_fingerprint_is_not_taken(store: SqlStore) -> None:
    store.add_version(WS, _version("f", "a"))
    _batch(store, _version("other", "b"))
    (found,) = store.versions(WS, "A")
    assert (found.fingerprint, found.bundle) == ("f", _bundle("a"))


def test_a_platform_assistant_version_has_no_bundle(store: SqlStore) -> None:
    store.add_version(WS, VersionRecord(assistant="B", number=1, platform_id="asst_1", fingerprint="f"))
    assert store.versions(WS, "B")[0].bundle == {}

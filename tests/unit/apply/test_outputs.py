"""apply.outputs.Ids: the name <-> id maps that workers fill while other steps read them."""

from __future__ import annotations

import threading

from reconciler.apply.outputs import Ids


def test_reverse_maps_are_read_under_the_lock_writers_hold() -> None:
    """A bundle step (no request) reads every store id while other workers still add theirs: the
    reverse maps wait for the lock instead of iterating a dict that changes (a RuntimeError at N=1,000)."""
    ids = Ids(stores={"docs": "vs_1"}, files={"a.md": "file-1"})
    seen: list[dict[str, str]] = []
    with ids.lock:  # a writer in the middle of adding ids
        reader = threading.Thread(target=lambda: seen.extend([ids.store_names(), ids.file_paths()]))
        reader.start()
        reader.join(timeout=0.2)
        assert reader.is_alive() and seen == []  # waiting for the writer, not reading a changing dict
        ids.stores["faq"] = "vs_2"
    reader.join(timeout=5)
    assert seen == [{"vs_1": "docs", "vs_2": "faq"}, {"file-1": "a.md"}]

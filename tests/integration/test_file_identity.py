"""Uploads are known by content, never by name and size (issue 12, items 2, 5 and 12): each is sent
under a name tagged with (owner, path, content), and only a file with exactly that name is ever taken as
ours. Two files with one name and one size in different directories never swap, under lost responses or
across a killed apply; a user's file with our file's name is never taken nor deleted; uploads named
before tags stay as they are; the look-ups a rerun makes after a kill are retried. Contents are checked
through the SDK."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx2
import pytest

from reconciler.emulator import EmulatorApp, EmulatorConfig
from reconciler.emulator.faults import FaultConfig, FaultInjector
from reconciler.emulator.transport import EmulatorTransport
from tests.integration.support import (
    FakeClock,
    apply_project,
    assert_uploads_hold_their_content,
    file_content,
    inventory,
    make_project,
    plain_names,
    plan_project,
    platform_state,
    sdk,
    transport,
    with_twins,
)

pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")


def _faulty(app: EmulatorApp, faults: FaultConfig, clock: FakeClock) -> None:
    app.faults = FaultInjector(faults, clock=clock.time, sleep=clock.sleep)


@pytest.mark.parametrize("seed", range(6))
def test_same_name_same_size_files_never_swap_under_lost_uploads(tmp_path: Path, seed: int) -> None:
    clock = FakeClock()
    app = EmulatorApp(EmulatorConfig())
    try:
        root = with_twins(
            make_project(tmp_path / "project", retry={"maxAttempts": 40, "maxDelaySeconds": 60})
        )
        _faulty(app, FaultConfig(seed=seed, lost_rate=0.8, only=("files",), writes_only=True), clock)
        for _ in range(5):  # bounded: each apply under the storm gets further
            _, report = apply_project(root, transport(app), sleep=clock.sleep)
            if report is None or report.ok:
                break
        assert report is None or report.ok, [s.error for s in report.steps if s.error]
        _faulty(app, FaultConfig(), clock)
        assert_uploads_hold_their_content(root, app)
        assert not plan_project(root, transport(app)).has_changes
    finally:
        app.close()


def test_a_users_file_with_our_name_and_size_is_never_taken_nor_deleted(tmp_path: Path) -> None:
    """The user uploads their own copy of expense-rules.md; our upload's response is lost. The look-up
    for it must not take theirs (same name, same size), nor may a later apply delete it."""
    clock = FakeClock()
    app = EmulatorApp(EmulatorConfig())
    try:
        root = make_project(tmp_path / "project", retry={"maxAttempts": 40})
        rules = root / "manifests" / "files" / "expense-rules.md"
        client = sdk(app)
        theirs = client.files.create(file=("expense-rules.md", rules.read_bytes()), purpose="assistants").id
        client.close()
        _faulty(app, FaultConfig(seed=3, lost_rate=1.0, only=("files",), writes_only=True), clock)
        _, report = apply_project(root, transport(app), sleep=clock.sleep)
        assert report is not None and report.ok, [s.error for s in report.steps if s.error]
        assert report.retries > 0
        _faulty(app, FaultConfig(), clock)
        assert theirs not in {r.platform_id for r in inventory(root, transport(app))}

        policy = root / "manifests" / "expense-policy.yaml"
        text = policy.read_text(encoding="utf-8")
        policy.write_text(
            text.replace(
                "    - path: files/expense-rules.md\n      attributes: {year: 2026, kind: rules}\n", ""
            ),
            encoding="utf-8",
        )
        _, report = apply_project(root, transport(app))
        assert report is not None and report.ok
        assert file_content(app, theirs) == rules.read_bytes()  # still there, untouched
        assert [f.id for f in platform_state(app).files if f.filename == "expense-rules.md"] == [theirs]
    finally:
        app.close()


# ---- look-ups while resuming ------------------------------------------------------------------------------


class Killed(BaseException):
    """The apply process died (not an Exception: nothing on the way up mistakes it for an error)."""


class _DiesAtTheFirstUpload(EmulatorTransport):
    """Dies at the first upload: before the platform sees it (`landed=False`) or after it handled it."""

    def __init__(self, app: EmulatorApp, *, landed: bool) -> None:
        super().__init__(app)
        self.landed = landed
        self.dead = False
        self._lock = threading.Lock()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        uploading = request.method == "POST" and request.url.path == "/v1/files"
        with self._lock:
            if self.dead:
                raise Killed("the process is dead")
            self.dead = uploading
        if uploading and not self.landed:
            raise Killed("killed before the upload was sent")
        response = super().handle_request(request)
        if uploading:
            raise Killed("killed after the upload was handled")
        return response


class _FlakyFileList(EmulatorTransport):
    """Every other listing of the files answers 500: the first try of each look-up fails."""

    def __init__(self, app: EmulatorApp) -> None:
        super().__init__(app)
        self.listings = 0
        self.failed = 0
        self._lock = threading.Lock()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        if request.method == "GET" and request.url.path == "/v1/files":
            with self._lock:
                self.listings += 1
                fail = self.listings % 2 == 1
                self.failed += fail
            if fail:
                body = (
                    b'{"error": {"message": "injected", "type": "server_error", "param": null, "code": null}}'
                )
                return httpx2.Response(
                    500, headers={"content-type": "application/json"}, content=body, request=request
                )
        return super().handle_request(request)


@pytest.mark.parametrize("landed", [False, True], ids=["upload-not-sent", "upload-landed"])
def test_the_lookups_of_a_rerun_after_a_kill_are_retried(
    tmp_path: Path, app: EmulatorApp, landed: bool
) -> None:
    """Not sent: the same plan resumes and looks for the upload it started. Landed: a new plan (the
    manifests changed meanwhile) abandons the dead apply, which looks for the upload to clean it up.
    Either look-up meets a 500 first and must be retried, not fail the apply."""
    root = make_project(tmp_path / "project", retry={"concurrency": 1})
    with pytest.raises(Killed):
        apply_project(root, _DiesAtTheFirstUpload(app, landed=landed))
    if landed:
        manifest = root / "manifests" / "corporate-assist.yaml"
        text = manifest.read_text(encoding="utf-8")
        manifest.write_text(
            text.replace("drafts expense reports.", "drafts expense reports!"), encoding="utf-8"
        )
    flaky = _FlakyFileList(app)
    _, report = apply_project(root, flaky)
    assert flaky.failed >= 1
    assert report is not None and report.ok, [s.error for s in report.steps if s.error]
    assert_uploads_hold_their_content(root, app)
    assert not plan_project(root, transport(app)).has_changes


class _DiesAroundTheTwins(EmulatorTransport):
    """The first upload (a/policy.md, with concurrency 1) dies before the platform sees it; the worker
    goes on to the next (b/policy.md: same name, same size), which lands, and then nothing does."""

    def __init__(self, app: EmulatorApp) -> None:
        super().__init__(app)
        self.uploads = 0

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        if request.method == "POST" and request.url.path == "/v1/files":
            self.uploads += 1
            if self.uploads != 2:
                raise Killed("the process is dead")
            super().handle_request(request)
            raise Killed("killed after the upload was handled")
        return super().handle_request(request)


def test_a_rerun_never_takes_the_same_name_file_a_dead_run_uploaded_for_another_path(
    tmp_path: Path, app: EmulatorApp
) -> None:
    """Deterministic: the rerun's look-up for a/policy.md must not find b/policy.md's upload."""
    root = with_twins(make_project(tmp_path / "project", retry={"concurrency": 1}))
    with pytest.raises(Killed):
        apply_project(root, _DiesAroundTheTwins(app))
    assert len(platform_state(app).files) == 1  # b's upload landed, a's never did
    _, report = apply_project(root, transport(app))
    assert report is not None and report.ok, [s.error for s in report.steps if s.error]
    assert_uploads_hold_their_content(root, app)
    assert not plan_project(root, transport(app)).has_changes


def test_uploads_named_before_tags_plan_no_changes_after_the_upgrade(project: Path, app: EmulatorApp) -> None:
    """A project applied by a reconciler that uploaded under plain names is not uploaded again: the
    inventory records its files by content."""
    with plain_names():
        apply_project(project, transport(app))
    assert sorted(f.filename for f in platform_state(app).files) == ["expense-rules.md", "per-diem-2026.md"]
    assert not plan_project(project, transport(app)).has_changes

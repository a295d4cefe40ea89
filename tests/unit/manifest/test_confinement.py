"""Manifest files and the project file are confined like file references (issue 12, item 13): real path inside
the project root, regular files only (never blocking on a FIFO), at most 4 MiB each, and
every refusal a located problem that validate reports beside all the others."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.cli.main import run
from reconciler.errors import ManifestError
from reconciler.manifest import load_project, paths, validate_project

from .conftest import HEADER, REPO, Write, doc

CAP = 4 * 1024 * 1024  # the documented limit (README), paths.MAX_MANIFEST_BYTES
LIMIT = doc("SpendLimit", "cap", "scope: organization\namountUSD: 1")
ELSEWHERE = doc("SpendLimit", "elsewhere", "scope: organization\namountUSD: 1")


def _lines(project: Path) -> list[str]:
    return [str(p) for p in validate_project(project).problems]


@pytest.fixture
def nested(tmp_path: Path) -> Path:
    """A project at tmp_path/project with `manifests: m`; tmp_path/outside lies beyond its root."""
    root = tmp_path / "project"
    (root / "m").mkdir(parents=True)
    (root / "reconcile.yaml").write_text(
        HEADER + "kind: Project\nmetadata: {name: t}\nspec: {manifests: m}\n"
    )
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "x.yaml").write_text(ELSEWHERE)
    return root


def test_a_manifest_symlinked_out_of_the_root_is_refused(nested: Path) -> None:
    os.symlink(nested.parent / "outside" / "x.yaml", nested / "m" / "x.yaml")
    assert _lines(nested) == [
        "m/x.yaml:1:1: error: a symlink leads outside the project root [path.symlink-escape]"
    ]
    with pytest.raises(ManifestError):
        load_project(nested)


def test_a_manifest_symlinked_inside_the_root_still_works(nested: Path) -> None:
    (nested / "shared").mkdir()
    (nested / "shared" / "cap.yaml").write_text(LIMIT)
    os.symlink(nested / "shared" / "cap.yaml", nested / "m" / "cap.yaml")
    os.symlink("cap.yaml", nested / "m" / "again.yaml")  # the same real file is read once
    project = load_project(nested)
    assert project.desired.sources == {"SpendLimit/cap": "m/again.yaml:1"}


@pytest.mark.timeout(60)
def test_a_manifest_symlinked_to_dev_zero_is_refused_with_bounded_memory(nested: Path) -> None:
    """Today's reader grows without bound on /dev/zero; the child runs under a 1 GiB address-space cap,
    so the old code dies of MemoryError instead of taking the machine's memory."""
    os.symlink("/dev/zero", nested / "m" / "zero.yaml")
    cap = 1 << 30

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    code = "import sys; from reconciler.cli.main import run; sys.exit(run(['validate']))"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=nested,
        capture_output=True,
        text=True,
        timeout=50,
        preexec_fn=limit_memory,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
    )
    assert done.returncode == 1, done.stderr[-2000:]
    assert (
        "m/zero.yaml:1:1: error: a symlink leads outside the project root [path.symlink-escape]"
        in done.stdout
    )
    assert "Traceback" not in done.stderr


def test_a_device_inside_the_root_is_not_read(tmp_path: Path) -> None:
    """With `/` as the root, /dev/zero passes the confinement; it is still refused, without a read."""
    found = paths.read_confined(Path("/dev/zero"), Path("/"))
    assert found == paths.PathIssue("path.not-file", "not a regular file (a device)")


@pytest.mark.timeout(10)
def test_a_fifo_manifest_is_refused_without_blocking(nested: Path) -> None:
    os.mkfifo(nested / "m" / "pipe.yaml")
    assert _lines(nested) == ["m/pipe.yaml:1:1: error: not a regular file (a FIFO) [path.not-file]"]


@pytest.mark.timeout(10)
def test_a_fifo_project_file_is_refused_without_blocking(tmp_path: Path) -> None:
    (tmp_path / "deep").mkdir()
    os.mkfifo(tmp_path / "reconcile.yaml")
    report = validate_project(tmp_path / "deep")
    assert report.config.root == tmp_path.resolve()  # found as the root, not climbed past
    assert [str(p) for p in report.problems] == [
        "reconcile.yaml:1:1: error: not a regular file (a FIFO) [path.not-file]"
    ]


def test_a_project_file_symlinked_out_of_the_root_is_refused(tmp_path: Path, nested: Path) -> None:
    (tmp_path / "outside" / "reconcile.yaml").write_bytes((nested / "reconcile.yaml").read_bytes())
    (nested / "reconcile.yaml").unlink()
    os.symlink(tmp_path / "outside" / "reconcile.yaml", nested / "reconcile.yaml")
    assert _lines(nested) == [
        "reconcile.yaml:1:1: error: a symlink leads outside the project root [path.symlink-escape]"
    ]


def test_a_manifests_directory_symlinked_out_of_the_root_is_refused(nested: Path) -> None:
    (nested / "m").rmdir()
    os.symlink(nested.parent / "outside", nested / "m")
    report = validate_project(nested)
    assert [str(p) for p in report.problems] == [
        "reconcile.yaml:4:19: error: spec.manifests: 'm' leads outside the project root through a symlink "
        "[path.symlink-escape]"
    ]
    assert report.documents == 0


def test_a_subdirectory_symlinked_out_of_the_root_is_refused(nested: Path) -> None:
    os.symlink(nested.parent / "outside", nested / "m" / "up")
    report = validate_project(nested)
    assert [str(p) for p in report.problems] == [
        "m/up: error: directory symlink leads outside the project root; manifests stay inside it "
        "[path.symlink-escape]"
    ]
    assert report.documents == 0


def test_a_subdirectory_symlinked_inside_the_root_is_read_once(nested: Path) -> None:
    (nested / "shared").mkdir()
    (nested / "shared" / "cap.yaml").write_text(LIMIT)
    os.symlink(nested / "shared", nested / "m" / "shared")
    os.symlink(nested / "m", nested / "m" / "loop")  # a cycle ends instead of recursing
    project = load_project(nested)
    assert project.desired.sources == {"SpendLimit/cap": "m/shared/cap.yaml:1"}


def test_an_oversize_manifest_is_refused(project: Path, write: Write) -> None:
    padding = "#" * 99 + "\n"
    body = LIMIT + padding * ((CAP - len(LIMIT)) // len(padding))
    body += "#" * (CAP - len(body) - 1) + "\n"
    assert len(body) == CAP == paths.MAX_MANIFEST_BYTES
    write("at-limit.yaml", body)
    write("over.yaml", body + "\n")
    assert _lines(project) == [
        f"over.yaml:1:1: error: file is larger ({CAP + 1} bytes) than the limit of 4 MiB "
        f"({CAP} bytes) [file.too-large]"
    ]
    assert validate_project(project).documents == 1


def test_a_file_over_the_limit_by_its_size_is_not_opened(tmp_path: Path) -> None:
    (tmp_path / "f.yaml").write_text("x" * 11)
    assert paths.read_confined(tmp_path / "f.yaml", tmp_path, limit=11) == b"x" * 11
    assert paths.read_confined(tmp_path / "f.yaml", tmp_path, limit=10) == paths.PathIssue(
        "file.too-large", "file is larger (11 bytes) than the limit of 0 MiB (10 bytes)"
    )


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="needs Linux /proc")
def test_a_file_longer_than_its_stat_says_is_cut_off_at_the_limit() -> None:
    """/proc files are regular and claim size 0, as a file growing after its stat would: the read stops."""
    assert os.stat("/proc/self/status").st_size == 0
    assert paths.read_confined(Path("/proc/self/status"), Path("/"), limit=10) == paths.PathIssue(
        "file.too-large", "file is larger than the limit of 0 MiB (10 bytes)"
    )


@pytest.mark.timeout(10)
def test_every_refusal_is_reported_at_once_by_the_cli(
    nested: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    os.symlink(nested.parent / "outside" / "x.yaml", nested / "m" / "a-out.yaml")
    os.mkfifo(nested / "m" / "b-pipe.yaml")
    (nested / "m" / "c-big.yaml").write_text("#" * (CAP + 1))
    os.symlink(nested.parent / "outside", nested / "m" / "d-up")
    (nested / "m" / "e.yaml").write_text(
        doc("Assistant", "A", "model: gpt-5.5-2026-04-23\ninstructions: Hi.\ntools: [nope]")
    )
    assert run(["validate", str(nested)]) == 1
    captured = capsys.readouterr()
    codes = [line.rsplit("[", 1)[-1].rstrip("]") for line in captured.out.splitlines()[:-1]]
    assert codes == [
        "path.symlink-escape",
        "path.not-file",
        "file.too-large",
        "path.symlink-escape",
        "ref.dangling",
    ]
    assert "Traceback" not in captured.err

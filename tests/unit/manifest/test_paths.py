"""Path safety: absolute paths, `..` escapes and symlinks out are refused; globs expand inside the root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler.manifest.paths import PathIssue, ResolvedFile, resolve


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "m" / "docs").mkdir(parents=True)
    (root / "m" / "docs" / "a.md").write_text("a")
    (root / "m" / "docs" / "b.md").write_text("bb")
    (root / "shared.txt").write_text("s")
    (tmp_path / "secret.txt").write_text("secret")
    return root


def _codes(result: list[ResolvedFile] | PathIssue) -> str:
    assert isinstance(result, PathIssue)
    return result.code


def test_relative_to_the_manifest_directory(tree: Path) -> None:
    found = resolve("docs/a.md", tree / "m", tree)
    assert isinstance(found, list)
    assert [(f.relative, f.size) for f in found] == [("m/docs/a.md", 1)]


def test_dotdot_inside_the_root_is_fine(tree: Path) -> None:
    found = resolve("../shared.txt", tree / "m", tree)
    assert isinstance(found, list)
    assert [f.relative for f in found] == ["shared.txt"]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("../../etc/passwd", "path.escape"),
        ("../../secret.txt", "path.escape"),
        ("docs/../../../secret.txt", "path.escape"),
        ("/etc/passwd", "path.absolute"),
        ("C:\\Windows\\win.ini", "path.absolute"),
        ("", "path.empty"),
        ("docs/none.md", "path.missing"),
        ("docs", "path.not-file"),
        ("docs/*.pdf", "path.missing"),  # globs are literal names unless allowed
    ],
)
def test_refusals(tree: Path, raw: str, code: str) -> None:
    assert _codes(resolve(raw, tree / "m", tree)) == code


def test_symlink_out_is_refused_even_when_named_inside(tree: Path) -> None:
    os.symlink(tree.parent / "secret.txt", tree / "m" / "docs" / "link.md")
    assert _codes(resolve("docs/link.md", tree / "m", tree)) == "path.symlink-escape"
    assert _codes(resolve("docs/*.md", tree / "m", tree, allow_glob=True)) == "path.symlink-escape"


def test_symlinked_directory_out_is_refused(tree: Path) -> None:
    os.symlink(tree.parent, tree / "m" / "up")
    assert _codes(resolve("up/secret.txt", tree / "m", tree)) == "path.symlink-escape"


def test_symlink_inside_the_root_is_fine(tree: Path) -> None:
    os.symlink(tree / "shared.txt", tree / "m" / "alias.txt")
    found = resolve("alias.txt", tree / "m", tree)
    assert isinstance(found, list)
    assert [f.relative for f in found] == ["m/alias.txt"]


def test_globs(tree: Path) -> None:
    found = resolve("docs/*.md", tree / "m", tree, allow_glob=True)
    assert isinstance(found, list)
    assert [f.relative for f in found] == ["m/docs/a.md", "m/docs/b.md"]
    assert _codes(resolve("docs/*.pdf", tree / "m", tree, allow_glob=True)) == "path.no-match"
    assert _codes(resolve("../../*.txt", tree / "m", tree, allow_glob=True)) == "path.escape"


def test_too_large(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import reconciler.manifest.paths as paths

    monkeypatch.setattr(paths, "MAX_FILE_BYTES", 1)
    result = resolve("docs/b.md", tree / "m", tree)
    assert isinstance(result, PathIssue)
    assert (result.code, result.message) == (
        "file.too-large",
        "file 'docs/b.md' is 2 bytes; the platform accepts at most 512 MB",
    )

"""Path safety: a path written in a manifest resolves inside the project root, or it is refused.

Paths are relative to the manifest's own directory. Refused: absolute paths, `..` that climbs out of the
project root (checked on the text, before touching the disk), and symlinks whose real target lies outside
the root (checked on the resolved realpath). Files must exist, be regular files and be at most 512 MB.

`read_confined` reads a file the project itself consists of (a manifest, `reconcile.yaml`, a text file a
manifest includes) under the same rules, without ever blocking on a FIFO or reading a device: the real path
must lie inside the root, the file must be regular (checked with stat before opening, and again with fstat
on the descriptor, opened non-blocking, so a swap in between is caught), and at most
`MAX_MANIFEST_BYTES` are accepted: one byte more is read, never the rest.
"""

from __future__ import annotations

import glob
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

MAX_FILE_BYTES = 512 * 1024 * 1024
MAX_MANIFEST_BYTES = 4 * 1024 * 1024  # per manifest file; the example's largest is 2 KB

# https://platform.openai.com/docs/assistants/tools/file-search#supported-files
FILE_SEARCH_EXTENSIONS = frozenset(
    {
        ".c", ".cpp", ".cs", ".css", ".doc", ".docx", ".go", ".html", ".java", ".js", ".json",
        ".md", ".pdf", ".php", ".pptx", ".py", ".rb", ".sh", ".tex", ".ts", ".txt",
    }
)  # fmt: skip
# https://platform.openai.com/docs/assistants/tools/code-interpreter#supported-files
CODE_INTERPRETER_EXTENSIONS = FILE_SEARCH_EXTENSIONS | frozenset(
    (".csv", ".gif", ".jpeg", ".jpg", ".pkl", ".png", ".tar", ".xlsx", ".xml", ".zip")
)
_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class PathIssue:
    code: str
    message: str


@dataclass(frozen=True)
class ResolvedFile:
    """A file inside the project. `relative` is POSIX, relative to the project root."""

    path: Path
    relative: str
    size: int


def is_glob(raw: str) -> bool:
    return any(c in _GLOB_CHARS for c in raw)


def is_inside(path: str, root: str) -> bool:
    """Whether `path` is `root` or below it, compared as text: pass normalised or real paths."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def resolve(raw: str, base: Path, root: Path, *, allow_glob: bool = False) -> list[ResolvedFile] | PathIssue:
    """The files `raw` names (several for a glob), or why it is refused."""
    if not raw.strip():
        return PathIssue("path.empty", "empty path")
    if "\x00" in raw:  # the OS refuses such a path with an exception, not an answer
        return PathIssue("path.invalid", "a path must not contain a NUL character")
    if PurePosixPath(raw).is_absolute() or PureWindowsPath(raw).is_absolute() or PureWindowsPath(raw).drive:
        return PathIssue(
            "path.absolute", f"absolute path {raw!r} is not allowed; write it relative to the manifest"
        )
    root_text = os.path.normpath(os.path.abspath(root))
    joined = os.path.normpath(os.path.join(os.path.abspath(base), raw))
    if not is_inside(joined, root_text):
        return PathIssue("path.escape", f"path {raw!r} leaves the project root")
    if allow_glob and is_glob(raw):
        matches = sorted(glob.glob(joined, recursive=True))
        candidates = [m for m in matches if os.path.isfile(m)]
        if not candidates:
            return PathIssue("path.no-match", f"glob {raw!r} matches no file")
    else:
        candidates = [joined]
    real_root = os.path.realpath(root_text)
    out: list[ResolvedFile] = []
    for candidate in candidates:
        if not is_inside(os.path.realpath(candidate), real_root):
            return PathIssue(
                "path.symlink-escape", f"path {raw!r} is a symlink to a file outside the project root"
            )
        if not os.path.exists(candidate):
            return PathIssue("path.missing", f"file {raw!r} does not exist")
        if not os.path.isfile(candidate):
            return PathIssue("path.not-file", f"path {raw!r} is not a regular file")
        size = os.path.getsize(candidate)
        if size > MAX_FILE_BYTES:
            return PathIssue(
                "file.too-large", f"file {raw!r} is {size} bytes; the platform accepts at most 512 MB"
            )
        relative = Path(os.path.relpath(candidate, root_text)).as_posix()
        out.append(ResolvedFile(Path(candidate), relative, size))
    return out


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_confined(path: Path, root: Path, *, limit: int = MAX_MANIFEST_BYTES) -> bytes | PathIssue:
    """The bytes of the project file `path`, or why it is refused. Never blocks, never reads past `limit`."""
    if not is_inside(os.path.realpath(path), os.path.realpath(root)):
        return PathIssue("path.symlink-escape", "a symlink leads outside the project root")
    try:
        before = os.stat(path)  # follows links; unlike open(), stat never waits for a FIFO's writer
        if not stat.S_ISREG(before.st_mode):
            return PathIssue("path.not-file", f"not a regular file ({_kind(before.st_mode)})")
        if before.st_size > limit:
            return _too_large(before.st_size, limit)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    except OSError as error:
        return PathIssue("file.unreadable", f"cannot read: {error.strerror}")
    with os.fdopen(fd, "rb") as handle:
        opened = os.fstat(handle.fileno())
        if not stat.S_ISREG(opened.st_mode):
            return PathIssue("path.not-file", f"not a regular file ({_kind(opened.st_mode)})")
        try:
            data = handle.read(limit + 1)
        except OSError as error:
            return PathIssue("file.unreadable", f"cannot read: {error.strerror}")
    if len(data) > limit:  # it grew after the stat
        return _too_large(None, limit)
    return data


def read_text_confined(path: Path, root: Path, *, limit: int = MAX_MANIFEST_BYTES) -> str | PathIssue:
    """`read_confined` decoded as UTF-8, line ends translated as `Path.read_text` does."""
    data = read_confined(path, root, limit=limit)
    if isinstance(data, PathIssue):
        return data
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return PathIssue("file.encoding", f"not UTF-8 text ({error.reason})")
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _too_large(size: int | None, limit: int) -> PathIssue:
    what = "" if size is None else f" ({size} bytes)"
    return PathIssue(
        "file.too-large",
        f"file is larger{what} than the limit of {limit // (1024 * 1024)} MiB ({limit} bytes)",
    )


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"

"""Which files the platform takes: OpenAI's allow-lists of file extensions, per upload purpose and for
file search. Anything not listed is refused (an upload) or fails ingestion (a vector-store file).

Sources: the "Supported files" tables of the file search and code interpreter tool guides
(https://platform.openai.com/docs/assistants/tools/file-search#supported-files and
.../code-interpreter#supported-files), the Batch and fine-tuning guides (JSONL input), the vision guide
(PNG, JPEG, WEBP, non-animated GIF), and `CreateFileRequest.purpose` ("`user_data`: Flexible file type
for any purpose").
"""

from __future__ import annotations

from pathlib import PurePosixPath


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# The file search tool's table (`.go` was added after the first published version).
FILE_SEARCH = _words(
    ".c .cpp .cs .css .doc .docx .go .html .java .js .json .md .pdf .php .pptx .py .rb .sh .tex .ts .txt"
)
# The code interpreter tool's table: everything file search reads, plus data, images and archives.
CODE_INTERPRETER = FILE_SEARCH | _words(".csv .gif .jpeg .jpg .png .tar .xlsx .xml .zip")
JSONL = frozenset({".jsonl"})
IMAGES = _words(".gif .jpeg .jpg .png .webp")

# Purpose -> the extensions an upload of that purpose may have; None: any file.
BY_PURPOSE: dict[str, frozenset[str] | None] = {
    # Assistants files feed file search and code interpreter.
    "assistants": CODE_INTERPRETER,
    "batch": JSONL,
    "fine-tune": JSONL,
    "evals": JSONL,
    "vision": IMAGES,
    "user_data": None,
}


def extension(filename: str) -> str:
    """The lower-cased last suffix (`Policy.rcl-ab12.MD` -> `.md`); `""` for a name without one."""
    return PurePosixPath(filename).suffix.lower()


def upload_refusal(filename: str, purpose: str) -> str | None:
    """Why an upload of `filename` with `purpose` is refused, or None when the platform takes it."""
    allowed = BY_PURPOSE.get(purpose)
    if allowed is None:
        return None
    suffix = extension(filename)
    if suffix in allowed:
        return None
    shown = f"'{suffix}'" if suffix else "a file without an extension"
    if allowed == JSONL:
        return f"Invalid file format for purpose '{purpose}': {shown}. The file must be JSONL (.jsonl)."
    return (
        f"Invalid file format for purpose '{purpose}': {shown}. "
        f"Supported formats: {', '.join(sorted(s.lstrip('.') for s in allowed))}."
    )


def searchable(filename: str) -> bool:
    """Whether file search can index a file of this name."""
    return extension(filename) in FILE_SEARCH

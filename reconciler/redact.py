"""Keeps secrets out of everything reconciler prints: a registry of the secret values this process has
read, and the functions that blank them, and anything shaped like a key or a credential, from a text.

`config` registers each key it reads from the environment and the state store each DSN password; the CLI
passes every line it writes through `redact` (cli/main.py), tracebacks under `--debug` included, and the
platform adapter redacts the platform's own error text before it becomes one of our errors. A value is
registered with the printable-ASCII runs it contains, so a key with a newline or a non-ASCII character is
still blanked when an error prints it escaped (`b'Bearer sk-abc\\nDEF'`) or split across lines.
"""

from __future__ import annotations

import re
import threading

__all__ = ["MASK", "MIN_SECRET_CHARS", "clear", "redact", "redact_secrets", "register"]

MASK = "***"
# Runs shorter than this are not blanked on their own: they would mangle every message and hide nothing.
MIN_SECRET_CHARS = 4

# OpenAI keys (sk-..., sk-proj-..., sk-admin-..., sk-svcacct-...). The emulator's placeholders
# ("sk-local-emulator", "sk-admin-local") are too short to match, and are no secrets anyway.
_KEY_SHAPE = re.compile(r"\bsk-[A-Za-z0-9_\-]{16,}")
_TOKEN_CHARS = r"[A-Za-z0-9._~+/=\-]"  # noqa: S105  (a character class, not a password)
_SCHEMES = r"bearer|basic|token"
# Credentials in headers, URLs and DSNs, blanked from the secret on, so the message still says what it was.
_CREDENTIALS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization: Bearer <token> (also Basic and Token schemes)
    (re.compile(rf"(?i)\b({_SCHEMES})(\s+){_TOKEN_CHARS}{{8,}}"), rf"\1\2{MASK}"),
    # Authorization: <token>, without a scheme
    (
        re.compile(rf"(?i)\b(authorization[\"']?\s*[:=]\s*[\"']?)(?!(?:{_SCHEMES})\b)[^\s\"',;]+"),
        rf"\1{MASK}",
    ),
    # scheme://user:password@host
    (re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://[^\s:/@]*):(?!\*{3}@)[^\s@/]+@"), rf"\1:{MASK}@"),
    # password=..., api_key=... (query strings, libpq keyword DSNs)
    (
        re.compile(
            r"(?i)\b(password|passwd|pwd|api[_-]?key)(\s*=\s*)(?!\*{3})('[^']*'|\"[^\"]*\"|[^\s&;'\"]+)"
        ),
        rf"\1\2{MASK}",
    ),
)
_RUNS = re.compile(r"[\x21-\x7e]+")


class _Registry:
    """The secret values read so far, longest first (a value containing another is blanked whole)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.values: tuple[str, ...] = ()


_REGISTRY = _Registry()


def register(value: str) -> None:
    """Remember a secret value (a key, a password) so that `redact` blanks it from now on."""
    forms = {value, value.strip(), *_RUNS.findall(value)}
    forms |= {repr(value)[1:-1], repr(value.encode("utf-8", "backslashreplace"))[2:-1]}
    fresh = {form for form in forms if len(form) >= MIN_SECRET_CHARS and MASK not in form}
    if not fresh:
        return
    with _REGISTRY.lock:
        merged = set(_REGISTRY.values) | fresh
        _REGISTRY.values = tuple(sorted(merged, key=lambda form: (-len(form), form)))


def clear() -> None:
    """Forget every registered value (each CLI run starts afresh; tests isolate themselves with it)."""
    with _REGISTRY.lock:
        _REGISTRY.values = ()


def redact_secrets(text: str) -> str:
    """`text` with every registered value and everything shaped like an OpenAI key blanked.

    For documents (plans, reports) as well as messages: it cannot mistake ordinary prose for a secret.
    """
    for value in _REGISTRY.values:
        if value in text:
            text = text.replace(value, MASK)
    return _KEY_SHAPE.sub(MASK, text)


def redact(text: str) -> str:
    """For messages: `redact_secrets`, and also bearer tokens, Authorization values, URL passwords and
    `password=` / `api_key=` parameters, whoever's they are."""
    text = redact_secrets(text)
    for pattern, replacement in _CREDENTIALS:
        text = pattern.sub(replacement, text)
    return text

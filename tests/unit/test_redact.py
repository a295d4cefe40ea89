"""Issue 12 item 15: the redaction registry and patterns, and keys refused before they are sent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reconciler import redact
from reconciler.config import secret_from_env
from reconciler.errors import AuthenticationFailed, ConfigError

KEY = "sk-proj-HEADSECRET0123456789abcdef"
TAIL = "TAILSECRET9876543210"


@pytest.fixture(autouse=True)
def empty_registry() -> Iterator[None]:
    redact.clear()
    yield
    redact.clear()


def test_a_registered_key_is_blanked_however_it_is_printed() -> None:
    secret = f"{KEY}\n{TAIL}"
    redact.register(secret)
    printed = [
        f"Illegal header value b'Bearer {KEY}\\n{TAIL}'",  # a bytes repr, as httpx raises it
        f"value {secret!r}",
        f"the key was {secret}",
        f"folded: {' '.join(secret.split())}",
        f"only the tail: {TAIL}",
    ]
    for text in printed:
        assert "SECRET" not in redact.redact(text), text
        assert "SECRET" not in redact.redact_secrets(text), text


def test_a_non_ascii_key_is_blanked_in_its_escaped_forms() -> None:
    secret = "sk-proj-ÉSECRETabcdefghij0123"
    redact.register(secret)
    for text in (secret, repr(secret), repr(secret.encode())):
        assert "SECRETabcdefghij" not in redact.redact(text)


def test_key_shapes_and_credentials_are_blanked_without_registration() -> None:
    assert redact.redact("bad key sk-admin-abcdefghijklmnopqrstuv here") == "bad key *** here"
    assert redact.redact("Authorization: Bearer abc.def-ghi_jkl") == "Authorization: Bearer ***"
    assert redact.redact("{'authorization': 'tok0123456789'}") == "{'authorization': '***'}"
    assert redact.redact("postgresql://u:pw0rd@h/db?password=s3cret&sslmode=x") == (
        "postgresql://u:***@h/db?password=***&sslmode=x"
    )
    assert redact.redact("host=h password='a b c' dbname=d") == "host=h password=*** dbname=d"


def test_ordinary_text_is_left_alone() -> None:
    for text in (
        "use Bearer tokens in the Authorization header",
        "the emulator key is sk-local-emulator",
        "plan 0123456789abcdef has 3 changes",
    ):
        assert redact.redact(text) == text
    redact.register("ab")  # too short to blank on its own: it would mangle every message
    assert redact.redact("about tabs") == "about tabs"


def test_redaction_is_idempotent() -> None:
    """The store masks its DSN itself; the CLI's pass over the message must keep what follows the mask."""
    masked = "at postgresql://u:***@h/db?password=***: connection refused"
    assert redact.redact(masked) == masked
    once = redact.redact("postgresql://u:pw@h/db?password=x&sslmode=y connection refused")
    assert redact.redact(once) == once == "postgresql://u:***@h/db?password=***&sslmode=y connection refused"


@pytest.mark.parametrize(
    "value",
    [
        f"{KEY}\n{TAIL}",
        f"{KEY}\r{TAIL}",
        f"{KEY}\x00",
        f"{KEY} {TAIL}",
        "sk-proj-ÉSECRET0123456789",
        f"{KEY}\u202e",
    ],
)
def test_a_key_with_a_control_space_or_non_ascii_character_is_refused(value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        secret_from_env("OPENAI_API_KEY", what="the target's API key", env={"OPENAI_API_KEY": value})
    message = str(caught.value)
    assert "OPENAI_API_KEY" in message
    assert "SECRET" not in message
    assert "SECRET" not in redact.redact(repr(value)), "the refused key is still registered for redaction"


def test_a_key_is_registered_when_read() -> None:
    """Keys of other providers (or proxies) are not shaped like OpenAI's: registration blanks them."""
    assert secret_from_env("K", what="key", env={"K": "  gw-0f9e8d7c6b5a\n"}) == "gw-0f9e8d7c6b5a"
    assert redact.redact_secrets("sent gw-0f9e8d7c6b5a and gw-0000") == "sent *** and gw-0000"


def test_a_missing_key_still_says_which_variable() -> None:
    with pytest.raises(AuthenticationFailed, match="export OPENAI_API_KEY"):
        secret_from_env("OPENAI_API_KEY", what="the target's API key", env={"OPENAI_API_KEY": " \n"})

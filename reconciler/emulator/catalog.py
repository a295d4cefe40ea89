"""The models the emulator knows, with OpenAI's shutdown dates: the platform answers any other name with 400.

The names are the spec's model enums (`ModelIdsShared`, `ModelIdsResponses`' `ResponsesOnlyModel`,
`AssistantSupportedModels`) plus the models of OpenAI's deprecation list
(https://platform.openai.com/docs/deprecations) and the replacements it names. A model is refused when
it is unknown, when its shutdown date has passed on the emulator's clock, or, on the Assistants API,
when the spec marks it as Responses-only. Fine-tuned models (`ft:<base>:...`) are known when their base
is. `EmulatorConfig.extra_models` adds names (an account's own models, newer releases).

The shutdown dates repeat `reconciler/manifest/data/model-deprecations.json` (the emulator imports
nothing from reconciler); `tests/unit/emulator/test_catalog.py` checks that the two lists agree.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime

from reconciler.emulator.http import ApiError


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# ModelIdsShared: usable on every API.
SHARED = _words(
    """
    gpt-5.6-sol gpt-5.6-terra gpt-5.6-luna gpt-5.5 gpt-5.5-2026-04-23 gpt-5.4 gpt-5.4-mini gpt-5.4-nano
    gpt-5.4-mini-2026-03-17 gpt-5.4-nano-2026-03-17 gpt-5.3-chat-latest gpt-5.2 gpt-5.2-2025-12-11
    gpt-5.2-chat-latest gpt-5.2-pro gpt-5.2-pro-2025-12-11 gpt-5.1 gpt-5.1-2025-11-13 gpt-5.1-codex
    gpt-5.1-mini gpt-5.1-chat-latest gpt-5 gpt-5-mini gpt-5-nano gpt-5-2025-08-07 gpt-5-mini-2025-08-07
    gpt-5-nano-2025-08-07 gpt-5-chat-latest gpt-4.1 gpt-4.1-mini gpt-4.1-nano gpt-4.1-2025-04-14
    gpt-4.1-mini-2025-04-14 gpt-4.1-nano-2025-04-14 o4-mini o4-mini-2025-04-16 o3 o3-2025-04-16 o3-mini
    o3-mini-2025-01-31 o1 o1-2024-12-17 o1-preview o1-preview-2024-09-12 o1-mini o1-mini-2024-09-12
    gpt-4o gpt-4o-2024-11-20 gpt-4o-2024-08-06 gpt-4o-2024-05-13 gpt-4o-audio-preview
    gpt-4o-audio-preview-2024-10-01 gpt-4o-audio-preview-2024-12-17 gpt-4o-audio-preview-2025-06-03
    gpt-4o-mini-audio-preview gpt-4o-mini-audio-preview-2024-12-17 gpt-4o-search-preview
    gpt-4o-mini-search-preview gpt-4o-search-preview-2025-03-11 gpt-4o-mini-search-preview-2025-03-11
    chatgpt-4o-latest codex-mini-latest gpt-4o-mini gpt-4o-mini-2024-07-18 gpt-4-turbo
    gpt-4-turbo-2024-04-09 gpt-4-0125-preview gpt-4-turbo-preview gpt-4-1106-preview gpt-4-vision-preview
    gpt-4 gpt-4-0314 gpt-4-0613 gpt-4-32k gpt-4-32k-0314 gpt-4-32k-0613 gpt-3.5-turbo gpt-3.5-turbo-16k
    gpt-3.5-turbo-0301 gpt-3.5-turbo-0613 gpt-3.5-turbo-1106 gpt-3.5-turbo-0125 gpt-3.5-turbo-16k-0613
    gpt-4.5-preview gpt-4.5-preview-2025-02-27
    """
)
# ModelIdsResponses' `ResponsesOnlyModel` branch: the Assistants API refuses these.
RESPONSES_ONLY = _words(
    """
    o1-pro o1-pro-2025-03-19 o3-pro o3-pro-2025-06-10 o3-deep-research o3-deep-research-2025-06-26
    o4-mini-deep-research o4-mini-deep-research-2025-06-26 computer-use-preview
    computer-use-preview-2025-03-11 gpt-5.5-pro gpt-5.5-pro-2026-04-23 gpt-5-codex gpt-5-pro
    gpt-5-pro-2025-10-06 gpt-5.1-codex-max gpt-daybreak-blue-latest gpt-daybreak-red-latest gpt-5.6-cyber
    """
)
# Named by the deprecation list (as deprecated models or as replacements) but absent from the spec.
OTHER = _words(
    """
    text-davinci-003 text-davinci-002 code-davinci-002 gpt-4-1106-vision-preview gpt-5.1-codex-mini
    gpt-5.2-codex gpt-3.5-turbo-instruct gpt-5-codex-mini gpt-5.4-pro gpt-6.1-sol gpt-6.1-terra gpt-6-luna
    """
)
KNOWN = SHARED | RESPONSES_ONLY | OTHER

# OpenAI's deprecation list: the day each model stops answering.
SHUTDOWN: dict[str, date] = {
    model: date.fromisoformat(day)
    for day, models in (
        ("2023-03-23", "code-davinci-002"),
        ("2024-01-04", "text-davinci-003 text-davinci-002"),
        ("2024-06-13", "gpt-3.5-turbo-0301"),
        ("2024-09-13", "gpt-3.5-turbo-0613 gpt-3.5-turbo-16k-0613"),
        ("2024-12-06", "gpt-4-vision-preview gpt-4-1106-vision-preview"),
        ("2025-06-06", "gpt-4-32k-0314 gpt-4-32k gpt-4-32k-0613"),
        ("2025-07-14", "gpt-4.5-preview gpt-4.5-preview-2025-02-27"),
        ("2025-07-28", "o1-preview o1-preview-2024-09-12"),
        ("2025-10-27", "o1-mini o1-mini-2024-09-12"),
        ("2026-01-16", "codex-mini-latest"),
        ("2026-02-17", "chatgpt-4o-latest"),
        ("2026-03-26", "gpt-4-0314 gpt-4-1106-preview gpt-4-0125-preview gpt-4-turbo-preview"),
        (
            "2026-07-23",
            "computer-use-preview computer-use-preview-2025-03-11 gpt-4o-search-preview-2025-03-11 "
            "gpt-4o-mini-search-preview-2025-03-11 gpt-5-chat-latest gpt-5.1-chat-latest gpt-5-codex "
            "gpt-5.1-codex gpt-5.1-codex-max gpt-5.1-codex-mini gpt-5.2-codex o3-deep-research "
            "o3-deep-research-2025-06-26 o4-mini-deep-research o4-mini-deep-research-2025-06-26",
        ),
        ("2026-08-10", "gpt-5.2-chat-latest gpt-5.3-chat-latest"),
        ("2026-10-23", "gpt-3.5-turbo gpt-3.5-turbo-0125 gpt-4 gpt-4-0613"),
        ("2026-12-11", "gpt-5 gpt-5-2025-08-07 gpt-5-mini gpt-5-mini-2025-08-07"),
        (
            "2027-01-14",
            "gpt-4o-2024-08-06 gpt-4o-2024-11-20 gpt-4.1-2025-04-14 gpt-4o-mini-2024-07-18 "
            "gpt-4.1-mini-2025-04-14",
        ),
    )
    for model in models.split()
}


def refusal(model: str, *, at: float, assistants: bool, extra: Collection[str] = ()) -> str | None:
    """Why the platform refuses `model` at time `at` (a Unix time), or None when it serves it."""
    base = _base(model)
    if model not in extra and base not in KNOWN:
        return f"The requested model '{model}' does not exist."
    shutdown = SHUTDOWN.get(base)
    if shutdown is not None and datetime.fromtimestamp(at, UTC).date() >= shutdown:
        return (
            f"The model '{model}' was shut down on {shutdown.isoformat()}; "
            "see https://platform.openai.com/docs/deprecations."
        )
    if assistants and base in RESPONSES_ONLY:
        return f"The requested model '{model}' cannot be used with the Assistants API."
    return None


def check(model: str, *, at: float, assistants: bool, extra: Collection[str] = ()) -> None:
    """Raise the platform's 400 (`model_not_found`, param `model`) for a model it would refuse."""
    reason = refusal(model, at=at, assistants=assistants, extra=extra)
    if reason is not None:
        raise ApiError(400, reason, param="model", code="model_not_found")


def _base(model: str) -> str:
    """A fine-tuned model's base (`ft:gpt-4o-mini-2024-07-18:org::id` -> `gpt-4o-mini-2024-07-18`)."""
    if model.startswith("ft:"):
        return model.split(":", 2)[1]
    return model

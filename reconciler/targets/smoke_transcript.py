"""What one smoke conversation did, as neutral data: the transcript both platform flavours produce
(`targets.smoke_calls` on the Responses era, `targets.smoke_runs` on Assistants v2), the `SmokeCalls`
protocol a target's `smoke` runner implements, and the version's function schemas the judge checks
arguments against. No SDK here: `targets.base` and the rollout judge import it without loading openai.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from reconciler.errors import AuthenticationFailed, PermanentPlatformError, UserError
from reconciler.model import labels
from reconciler.model.live import LiveAssistant
from reconciler.model.rollouts import SmokeCheck
from reconciler.model.stored import VersionRecord

__all__ = [
    "MAX_TOOL_ROUNDS",
    "Recorder",
    "SmokeCalls",
    "SmokeFailure",
    "SmokeTarget",
    "SmokeTranscript",
    "ToolCallSeen",
    "bundle_of",
    "function_schemas",
    "refusals",
    "smoke_metadata",
]

T = TypeVar("T")

# A model that keeps calling tools is stopped, not followed forever (as examples/chat_app.py does).
MAX_TOOL_ROUNDS = 8
SMOKE_LABEL = "reconciler/smoke"  # on the conversation or thread: which check made it
_METADATA_VALUE = 512  # the platform's longest metadata value
# A function declared without parameters takes none: closed, as `responses_wire` sends it.
_NO_PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {},
    "required": [],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class ToolCallSeen:
    """A function call the model made: its name and its arguments exactly as the model wrote them."""

    turn: int  # 0-based index of the user turn it answered
    name: str
    arguments: str


@dataclass(frozen=True)
class SmokeFailure:
    """A turn that did not end in an answer. `status`: `failed`, `incomplete`, `expired`, `cancelled` (the
    platform's word), `tool_rounds` (still calling tools after MAX_TOOL_ROUNDS), `timeout` (a run that did
    not finish within the poll bounds) or `refused` (the platform refused a request: a permanent error)."""

    turn: int
    status: str
    message: str


@dataclass(frozen=True)
class SmokeTranscript:
    """One smoke conversation. `answers` holds one answer per turn answered; the conversation stops at the
    first failure, so a failed run has fewer answers than `turns`. Tokens are summed over every response
    or run; `model` is the one the platform reported last (the version's before any reply)."""

    check: str
    conversation: str  # the conversation (Responses) or thread (Assistants v2) id; kept for inspection
    turns: int
    model: str
    tool_calls: tuple[ToolCallSeen, ...] = ()
    answers: tuple[str, ...] = ()
    failures: tuple[SmokeFailure, ...] = ()
    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0

    @property
    def completed(self) -> bool:
        """Every turn answered."""
        return len(self.answers) == self.turns and not self.failures


@dataclass
class Recorder:
    """Builds a transcript as a runner goes (single-threaded, one per conversation)."""

    check: SmokeCheck
    model: str
    conversation: str = ""
    turn: int = 0
    calls: list[ToolCallSeen] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    failures: list[SmokeFailure] = field(default_factory=list)
    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0

    def call(self, name: str, arguments: str) -> str:
        """Record a function call; returns the output the check gives that tool (`{}` by default)."""
        self.calls.append(ToolCallSeen(self.turn, name, arguments))
        return self.check.tool_outputs.get(name, "{}")

    def usage(self, model: str | None, input_tokens: int, cached: int, output_tokens: int) -> None:
        if model:
            self.model = model
        self.input_tokens += input_tokens
        self.cached_input_tokens += cached
        self.output_tokens += output_tokens

    def answer(self, text: str) -> None:
        self.answers.append(text)

    def fail(self, status: str, message: str) -> None:
        self.failures.append(SmokeFailure(self.turn, status, message))

    def transcript(self) -> SmokeTranscript:
        return SmokeTranscript(
            check=self.check.name,
            conversation=self.conversation,
            turns=len(self.check.turns),
            model=self.model,
            tool_calls=tuple(self.calls),
            answers=tuple(self.answers),
            failures=tuple(self.failures),
            input_tokens=self.input_tokens,
            cached_input_tokens=self.cached_input_tokens,
            output_tokens=self.output_tokens,
        )


class SmokeCalls(Protocol):
    """Runs smoke conversations against one version of an assistant on a target (`Target.smoke`)."""

    def converse(self, version: VersionRecord, check: SmokeCheck) -> SmokeTranscript:
        """One conversation on a fresh conversation or thread: `check.turns` in order, each function call
        answered with `check.tool_outputs`. Failed or incomplete replies, and requests the platform
        refuses (permanent errors other than authentication), end the conversation and are recorded;
        temporary platform errors and `AuthenticationFailed` are raised (try again later)."""
        ...

    def function_schemas(self, version: VersionRecord) -> dict[str, dict[str, Any]]:
        """The version's function tools: name -> its parameters' JSON Schema."""
        ...


class SmokeTarget(Protocol):
    """What running smoke checks needs of a target (`targets.base.Target` has both)."""

    @property
    def name(self) -> str: ...

    @property
    def smoke(self) -> SmokeCalls | None: ...


def function_schemas(tools: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Name -> parameters schema of the neutral function tools (`targets.wire`'s shape) in `tools`."""
    return {
        str(t["name"]): dict(t.get("parameters") or _NO_PARAMETERS)
        for t in tools
        if t.get("type") == "function" and t.get("name")
    }


def bundle_of(version: VersionRecord) -> LiveAssistant:
    """The release bundle of a version on the Responses-era platform; a platform assistant's version, or a
    deleted one, is refused in one line."""
    if version.deleted:
        raise UserError(
            f"{version.assistant} version {version.number} was deleted: it cannot be smoke-tested"
        )
    if not version.bundle:
        raise UserError(
            f"{version.assistant} version {version.number} is a platform assistant ({version.platform_id}), "
            "not a release bundle: smoke-test it on an Assistants-v2 target"
        )
    return LiveAssistant.model_validate(version.bundle)


def smoke_metadata(version: VersionRecord, check: SmokeCheck) -> dict[str, str]:
    """Labels for the smoke conversation, so one found later on the platform says what made it."""
    return {
        labels.NAME: version.assistant,
        labels.VERSION: str(version.number),
        SMOKE_LABEL: check.name[:_METADATA_VALUE],
    }


def refusals(record: Recorder) -> Callable[[Callable[[], T]], T | None]:
    """Run a step of a conversation; a request the platform refuses for good (a 400, a 404 ...) is the
    candidate's failure, recorded (None), not an exception. Authentication and temporary errors are not the
    candidate's: raised, so the caller tries again later instead of failing the check."""

    def run(step: Callable[[], T]) -> T | None:
        try:
            return step()
        except AuthenticationFailed:
            raise
        except PermanentPlatformError as error:
            record.fail("refused", str(error))
            return None

    return run

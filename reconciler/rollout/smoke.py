"""Smoke checks judged: each expectation of a `SmokeCheck` held against the transcript of its conversation
(pure, `judge`), and every check of a step run against the candidate version on its target and gathered
into one report (`run_smoke`), whose outcome the canary controller takes (`canary.SmokeOutcome`).

One verdict per expectation, passed or not, each saying what was seen: the arguments of the call that
broke the tool's schema, the last answer, the error, the cost and the tokens it came from. Arguments are
checked under JSON Schema 2020-12 exactly as the version declares them (a strict tool's schema says
`additionalProperties: false`, so an extra key fails); `format` is an annotation there, not checked; no
`$ref` is ever fetched. A cost is priced from `model.prices`: a model without a price fails its
`cost_below` ("price unknown"), never passes as free.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from reconciler.errors import UserError
from reconciler.model.prices import ModelPrice, cost_usd, price_of
from reconciler.model.rollouts import AnswerMatches, CallsTool, CostBelow, Expectation, NoError, SmokeCheck
from reconciler.model.stored import VersionRecord
from reconciler.redact import redact
from reconciler.rollout.canary import SmokeOutcome
from reconciler.schema.metaschema import json_pointer
from reconciler.targets.smoke_transcript import SmokeTarget, SmokeTranscript

__all__ = ["SmokeReport", "SmokeResult", "Verdict", "argument_problem", "describe", "judge", "run_smoke"]

_SHOWN = 300  # characters of an argument string or an answer quoted in a verdict


@dataclass(frozen=True)
class Verdict:
    """One expectation of one check: what it asked (`expectation`, as `describe` words it), whether it held,
    and what was seen."""

    expectation: str
    passed: bool
    detail: str

    def __str__(self) -> str:
        return f"{'ok' if self.passed else 'FAILED'} {self.expectation}: {self.detail}"


@dataclass(frozen=True)
class SmokeResult:
    """One check judged, with the transcript it was judged on."""

    check: str
    verdicts: tuple[Verdict, ...]
    transcript: SmokeTranscript

    @property
    def passed(self) -> bool:
        return all(v.passed for v in self.verdicts)

    @property
    def failures(self) -> tuple[Verdict, ...]:
        return tuple(v for v in self.verdicts if not v.passed)


@dataclass(frozen=True)
class SmokeReport:
    """Every check of a smoke step on one version. Any failed expectation fails the step (blocks)."""

    assistant: str
    version: int
    results: tuple[SmokeResult, ...]

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    def summary(self) -> str:
        """One line: how many checks passed, or the first failure (check, expectation, what was seen)."""
        failed = [(r, v) for r in self.results for v in r.failures]
        if not failed:
            n = len(self.results)
            return f"{n} smoke check{'s' if n != 1 else ''} passed on {self.assistant} version {self.version}"
        result, verdict = failed[0]
        more = len(failed) - 1
        tail = f" (and {more} more failed expectation{'s' if more != 1 else ''})" if more else ""
        return f'check "{result.check}": {verdict.expectation}: {verdict.detail}{tail}'

    def lines(self) -> list[str]:
        """Every check and verdict, for a report or an event's history."""
        out: list[str] = []
        for result in self.results:
            state = "passed" if result.passed else "FAILED"
            where = f" in {result.transcript.conversation}" if result.transcript.conversation else ""
            out.append(f'check "{result.check}"{where}: {state}')
            out.extend(f"  {verdict}" for verdict in result.verdicts)
        return out

    def outcome(self) -> SmokeOutcome:
        """What `canary.next_move` takes."""
        return SmokeOutcome(self.passed, self.summary())


def run_smoke(
    target: SmokeTarget,
    version: VersionRecord,
    checks: Sequence[SmokeCheck],
    *,
    prices: Callable[[str], ModelPrice | None] = price_of,
) -> SmokeReport:
    """Run every check (in order, each on a fresh conversation) against `version` on `target`, and judge
    each. `target` is a workspace's `Target`; `version` the candidate's `VersionRecord` from the store.

    Raises `UserError` when the target cannot run smoke checks or the version is not one it serves
    (deleted, or of the other flavour); `TemporaryPlatformError` and `AuthenticationFailed` when the
    platform could not be asked: the step has neither passed nor failed, ask again later. A request the
    platform refuses for good is the candidate's failure, recorded in its transcript."""
    runner = target.smoke
    if runner is None:
        raise UserError(f"target {target.name} cannot run smoke checks")
    wanted = any(isinstance(e, CallsTool) and e.valid_arguments for c in checks for e in c.expect)
    # One read of the version's tools, and only when an argument is to be checked (on Assistants v2 it
    # is a request).
    schemas = runner.function_schemas(version) if wanted else {}
    results = []
    for check in checks:
        transcript = runner.converse(version, check)
        results.append(judge(check, transcript, schemas, prices(transcript.model)))
    return SmokeReport(version.assistant, version.number, tuple(results))


def judge(
    check: SmokeCheck,
    transcript: SmokeTranscript,
    tool_schemas: Mapping[str, Mapping[str, Any]],
    price: ModelPrice | None,
) -> SmokeResult:
    """Each expectation of `check` against `transcript`. `tool_schemas`: the version's function tools,
    name -> parameters schema; `price`: the price of `transcript.model` (None: unknown)."""
    verdicts = tuple(_verdict(e, transcript, tool_schemas, price) for e in check.expect)
    return SmokeResult(check.name, verdicts, transcript)


def describe(expectation: Expectation) -> str:
    """An expectation as a verdict names it: `calls create_meeting with valid arguments`."""
    match expectation:
        case CallsTool(tool=tool, valid_arguments=valid):
            return f"calls {tool}" + (" with valid arguments" if valid else "")
        case AnswerMatches(pattern=pattern):
            return f"answer matches /{pattern}/"
        case NoError():
            return "no error"
        case CostBelow(usd=usd):
            return f"cost below ${usd:g}"
    raise AssertionError(f"unknown expectation {expectation!r}")  # pragma: no cover - the union is closed


def _verdict(
    expectation: Expectation,
    transcript: SmokeTranscript,
    schemas: Mapping[str, Mapping[str, Any]],
    price: ModelPrice | None,
) -> Verdict:
    name = describe(expectation)
    match expectation:
        case CallsTool():
            passed, detail = _calls(expectation, transcript, schemas)
        case AnswerMatches(pattern=pattern):
            passed, detail = _answer_matches(pattern, transcript)
        case NoError():
            passed, detail = _no_error(transcript)
        case CostBelow(usd=usd):
            passed, detail = _cost_below(usd, transcript, price)
    return Verdict(name, passed, detail)


def _calls(
    expectation: CallsTool, transcript: SmokeTranscript, schemas: Mapping[str, Mapping[str, Any]]
) -> tuple[bool, str]:
    tool = expectation.tool
    made = [c for c in transcript.tool_calls if c.name == tool]
    if not made:
        others = sorted({c.name for c in transcript.tool_calls})
        called = f"it called {', '.join(others)}" if others else "no tool was called"
        return False, f"{tool} was not called ({called}); {_last_words(transcript)}"
    times = f"called {len(made)} time{'s' if len(made) != 1 else ''}"
    if not expectation.valid_arguments:
        return True, f"{times}, last with {_arguments(made[-1].arguments)}"
    schema = schemas.get(tool)
    if schema is None:
        return False, f"{tool} is not a function tool of this version: its arguments cannot be checked"
    for index, seen in enumerate(made, start=1):
        problem = argument_problem(seen.arguments, schema)
        if problem is not None:
            where = f"call {index} of {len(made)} (turn {seen.turn + 1})"
            return False, f"{where} with {_arguments(seen.arguments)}: {problem}"
    return True, f"{times}, arguments valid; last with {_arguments(made[-1].arguments)}"


def argument_problem(arguments: str, schema: Mapping[str, Any]) -> str | None:
    """Why `arguments` (the model's raw string) are not valid under `schema`; None when they are."""
    try:
        value = json.loads(arguments)
    except ValueError as error:
        return f"the arguments are not JSON ({error})"
    if not isinstance(value, dict):
        return "the arguments are not a JSON object"
    # jsonschema ships no types; it is imported here, when an argument is checked, as `schema` does.
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError, best_match
    from referencing import Registry
    from referencing.exceptions import Unresolvable

    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        return _clip(f"the tool's schema is not valid JSON Schema 2020-12: {error.message}")
    # An empty registry: a `$ref` outside the schema is an error, never a request to wherever it points.
    validator: Any = Draft202012Validator(schema, registry=Registry())
    try:
        found = best_match(validator.iter_errors(value))
    except Unresolvable as unresolved:
        return _clip(f"the tool's schema refers to something it does not contain ({unresolved})")
    if found is None:
        return None
    return _clip(f"at {json_pointer(found.absolute_path) or '/'}: {found.message}")


def _answer_matches(pattern: str, transcript: SmokeTranscript) -> tuple[bool, str]:
    try:
        compiled = re.compile(pattern)
    except re.error as error:
        # Manifest validation refuses such a pattern; a check recorded before it did is judged, not crashed.
        return False, f"the pattern is not a valid regular expression: {error}"
    if not transcript.completed or not transcript.answers:
        return False, f"the last turn has no answer: {_failure_words(transcript)}"
    last = transcript.answers[-1]
    matched = compiled.search(last) is not None
    return matched, f"last answer {_shown(last)}" + ("" if matched else " does not match")


def _no_error(transcript: SmokeTranscript) -> tuple[bool, str]:
    if transcript.failures:
        return False, _failure_words(transcript)
    n = transcript.turns
    return True, f"{n} turn{'s' if n != 1 else ''} answered"


def _cost_below(usd: float, transcript: SmokeTranscript, price: ModelPrice | None) -> tuple[bool, str]:
    if not transcript.model:
        return False, f"price unknown: no reply said which model answered ({_failure_words(transcript)})"
    if price is None:
        return False, f"price unknown for model {transcript.model}: the cost cannot be checked"
    cost = cost_usd(price, transcript.input_tokens, transcript.cached_input_tokens, transcript.output_tokens)
    tokens = (
        f"{transcript.input_tokens} input ({transcript.cached_input_tokens} cached) and "
        f"{transcript.output_tokens} output tokens of {transcript.model}, list price checked {price.checked}"
    )
    passed = cost < Decimal(str(usd))
    return passed, f"cost ${_usd(cost)}{'' if passed else ' is not below $' + f'{usd:g}'}: {tokens}"


def _last_words(transcript: SmokeTranscript) -> str:
    if transcript.answers:
        return f"last answer {_shown(transcript.answers[-1])}"
    return _failure_words(transcript)


def _failure_words(transcript: SmokeTranscript) -> str:
    if not transcript.failures:
        return "no answer"
    return "; ".join(
        f"turn {f.turn + 1}: {f.status}: {_clip(redact(f.message))}" for f in transcript.failures
    )


def _shown(text: str) -> str:
    """A seen value, quoted as JSON (so an empty answer is visible), redacted and cut."""
    return _clip(json.dumps(redact(text), ensure_ascii=False))


def _arguments(text: str) -> str:
    """Arguments as the model wrote them (JSON already, so not quoted again), redacted and cut."""
    return _clip(redact(text)) if text.strip() else '""'


def _clip(text: str) -> str:
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def _usd(amount: Decimal) -> str:
    text = format(amount.quantize(Decimal("1e-8")), "f").rstrip("0").rstrip(".")
    return text or "0"

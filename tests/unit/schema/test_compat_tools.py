"""classify_tools (added, removed, renamed, strict flips) and the Verdict/Finding surface others rely on."""

from __future__ import annotations

import pytest

from reconciler.schema.compat import Compat, Finding, Verdict, classify, classify_tools, is_subset

ARGS = {
    "type": "object",
    "properties": {"title": {"type": "string"}, "when": {"type": "string", "format": "date"}},
    "required": ["title", "when"],
    "additionalProperties": False,
}
WITH_LOCATION = {
    **ARGS,
    "properties": {**ARGS["properties"], "location": {"type": "string"}},
    "required": ["title", "when", "location"],
}


def test_unchanged_tool_is_fully_compatible() -> None:
    verdicts = classify_tools({"create_meeting": ARGS}, {"create_meeting": ARGS})
    assert verdicts["create_meeting"] == Verdict(Compat.YES, Compat.YES, ())


def test_required_location_added_breaks_both_directions_and_names_pointer_and_rule() -> None:
    verdict = classify_tools({"create_meeting": ARGS}, {"create_meeting": WITH_LOCATION})["create_meeting"]
    assert (verdict.backward, verdict.forward) == (Compat.NO, Compat.NO)
    assert (
        not verdict.satisfies("backward") and not verdict.satisfies("forward") and verdict.satisfies("none")
    )
    (finding,) = verdict.breaking_findings("backward")
    assert (finding.pointer, finding.rule) == ("/properties/location", "OBJ-06")
    assert "OBJ-06 at /properties/location" in str(finding)


def test_removed_tool_breaks_callers_only() -> None:
    verdicts = classify_tools({"a": ARGS, "b": {"type": "object"}}, {"a": ARGS})
    assert (verdicts["b"].backward, verdicts["b"].forward) == (Compat.NO, Compat.YES)
    assert verdicts["b"].findings[0].rule == "TOOL-REMOVED"


def test_added_tool_breaks_the_old_handler_only() -> None:
    verdicts = classify_tools({"a": ARGS}, {"a": ARGS, "b": {"type": "object"}})
    assert (verdicts["b"].backward, verdicts["b"].forward) == (Compat.YES, Compat.NO)
    assert verdicts["b"].findings[0].rule == "TOOL-ADDED"


def test_rename_is_detected_when_parameters_are_identical() -> None:
    verdicts = classify_tools({"book": ARGS}, {"create_meeting": ARGS})
    assert verdicts["book"].findings[0].rule == "TOOL-RENAMED"
    assert "create_meeting" in verdicts["book"].findings[0].message
    assert (verdicts["book"].backward, verdicts["book"].forward) == (Compat.NO, Compat.YES)
    assert (verdicts["create_meeting"].backward, verdicts["create_meeting"].forward) == (
        Compat.YES,
        Compat.NO,
    )


def test_different_parameters_are_removal_plus_addition_not_rename() -> None:
    verdicts = classify_tools({"book": ARGS}, {"create_meeting": WITH_LOCATION})
    assert verdicts["book"].findings[0].rule == "TOOL-REMOVED"
    assert verdicts["create_meeting"].findings[0].rule == "TOOL-ADDED"


def test_format_is_an_assertion_for_strict_tools_and_an_annotation_otherwise() -> None:
    old = {"type": "object", "properties": {"d": {"type": "string"}}}
    new = {"type": "object", "properties": {"d": {"type": "string", "format": "date"}}}
    strict = classify_tools(
        {"t": {"parameters": old, "strict": True}}, {"t": {"parameters": new, "strict": True}}
    )
    loose = classify_tools(
        {"t": {"parameters": old, "strict": False}}, {"t": {"parameters": new, "strict": False}}
    )
    assert strict["t"].backward is Compat.NO and strict["t"].findings[0].rule == "FMT-01"
    assert loose["t"].full


def test_turning_strict_off_leaves_the_handler_direction_unproven() -> None:
    verdict = classify_tools(
        {"t": {"parameters": ARGS, "strict": True}}, {"t": {"parameters": ARGS, "strict": False}}
    )
    assert verdict["t"].backward is Compat.YES and verdict["t"].forward is Compat.UNKNOWN


def test_unknown_policy_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown compatibility policy"):
        Verdict(Compat.YES, Compat.YES).satisfies("sideways")


def test_unknown_never_satisfies_a_policy() -> None:
    verdict = Verdict(Compat.UNKNOWN, Compat.YES, (Finding("/x", "PAT-03", Compat.UNKNOWN, Compat.YES, "m"),))
    assert (
        not verdict.satisfies("backward") and not verdict.satisfies("full") and verdict.satisfies("forward")
    )


def test_unmodelled_keywords_are_never_proven() -> None:
    old = {"type": "string"}
    new = {"type": "string", "not": {"const": "x"}}
    assert is_subset(old, new) is not Compat.YES
    assert (
        is_subset(new, old) is Compat.YES
    )  # dropping `not` from the subset side only widens it: still sound
    assert is_subset(new, new) is Compat.YES  # the same keyword verbatim on both sides


def test_broken_ref_is_unknown_not_an_exception() -> None:
    verdict = classify({"$ref": "#/$defs/Missing"}, {"type": "string"})
    assert verdict.backward is Compat.UNKNOWN


def test_deep_nesting_and_many_properties_are_handled() -> None:
    def nest(depth: int, leaf: dict[str, object]) -> dict[str, object]:
        node: dict[str, object] = leaf
        for _ in range(depth):
            node = {
                "type": "object",
                "properties": {"p": node},
                "required": ["p"],
                "additionalProperties": False,
            }
        return node

    verdict = classify(nest(10, {"type": "string"}), nest(10, {"type": "string", "maxLength": 3}))
    assert verdict.backward is Compat.NO and verdict.forward is Compat.YES
    assert verdict.findings[0].pointer == "/properties/p" * 10

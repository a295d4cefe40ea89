"""The upcast engine: each step kind, chains in order, and every failure naming the pointer it is at."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from reconciler.model.upcasts import (
    DefaultStep,
    DropStep,
    MapEnumStep,
    MoveStep,
    PythonStep,
    RenameStep,
    ToNumberStep,
    ToolMigration,
    ToStringStep,
    UpcastStep,
)
from reconciler.threads.upcast import NoMigrationPath, UpcastFailure, chain_for, upcast_arguments

OPEN: dict[str, Any] = {"type": "object"}


def _no_python(ref: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    raise AssertionError(f"nothing should load {ref}")


def _migration(*steps: UpcastStep, start: int = 1) -> ToolMigration:
    return ToolMigration(tool="t", from_revision=start, to_revision=start + 1, steps=steps)


def _run(arguments: dict[str, Any], *steps: UpcastStep, schema: dict[str, Any] = OPEN) -> dict[str, Any]:
    return upcast_arguments(
        arguments, [_migration(*steps)], schema=schema, strict=False, load_python=_no_python
    )


def test_rename_within_an_object_keeps_the_value_and_leaves_the_input_alone() -> None:
    given = {"from": "2025-01-01", "to": "2025-02-01"}
    assert _run(given, RenameStep(source="/from", target="/start_date")) == {
        "start_date": "2025-01-01",
        "to": "2025-02-01",
    }
    assert given == {"from": "2025-01-01", "to": "2025-02-01"}
    nested = {"p": {"a~b": 1, "x/y": 2}}
    assert _run(nested, RenameStep(source="/p/a~0b", target="/p/x~1z")) == {"p": {"x/z": 1, "x/y": 2}}


def test_move_into_and_out_of_a_nested_object() -> None:
    into = _run({"start": 1, "end": 2}, MoveStep(source="/start", target="/period/start"))
    assert into == {"end": 2, "period": {"start": 1}}
    out = _run({"period": {"start": 1, "end": 2}}, MoveStep(source="/period/end", target="/end"))
    assert out == {"period": {"start": 1}, "end": 2}


def test_default_sets_only_an_absent_value_and_creates_parents() -> None:
    step = DefaultStep(path="/currency", value="EUR")
    assert _run({}, step) == {"currency": "EUR"}
    assert _run({"currency": "USD"}, step) == {"currency": "USD"}
    assert _run({"currency": None}, step) == {"currency": None}  # null is a value, not an absence
    assert _run({}, DefaultStep(path="/a/b", value=[1])) == {"a": {"b": [1]}}


def test_drop_removes_when_present() -> None:
    assert _run({"legacy": 1, "k": 2}, DropStep(path="/legacy")) == {"k": 2}
    assert _run({"k": 2}, DropStep(path="/legacy")) == {"k": 2}


def test_map_enum_replaces_listed_values_only() -> None:
    step = MapEnumStep(path="/unit", values={"min": "minutes", "hr": "hours"})
    assert _run({"unit": "hr"}, step) == {"unit": "hours"}
    assert _run({"unit": "days"}, step) == {"unit": "days"}
    assert _run({}, step) == {}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("12.5", 12.5),
        ("12", 12),
        ("12.0", 12),
        ("1e3", 1000),
        (" -3 ", -3),
        (7, 7),
        ("123456789012345678901", 123456789012345678901),
    ],
)
def test_to_number(given: Any, expected: Any) -> None:
    got = _run({"amount": given}, ToNumberStep(path="/amount"))["amount"]
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize("given", ["twelve", "nan", "1_000", "", True, None, "1e999"])
def test_to_number_refuses_what_is_not_a_number(given: Any) -> None:
    with pytest.raises(UpcastFailure) as raised:
        _run({"amount": given}, ToNumberStep(path="/amount"))
    assert raised.value.pointer == "/amount"
    assert "migration 1→2 step 1 (toNumber)" in raised.value.message


@pytest.mark.parametrize(("given", "expected"), [(12, "12"), (12.5, "12.5"), (12.0, "12"), ("x", "x")])
def test_to_string(given: Any, expected: str) -> None:
    assert _run({"id": given}, ToStringStep(path="/id")) == {"id": expected}


def test_to_string_refuses_a_boolean() -> None:
    with pytest.raises(UpcastFailure, match="a boolean is not a number") as raised:
        _run({"id": True}, ToStringStep(path="/id"))
    assert raised.value.pointer == "/id"


def test_a_rename_onto_a_value_that_is_set_fails_rather_than_lose_it() -> None:
    with pytest.raises(UpcastFailure, match="already set") as raised:
        _run({"a": 1, "b": 2}, RenameStep(source="/a", target="/b"))
    assert raised.value.pointer == "/b"


def test_a_path_through_a_scalar_fails_at_the_scalar() -> None:
    absent = {"period": "2025"}  # nothing to move: the step does nothing
    assert _run(absent, MoveStep(source="/start", target="/period/start")) == absent
    with pytest.raises(UpcastFailure) as raised:
        _run({"start": 1, "period": "2025"}, MoveStep(source="/start", target="/period/start"))
    assert raised.value.pointer == "/period"
    assert "a string where /period/start needs a mapping" in raised.value.message


def test_a_chain_applies_in_order() -> None:
    chain = (
        _migration(RenameStep(source="/n", target="/count")),
        _migration(ToStringStep(path="/count"), start=2),
        _migration(MoveStep(source="/count", target="/q/count"), start=3),
    )
    got = upcast_arguments({"n": 3}, chain, schema=OPEN, strict=False, load_python=_no_python)
    assert got == {"q": {"count": "3"}}


def test_chain_for_finds_the_path_and_names_the_missing_step() -> None:
    migrations = [_migration(start=2), _migration(start=1), _migration(start=4)]
    assert [m.from_revision for m in chain_for(migrations, 1, 3)] == [1, 2]
    assert chain_for(migrations, 2, 2) == ()
    with pytest.raises(NoMigrationPath) as raised:
        chain_for(migrations, 1, 5, tool="list_expenses")
    assert raised.value.missing == 3
    assert "no migration from revision 3 to 4" in str(raised.value)
    assert "`{from: 3, to: 4, steps: [...]}` to spec.migrations" in str(raised.value)
    with pytest.raises(NoMigrationPath, match="only run forward"):
        chain_for(migrations, 3, 1, tool="list_expenses")


DATES: dict[str, Any] = {
    "type": "object",
    "properties": {"start_date": {"type": "string", "format": "date"}, "n": {"type": "integer"}},
    "required": ["start_date"],
}


def test_a_result_the_new_schema_refuses_fails_at_the_instance_path() -> None:
    with pytest.raises(UpcastFailure) as raised:
        _run({"from": "x"}, RenameStep(source="/from", target="/start_date"), schema=DATES)
    assert (raised.value.pointer, raised.value.message) == ("/start_date", "'x' is not a 'date'")
    with pytest.raises(UpcastFailure) as missing:
        _run({"when": "2025-01-01"}, RenameStep(source="/from", target="/start_date"), schema=DATES)
    assert missing.value.pointer == ""
    assert "'start_date' is a required property" in missing.value.message


NESTED: dict[str, Any] = {
    "type": "object",
    "properties": {**DATES["properties"], "o": {"type": "object", "properties": {"x": {"type": "string"}}}},
}


def _strict(arguments: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    return upcast_arguments(arguments, [], schema=schema, strict=True, load_python=_no_python)


def test_strict_mode_closes_objects_and_requires_every_property() -> None:
    lax = {"start_date": "2025-01-01", "extra": 1}
    assert _run(lax, schema=DATES) == lax  # not strict: an open object, `n` optional
    whole = {"start_date": "2025-01-01", "n": 1, "o": {"x": "y"}}
    assert _strict(whole, NESTED) == whole
    with pytest.raises(UpcastFailure, match="'n' is a required property") as missing:
        _strict({"start_date": "2025-01-01"}, DATES)
    assert missing.value.pointer == ""
    with pytest.raises(UpcastFailure, match="Additional properties") as extra:
        _strict({**whole, "o": {"x": "y", "z": 1}}, NESTED)
    assert extra.value.pointer == "/o"
    with pytest.raises(UpcastFailure, match="'x' is a required property") as inner:
        _strict({**whole, "o": {}}, NESTED)
    assert inner.value.pointer == "/o"


def test_a_python_step_gets_the_object_and_its_failures_are_upcast_failures() -> None:
    loaded: list[str] = []

    def load(ref: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
        loaded.append(ref)
        return {
            "pkg.mod:fix": lambda a: {**a, "fixed": True},
            "pkg.mod:boom": _boom,
            "pkg.mod:list": lambda a: [],
        }[ref]  # type: ignore[return-value]

    def run(ref: str) -> dict[str, Any]:
        return upcast_arguments(
            {"k": 1}, [_migration(PythonStep(ref=ref))], schema=OPEN, strict=False, load_python=load
        )

    assert run("pkg.mod:fix") == {"k": 1, "fixed": True}
    with pytest.raises(UpcastFailure, match=r"pkg.mod:boom raised KeyError: 'when'"):
        run("pkg.mod:boom")
    with pytest.raises(UpcastFailure, match="returned a list, not a mapping"):
        run("pkg.mod:list")
    assert loaded == ["pkg.mod:fix", "pkg.mod:boom", "pkg.mod:list"]


def _boom(arguments: dict[str, Any]) -> dict[str, Any]:
    raise KeyError("when")


def test_arguments_that_are_not_an_object_fail_at_the_root() -> None:
    with pytest.raises(UpcastFailure) as raised:
        upcast_arguments([], [], schema=OPEN, strict=False, load_python=_no_python)  # type: ignore[arg-type]
    assert raised.value.pointer == ""

"""Canonical JSON and fingerprints: key order and YAML-ish spellings never change a hash; a meaningful
edit always does; behaviour and metadata hash apart."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.model.canonical import canonical_json, fingerprint
from reconciler.model.desired import Assistant, BuiltinTool, FunctionTool
from reconciler.model.specs import assistant_spec, behaviour_fingerprint, metadata_fingerprint

_keys = st.text(min_size=1, max_size=8)
_floats = st.floats(allow_nan=False, allow_infinity=False, width=64)
_scalars = st.none() | st.booleans() | st.integers(-(10**6), 10**6) | _floats | st.text(max_size=8)
_json = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_keys, children, max_size=4),
    max_leaves=20,
)


def _shuffled(value: Any, rng: random.Random) -> Any:
    """The same JSON data with every dict's key order permuted."""
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: _shuffled(v, rng) for k, v in items}
    if isinstance(value, list):
        return [_shuffled(v, rng) for v in value]
    return value


@settings(max_examples=60, deadline=None)
@given(value=_json, seed=st.integers(0, 2**32 - 1))
def test_key_order_never_changes_a_fingerprint(value: Any, seed: int) -> None:
    shuffled = _shuffled(value, random.Random(seed))
    assert canonical_json(shuffled) == canonical_json(value)
    assert fingerprint(shuffled) == fingerprint(value)


@settings(max_examples=60, deadline=None)
@given(value=st.dictionaries(_keys, _json, min_size=1, max_size=5), data=st.data())
def test_changing_any_value_changes_the_fingerprint(value: dict[str, Any], data: st.DataObject) -> None:
    key = data.draw(st.sampled_from(sorted(value)))
    replacement = data.draw(_json.filter(lambda v: canonical_json(v) != canonical_json(value[key])))
    assert fingerprint({**value, key: replacement}) != fingerprint(value)


def _whole_floats_as_ints(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _whole_floats_as_ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole_floats_as_ints(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@settings(max_examples=60, deadline=None)
@given(value=_json)
def test_whole_floats_always_hash_like_integers(value: Any) -> None:
    """YAML spells `1` and `1.0` alike for us: a whole float never changes a fingerprint."""
    assert canonical_json(value) == canonical_json(_whole_floats_as_ints(value))


def test_whole_floats_hash_like_integers_and_tuples_like_lists() -> None:
    assert fingerprint({"t": 1.0, "l": (1, 2)}) == fingerprint({"t": 1, "l": [1, 2]})
    assert fingerprint({"t": 1.5}) != fingerprint({"t": 1})


def test_true_is_not_one() -> None:
    assert fingerprint({"x": True}) != fingerprint({"x": 1})


def test_canonical_json_is_compact_sorted_and_keeps_unicode() -> None:
    assert (
        canonical_json({"b": [1, {"d": "é", "c": None}], "a": True})
        == '{"a":true,"b":[1,{"c":null,"d":"é"}]}'
    )


def test_fingerprint_length() -> None:
    assert len(fingerprint({})) == 16
    assert len(fingerprint({}, length=40)) == 40


def test_non_json_values_are_refused() -> None:
    with pytest.raises(TypeError):
        canonical_json({"x": object()})


PARAMS: dict[str, Any] = {
    "type": "object",
    "properties": {"title": {"type": "string"}, "minutes": {"type": "integer", "maximum": 480}},
    "required": ["title", "minutes"],
    "additionalProperties": False,
}


def _assistant(**overrides: Any) -> Assistant:
    fields: dict[str, Any] = {
        "name": "Helper",
        "model": "gpt-4.1",
        "instructions": "Be brief.",
        "description": "Books meetings.",
        "functions": (FunctionTool(name="create_meeting", parameters=PARAMS, strict=True),),
        "builtins": (BuiltinTool.FILE_SEARCH,),
        "file_search_vector_stores": ("A", "B"),
        "metadata": {"team": "tools"},
    }
    fields.update(overrides)
    return Assistant(**fields)


def _behaviour(assistant: Assistant) -> str:
    return behaviour_fingerprint(assistant_spec(assistant))


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_manifest_key_order_never_changes_the_behaviour_fingerprint(seed: int) -> None:
    rng = random.Random(seed)
    shuffled = _assistant(
        functions=(FunctionTool(name="create_meeting", parameters=_shuffled(PARAMS, rng), strict=True),),
        file_search_vector_stores=("B", "A"),
        metadata=_shuffled({"team": "tools"}, rng),
    )
    assert _behaviour(shuffled) == _behaviour(_assistant())


def test_unset_sampling_equals_the_platform_default() -> None:
    assert _behaviour(_assistant(temperature=1.0, top_p=1)) == _behaviour(_assistant())
    assert _behaviour(_assistant(response_format="auto")) == _behaviour(_assistant())


@pytest.mark.parametrize(
    "overrides",
    [
        {"model": "gpt-4o"},
        {"instructions": "Be brief!"},
        {"temperature": 0.2},
        {"top_p": 0.5},
        {"response_format": {"type": "json_object"}},
        {"reasoning_effort": "low"},
        {"builtins": (BuiltinTool.FILE_SEARCH, BuiltinTool.CODE_INTERPRETER)},
        {"file_search_vector_stores": ("A",)},
        {
            "functions": (
                FunctionTool(
                    name="create_meeting", parameters={**PARAMS, "required": ["title"]}, strict=True
                ),
            )
        },
        {"functions": (FunctionTool(name="create_meeting", parameters=PARAMS, strict=False),)},
        {"functions": (FunctionTool(name="book_meeting", parameters=PARAMS, strict=True),)},
        {
            "functions": (
                FunctionTool(name="create_meeting", description="Books.", parameters=PARAMS, strict=True),
            )
        },
        {"functions": ()},
    ],
    ids=",".join,
)
def test_every_behavioural_edit_changes_the_behaviour_fingerprint(overrides: dict[str, Any]) -> None:
    assert _behaviour(_assistant(**overrides)) != _behaviour(_assistant())


@pytest.mark.parametrize(
    "overrides",
    [{"description": "Other."}, {"metadata": {"team": "infra"}}, {"name": "Renamed"}],
    ids=",".join,
)
def test_metadata_edits_change_only_the_metadata_fingerprint(overrides: dict[str, Any]) -> None:
    edited = _assistant(**overrides)
    assert _behaviour(edited) == _behaviour(_assistant())
    assert metadata_fingerprint(assistant_spec(edited)) != metadata_fingerprint(assistant_spec(_assistant()))


def test_deep_schema_edit_changes_the_fingerprint() -> None:
    nested = {
        **PARAMS,
        "properties": {**PARAMS["properties"], "minutes": {"type": "integer", "maximum": 481}},
    }
    edited = _assistant(functions=(FunctionTool(name="create_meeting", parameters=nested, strict=True),))
    assert _behaviour(edited) != _behaviour(_assistant())


@pytest.mark.parametrize("text", ["1.0", "v:1.0,", "[2.0]", "a,-3.0}", '"quoted":1.0'])
def test_number_like_text_inside_strings_is_never_rewritten(text: str) -> None:
    assert canonical_json({"s": text, "n": 1.0}) == '{"n":1,"s":' + json.dumps(text) + "}"


_tricky_text = st.lists(
    st.sampled_from([":", ",", "[", "1.0", "-0.0", "2", "]", "}", '"', "\\", "x"]), max_size=8
).map("".join)
_tricky = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | _floats
    | st.sampled_from([1.0, -0.0, 10.0])
    | _tricky_text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_tricky_text, children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(value=_tricky)
def test_canonical_json_equals_the_reference_encoding_of_ints_for_whole_floats(value: Any) -> None:
    """Strings full of quotes, escapes and number-like text beside whole floats: the fast rewrite must
    agree with plainly encoding the value with whole floats turned into ints."""
    expected = json.dumps(
        _whole_floats_as_ints(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    assert canonical_json(value) == expected

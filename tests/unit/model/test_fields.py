"""The field table holds every place a spec field is handled to one declaration: a field added to a
manifest model, a desired or live model, the neutral specs or the wire mapping but not to
`model.fields` (or the other way round) fails here."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from reconciler.manifest.specs import SPECS
from reconciler.model import desired as d
from reconciler.model import fields, labels, live, specs
from reconciler.model.fields import FIELDS, Role, SpecField, wire_get
from reconciler.plan import normalise
from reconciler.targets import wire

DESIRED: dict[d.Kind, type[BaseModel]] = {
    d.Kind.ASSISTANT: d.Assistant,
    d.Kind.FUNCTION_TOOL: d.FunctionTool,
    d.Kind.VECTOR_STORE: d.VectorStore,
    d.Kind.SPEND_ALERT: d.SpendAlert,
    d.Kind.SPEND_LIMIT: d.SpendLimit,
}
LIVE: dict[d.Kind, type[BaseModel]] = {
    d.Kind.ASSISTANT: live.LiveAssistant,
    d.Kind.VECTOR_STORE: live.LiveVectorStore,
    d.Kind.SPEND_ALERT: live.LiveSpendAlert,
    d.Kind.SPEND_LIMIT: live.LiveSpendLimit,
}
# Desired attributes that hold a field in another form than its neutral key (the table's manifest key).
DERIVED = {
    d.Kind.ASSISTANT: {"functions": "tools", "builtins": "tools", "accept_findings": "acceptBreaking"},
    d.Kind.VECTOR_STORE: {"files": "files"},
}
# What a live object carries besides its spec fields: the platform's bookkeeping.
BOOKKEEPING = {"id", "created_at", "status", "files", "enforcing", "tools"}


def _schema_keys(schema: dict[str, Any], node: dict[str, Any], path: list[str]) -> bool:
    """Whether the dotted manifest path exists in a JSON Schema node, through refs, unions and arrays."""
    if "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    for branch in [*node.get("anyOf", ()), *node.get("oneOf", ())]:
        if _schema_keys(schema, branch, path):
            return True
    if not path:
        return True
    if node.get("type") == "array":
        return _schema_keys(schema, node["items"], path)
    prop = node.get("properties", {}).get(path[0])
    return prop is not None and _schema_keys(schema, prop, path[1:])


@pytest.mark.parametrize("kind", list(FIELDS), ids=str)
def test_the_manifest_model_has_exactly_the_tables_fields(kind: d.Kind) -> None:
    model = SPECS[kind.value]
    aliases = {f.alias for f in model.model_fields.values()}
    table = {f.manifest.split(".")[0] for f in FIELDS[kind] if f.manifest is not None}
    assert aliases == table
    schema = model.model_json_schema(by_alias=True)
    for f in FIELDS[kind]:
        if f.manifest is not None:
            assert _schema_keys(schema, schema, f.manifest.split(".")), f.manifest


@pytest.mark.parametrize("kind", list(FIELDS), ids=str)
def test_every_desired_attribute_is_a_field_of_the_table(kind: d.Kind) -> None:
    table = FIELDS[kind]
    known = {f.neutral for f in table if f.neutral is not None}
    control = {f.manifest for f in table if f.role is Role.CONTROL}
    for attr in DESIRED[kind].model_fields:
        if attr in known or attr == "name":  # a resource's name is its document's
            continue
        manifest = DERIVED.get(kind, {}).get(attr) or "".join(
            w.capitalize() if i else w for i, w in enumerate(attr.split("_"))
        )
        assert manifest in control or manifest in known or attr in DERIVED.get(kind, {}), attr


@pytest.mark.parametrize("kind", list(LIVE), ids=str)
def test_every_live_attribute_is_a_field_of_the_table_or_bookkeeping(kind: d.Kind) -> None:
    names = {f.live_name for f in FIELDS[kind] if f.live_name is not None}
    assert set(LIVE[kind].model_fields) - BOOKKEEPING - {"scope", "vector_store_id"} <= names
    assert {f.live_name for f in fields.sent(FIELDS[kind])} <= set(LIVE[kind].model_fields)


def test_behaviour_and_metadata_split_as_the_table_says() -> None:
    assert set(specs.NON_BEHAVIOURAL) == {"name", "description", "metadata"}
    behaviour = fields.neutral_keys(fields.ASSISTANT, Role.BEHAVIOUR)
    assert set(behaviour) | set(specs.NON_BEHAVIOURAL) == {
        f.neutral for f in fields.compared(fields.ASSISTANT)
    }


# --- round trips: desired -> neutral -> wire -> live -> neutral --------------------------------------


def _covered(row: tuple[SpecField, ...], params: dict[str, Any]) -> None:
    for f in row:
        assert wire_get(params, f.wire_path) is not None, f"{f.neutral} is not sent at {f.wire}"


def _assistant() -> d.Assistant:
    tool = d.FunctionTool(name="lookup", description="Find", parameters={"type": "object"}, strict=True)
    source = d.SourceFile(path="data/a.csv", sha256="0" * 64, size=1)
    return d.Assistant(
        name="Helper",
        model="gpt-4o",
        instructions="Be brief.",
        description="helps",
        functions=(tool,),
        builtins=(d.BuiltinTool.FILE_SEARCH, d.BuiltinTool.CODE_INTERPRETER),
        file_search_vector_stores=("Docs",),
        code_interpreter_files=(source,),
        temperature=0.3,
        top_p=0.5,
        response_format="json_object",
        reasoning_effort="low",
        metadata={"team": "a"},
    )


def test_an_assistant_reads_back_as_it_was_sent_field_by_field() -> None:
    spec = specs.assistant_spec(_assistant())
    assert set(spec) == {f.neutral for f in fields.compared(fields.ASSISTANT)}
    assert all(value not in (None, [], {}) for value in spec.values())  # every field is exercised
    metadata = labels.with_labels(spec["metadata"], owner="o", name="Helper")
    params = wire.assistant_params(spec, metadata, ["vs_1"], ["file_1"])
    _covered(fields.sent(fields.ASSISTANT), params)
    back = wire.live_assistant({**params, "id": "asst_1", "created_at": 1})
    assert normalise.assistant_spec(back, {"vs_1": "Docs"}, {"file_1": "data/a.csv"}) == spec


def test_platform_defaults_fill_desired_and_live_alike() -> None:
    spec = specs.assistant_spec(d.Assistant(name="Plain", model="gpt-4o"))
    back = wire.live_assistant({"id": "asst_1", "model": "gpt-4o", "name": "Plain", "response_format": None})
    assert normalise.assistant_spec(back, {}, {}) == spec
    assert spec["temperature"] == fields.find(fields.ASSISTANT, "temperature").default


def test_a_vector_store_reads_back_as_it_was_sent() -> None:
    store = d.VectorStore(name="Docs", expires_after_days=7, metadata={"team": "a"})
    spec = specs.vector_store_spec(store)
    params = wire.vector_store_params(spec, spec["metadata"])
    _covered(fields.sent(fields.VECTOR_STORE), params)
    back = wire.live_vector_store({**params, "id": "vs_1"})
    assert normalise.vector_store_spec(back, spec["chunking"]) == spec


def test_a_spend_alert_reads_back_as_it_was_sent() -> None:
    alert = d.SpendAlert(
        name="a", scope="organization", threshold_cents=500, emails=("b@x.io", "a@x.io"), subject_prefix="!"
    )
    spec = specs.spend_alert_spec(alert)
    params = wire.spend_alert_params(spec)
    _covered(fields.sent(fields.SPEND_ALERT), params)
    back = wire.live_spend_alert({**params, "id": "alert_1"}, "organization")
    assert normalise.spend_alert_spec(back) == spec


def test_a_spend_limit_reads_back_as_it_was_sent() -> None:
    spec = specs.spend_limit_spec(d.SpendLimit(name="l", scope="proj_1", amount_cents=900))
    params = wire.spend_limit_params(spec)
    _covered(fields.sent(fields.SPEND_LIMIT), params)
    assert params == {"threshold_amount": 900, "currency": "USD", "interval": "month"}
    back = wire.live_spend_limit(params, "proj_1")
    assert normalise.spend_limit_spec(back) == spec


def test_a_field_the_wire_does_not_carry_fails_the_round_trip() -> None:
    extra = SpecField("colour", "colour", "colour")
    row = (*fields.sent(fields.SPEND_LIMIT), extra)
    params = wire.spend_limit_params({"scope": "proj_1", "amount_cents": 1, "interval": "month"})
    with pytest.raises(AssertionError):
        _covered(row, params)

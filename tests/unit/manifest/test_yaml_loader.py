"""The located YAML loader: JSON-shaped values, positions, and the constructs it refuses."""

from __future__ import annotations

import pytest

from reconciler.manifest.yaml_loader import YMap, YSeq, dotted, load_documents, walk


def test_values_are_json_shaped_and_keys_stay_text() -> None:
    docs, issues = load_documents("a: 1\nb: [x, 'y', on, 2.5, null, 2026-01-01]\non: {yes: 'no'}\n")
    assert issues == []
    root = docs[0].root
    assert root == {"a": 1, "b": ["x", "y", True, 2.5, None, "2026-01-01"], "on": {"yes": "no"}}
    assert isinstance(root, YMap)
    assert isinstance(root["b"], YSeq)


def test_positions_of_keys_values_and_items() -> None:
    docs, _ = load_documents("top:\n  list:\n    - first\n    - {k: v}\n")
    root = docs[0].root
    assert walk(root, ["top", "list", 1, "k"]) == (["top", "list", 1, "k"], (4, 11))
    assert walk(root, ["top", "list", 1, "k"], key=True)[1] == (4, 8)
    assert walk(root, ["top", "list", 0])[1] == (3, 7)
    # Parts that are not in the data (pydantic union branch names) are skipped.
    assert walk(root, ["top", "object", "list"]) == (["top", "list"], (3, 5))


def test_several_documents_each_with_its_start() -> None:
    docs, issues = load_documents("a: 1\n---\nb: 2\n---\n")
    assert issues == []
    assert [d.root for d in docs] == [{"a": 1}, {"b": 2}]
    assert [d.pos for d in docs] == [(1, 1), (3, 1)]


@pytest.mark.parametrize(
    ("text", "line", "column", "code", "message"),
    [
        ("a: 1\na: 2\n", 2, 1, "yaml.duplicate-key", "duplicate key 'a' (first defined at line 1)"),
        (
            "a: !!python/name:os.system x\n",
            1,
            4,
            "yaml.tag",
            "YAML tags are not allowed (found !!python/name:os.system)",
        ),
        ("a: !!str 1\n", 1, 4, "yaml.tag", "YAML tags are not allowed (found !!str)"),
        ("a: !custom x\n", 1, 4, "yaml.tag", "YAML tags are not allowed (found !custom)"),
        ("!!map {a: 1}\n", 1, 1, "yaml.tag", "YAML tags are not allowed (found !!map)"),
        ("a: &x 1\n", 1, 4, "yaml.anchor", "YAML anchors (&name) are not supported"),
        ("b: *x\n", 1, 4, "yaml.alias", "YAML aliases (*name) are not supported; repeat the value"),
        ("a: 1\n<<: {b: 2}\n", 2, 1, "yaml.merge", "YAML merge keys (<<) are not supported"),
        ("? [a]\n: 1\n", 1, 3, "yaml.key", "mapping keys must be plain strings"),
        (
            "a: [1\n",
            2,
            1,
            "yaml.syntax",
            "invalid YAML: while parsing a flow sequence, did not find expected ',' or ']'",
        ),
    ],
)
def test_refused_constructs_are_located(text: str, line: int, column: int, code: str, message: str) -> None:
    docs, issues = load_documents(text)
    assert [(i.line, i.column, i.code, i.message) for i in issues] == [(line, column, code, message)]
    assert docs and all(d.damaged for d in docs)  # read as far as possible, never loaded


def test_a_refused_document_does_not_hide_the_next() -> None:
    docs, issues = load_documents("a: 1\na: 2\n---\nb: 3\n")
    assert [i.code for i in issues] == ["yaml.duplicate-key"]
    assert [(d.root, d.damaged) for d in docs] == [({"a": 1}, True), ({"b": 3}, False)]


def test_every_refusal_in_a_document_is_reported_not_only_the_first() -> None:
    """Issue 13 item 2: a refusal used to end its document, so each further one took another run."""
    text = "a: 1\na: 2\nb: *x\nc: !!str 1\nd: &y [1]\ne: .nan\nf: ok\n"
    docs, issues = load_documents(text)
    assert [(i.line, i.code) for i in issues] == [
        (2, "yaml.duplicate-key"),
        (3, "yaml.alias"),
        (4, "yaml.tag"),
        (5, "yaml.anchor"),
        (6, "yaml.number"),
    ]
    [doc] = docs
    assert doc.damaged
    # the first of two values stays; what a refusal leaves without a value as written is unsure
    assert doc.root == {"a": 1, "b": None, "c": "1", "d": [1], "e": None, "f": "ok"}
    assert doc.unsure == {(3, 4), (4, 4), (6, 4)}


def test_a_syntax_error_keeps_what_was_read_and_the_documents_after_it() -> None:
    """Issue 13 item 2: a syntax error used to end the whole file, hiding every later document."""
    text = "a: 1\nb:\n  c: [1, 2]\n  d: x: 3\n---\ne: 4\n---\nf: [x\n---\ng: 5\ng: 6\n"
    docs, issues = load_documents(text)
    assert [(i.line, i.code) for i in issues] == [
        (4, "yaml.syntax"),
        (9, "yaml.syntax"),
        (11, "yaml.duplicate-key"),
    ]
    assert [(d.root, d.pos, d.damaged) for d in docs] == [
        ({"a": 1, "b": {"c": [1, 2], "d": "x"}}, (1, 1), True),
        ({"e": 4}, (6, 1), False),
        ({"f": ["x"]}, (8, 1), True),
        ({"g": 5}, (10, 1), True),
    ]
    # the mappings and sequences the error left open are unsure: their missing parts say nothing
    assert docs[0].unsure == {(1, 1), (3, 3)}
    # and what was read on the error's line may be a misreading of it
    assert docs[0].cut_line == 4 and docs[0].is_unsure(4, 6) and not docs[0].is_unsure(3, 6)
    assert walk(docs[2].root, ["f", 0]) == (["f", 0], (8, 5))


def test_dotted_paths() -> None:
    assert dotted(["spec", "tools", 2, "name"]) == "spec.tools[2].name"

"""Reading Assistants-era exports: the shapes teams saved, and one line naming the file (and the line of
JSON lines) for anything malformed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from reconciler.errors import UserError
from reconciler.manifest.legacy_export import read_exports
from tests.unit.service.exports import assistant, page, save, save_lines, vector_store


def _refusal(path: Path) -> str:
    with pytest.raises(UserError) as refused:
        read_exports([path])
    message = str(refused.value)
    assert "\n" not in message
    return message


def test_the_shapes_an_export_comes_in(tmp_path: Path) -> None:
    a, v = assistant(), vector_store()
    files = [
        save(tmp_path / "page.json", page(a)),
        save(tmp_path / "sdk-page.json", {"data": [v], "has_more": False}),  # SyncCursorPage.model_dump()
        save(tmp_path / "array.json", [a, v]),
        save(tmp_path / "one.json", v),
        save_lines(tmp_path / "lines.jsonl", a, page(v)),
    ]
    read = read_exports(files)
    assert [(o.kind, o.where) for o in read.objects] == [
        ("assistant", f"{files[0]} item 1"),
        ("vector_store", f"{files[1]} item 1"),
        ("assistant", f"{files[2]} item 1"),
        ("vector_store", f"{files[2]} item 2"),
        ("vector_store", f"{files[3]}"),
        ("assistant", f"{files[4]}:1"),
        ("vector_store", f"{files[4]}:2 item 1"),
    ]
    assert read.objects[0].data == a and read.warnings == []


def test_text_that_is_not_json_names_its_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text('{"object": "list",\n "data": [}\n')
    assert _refusal(path) == f"{path}:2:11: not JSON: Expecting value"


def test_a_bad_json_line_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps(assistant()) + "\n\n" + '{"id": "asst_x", "object": "assistant"\n')
    assert _refusal(path) == f"{path}:3:39: not JSON: Expecting ',' delimiter"


def test_an_object_of_the_wrong_shape_names_its_line_and_field(tmp_path: Path) -> None:
    broken = {**assistant(), "tools": [{"type": "function"}]}
    path = save_lines(tmp_path / "a.jsonl", vector_store(), broken)
    assert _refusal(path) == (
        f"{path}:2 (asst_3kQ9xR2mT7vB1nL5pW8yZ4cD): tools.0: Value error, a function tool without its "
        "`function`"
    )
    no_model = {k: v for k, v in assistant().items() if k != "model"}
    path = save(tmp_path / "b.json", page(vector_store(), no_model))
    assert _refusal(path) == f"{path} item 2 (asst_3kQ9xR2mT7vB1nL5pW8yZ4cD): model: Field required"


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ({"object": "list", "data": [{"id": "thread_1", "object": "thread"}]}, "item 1 is a 'thread' object"),
        ([vector_store(), "vs_1"], "item 2 is a string"),
        ([{"id": "x"}], "item 1 is an object without an `object` field"),
    ],
)
def test_something_else_than_assistants_and_vector_stores(tmp_path: Path, value: object, said: str) -> None:
    path = save(tmp_path / "a.json", value)
    assert _refusal(path) == f"{path} {said}, not an assistant or a vector store"


def test_not_an_export_at_all(tmp_path: Path) -> None:
    path = save(tmp_path / "a.json", "asst_1")
    assert _refusal(path) == (
        f"{path}: not an export of assistants or vector stores: expected a "
        '{"object": "list", "data": [...]} page, a JSON array, or JSON lines, found a string'
    )
    empty = tmp_path / "empty.json"
    empty.write_text("\n")
    assert _refusal(empty).startswith(f"{empty}: empty; expected an export of assistants or vector stores")


def test_files_that_cannot_be_read(tmp_path: Path) -> None:
    assert _refusal(tmp_path / "missing.json") == f"{tmp_path / 'missing.json'}: no such file"
    assert _refusal(tmp_path) == f"{tmp_path}: not a regular file"
    binary = tmp_path / "a.json"
    binary.write_bytes(b'["\xff"]')
    assert _refusal(binary) == f"{binary}: not UTF-8 text (byte 2)"
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    assert _refusal(fifo) == f"{fifo}: not a regular file"  # refused without being opened


def test_a_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(page(vector_store())).encode())
    assert [o.id for o in read_exports([path]).objects] == ["vs_6aF2kP9qR1sT3uV5wX7yZ0b"]

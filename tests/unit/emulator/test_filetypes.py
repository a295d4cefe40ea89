"""File-type rules are OpenAI's allow-lists: a type nobody listed is refused, not accepted by default."""

from __future__ import annotations

import pytest

from reconciler.emulator import filetypes


@pytest.mark.parametrize("name", ["policy.rcl-ab12.md", "Report.PDF", "notes.txt", "data.csv", "chart.png"])
def test_assistants_uploads_take_what_file_search_or_code_interpreter_read(name: str) -> None:
    assert filetypes.upload_refusal(name, "assistants") is None


@pytest.mark.parametrize("name", ["config.yaml", "page.rst", "tool.exe", "blob.bin", "README", "a.webp"])
def test_assistants_uploads_refuse_every_type_not_listed(name: str) -> None:
    refused = filetypes.upload_refusal(name, "assistants")
    assert refused is not None and refused.startswith("Invalid file format for purpose 'assistants'")


def test_batch_fine_tune_and_evals_take_only_jsonl() -> None:
    for purpose in ("batch", "fine-tune", "evals"):
        assert filetypes.upload_refusal("requests.jsonl", purpose) is None
        refused = filetypes.upload_refusal("requests.json", purpose)
        assert refused is not None and "must be JSONL" in refused


def test_vision_takes_images_and_user_data_takes_anything() -> None:
    assert filetypes.upload_refusal("photo.webp", "vision") is None
    assert filetypes.upload_refusal("notes.md", "vision") is not None
    assert filetypes.upload_refusal("anything.bin", "user_data") is None


def test_file_search_indexes_only_its_own_list() -> None:
    assert filetypes.searchable("policy.rcl-ab12.md")
    assert filetypes.searchable("MAIN.GO")
    for name in ("data.csv", "chart.png", "archive.zip", "config.yaml", "README"):
        assert not filetypes.searchable(name), name

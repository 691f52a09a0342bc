"""The exercise bank's content files: the format teachers edit, and the errors a broken file
gives at load (naming the file and the item) instead of a silently dropped field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from resolvers.practice import content as content_module
from resolvers.practice.bank import CODES, load_bank
from resolvers.practice.content import ContentError, read_file, read_language

ROOT = content_module.content_root()
GOOD = """\
language: English
category: Grammar
subcategory: Articles
items:
- id: en-articles-1
  type: fill_in_the_blank
  difficulty: 1
  prompt: I saw ___ owl.
  answer: an
  explanation: "'Owl' starts with a vowel sound."
  hints:
  - Listen to the first sound of 'owl'.
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "articles.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_every_language_has_a_folder_of_content_files_and_every_file_loads():
    for language, code in CODES.items():
        files = sorted((ROOT / code).glob("*.yaml"))
        assert files, f"no content files for {language}"
        read_language(code, language)
    bank = load_bank()
    ids = [item.id for pairs in bank.values() for items in pairs.values() for item in items]
    assert len(ids) == len(set(ids))


def test_a_good_file_reads_into_entries(tmp_path):
    category, subcategory, entries = read_file(_write(tmp_path, GOOD), "English")
    assert (category, subcategory) == ("Grammar", "Articles")
    assert entries[0].id == "en-articles-1" and entries[0].answer == "an"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("  hints:", "  hint:"), "unknown fields ['hint']"),
        (("  answer: an\n", ""), "missing fields ['answer']"),
        (("type: fill_in_the_blank", "type: fill_blank"), "type must be one of"),
        (("difficulty: 1", "difficulty: easy"), "difficulty must be an integer"),
        (("language: English", "language: German"), "expected 'English'"),
        (("  difficulty: 1\n", "  difficulty: 1\n  variety: es-ES\n"), "variety 'es-ES'"),
        (("  difficulty: 1\n", "  difficulty: 1\n  native_languages: [English]\n"), "ISO 639-1"),
        (("  prompt: I saw ___ owl.", "  prompt: [I saw, owl]"), "prompt must be non-empty text"),
        (("items:", "item:"), "needs exactly the keys"),
        (("  - Listen", '  - "Listen'), "not valid YAML"),
    ],
)
def test_a_broken_file_fails_naming_the_file_and_the_item(tmp_path, change, message):
    old, new = change
    assert old in GOOD
    path = _write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(ContentError) as raised:
        read_file(path, "English")
    assert message in str(raised.value)
    assert "articles.yaml" in str(raised.value)


def test_the_schema_editors_use_names_exactly_the_fields_the_reader_accepts():
    """content/schema.json lets a teacher's editor flag mistakes as they type; it must not
    disagree with the loader about which fields exist."""
    schema = json.loads((ROOT / "schema.json").read_text(encoding="utf-8"))
    by_type = {}
    for rule in schema["properties"]["items"]["items"]["allOf"]:
        kind = rule["if"]["properties"]["type"]["const"]
        by_type[kind] = (set(rule["then"]["properties"]), set(rule["then"]["required"]))
    assert set(by_type) == set(content_module.TYPES)
    for name, kind in content_module.TYPES.items():
        allowed, required = content_module._FIELDS[kind]
        assert by_type[name][0] == allowed, name
        assert (
            by_type[name][1]
            == {"id", "type", "difficulty", "answer", "explanation", "hints"} | required
        )

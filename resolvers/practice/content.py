"""Reading the exercise bank's content files: YAML a teacher can edit, one file per
(target language, subcategory) under content/<language code>/.

The format is documented in docs/exercise-content.md and described by content/schema.json;
this reader enforces the same rules so a typo in a field name fails the first load rather
than silently dropping a hint or an accepted answer. What makes an item *good* (answers
among choices, hints that do not give the answer away, coverage per subcategory) is checked
afterwards by bank.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from resolvers.practice.hints import EC, FB, MC, SR

TYPES = {
    "fill_in_the_blank": FB,
    "multiple_choice": MC,
    "error_correction": EC,
    "sentence_reorder": SR,
}
VARIETIES = {"Spanish": ("es-ES", "es-419")}
_COMMON = {"id", "type", "difficulty", "answer", "accepted", "explanation", "hints"} | {
    "variety",
    "native_languages",
}
_FIELDS = {
    FB: (_COMMON | {"prompt"}, {"prompt"}),
    MC: (_COMMON | {"prompt", "choices"}, {"prompt", "choices"}),
    EC: (_COMMON | {"sentence", "note"}, {"sentence"}),
    SR: (_COMMON | {"words", "question"}, {"words"}),
}
_FILE_KEYS = {"language", "category", "subcategory", "items"}


# libyaml's loader where PyYAML was built with it (its wheels are): the same safe schema
# and the same documents as yaml.SafeLoader, parsed about 8x faster; the bank's 49 files
# took over a second in pure Python, paid by every gateway start and every test process.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ContentError(ValueError):
    """A content file breaks the format; raised at load, naming the file and item."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One item as written, before the bank derives the shown prompt and the last hint."""

    id: str
    type: str
    difficulty: int
    prompt: str  # ERROR_CORRECTION: the wrong sentence itself
    answer: str
    explanation: str
    hints: tuple[str, ...]
    choices: tuple[str, ...] = ()  # MULTIPLE_CHOICE options; SENTENCE_REORDER words, shuffled
    accepted: tuple[str, ...] = ()  # other answers that are also right
    note: str = ""  # ERROR_CORRECTION: context shown after the sentence
    variety: str = ""  # "" = every variety of the language; else e.g. "es-ES" or "es-419"
    native_languages: tuple[str, ...] = ()  # "" = every learner; else ISO codes, e.g. ("en",)


Content = dict[tuple[str, str], list[Entry]]


def content_root() -> Path:
    return Path(str(resources.files("resolvers.practice") / "content"))


def read_language(code: str, language: str, root: Path | None = None) -> Content:
    """Every content file of one target language, keyed by (category, subcategory)."""
    folder = (root or content_root()) / code
    if not folder.is_dir():
        raise ContentError(f"no content folder {folder}")
    content: Content = {}
    for path in sorted(folder.glob("*.yaml")):
        category, subcategory, entries = read_file(path, language)
        if (category, subcategory) in content:
            raise ContentError(f"{path}: {category} / {subcategory} is also in another file")
        content[(category, subcategory)] = entries
    return content


def read_file(path: Path, language: str) -> tuple[str, str, list[Entry]]:
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except yaml.YAMLError as exc:
        raise ContentError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(doc, dict) or set(doc) != _FILE_KEYS:
        raise ContentError(f"{path}: needs exactly the keys {sorted(_FILE_KEYS)}")
    if doc["language"] != language:
        raise ContentError(f"{path}: language {doc['language']!r}, expected {language!r}")
    category, subcategory = _text(doc, "category", path), _text(doc, "subcategory", path)
    if not isinstance(doc["items"], list) or not doc["items"]:
        raise ContentError(f"{path}: items must be a non-empty list")
    entries = [_entry(raw, language, path) for raw in doc["items"]]
    return category, subcategory, entries


def _entry(raw: Any, language: str, path: Path) -> Entry:
    if not isinstance(raw, dict):
        raise ContentError(f"{path}: every item must be a mapping")
    where = f"{path}, item {raw.get('id', '?')}"
    kind = TYPES.get(raw.get("type", ""))
    if kind is None:
        raise ContentError(f"{where}: type must be one of {sorted(TYPES)}")
    allowed, required = _FIELDS[kind]
    unknown = set(raw) - allowed
    if unknown:
        raise ContentError(f"{where}: unknown fields {sorted(unknown)}")
    missing = ({"id", "type", "difficulty", "answer", "explanation", "hints"} | required) - set(raw)
    if missing:
        raise ContentError(f"{where}: missing fields {sorted(missing)}")
    difficulty = raw["difficulty"]
    if not isinstance(difficulty, int) or isinstance(difficulty, bool):
        raise ContentError(f"{where}: difficulty must be an integer")
    variety = raw.get("variety", "")
    if variety and variety not in VARIETIES.get(language, ()):
        raise ContentError(f"{where}: variety {variety!r} not one of {VARIETIES.get(language, ())}")
    natives = _texts(raw, "native_languages", where)
    if any(len(code) != 2 or not code.isalpha() or not code.islower() for code in natives):
        raise ContentError(f"{where}: native_languages are ISO 639-1 codes such as 'en'")
    common = {
        "id": _text(raw, "id", where),
        "type": kind,
        "difficulty": difficulty,
        "answer": _text(raw, "answer", where),
        "explanation": _text(raw, "explanation", where),
        "hints": _texts(raw, "hints", where),
        "accepted": _texts(raw, "accepted", where),
        "variety": variety,
        "native_languages": natives,
    }
    if kind == SR:
        words = tuple(_text(raw, "words", where).split())
        noun = "question" if raw.get("question", False) is True else "sentence"
        prompt = f"Put the words in order to make a {noun}: {' / '.join(words)}"
        return Entry(prompt=prompt, choices=words, **common)
    if kind == EC:
        return Entry(prompt=_text(raw, "sentence", where), note=raw.get("note", ""), **common)
    choices = _texts(raw, "choices", where) if kind == MC else ()
    return Entry(prompt=_text(raw, "prompt", where), choices=choices, **common)


def _text(raw: dict[str, Any], key: str, where: object) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ContentError(f"{where}: {key} must be non-empty text")
    return value


def _texts(raw: dict[str, Any], key: str, where: object) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ContentError(f"{where}: {key} must be a list of non-empty texts")
    return tuple(value)

"""The exercise bank's content files: the format teachers edit, and the errors a broken file
gives at load (naming the file and the item) instead of a silently dropped field."""

from __future__ import annotations

import json
import re
from functools import lru_cache
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


# Explanations are English (the UI language) quoting the target language: 'der Tisch', not
# der Tisch, and never German grammar inside an English sentence ("you 'gehst'"). These
# words are the target languages' own (no English homographs such as "am", "hat", "me",
# "son"); a word joined by a hyphen ("-er", "un-") is an ending or prefix, not a word.
_TARGET_WORDS = {
    "German": frozenset(
        "ich du er wir ihr sie ist sind bist seid und oder der die das den dem des ein eine "
        "einen einem einer eines nicht mit auf für von zu zum zur mir mich dich dir sich uns "
        "euch habe haben hast hatte wird werden weil dass wenn sehr auch noch schon nach bei "
        "beim aus im ins vom wie wer heute gestern kann muss geht gehe gehst es".split()
    ),
    "Spanish": frozenset(
        "el la los las es está están estoy soy y que de del en un una unos unas se te lo le "
        "les nos por para con muy más pero yo tú él ella nosotros ustedes hay fue tiene tengo "
        "voy va al sí también cuando porque como dónde qué cómo".split()
    ),
}
# A quote: '...' (an apostrophe inside a word, as in 'Geht's', stays inside), "..." or «...».
_QUOTED = re.compile(r"(?<!\w)'(?:[^']|'(?=\w))*?'(?!\w)|\"[^\"]*\"|«[^»]*»")
_WORD = re.compile(r"[^\W\d_]+")


# An English subject followed by a quoted target-language word uses that word as an English
# verb ("at school you 'gehst in die ... Klasse'", "You 'erzählen' a story"); a quoted
# English word there is fine ("In German you 'are' an age").
_SUBJECT_THEN_QUOTE = re.compile(r"\b(?:I|[Yy]ou|[Ww]e|[Tt]hey|[Hh]e|[Ss]he)\s+'([^\W\d_]+)")


@lru_cache(maxsize=1)
def _english_words() -> frozenset[str]:
    """Words known to be English: the English bank's texts, and every explanation's and
    hint's words outside quotes."""
    texts = []
    for language, bank in load_bank().items():
        for items in bank.values():
            for item in items:
                if language == "English":
                    texts += [item.prompt, item.answer, *item.accepted, *item.choices]
                    texts += [item.explanation, *item.hints]
                else:
                    texts += [_QUOTED.sub(" ", t) for t in (item.explanation, *item.hints)]
    return frozenset(w.casefold() for t in texts for w in _WORD.findall(t))


def quoted_target_verbs(explanation: str) -> list[str]:
    return [
        w for w in _SUBJECT_THEN_QUOTE.findall(explanation) if w.casefold() not in _english_words()
    ]


def unquoted_target_words(explanation: str, language: str) -> list[str]:
    rest = _QUOTED.sub(" ", explanation)
    found = []
    for m in _WORD.finditer(rest):
        joined = rest[m.start() - 1 : m.start()] == "-" or rest[m.end() : m.end() + 1] == "-"
        if not joined and m.group().casefold() in _TARGET_WORDS[language]:
            found.append(m.group())
    return found


def test_unquoted_target_words_are_found():
    assert unquoted_target_words("'Tisch' is masculine: der Tisch.", "German") == ["der"]
    assert (
        unquoted_target_words("at school you 'gehst in die ... Klasse' or 'lernst'", "German") == []
    )  # quoted: the test below names de-word-choice-16 itself
    assert unquoted_target_words("'Geht's' is short for 'geht es'; -er, -en.", "German") == []
    assert unquoted_target_words("A final -z becomes -c before -es: vez, veces.", "Spanish") == []
    assert unquoted_target_words("Jobs take 'ser': soy profesor.", "Spanish") == ["soy"]


def test_explanations_quote_every_target_language_word():
    """Issue: de-word-choice-16 explained in German and English at once. Every
    target-language word in a bank or demo-tutor explanation stands in quotes, and no quoted
    target-language verb serves as the verb of an English sentence."""
    from resolvers.demo.corpus import load_corpus

    bank = load_bank()
    corpus = load_corpus()
    found = []
    for language in _TARGET_WORDS:
        for items in bank[language].values():
            for item in items:
                if words := unquoted_target_words(item.explanation, language):
                    found.append((item.id, words))
                if mixed := quoted_target_verbs(item.explanation):
                    found.append((item.id, mixed))
        for utterances in corpus[language].utterances.values():
            for u in utterances:
                for e in u.errors:
                    if words := unquoted_target_words(e.explanation, language):
                        found.append((u.text, words))
                    if mixed := quoted_target_verbs(e.explanation):
                        found.append((u.text, mixed))
    assert found == []


def test_de_word_choice_16_explains_in_english():
    [item] = [
        i for items in load_bank()["German"].values() for i in items if i.id == "de-word-choice-16"
    ]
    assert quoted_target_verbs("at school you 'gehst in die ... Klasse'") == ["gehst"]
    assert quoted_target_verbs("In German you 'are' an age.") == []
    assert quoted_target_verbs(item.explanation) == []
    assert unquoted_target_words(item.explanation, "German") == []
    assert "'gehst" not in item.explanation and "'lernst'" not in item.explanation

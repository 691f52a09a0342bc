"""The exercise bank: coverage per language, load-time checks, derived hints, answer
normalisation, and the taxonomy's lookup helpers."""

from __future__ import annotations

import functools
import re
from dataclasses import replace

import pytest

from resolvers.practice import bank as bank_module
from resolvers.practice.bank import (
    MIN_EASY,
    MIN_ITEMS,
    BankError,
    answers_match,
    bank_for,
    load_bank,
    normalize_answer,
)
from resolvers.practice.content import Entry
from resolvers.practice.hints import EC, FB, MC, SR, changes, correction_hint, final_hint
from resolvers.taxonomy import (
    ALL_PAIRS,
    DESCRIPTIONS,
    LANGUAGES,
    PAIRS,
    canonical,
    normalize_language,
    pairs_for,
)
from tests.test_practice import GENERATE, HINT, SUBMIT, history

_IDS = iter(range(900, 10_000))


def _id() -> str:
    return f"en-articles-{next(_IDS)}"


def fb(difficulty, prompt, answer, explanation, *hints):
    return Entry(_id(), FB, difficulty, prompt, answer, explanation, hints)


def mc(difficulty, prompt, answer, choices, explanation, *hints):
    return Entry(_id(), MC, difficulty, prompt, answer, explanation, hints, choices)


def ec(difficulty, wrong, answer, explanation, *hints):
    return Entry(_id(), EC, difficulty, wrong, answer, explanation, hints)


def sr(difficulty, words, answer, explanation, *hints):
    shown = tuple(words.split())
    prompt = f"Put the words in order to make a sentence: {' / '.join(shown)}"
    return Entry(_id(), SR, difficulty, prompt, answer, explanation, hints, shown)


@functools.cache
def _files():
    """The content files, read once per process: every test below edits its own copy."""
    return bank_module.read_content()


def _content():
    return {k: dict(v) for k, v in _files().items()}


def _use(monkeypatch, content):
    monkeypatch.setattr(bank_module, "read_content", lambda: content)


def test_every_language_covers_every_subcategory_with_a_spread():
    banks = load_bank()
    assert set(banks) == set(LANGUAGES) == {"English", "Spanish", "German"}
    for language, bank in banks.items():
        assert set(PAIRS) <= set(bank) <= set(pairs_for(language)), language
        for pair, items in bank.items():
            where = (language, pair)
            assert len(items) >= MIN_ITEMS, where
            assert sum(1 for i in items if i.difficulty <= 2) >= MIN_EASY, where
            levels = {i.difficulty for i in items}
            assert levels & {1, 2} and 3 in levels and levels & {4, 5}, where
            assert len({i.type for i in items}) >= 3, where
            assert all(i.language == language and i.explanation for i in items), where
            assert all(len(i.hints) >= 2 for i in items), where


def test_item_ids_are_unique_across_languages():
    ids = [i.id for bank in load_bank().values() for items in bank.values() for i in items]
    assert len(ids) == len(set(ids))


def test_bank_for_accepts_any_spelling_of_a_language():
    assert bank_for("english") is load_bank()["English"]
    assert bank_for(" EN ") is load_bank()["English"]
    assert bank_for("Deutsch") is load_bank()["German"]
    assert bank_for("es-MX") is load_bank()["Spanish"]
    with pytest.raises(KeyError, match="Klingon"):
        bank_for("Klingon")


def test_every_items_last_hint_is_true_of_its_answer():
    for bank in load_bank().values():
        for items in bank.values():
            for item in items:
                last = item.hints[-1]
                if item.type == MC:
                    assert f'"{item.answer}"' in last, item.id
                elif item.type == SR:
                    shown = re.search(r'starts with "(.*) …"', last)
                    assert shown and item.answer.startswith(shown.group(1)), item.id
                elif item.type == EC:
                    # Every quoted fragment comes from the sentence or its correction, and a
                    # "starts with" clue begins a word of the correction.
                    for quoted in re.findall(r'"([^"]+)"', last):
                        fragment = quoted.rstrip("…")
                        assert fragment in item.prompt or fragment in item.answer, item.id
                    for start in re.findall(r'starts with "([^"…]+)', last):
                        assert re.search(rf"(?<!\w){re.escape(start)}", item.answer), item.id
                else:
                    start = re.search(r'starts with "(.*)…"', last)
                    first = re.search(r'the first is "(.*)"', last)
                    assert (start and item.answer.startswith(start.group(1))) or (
                        first and item.answer.split()[0] == first.group(1)
                    ), item.id
                assert normalize_answer(item.answer) not in {
                    normalize_answer(h) for h in item.hints
                }, item.id


def test_correction_hint_names_the_changed_words_not_a_prefix_of_the_correction():
    wrong = "Yesterday I go to the beach."
    right = "Yesterday I went to the beach."
    hint = correction_hint(wrong, right)
    assert hint == 'Replace "go" with a word that starts with "we…" (4 letters).'
    assert "I w" not in hint
    # Several changes, a move, a missing comma, a removed word.
    assert correction_hint("She speaks very well English.", "She speaks English very well.") == (
        'Move "English" after "speaks".'
    )
    assert correction_hint("However I agree.", "However, I agree.") == (
        'Add a comma after "However".'
    )
    assert correction_hint("I assisted to the talks.", "I attended the talks.") == (
        'Replace "assisted to" with a word that starts with "atte…" (8 letters).'
    )
    assert correction_hint("He said me that.", "He told me that.").startswith('Replace "said"')
    assert correction_hint(
        "Ich habe das Buch gelesen gestern.", "Ich habe gestern das Buch gelesen."
    ) == ('Move "gestern" after "habe".')
    assert correction_hint("I am agree with you.", "I agree with you.") == 'Remove "am".'
    two = correction_hint("Its the Smiths car.", "It's the Smiths' car.")
    assert two.startswith('There are 2 things to fix. The first: replace "Its"')
    assert changes("i live in london.", "I live in London.") == []


async def test_hint_for_a_learners_own_sentence_points_at_the_changed_word(api):
    user, token = await api.user()
    await history(
        api,
        user["_id"],
        [(0, "Grammar", "Verb Tense", "I go", "I went", "Yesterday I go to the beach.")],
    )
    made = (await api.data(GENERATE, {"id": user["_id"], "n": 1}, token=token))["generateExercise"]
    [own] = made
    assert own["type"] == "ERROR_CORRECTION" and "Yesterday I go to the beach." in own["prompt"]
    first = (await api.data(HINT, {"id": own["id"]}, token=token))["requestHint"]
    second = (await api.data(HINT, {"id": own["id"]}, token=token))["requestHint"]
    assert first["text"] == 'The mistake is in "I go".'
    assert second["text"] == 'Replace "go" with a word that starts with "we…" (4 letters).'
    done = await api.data(
        SUBMIT, {"id": own["id"], "a": "Yesterday I went to the beach."}, token=token
    )
    assert done["submitExercise"]["correct"] is True


@pytest.mark.parametrize(("language", "code"), [("Deutsch", "de"), ("es", "es")])
async def test_a_learner_practises_in_their_target_language(api, language, code):
    user, token = await api.user(level="A2")
    await api.services.db.users.update_one(
        {"_id": user["_id"]}, {"$set": {"target_language": language}}
    )
    made = (await api.data(GENERATE, {"id": user["_id"], "n": 4}, token=token))["generateExercise"]
    stored = [await api.services.db.exercises.find_one({"_id": e["id"]}) for e in made]
    assert len(stored) == 4 and all(d["bank_id"].startswith(f"{code}-") for d in stored)
    bank = {i.id: i for items in bank_for(language).values() for i in items}
    assert all(d["prompt"] == bank[d["bank_id"]].prompt for d in stored)
    first = stored[0]
    shouted = first["answer"].upper().replace("ß", "SS") + " !"
    result = await api.data(SUBMIT, {"id": first["_id"], "a": shouted}, token=token)
    assert result["submitExercise"]["correct"] is True


async def test_a_correction_that_only_changes_case_is_not_practised(api):
    user, token = await api.user()
    await history(
        api,
        user["_id"],
        [(0, "Spelling", "Common Misspellings", "english", "English", "I speak english.")],
    )
    made = (await api.data(GENERATE, {"id": user["_id"], "n": 1}, token=token))["generateExercise"]
    # Answers are compared ignoring case: "I speak english." would be accepted as corrected.
    assert "I speak english." not in made[0]["prompt"]


def _load_with(monkeypatch, pair, entries):
    content = _content()
    content["English"][pair] = list(content["English"][pair][: MIN_ITEMS - 1]) + entries
    _use(monkeypatch, content)
    bank_module.load_bank.cache_clear()
    try:
        return load_bank()
    finally:
        bank_module.load_bank.cache_clear()


ARTICLES = ("Grammar", "Articles")


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (fb(6, "A ___ B.", "an", "x", "gentle"), "difficulty 6"),
        (fb(2, "I saw ___ owl.", "an", "x", "Not 'the'.", "It is 'an'."), "gives the answer away"),
        (fb(2, "I saw ___ owl.", "an", "x", 'It starts with "a"', 'It starts with "th"'), "starts"),
        (fb(2, "I saw ___ owl.", "an", "x"), "written hint"),
        (mc(2, "I saw ___ owl.", "an", ("a", "the", "this"), "x", "vowel"), "not among"),
        (mc(2, "I saw ___ owl.", "an", ("an", "An", "the"), "x", "vowel"), "not distinct"),
        (mc(2, "I saw ___ owl.", "an", ("an", "a"), "x", "vowel"), "at least 3 choices"),
        (sr(2, "owl saw an", "I saw an owl", "x", "start with I"), "do not make the answer"),
        (sr(2, "I saw an owl", "I saw an owl", "x", "start with I"), "already in order"),
        (ec(2, "I saw an owl.", "i saw an owl", "x", "look"), "already accepted"),
        (ec(2, "She is the best.", "She is the best!", "x", "look"), "already accepted"),
    ],
)
def test_broken_content_fails_the_load_with_a_clear_message(monkeypatch, entry, message):
    with pytest.raises(BankError, match=re.escape(message)) as raised:
        _load_with(monkeypatch, ARTICLES, [entry])
    assert "en-articles-" in str(raised.value)


def test_too_few_items_or_no_spread_fails_the_load(monkeypatch):
    items = _content()["English"][ARTICLES]
    content = _content()
    content["English"][ARTICLES] = items[: MIN_ITEMS - 1]
    _use(monkeypatch, content)
    bank_module.load_bank.cache_clear()
    with pytest.raises(BankError, match=f"Articles: {MIN_ITEMS - 1} items, needs at least"):
        load_bank()
    easy = [replace(e, difficulty=1) for e in items]
    content["English"][ARTICLES] = easy
    with pytest.raises(BankError, match="Articles: no item of difficulty 3-3"):
        bank_module.load_bank.cache_clear()
        load_bank()
    bank_module.load_bank.cache_clear()


def test_content_for_an_unknown_or_missing_language_fails_the_load(monkeypatch):
    full = _content()
    for content in (
        {**full, "French": full["English"]},
        {k: v for k, v in full.items() if k != "German"},
    ):
        _use(monkeypatch, content)
        bank_module.load_bank.cache_clear()
        with pytest.raises(BankError, match="exercise bank covers"):
            load_bank()
    bank_module.load_bank.cache_clear()


def test_duplicate_prompts_fail_the_load(monkeypatch):
    items = _content()["English"][ARTICLES]
    with pytest.raises(BankError, match="same prompt as en-articles-1"):
        _load_with(monkeypatch, ARTICLES, [replace(items[0], id=_id())])


def test_duplicate_ids_fail_the_load(monkeypatch):
    items = _content()["English"][ARTICLES]
    with pytest.raises(BankError, match="en-articles-1: ids are unique"):
        _load_with(monkeypatch, ARTICLES, [replace(items[0], prompt="I saw ___ eagle.")])


def test_final_hints_by_type():
    assert final_hint("fill_in_the_blank", "goes") == 'It starts with "go…" and has 4 letters.'
    assert final_hint("fill_in_the_blank", "a") == "It is a one-letter word."
    assert final_hint("fill_in_the_blank", "had already started") == (
        'It is 3 words; the first is "had".'
    )
    assert final_hint(MC, "has", choices=("have", "has", "haves")) == (
        'It is either "have" or "has".'
    )
    assert final_hint(SR, "Where do you live") == 'It starts with "Where do …"'


def test_answer_normalisation_in_spanish_and_german():
    # Case, spacing and end punctuation never matter; Spanish opening marks neither.
    assert answers_match("  dónde VIVES ", ["¿Dónde vives?"], "Word Order")
    assert answers_match("¡qué bonito", ["¡Qué bonito!"], "Word Order")
    # Accents are significant: "esta"/"está", "si"/"sí" are different words.
    assert not answers_match("donde vives", ["¿Dónde vives?"], "Word Order")
    assert not answers_match("esta", ["está"], "Grammar")
    # German: ß may be written ss, an umlaut ae/oe/ue, but not dropped.
    assert answers_match("die Strasse", ["die Straße"], "Spelling", "German")
    assert answers_match("die Tuer", ["die Tür"], "Spelling", "German")
    assert answers_match("SCHÖN", ["schön"], "Spelling", "German")
    assert not answers_match("schon", ["schön"], "Spelling", "German")
    assert not answers_match("die Tur", ["die Tür"], "Spelling", "German")
    # Decomposed accents (e + combining acute) equal composed ones.
    assert answers_match("cafe\u0301", ["café"], "Spelling")
    # In punctuation exercises the Spanish opening mark counts.
    assert not answers_match("Dónde vives?", ["¿Dónde vives?"], "Punctuation")
    assert answers_match("¿dónde vives", ["¿Dónde vives?"], "Punctuation")


def test_a_plural_possessive_needs_its_apostrophe():
    assert answers_match("parents'", ["parents'"], "Punctuation")
    assert answers_match("'parents''", ["parents'"], "Punctuation")  # typed in quotes
    assert not answers_match("parents", ["parents'"], "Punctuation")


def test_taxonomy_lookup_helpers():
    assert canonical("  grammar ", "subject-verb   AGREEMENT") == (
        "Grammar",
        "Subject-Verb Agreement",
    )
    assert canonical("Made Up", "Thing") is None
    assert canonical("Grammar", "Collocations") is None  # a real subcategory, wrong category
    assert set(DESCRIPTIONS) == set(ALL_PAIRS)
    assert all(d.endswith(".") and len(d) > 20 for d in DESCRIPTIONS.values())
    assert LANGUAGES == ("English", "Spanish", "German")
    for value, expected in [
        ("English", "English"),
        ("en", "English"),
        ("en-GB", "English"),
        ("ESPAÑOL", "Spanish"),
        ("es", "Spanish"),
        ("es_MX", "Spanish"),
        ("spanish", "Spanish"),
        ("Deutsch", "German"),
        ("DE", "German"),
        (" german ", "German"),
        ("French", None),
        ("fr", None),
        ("", None),
        (None, None),
    ]:
        assert normalize_language(value) == expected, value


def test_coverage_command_prints_every_subcategory_per_language(capsys):
    from scripts.bank_coverage import main

    assert main([]) == 0
    out = capsys.readouterr().out
    for language in LANGUAGES:
        assert f"\n{language} " in out
    rows = [line.split() for line in out.splitlines() if " / " in line and "not served" not in line]
    banks = load_bank()
    assert len(rows) == sum(len(b) for b in banks.values())
    for row in rows:
        d1, d2, d3, d4, d5, total, *kinds = map(int, row[-10:])
        assert total == d1 + d2 + d3 + d4 + d5 == sum(kinds) >= 8, row
        assert d1 + d2 and d3 and d4 + d5, row
    assert main(["--language", "de"]) == 0
    german = capsys.readouterr().out
    assert "German" in german and "Spanish" not in german


def test_coverage_command_fails_on_a_broken_bank(monkeypatch, capsys):
    from scripts.bank_coverage import main

    content = _content()
    content["German"][ARTICLES] = content["German"][ARTICLES][:3]
    _use(monkeypatch, content)
    bank_module.load_bank.cache_clear()
    try:
        assert main([]) == 1
    finally:
        bank_module.load_bank.cache_clear()
    err = capsys.readouterr().err
    assert f"German bank, Grammar / Articles: 3 items, needs at least {MIN_ITEMS}" in err


def test_each_variety_and_the_easy_levels_have_enough_items(monkeypatch):
    """An es-419 learner must find as many items as the minimum promises: items marked es-ES
    do not count for them; and an A1 learner needs easy items in every subcategory."""
    content, fresh = _content(), _content()
    items = list(content["Spanish"][ARTICLES])
    for i, e in enumerate(items):
        if i >= MIN_ITEMS - 1:
            items[i] = replace(e, variety="es-ES")
    content["Spanish"][ARTICLES] = items
    _use(monkeypatch, content)
    bank_module.load_bank.cache_clear()
    try:
        with pytest.raises(BankError, match=f"{MIN_ITEMS - 1} items for es-419 learners"):
            load_bank()
        content = fresh
        german = content["German"][ARTICLES]
        content["German"][ARTICLES] = [
            replace(e, difficulty=3 if e.difficulty <= 2 or i == 0 else e.difficulty)
            if i
            else replace(e, difficulty=1)
            for i, e in enumerate(german)
        ]
        _use(monkeypatch, content)
        bank_module.load_bank.cache_clear()
        with pytest.raises(
            BankError, match=f"1 items of difficulty 1-2, needs at least {MIN_EASY}"
        ):
            load_bank()
    finally:
        bank_module.load_bank.cache_clear()

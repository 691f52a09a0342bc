"""What a learner reads after a near miss, as a teacher would say it: the word that is
actually wrong (never a contraction that was right), the word that differs only by its
accent or umlaut, every word quoted as it is written, and "spelling" only where a slip of
the pen is the likely cause."""

from __future__ import annotations

import re
import unicodedata

import pytest

from resolvers.practice.bank import EC_INSTRUCTION, BankItem, answers_match, load_bank
from resolvers.practice.checking import case_matters, near_miss, strip_accents
from tests.factories import pending_exercise

SUBMIT = """mutation($id: ID!, $a: String!) { submitExercise(id: $id, answer: $a) {
  correct feedback } }"""

MC, EC, SR = "multiple_choice", "error_correction", "sentence_reorder"


def bank_items() -> list[BankItem]:
    return [item for bank in load_bank().values() for items in bank.values() for item in items]


def bank_item(item_id: str) -> BankItem:
    [item] = [i for i in bank_items() if i.id == item_id]
    return item


def sentence_to_correct(item: BankItem) -> str:
    wrong = item.prompt[len(EC_INSTRUCTION) + 1 :]
    return wrong.rsplit(" (", 1)[0] if wrong.endswith(")") else wrong


def right(item: BankItem) -> list[str]:
    return [item.answer, *item.accepted]


def feedback(item: BankItem, given: str) -> str | None:
    """What near_miss tells a learner who typed `given`, with the item's own settings."""
    return near_miss(
        given,
        right(item),
        item.category,
        item.language,
        item.choices,
        case_sensitive=case_matters(item.category, item.subcategory, item.type),
        kind=item.type,
    )


def accepted(item: BankItem, given: str) -> bool:
    cased = case_matters(item.category, item.subcategory, item.type)
    return answers_match(given, right(item), item.category, item.language, case_sensitive=cased)


def quoted(said: str) -> list[str]:
    return re.findall(r'"([^"]+)"', said)


def accent_named(said: str) -> list[str]:
    m = re.fullmatch(r"Only the (?:accents?|umlauts?|tildes?|diaeresis|diaereses): (.+)\.", said)
    assert m, said
    return m[1].split(", ")


EDGE = ".,;:!?¿¡\"'()«»„“”\u2013"


def written(text: str) -> list[str]:
    """The words of a text as written, punctuation around them taken off."""
    return [w.strip(EDGE) for w in text.split() if w.strip(EDGE)]


def mark_noun(word: str, language: str) -> str:
    marks = {c for c in unicodedata.normalize("NFD", word.casefold()) if unicodedata.combining(c)}
    names = {
        ("umlaut" if language == "German" else "diaeresis")
        if m == "\u0308"
        else "tilde"
        if m == "\u0303"
        else "accent"
        for m in marks
    }
    return names.pop() if len(names) == 1 else "accent"


# ---- 1: a contraction that was right is never blamed ----


def test_the_wrong_article_is_named_not_the_contraction_before_it():
    item = bank_item("en-articles-20")  # "I'd like a information about the course."
    assert feedback(item, sentence_to_correct(item)) == 'Still wrong: "a".'
    for given in (
        "I would like a information about the course.",
        "I\u2019d like a information about the course.",  # a phone's apostrophe
    ):
        assert feedback(item, given) == 'Still wrong: "a".'


@pytest.mark.parametrize(
    ("item_id", "said"),
    [
        ("en-verb-tense-28", 'Still wrong: "don\'t".'),  # "I'd rather you don't tell ..."
        ("en-pronouns-3", 'Still wrong: "I".'),  # "..., the plan won't work."
        ("en-pronouns-25", 'Still wrong: "whom".'),  # "There's a man outside whom ..."
        ("en-word-choice-16", 'Still wrong: "exciting".'),  # "I'm very exciting ..."
        ("en-false-friends-12", 'Still wrong: "constipation".'),  # "..., so I can't breathe"
        ("en-common-misspellings-8", 'Almost: check the spelling of "wether".'),  # "I'm ..."
    ],
)
def test_sentences_with_contractions_name_only_the_wrong_word(item_id, said):
    item = bank_item(item_id)
    assert feedback(item, sentence_to_correct(item)) == said


def _contracted(word: str) -> bool:
    return "'" in word.strip("'") and not word.casefold().endswith("'s")


def test_no_contraction_is_named_for_a_mistake_in_another_word():
    """Every English answer with a contraction, with each other word in turn replaced by a
    wrong one, contraction as written or spelled out: the feedback names that word only."""
    spelled = {"I'd": "I would", "don't": "do not", "I'm": "I am", "can't": "cannot"}
    checked = 0
    for item in bank_items():
        if item.language != "English" or item.category == "Punctuation" or item.type == MC:
            continue
        words = item.answer.split()
        if len(words) < 4 or not any(_contracted(w) for w in words):
            continue
        for i, word in enumerate(words):
            if _contracted(word) or not word.strip(EDGE).isalpha():
                continue
            wrong = [*words[:i], "zebra" + word[len(word.rstrip(EDGE)) :], *words[i + 1 :]]
            for given in (" ".join(wrong), " ".join(spelled.get(w, w) for w in wrong)):
                if accepted(item, given):
                    continue
                said = feedback(item, given)
                assert said is None or quoted(said) == ["zebra"], (item.id, given, said)
                checked += 1
    assert checked > 100


# ---- 2: the accent hint names the word that differs only by its accent ----


@pytest.mark.parametrize(
    ("item_id", "said"),
    [
        ("es-plurals-9", "Only the accent: sillones."),  # "dos sofás y tres sillónes"
        ("es-plurals-32", "Only the accent: alemanes."),  # "conocí a dos alemánes"
        ("es-plurals-6", "Only the accent: jóvenes."),  # "Los jovenes ... al fútbol"
        ("es-common-misspellings-29", "Only the accent: di."),  # "Le dí el libro ayer."
        ("es-common-misspellings-30", "Only the accent: guion."),  # "el guión de la película"
        ("es-common-misspellings-10", "Only the accent: Aun."),  # "Aún así, el examen ..."
        ("es-common-misspellings-11", "Only the accent: Dónde."),  # "¿Donde está la estación?"
    ],
)
def test_the_accent_hint_names_the_word_with_the_accent_error(item_id, said):
    item = bank_item(item_id)
    assert feedback(item, sentence_to_correct(item)) == said


@pytest.mark.parametrize(
    ("given", "expected", "language", "said"),
    [
        ("Compré tres limónes.", "Compré tres limones.", "Spanish", "Only the accent: limones."),
        (
            "Compré tres limónes, dos peras y pan.",
            "Compré tres limones, dos peras y pan.",
            "Spanish",
            "Only the accent: limones.",
        ),
        ("limónes", "limones", "Spanish", "Only the accent: limones."),
        ("Sí, esta bien.", "Sí, está bien.", "Spanish", "Only the accent: está."),
        ("Tengo un ano.", "Tengo un año.", "Spanish", "Only the tilde: año."),
        ("Die Tur ist zu.", "Die Tür ist zu.", "German", "Only the umlaut: Tür."),
        ("Ich bin mude.", "Ich bin müde.", "German", "Only the umlaut: müde."),
        # ß written as ss and ä as ae are right; only the missing umlaut is named
        (
            "Ich weiss, dass er heute mude ist.",
            "Ich weiß, dass er heute müde ist.",
            "German",
            "Only the umlaut: müde.",
        ),
        ("Gruesse aus Koln!", "Grüße aus Köln!", "German", "Only the umlaut: Köln."),
        # Spanish ü is a diéresis, not an accent (and not an umlaut: that is German's)
        ("El pinguino nada.", "El pingüino nada.", "Spanish", "Only the diaeresis: pingüino."),
        ("Me da verguenza.", "Me da vergüenza.", "Spanish", "Only the diaeresis: vergüenza."),
        (
            "Los pinguinos no tienen verguenza.",
            "Los pingüinos no tienen vergüenza.",
            "Spanish",
            "Only the diaereses: pingüinos, vergüenza.",
        ),
        # two kinds of mark: no one name fits both, so the general word
        (
            "Tengo verguenza y un ano.",
            "Tengo vergüenza y un año.",
            "Spanish",
            "Only the accents: vergüenza, año.",
        ),
    ],
)
def test_accents_umlauts_and_tildes_are_named_as_written(given, expected, language, said):
    assert not answers_match(given, [expected], "Grammar", language)
    assert near_miss(given, [expected], "Grammar", language) == said


def _substitutes(word: str) -> str:
    """A German word as typed without ä, ö, ü and ß keys (the accepted spellings)."""
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("Ä", "Ae"), ("Ö", "Oe"), ("Ü", "Ue")):
        word = word.replace(a, b)
    return word.replace("ß", "ss")


def _accent_cases(item: BankItem) -> list[tuple[str, str]]:
    """The item's answer with one word's marks taken off or one put on: (given, word)."""
    words = item.answer.split()
    out = []
    for i, raw in enumerate(words):
        word = raw.strip(EDGE)
        if not word:
            continue
        if strip_accents(word) != word:
            plain = strip_accents(word)
        elif item.language == "Spanish" and "o" in word:
            plain = word.replace("o", "ó", 1)  # a learner's extra accent
        else:
            continue
        others = [_substitutes(w) if item.language == "German" else w for w in words]
        out.append((" ".join([*others[:i], raw.replace(word, plain), *others[i + 1 :]]), word))
    return out


def test_every_accent_and_umlaut_slip_in_the_bank_names_its_word():
    """Each Spanish and German answer with one word's accent or umlaut left off (or, in
    Spanish, one put on), next to words with commas, opening marks and, in German, the
    ae/oe/ue/ss spellings: the hint names that word, as the answer writes it."""
    checked = 0
    for item in bank_items():
        if item.language not in ("Spanish", "German") or item.type == MC:
            continue
        for given, word in _accent_cases(item):
            if accepted(item, given):
                continue
            noun = mark_noun(word + strip_accents(word), item.language)
            if strip_accents(word) == word:  # the learner added the mark
                noun = "accent"
            assert feedback(item, given) == f"Only the {noun}: {word}.", (item.id, given)
            checked += 1
    assert checked > 300


# ---- 3: words are quoted as written ----


@pytest.mark.parametrize(
    ("item_id", "said"),
    [
        ("de-plurals-6", 'Still wrong: "Männers".'),
        ("de-plurals-16", 'Still wrong: "Stuhlen".'),
        ("de-adjective-endings-2", 'Still wrong: "große".'),
        ("de-prepositions-12", 'Still wrong: "für".'),
        ("de-articles-10", 'Still wrong: "der Student".'),
        ("de-separable-verbs-22", 'Still wrong: "zu abschließen".'),
        ("es-articles-5", 'Still wrong: "El".'),
        ("es-prepositions-5", 'Something is missing after "Visité".'),
        ("de-common-misspellings-14", 'Almost: check the spelling of "Schwäster".'),
        ("de-apostrophes-6", 'Almost: "CD\'s" takes no apostrophe.'),
    ],
)
def test_feedback_quotes_the_learners_words_with_their_letters_and_capitals(item_id, said):
    item = bank_item(item_id)
    assert feedback(item, sentence_to_correct(item)) == said


def test_an_own_sentences_plural_is_quoted_as_written():
    given = "Ich habe im Museum viele alte Gemälden gesehen."
    expected = ["Ich habe im Museum viele alte Gemälde gesehen."]
    assert near_miss(given, expected, "Grammar", "German") == 'Still wrong: "Gemälden".'
    typed = "Ich habe im Museum viele alte Gemaelden gesehen."
    assert near_miss(typed, expected, "Grammar", "German") == 'Still wrong: "Gemaelden".'


def _typings(text: str) -> list[str]:
    """A sentence as learners type it: as printed, all small, with a phone's apostrophes."""
    return [text, text.lower(), text.replace("'", "\u2019")]


def test_every_quoted_word_is_one_the_learner_typed():
    """Every sentence to correct in the bank, sent back as typed in three ways: whatever
    the feedback quotes is in the learner's text letter for letter (case, umlauts, ß), and
    an accent hint names words of a model answer as it writes them."""
    checked = 0
    for item in bank_items():
        if item.type != EC:
            continue
        for given in _typings(sentence_to_correct(item)):
            said = feedback(item, given)
            if said is None:
                continue
            if said.startswith("Only the"):
                named = accent_named(said)
                assert all(any(w in written(a) for a in right(item)) for w in named), (
                    item.id,
                    said,
                )
            for part in quoted(said):
                assert part in given, (item.id, given, said)
            checked += 1
    assert checked > 1000


# ---- 4: "spelling" only where a slip of the pen is likely ----


@pytest.mark.parametrize(
    ("item_id", "said"),
    [
        ("en-subject-verb-agreement-13", 'Still wrong: "like".'),  # "He like pizza."
        ("en-verb-tense-7", 'Still wrong: "watch".'),
        ("en-plurals-9", 'Still wrong: "sheeps".'),
        ("en-word-choice-25", 'Still wrong: "affect".'),
        ("en-questions-13", 'Still wrong: "Do".'),  # "Do she like music?"
        ("es-ser-and-estar-7", 'Still wrong: "es".'),
        ("es-noun-adjective-agreement-3", 'Still wrong: "alto".'),
        ("de-articles-4", 'Still wrong: "ein".'),  # "Ich habe ein Hund."
        ("de-pronouns-3", 'Still wrong: "dir".'),  # "Ich liebe dir."
        ("de-adjective-endings-9", 'Still wrong: "schöne".'),
    ],
)
def test_a_wrong_form_or_word_is_named_not_called_spelling(item_id, said):
    item = bank_item(item_id)
    assert feedback(item, sentence_to_correct(item)) == said


@pytest.mark.parametrize(
    ("item_id", "said"),
    [
        ("en-apostrophes-6", 'Almost: "dont" needs an apostrophe.'),
        ("en-apostrophes-22", 'Almost: "companys" needs an apostrophe.'),
        ("en-apostrophes-18", 'Almost: "cat\'s" takes no apostrophe.'),
        ("en-apostrophes-2", 'Almost: "it\'s" takes no apostrophe.'),
        ("en-apostrophes-4", 'Almost: check where the apostrophe goes in "childrens\'".'),
        ("de-apostrophes-1", 'Almost: "Auto\'s" takes no apostrophe.'),
        ("de-apostrophes-15", 'Almost: "Hobby\'s" takes no apostrophe.'),
        ("es-apostrophes-26", 'Almost: "a\'l" takes no apostrophe.'),
    ],
)
def test_an_apostrophe_error_is_called_an_apostrophe_error(item_id, said):
    item = bank_item(item_id)
    assert feedback(item, sentence_to_correct(item)) == said


def test_no_exercise_outside_spelling_calls_a_sentence_to_correct_a_spelling_error():
    for item in bank_items():
        if item.type == EC and item.category != "Spelling":
            said = feedback(item, sentence_to_correct(item)) or ""
            assert "spelling" not in said, (item.id, said)


def _slip(word: str) -> str:
    """The word with two letters swapped (or its last letter doubled): a slip of the pen."""
    for i in range(1, len(word) - 1):
        if word[i] != word[i + 1] and word[i].isalpha() and word[i + 1].isalpha():
            return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word + word[-1]


def _slipped(item: BankItem) -> str | None:
    """The answer with a slip in its longest word of four letters or more."""
    words = item.answer.split()
    longest = max(range(len(words)), key=lambda i: len(words[i].strip(EDGE)))
    word = words[longest].strip(EDGE)
    if len(word) < 4 or not word.isalpha():
        return None
    words[longest] = words[longest].replace(word, _slip(word))
    return " ".join(words)


def test_spelling_is_said_only_in_spelling_exercises_and_sentences_to_reorder():
    """One letter-level slip in every typed answer of the bank: a Spelling exercise or a
    sentence whose words were handed out hears "check the spelling"; elsewhere the same
    slip may be the grammar or the word being practised, and spelling is not mentioned."""
    said_spelling = 0
    for item in bank_items():
        given = _slipped(item) if item.type != MC else None
        if given is None or accepted(item, given):
            continue
        said = feedback(item, given) or ""
        if item.category == "Spelling" or item.type == SR:
            assert said.startswith("Almost: check the spelling"), (item.id, given, said)
            said_spelling += 1
        else:
            assert "spelling" not in said, (item.id, given, said)
    assert said_spelling > 50


# ---- 5: a missing word is said to be missing, never given ----


@pytest.mark.parametrize(
    ("given", "expected", "language", "said"),
    [
        (
            "Only then I realised my mistake.",
            "Only then did I realise my mistake.",
            "English",
            'Still wrong: "realised". Something is also missing after "then".',
        ),
        (
            "Then I realised it my mistake.",
            "Then I realised it was my big mistake.",
            "English",
            'Something is missing after "it" and after "my".',
        ),
        (
            "Yesterday I go beach with my friend.",
            "Yesterday I went to the beach with my friend.",
            "English",
            'Still wrong: "go" (words are missing there).',
        ),
        (
            "Ich gestern ein Buch gelest.",
            "Ich habe gestern ein Buch gelesen.",
            "German",
            'Still wrong: "gelest". Something is also missing after "Ich".',
        ),
        (
            "Fui a playa con mis amigas ayer.",
            "Fui a la playa con mis amigos ayer.",
            "Spanish",
            'Still wrong: "amigas". Something is also missing after "a".',
        ),
    ],
)
def test_missing_words_are_named_by_where_they_are_missing(given, expected, language, said):
    assert near_miss(given, [expected], "Grammar", language) == said


def test_every_sentence_with_a_word_wrong_and_one_missing_hears_both():
    """Each typed answer of six words or more with one word left out and a later one made
    wrong: the wrong word is named as written, the gap is mentioned, and the missing word
    is not quoted (it is not in the learner's answer)."""
    checked = 0
    for item in bank_items():
        if item.type == MC:
            continue
        words = item.answer.split()
        for i in range(len(words) - 2):
            shorter = [*words[:i], *words[i + 1 :]]
            if len(words) < 6 or accepted(item, " ".join(shorter)):
                continue  # the word may be left out (pro-drop, an accepted variant)
            wrong = shorter[i + 1].strip(EDGE)
            if not wrong.isalpha():
                continue
            shorter[i + 1] = shorter[i + 1].replace(wrong, wrong + "x")
            given = " ".join(shorter)
            said = feedback(item, given)
            if said is None or not said.startswith("Still wrong"):
                continue
            if any(len(a.split()) <= len(shorter) for a in right(item)):
                continue  # a shorter right answer: nothing need be missing
            assert f'"{wrong}x' in said and "missing" in said, (item.id, given, said)
            assert all(part in given for part in quoted(said)), (item.id, given, said)
            checked += 1
    assert checked > 500


def test_a_contractions_ungrammatical_reading_is_named_as_the_wrong_word():
    item = bank_item("en-articles-20")  # "I'd like some information about the course."
    assert feedback(item, "I had like some information about the course.") == (
        'Still wrong: "had".'
    )
    assert feedback(item, "I would like some information about the course.") is None  # right
    said = near_miss(
        "I would finished my homework before dinner.",
        ["I'd finished my homework before dinner."],
        "Grammar",
        "English",
    )
    assert said == 'Still wrong: "would".'


# ---- what the learner reads from submitExercise ----


@pytest.mark.parametrize(
    ("item_id", "given", "said"),
    [
        ("en-articles-20", "I'd like a information about the course.", 'Still wrong: "a".'),
        ("de-plurals-6", "Die Frauen und die Männers sind hier.", 'Still wrong: "Männers".'),
        ("es-plurals-9", "Mi casa tiene dos sofás y tres sillónes.", "Only the accent: sillones."),
        # the words of a sentence to reorder were handed out: a changed letter is a slip
        (
            "en-subject-verb-agreement-7",
            "Tom plyas tennis every Saturday",
            'Almost: check the spelling of "plyas".',
        ),
    ],
)
async def test_submit_tells_the_learner_what_is_off(api, item_id, given, said):
    item = bank_item(item_id)
    user, token = await api.user(target_language=item.language)
    doc = await pending_exercise(api.services.db, user["_id"], item)
    out = (await api.data(SUBMIT, {"id": doc["_id"], "a": given}, token=token))["submitExercise"]
    assert out["correct"] is False
    assert out["feedback"] == (f"Not quite. {said} Try again (2 attempts left) or ask for a hint.")


# ---- the forms feedback compares with are the ones the checker accepts ----


def test_feedback_compares_with_exactly_the_accepted_variants():
    from resolvers.practice.checking import _answer_forms, normalize_answer, variants

    for item in bank_items():
        keep = item.category == "Punctuation"
        for answer in right(item):
            forms = {
                " ".join(w.key for w in f)
                for f in _answer_forms(answer, item.language, item.category, keep)
            }
            normalized = normalize_answer(answer, keep, item.language)
            accepted_forms = variants(normalized, item.language, item.category, answer)
            assert accepted_forms <= forms, item.id
            for form in forms - accepted_forms:  # the answer's own contractions, unexpanded
                assert answers_match(form, [answer], item.category, item.language), item.id


def test_written_words_keeps_substitute_spellings_as_typed():
    """written_words (the words feedback quotes, and a capitalisation retry's key) keeps
    "Tuer" and "Spass" as typed: only the comparison maps them, and only in German."""
    from resolvers.practice.checking import case_errors, written_words

    assert written_words("Die Tuer, bitte!") == ["Die", "Tuer", "bitte"]
    assert written_words("„Das macht Spass.“") == ["Das", "macht", "Spass"]
    assert case_errors("die tuer ist zu", ["Die Tür ist zu."], "German") == ["die", "tuer"]
    assert case_errors("die tuer ist zu", ["Die Tür ist zu."], "Spanish") == ["die"]


# ---- words that sound alike: your/you're, its/it's, their/there/they're, whose/who's ----

_NEEDS = "here the sentence needs"
_PLACE = "the word for a place, or for saying that something exists"


@pytest.mark.parametrize(
    ("given", "expected", "category", "said"),
    [
        (
            "Your late again.",
            "You're late again.",
            "Grammar",
            f"Almost: \"Your\" is a possessive (as in 'your bag'); {_NEEDS} the short form of"
            " 'you are'.",
        ),
        (
            "I like you're dress.",
            "I like your dress.",
            "Grammar",
            f"Almost: \"you're\" is short for 'you are'; {_NEEDS} a possessive.",
        ),
        (
            "Its been a long day.",
            "It's been a long day.",
            "Grammar",
            f"Almost: \"Its\" is a possessive (as in 'its tail'); {_NEEDS} the short form of"
            " 'it has'.",
        ),
        (
            "The dog wagged it's tail.",
            "The dog wagged its tail.",
            "Grammar",
            f"Almost: \"it's\" is short for 'it is'; {_NEEDS} a possessive.",
        ),
        (
            "Their coming tomorrow.",
            "They're coming tomorrow.",
            "Grammar",
            f"Almost: \"Their\" is a possessive (as in 'their house'); {_NEEDS} the short form"
            " of 'they are'.",
        ),
        (
            "I left my keys their.",
            "I left my keys there.",
            "Vocabulary",
            f"Almost: \"their\" is a possessive (as in 'their house'); {_NEEDS} {_PLACE}.",
        ),
        (
            "They forgot there tickets.",
            "They forgot their tickets.",
            "Grammar",
            f'Almost: "there" is {_PLACE}; {_NEEDS} a possessive.',
        ),
        (
            "Whose coming to the party?",
            "Who's coming to the party?",
            "Grammar",
            f"Almost: \"Whose\" is a possessive (as in 'whose bag?'); {_NEEDS} the short form"
            " of 'who is'.",
        ),
        (
            "Who's bag is this?",
            "Whose bag is this?",
            "Grammar",
            f"Almost: \"Who's\" is short for 'who is'; {_NEEDS} a possessive.",
        ),
        # a blank's answer alone: nothing after it tells "is" from "has"
        (
            "your",
            "you're",
            "Grammar",
            f"Almost: \"your\" is a possessive (as in 'your bag'); {_NEEDS} the short form of"
            " 'you are'.",
        ),
        (
            "its",
            "it's",
            "Vocabulary",
            f"Almost: \"its\" is a possessive (as in 'its tail'); {_NEEDS} the short form of"
            " 'it is' or 'it has'.",
        ),
        # where apostrophes are the skill, a word that differs by one is told so
        (
            "Its been a long day.",
            "It's been a long day.",
            "Punctuation",
            'Almost: "Its" needs an apostrophe.',
        ),
        (
            "Your late again.",
            "You're late again.",
            "Punctuation",
            f"Almost: \"Your\" is a possessive (as in 'your bag'); {_NEEDS} the short form of"
            " 'you are'.",
        ),
        # a plural's possessive takes no extra s; one owner's takes it
        (
            "My parents's house is big.",
            "My parents' house is big.",
            "Punctuation",
            'Almost: "parents\'s": a plural that ends in s takes only the apostrophe.',
        ),
        (
            "The bus' doors opened.",
            "The bus's doors opened.",
            "Punctuation",
            "Almost: \"bus'\": one owner takes 's, even after an s.",
        ),
    ],
)
def test_a_word_that_sounds_like_the_right_one_is_told_what_it_means(
    given, expected, category, said
):
    assert not answers_match(given, [expected], category, "English")
    assert near_miss(given, [expected], category, "English") == said


_SOUND_ALIKE = [("your", "you're"), ("its", "it's"), ("their", "there", "they're")]
_SOUND_ALIKE += [("whose", "who's")]


def _sound_alike_slips(answer: str) -> list[tuple[str, str, str]]:
    """The answer with one word swapped for one that sounds like it: (given, typed, word)."""
    out = []
    words = answer.split()
    for i, raw in enumerate(words):
        core = raw.strip(EDGE).replace("\u2019", "'")
        for group in _SOUND_ALIKE:
            if core.casefold() not in group:
                continue
            for other in group:
                if other == core.casefold():
                    continue
                typed = other[0].upper() + other[1:] if core[0].isupper() else other
                given = " ".join([*words[:i], raw.replace(raw.strip(EDGE), typed), *words[i + 1 :]])
                out.append((given, typed, core))
    return out


def test_every_sound_alike_slip_in_the_bank_is_told_what_the_word_means():
    """Each English answer (and also-accepted answer) with your/you're, its/it's,
    their/there/they're or whose/who's swapped for another of its group: wrong, unless the
    item lists it, and told what the typed word is and what the sentence needs, quoting
    only the learner's word; where apostrophes are the skill, "its" for "it's" is told it
    needs the apostrophe."""
    checked = 0
    for item in bank_items():
        if item.language != "English" or item.type == MC:
            continue
        listed = [a.casefold().replace("\u2019", "'") for a in right(item)]
        for answer in right(item):
            for given, typed, word in _sound_alike_slips(answer):
                if accepted(item, given):
                    assert given.casefold() in listed, (item.id, given)
                    continue
                said = feedback(item, given)
                assert said is not None and said.startswith(f'Almost: "{typed}"'), (item.id, said)
                if item.category == "Punctuation" and typed.replace("'", "") == word.replace(
                    "'", ""
                ):
                    assert "apostrophe" in said, (item.id, said)
                else:
                    assert "here the sentence needs" in said, (item.id, said)
                assert quoted(said) == [typed], (item.id, said)
                checked += 1
    assert checked >= 20

"""The error taxonomy the tutors report and the exercise bank covers, and the target
languages the bank is written in.

The shared part is language-neutral on purpose: "Articles" is a/an/the for a learner of
English, el/la/los/las for Spanish and der/die/das with their case forms for German, so
error statistics stay comparable across languages. A few error families exist in one
language only (ser/estar, German adjective endings): those are the per-language part,
accepted for that target language and refused for the others, where no exercise could ever
practise them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

TAXONOMY: dict[str, tuple[str, ...]] = {
    "Grammar": (
        "Subject-Verb Agreement",
        "Verb Tense",
        "Articles",
        "Prepositions",
        "Pronouns",
        "Plurals",
    ),
    "Vocabulary": ("Word Choice", "False Friends", "Collocations"),
    "Spelling": ("Common Misspellings",),
    "Punctuation": ("Commas", "Apostrophes"),
    "Word Order": ("Adverb Placement", "Questions"),
}

# Subcategories that only one target language has, under the shared categories.
LANGUAGE_TAXONOMY: dict[str, dict[str, tuple[str, ...]]] = {
    "Spanish": {
        "Grammar": ("Noun-Adjective Agreement", "Ser and Estar"),
        "Punctuation": ("Inverted Question and Exclamation Marks",),
    },
    "German": {
        "Grammar": ("Adjective Endings", "Separable Verbs"),
        "Word Order": ("Verb-Final Clauses",),
        "Spelling": ("Noun Capitalisation",),
    },
}

CATEGORIES = tuple(TAXONOMY)
# The shared pairs, in every language's taxonomy.
PAIRS = tuple((c, s) for c, subs in TAXONOMY.items() for s in subs)

DESCRIPTIONS: dict[tuple[str, str], str] = {
    ("Grammar", "Subject-Verb Agreement"): (
        "Making the verb match its subject in person and number."
    ),
    ("Grammar", "Verb Tense"): "Choosing the tense and verb form that fit the time of the action.",
    ("Grammar", "Articles"): (
        "Using the right article (definite, indefinite or none) with the right gender and case."
    ),
    ("Grammar", "Prepositions"): (
        "Choosing the preposition a verb, noun or expression of time and place needs."
    ),
    ("Grammar", "Pronouns"): (
        "Using the right pronoun form for the person or thing you mean and its role in the "
        "sentence."
    ),
    ("Grammar", "Plurals"): "Forming plurals, including irregular and uncountable nouns.",
    ("Vocabulary", "Word Choice"): (
        "Picking the word that says what you mean among words with related meanings."
    ),
    ("Vocabulary", "False Friends"): (
        "Avoiding words that look like a word in another language but mean something else."
    ),
    ("Vocabulary", "Collocations"): "Combining words the way native speakers do.",
    ("Spelling", "Common Misspellings"): (
        "Spelling frequent words correctly, including accents, umlauts and double letters."
    ),
    ("Punctuation", "Commas"): "Putting commas where the language requires them, and only there.",
    ("Punctuation", "Apostrophes"): (
        "Using apostrophes (or leaving them out) in contractions, possessives and elisions."
    ),
    ("Word Order", "Adverb Placement"): (
        "Putting adverbs such as 'always', 'often' or 'not' in the right place."
    ),
    ("Word Order", "Questions"): "Ordering the words of direct and indirect questions.",
    ("Grammar", "Noun-Adjective Agreement"): (
        "Making adjectives and determiners match their noun in gender and number."
    ),
    ("Grammar", "Ser and Estar"): (
        "Choosing between ser (what something is) and estar (state, location, result)."
    ),
    ("Punctuation", "Inverted Question and Exclamation Marks"): (
        "Opening questions and exclamations with ¿ and ¡ where they begin."
    ),
    ("Grammar", "Adjective Endings"): (
        "Giving an adjective before a noun the ending its article, gender, number and case need."
    ),
    ("Grammar", "Separable Verbs"): (
        "Splitting verbs such as anrufen or aufstehen, with the prefix at the end of the clause."
    ),
    ("Word Order", "Verb-Final Clauses"): (
        "Sending the conjugated verb to the end after weil, dass, wenn and other subordinators."
    ),
    ("Spelling", "Noun Capitalisation"): (
        "Writing every noun, including nouns made from verbs and adjectives, with a capital."
    ),
}

LANGUAGES = ("English", "Spanish", "German")
# A learner with no (or an unknown) target language practises English, and an exercise
# stored before exercises named their language is English.
DEFAULT_LANGUAGE = "English"

_LANGUAGE_NAMES = {
    "english": "English",
    "en": "English",
    "spanish": "Spanish",
    "español": "Spanish",
    "espanol": "Spanish",
    "castellano": "Spanish",
    "es": "Spanish",
    "german": "German",
    "deutsch": "German",
    "de": "German",
}


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def normalize_language(value: str | None) -> str | None:
    """The bank's name for a language given as an English name, a native name or an ISO
    639-1 code (a region suffix as in "es-MX" is ignored); None when unknown or empty."""
    if value is None:
        return None
    folded = _fold(value)
    if folded in _LANGUAGE_NAMES:
        return _LANGUAGE_NAMES[folded]
    code = folded.replace("_", "-").split("-", 1)[0]
    return _LANGUAGE_NAMES.get(code) if len(code) == 2 else None


def taxonomy_for(language: str | None) -> dict[str, tuple[str, ...]]:
    """Category -> subcategories a learner of `language` can be reported and practise: the
    shared ones, then that language's own. An unknown or missing language gets the shared
    part only."""
    extra = LANGUAGE_TAXONOMY.get(normalize_language(language) or "", {})
    return {c: subs + extra.get(c, ()) for c, subs in TAXONOMY.items()}


def pairs_for(language: str | None) -> tuple[tuple[str, str], ...]:
    return tuple((c, s) for c, subs in taxonomy_for(language).items() for s in subs)


def language_specific(language: str | None) -> frozenset[tuple[str, str]]:
    """The pairs only `language` has (its bank may have no content file for them yet)."""
    return frozenset(pairs_for(language)) - frozenset(PAIRS)


# Every pair of every language: what stored statistics may hold.
ALL_PAIRS = tuple(dict.fromkeys(p for lang in LANGUAGES for p in pairs_for(lang)))
_BY_FOLDED = {(c.casefold(), s.casefold()): (c, s) for c, s in ALL_PAIRS}


def canonical(
    category: str, subcategory: str, language: str | None = None, *, any_language: bool = False
) -> tuple[str, str] | None:
    """The taxonomy's spelling of a (category, subcategory), matched ignoring case and
    surrounding or repeated whitespace; None when the pair is not in `language`'s taxonomy
    (the shared part for no language; every language's with `any_language`, for reading
    what was already stored)."""
    pair = _BY_FOLDED.get((_fold(category), _fold(subcategory)))
    if pair is None or any_language or pair in PAIRS:
        return pair
    return pair if pair in language_specific(language) else None


def target_language(user: Mapping[str, Any] | None) -> str:
    """The language a learner's exercises are written in."""
    return normalize_language(user.get("target_language") if user else None) or DEFAULT_LANGUAGE


def exercise_language(exercise: Mapping[str, Any]) -> str:
    """The language an exercise and its answers are written in (German's ae/oe/ue and ss
    spellings count only there: resolvers/practice/checking.py)."""
    return str(exercise.get("language") or DEFAULT_LANGUAGE)


def in_language(language: str) -> dict[str, Any]:
    """A filter for exercises written in `language` (what exercise_language says of them):
    one stored before exercises carried a language was written in English."""
    if language == DEFAULT_LANGUAGE:
        return {"language": {"$in": [language, None]}}
    return {"language": language}

"""The error taxonomy the tutors report and the exercise bank covers, and the target
languages the bank is written in.

The categories are language-neutral on purpose: "Articles" is a/an/the for a learner of
English, el/la/los/las for Spanish and der/die/das with their case forms for German, so one
taxonomy serves every target language and error statistics stay comparable across them.
"""

from __future__ import annotations

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

CATEGORIES = tuple(TAXONOMY)
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
}

LANGUAGES = ("English", "Spanish", "German")

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

_BY_FOLDED = {(c.casefold(), s.casefold()): (c, s) for c, s in PAIRS}


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def canonical(category: str, subcategory: str) -> tuple[str, str] | None:
    """The taxonomy's spelling of a (category, subcategory), matched ignoring case and
    surrounding or repeated whitespace; None when the pair is not in the taxonomy."""
    return _BY_FOLDED.get((_fold(category), _fold(subcategory)))


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

"""The error taxonomy the tutors report and the exercise bank covers."""

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
    ("Grammar", "Subject-Verb Agreement"): "The verb matches its subject in person and number.",
    ("Grammar", "Verb Tense"): "The tense fits the time of the action.",
    ("Grammar", "Articles"): "Definite, indefinite or no article, in the right form.",
    ("Grammar", "Prepositions"): "The preposition a verb, noun or time expression takes.",
    ("Grammar", "Pronouns"): "The pronoun's case, gender and number match what it stands for.",
    ("Grammar", "Plurals"): "Regular and irregular plural forms.",
    ("Vocabulary", "Word Choice"): "The word that means what was intended.",
    ("Vocabulary", "False Friends"): "Words that look like the learner's own but mean else.",
    ("Vocabulary", "Collocations"): "Words that natively go together.",
    ("Spelling", "Common Misspellings"): "Frequently misspelled words.",
    ("Punctuation", "Commas"): "Where commas go, and where they must not.",
    ("Punctuation", "Apostrophes"): "Apostrophes for possession and contraction.",
    ("Word Order", "Adverb Placement"): "Where adverbs sit in the sentence.",
    ("Word Order", "Questions"): "Word order in questions.",
}

LANGUAGES = ("English", "Spanish", "German")
_LANGUAGE_NAMES = {
    "english": "English",
    "en": "English",
    "spanish": "Spanish",
    "español": "Spanish",
    "espanol": "Spanish",
    "es": "Spanish",
    "german": "German",
    "deutsch": "German",
    "de": "German",
}
_PAIRS_FOLDED = {(c.casefold(), s.casefold()): (c, s) for c, s in PAIRS}


def canonical(category: str, subcategory: str) -> tuple[str, str] | None:
    """The taxonomy's spelling of a (category, subcategory), matched case-insensitively."""
    return _PAIRS_FOLDED.get((category.strip().casefold(), subcategory.strip().casefold()))


def normalize_language(value: str | None) -> str | None:
    """A language name or ISO 639-1 code as one of LANGUAGES; None if not supported."""
    if value is None:
        return None
    return _LANGUAGE_NAMES.get(value.strip().casefold())

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

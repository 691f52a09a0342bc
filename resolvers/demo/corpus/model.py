"""The shapes a language's demo corpus is written in, and short names for taxonomy pairs.

Data modules (en.py, es.py, de.py) import all of it (`__all__`) and stay readable: one
`U(...)` per learner utterance with its `E(...)` errors, written by hand so every excerpt
is a real part of its sentence.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Pair = tuple[str, str]

SVA: Pair = ("Grammar", "Subject-Verb Agreement")
TENSE: Pair = ("Grammar", "Verb Tense")
ART: Pair = ("Grammar", "Articles")
PREP: Pair = ("Grammar", "Prepositions")
PRON: Pair = ("Grammar", "Pronouns")
PLUR: Pair = ("Grammar", "Plurals")
WORD: Pair = ("Vocabulary", "Word Choice")
FALSE: Pair = ("Vocabulary", "False Friends")
COLL: Pair = ("Vocabulary", "Collocations")
SPELL: Pair = ("Spelling", "Common Misspellings")
COMMA: Pair = ("Punctuation", "Commas")
APOS: Pair = ("Punctuation", "Apostrophes")
ADV: Pair = ("Word Order", "Adverb Placement")
QUEST: Pair = ("Word Order", "Questions")

# Native languages whose speakers share a mistake (an utterance's `natives`).
EN = ("English",)
ROMANCE = ("Spanish", "Italian", "French", "Portuguese")

# What the data modules (en.py, es.py, de.py) import with `*`: one vocabulary, written
# once, instead of the same twenty-line import at the top of each.
__all__ = [
    "ADV",
    "APOS",
    "ART",
    "COLL",
    "COMMA",
    "EN",
    "FALSE",
    "PLUR",
    "PREP",
    "PRON",
    "QUEST",
    "ROMANCE",
    "SPELL",
    "SVA",
    "TENSE",
    "WORD",
    "E",
    "LanguageCorpus",
    "Pair",
    "TutorVoice",
    "U",
]


@dataclass(frozen=True, slots=True)
class E:
    """One mistake: `excerpt` occurs verbatim in the utterance, `correction` replaces it."""

    excerpt: str
    correction: str
    pair: Pair
    explanation: str

    @property
    def category(self) -> str:
        return self.pair[0]

    @property
    def subcategory(self) -> str:
        return self.pair[1]

    def as_document(self) -> dict[str, str]:
        return {
            "category": self.category,
            "subcategory": self.subcategory,
            "excerpt": self.excerpt,
            "correction": self.correction,
            "explanation": self.explanation,
        }


@dataclass(frozen=True, slots=True, init=False)
class U:
    """A learner utterance with its mistakes (none for a clean one).

    `natives`, when given, limits the utterance to learners with one of those native
    languages: an English speaker does not say "embarazado" for embarrassed by chance.
    """

    text: str
    errors: tuple[E, ...] = ()
    natives: tuple[str, ...] = ()

    def __init__(self, text: str, *errors: E, natives: tuple[str, ...] = ()) -> None:
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "errors", tuple(errors))
        object.__setattr__(self, "natives", tuple(natives))

    @property
    def corrected(self) -> str:
        fixed = self.text
        for error in self.errors:
            fixed = fixed.replace(error.excerpt, error.correction, 1)
        return fixed

    def suits(self, native_language: str | None) -> bool:
        return not self.natives or native_language in self.natives


@dataclass(frozen=True, slots=True)
class TutorVoice:
    """How the tutor talks in one target language.

    `corrections` take {excerpt}, {correction}, {explanation}; `recasts` take {fixed}
    (the whole corrected sentence); `second_error` the same fields as corrections;
    `praise` opens a reply to a clean utterance; `openers` start a session and take
    {name} and {topic}; `retry` invites the learner to say it again.
    """

    corrections: tuple[str, ...]
    recasts: tuple[str, ...]
    second_error: tuple[str, ...]
    praise: tuple[str, ...]
    openers: tuple[str, ...]
    retry: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LanguageCorpus:
    language: str
    # native language -> weight, for learners of this language
    natives: dict[str, float]
    topic_names: dict[str, str]
    utterances: dict[str, tuple[U, ...]]  # topic -> utterances with errors
    clean: dict[str, tuple[U, ...]]  # topic -> error-free utterances
    follow_ups: dict[str, tuple[str, ...]]  # topic -> tutor questions that keep it going
    voice: TutorVoice
    rating_comments: tuple[str, ...] = field(default=())

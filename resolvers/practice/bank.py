"""The exercise bank as typed items, checked when it loads, and answer normalisation."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from resolvers.practice.bank_data import BANK, MC, SR
from resolvers.taxonomy import PAIRS


@dataclass(frozen=True, slots=True)
class BankItem:
    id: str
    category: str
    subcategory: str
    type: str
    difficulty: int
    prompt: str
    answer: str
    accepted: tuple[str, ...]
    choices: tuple[str, ...]
    explanation: str
    hints: tuple[str, ...]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@lru_cache(maxsize=1)
def load_bank() -> dict[tuple[str, str], tuple[BankItem, ...]]:
    bank: dict[tuple[str, str], tuple[BankItem, ...]] = {}
    for (category, subcategory), rows in BANK.items():
        items = []
        for n, (
            kind,
            difficulty,
            prompt,
            answer,
            accepted,
            choices,
            explanation,
            hints,
        ) in enumerate(rows, 1):
            item = BankItem(
                id=f"{_slug(subcategory)}-{n}",
                category=category,
                subcategory=subcategory,
                type=kind,
                difficulty=difficulty,
                prompt=prompt,
                answer=answer,
                accepted=tuple(accepted),
                choices=tuple(choices),
                explanation=explanation,
                hints=tuple(hints),
            )
            _check(item)
            items.append(item)
        bank[(category, subcategory)] = tuple(items)
    missing = set(PAIRS) - set(bank)
    if missing:
        raise ValueError(f"exercise bank misses {sorted(missing)}")
    return bank


def _check(item: BankItem) -> None:
    where = f"bank item {item.id}"
    if not 1 <= item.difficulty <= 5:
        raise ValueError(f"{where}: difficulty {item.difficulty}")
    if not item.hints:
        raise ValueError(f"{where}: no hints")
    if item.type == MC and item.answer not in item.choices:
        raise ValueError(f"{where}: answer is not among the choices")
    if item.type == SR and sorted(item.choices) != sorted(item.answer.split()):
        raise ValueError(f"{where}: reorder words do not make the answer")


_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})
_END = re.compile(r"[\s.!?]+$")
_ANY_PUNCT = re.compile(r"[^\w\s']|(?<!\w)'|'(?!\w)")


def normalize_answer(text: str, keep_punctuation: bool = False) -> str:
    """Ignore case, spacing, end punctuation and, unless punctuation is the point, all
    punctuation (an apostrophe inside a word, as in "don't", is kept)."""
    value = unicodedata.normalize("NFKC", text).translate(_QUOTES).casefold().strip()
    value = value.strip("\"'")
    value = _END.sub("", value)
    if keep_punctuation:
        value = re.sub(r"\s*([,;:])\s*", r"\1 ", value)
    else:
        value = _ANY_PUNCT.sub(" ", value)
    return " ".join(value.split())


def answers_match(given: str, expected: list[str], category: str) -> bool:
    keep = category == "Punctuation"
    target = {normalize_answer(e, keep) for e in expected}
    return normalize_answer(given, keep) in target


def bank_for(language: str) -> dict[tuple[str, str], tuple[BankItem, ...]]:
    """The bank's items in one language (the built-in content is English so far)."""
    return load_bank() if language == "English" else {}

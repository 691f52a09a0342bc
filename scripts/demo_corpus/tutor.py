"""The demo tutor's side of a conversation, and fair rotation through the corpus.

A `Deck` hands out items in a shuffled cycle, so across a whole seed run every utterance
and every phrasing gets used before any repeats; that keeps 800 demo messages varied
with a corpus of a few hundred sentences.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from itertools import product
from typing import Generic, TypeVar

from scripts.demo_corpus.model import E, LanguageCorpus, U

T = TypeVar("T")


class Deck(Generic[T]):
    def __init__(self, items: Sequence[T], rng: random.Random) -> None:
        if not items:
            raise ValueError("a deck needs at least one item")
        self._items = list(items)
        rng.shuffle(self._items)

    def draw(self, accept: Callable[[T], bool] = lambda _: True) -> T | None:
        """The first acceptable item, which then goes to the back; None if none fits."""
        for i, item in enumerate(self._items):
            if accept(item):
                self._items.append(self._items.pop(i))
                return item
        return None


class Tutor:
    """Replies in one target language: corrections that name the fix, or a follow-up."""

    def __init__(self, corpus: LanguageCorpus, rng: random.Random) -> None:
        self.corpus = corpus
        self._rng = rng
        voice = corpus.voice
        self._corrections = Deck(voice.corrections, rng)
        self._second = Deck(voice.second_error, rng)
        self._recasts = Deck(voice.recasts, rng)
        self._retry = Deck(voice.retry, rng)
        self._openers = Deck(voice.openers, rng)
        self._follow_ups = {t: Deck(qs, rng) for t, qs in corpus.follow_ups.items()}
        self._praise = {
            t: Deck(list(product(voice.praise, qs)), rng) for t, qs in corpus.follow_ups.items()
        }

    def opener(self, name: str, topic: str) -> str:
        greeting = _take(self._openers).format(
            name=name, topic=self.corpus.topic_names[topic]
        )
        return f"{greeting} {_take(self._follow_ups[topic])}"

    def reply(self, utterance: U, topic: str) -> str:
        if not utterance.errors:
            praise, question = _take(self._praise[topic])
            return f"{praise} {question}"
        first, *others = utterance.errors
        parts = [_take(self._corrections).format(**_fields(first))]
        parts += [_take(self._second).format(**_fields(e)) for e in others]
        if self._rng.random() < 0.5:
            parts.append(_take(self._recasts).format(fixed=utterance.corrected))
        if self._rng.random() < 0.3:
            parts.append(_take(self._retry))
        else:
            parts.append(_take(self._follow_ups[topic]))
        return " ".join(parts)


def _take(deck: Deck[T]) -> T:
    item = deck.draw()
    assert item is not None  # decks are never empty and accept everything here
    return item


def _fields(error: E) -> dict[str, str]:
    return {
        "excerpt": error.excerpt,
        "correction": error.correction,
        "explanation": error.explanation,
    }

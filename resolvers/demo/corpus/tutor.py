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

from resolvers.demo.corpus.model import E, LanguageCorpus, U

T = TypeVar("T")
RECAST_SHARE = 0.5  # corrections that also spell out the whole corrected sentence
RETRY_SHARE = 0.3  # corrections that ask the learner to say it again (they then do)


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
        self._asked: set[str] = set()  # questions of the current session
        self._praise = {
            t: Deck(list(product(voice.praise, qs)), rng) for t, qs in corpus.follow_ups.items()
        }

    def opener(self, name: str, topic: str) -> str:
        """Starts a session: a greeting and a first question. Questions are not repeated
        within a session while the topic has unasked ones."""
        self._asked.clear()
        greeting = _take(self._openers).format(name=name, topic=self.corpus.topic_names[topic])
        return f"{greeting} {self._question(topic)}"

    def _question(self, topic: str) -> str:
        deck = self._follow_ups[topic]
        question = deck.draw(lambda q: q not in self._asked) or _take(deck)
        self._asked.add(question)
        return question

    def reply(self, utterance: U, topic: str) -> tuple[str, bool]:
        """The reply, and whether it asks the learner to say the sentence again."""
        if not utterance.errors:
            deck = self._praise[topic]
            praise, question = deck.draw(lambda pq: pq[1] not in self._asked) or _take(deck)
            self._asked.add(question)
            return f"{praise} {question}", False
        first, *others = utterance.errors
        parts = [_take(self._corrections).format(**_fields(first))]
        parts += [_take(self._second).format(**_fields(e)) for e in others]
        if self._rng.random() < RECAST_SHARE:
            parts.append(_take(self._recasts).format(fixed=utterance.corrected))
        retry = self._rng.random() < RETRY_SHARE
        parts.append(_take(self._retry) if retry else self._question(topic))
        return " ".join(parts), retry


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

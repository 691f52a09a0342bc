"""How bank content is written: one constructor per exercise type.

Authors write the exercise, its explanation and one or two gentle hints; the loader
(bank.py) adds the last, almost-the-answer hint derived from the answer (hints.py), builds
the error-correction prompt from the wrong sentence, and checks everything.
"""

from __future__ import annotations

from dataclasses import dataclass

from resolvers.practice.hints import EC, FB, MC, SR


@dataclass(frozen=True, slots=True)
class Entry:
    type: str
    difficulty: int
    prompt: str  # ERROR_CORRECTION: the wrong sentence itself
    answer: str
    explanation: str
    hints: tuple[str, ...]
    choices: tuple[str, ...] = ()  # MULTIPLE_CHOICE options; SENTENCE_REORDER words, shuffled
    accepted: tuple[str, ...] = ()  # other answers that are also right
    note: str = ""  # ERROR_CORRECTION: context shown after the sentence


def fb(
    difficulty: int,
    prompt: str,
    answer: str,
    explanation: str,
    *hints: str,
    accepted: tuple[str, ...] = (),
) -> Entry:
    return Entry(FB, difficulty, prompt, answer, explanation, hints, (), accepted)


def mc(
    difficulty: int,
    prompt: str,
    answer: str,
    choices: tuple[str, ...],
    explanation: str,
    *hints: str,
    accepted: tuple[str, ...] = (),
) -> Entry:
    return Entry(MC, difficulty, prompt, answer, explanation, hints, choices, accepted)


def ec(
    difficulty: int,
    wrong: str,
    answer: str,
    explanation: str,
    *hints: str,
    accepted: tuple[str, ...] = (),
    note: str = "",
) -> Entry:
    return Entry(EC, difficulty, wrong, answer, explanation, hints, (), accepted, note)


def sr(
    difficulty: int,
    words: str,
    answer: str,
    explanation: str,
    *hints: str,
    question: bool = False,
    accepted: tuple[str, ...] = (),
) -> Entry:
    """`words`: the answer's words, space-separated, in the shuffled order shown."""
    shown = tuple(words.split())
    kind = "question" if question else "sentence"
    prompt = f"Put the words in order to make a {kind}: {' / '.join(shown)}"
    return Entry(SR, difficulty, prompt, answer, explanation, hints, shown, accepted)


__all__ = ["EC", "FB", "MC", "SR", "Entry", "ec", "fb", "mc", "sr"]

"""Hints derived from an exercise's expected answer.

The last hint of every exercise is computed here rather than written by hand, so it is
always true of the answer: for an error correction it is built from a word-level diff of
the wrong and the corrected sentence (the changed words, never a prefix of the whole
correction, which mostly repeats words the learner already has right).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from difflib import SequenceMatcher

FB, MC, EC, SR = "fill_in_the_blank", "multiple_choice", "error_correction", "sentence_reorder"

# A word (with inner apostrophes, and the one closing a possessive after s, x or z:
# "parents'", German "Max'"; as checking.normalize_answer keeps it), or one punctuation
# mark.
_TOKEN = re.compile(r"\w+(?:['\u2019]\w+)*(?:(?<=[sxzßSXZ])['\u2019](?!\w))?|[^\w\s]")
_PUNCTUATION_NAMES = {
    ",": "comma",
    ";": "semicolon",
    ":": "colon",
    ".": "full stop",
    "?": "question mark",
    "!": "exclamation mark",
    "¿": "opening question mark (¿)",
    "¡": "opening exclamation mark (¡)",
    "'": "apostrophe",
    "-": "hyphen",
}


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between a wrong and a corrected sentence, as token lists."""

    wrong: tuple[str, ...]
    right: tuple[str, ...]
    before: str | None  # the token just before the change in the corrected sentence
    after: str | None  # the token just after it


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def changes(wrong: str, right: str) -> list[Change]:
    """The word-level edits that turn `wrong` into `right`. Case is ignored when pairing
    words (a capital moving to a new first word is not an error), so a correction that only
    changes case has no changes, like the answer check that ignores case."""
    a, b = tokens(wrong), tokens(right)
    matcher = SequenceMatcher(None, [t.casefold() for t in a], [t.casefold() for t in b])
    found = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        found.append(
            Change(
                wrong=tuple(a[i1:i2]),
                right=tuple(b[j1:j2]),
                before=b[j1 - 1] if j1 > 0 else None,
                after=b[j2] if j2 < len(b) else None,
            )
        )
    return found


def _phrase(words: tuple[str, ...]) -> str:
    text = " ".join(words)
    return re.sub(r"\s+([,.;:?!])", r"\1", text)


def _is_punctuation(token: str) -> bool:
    return not any(ch.isalnum() for ch in token)


def word_start(word: str, unlike: str = "") -> str:
    """A prefix of `word` that gives it away almost but not entirely: at least half of
    it, and at least one letter past what it shares with `unlike` (the wrong form)."""
    if len(word) <= 1:
        return ""
    shared = 0
    for x, y in zip(word.casefold(), unlike.casefold(), strict=False):
        if x != y:
            break
        shared += 1
    size = max(shared + 1, math.ceil(len(word) / 2))
    return word[: min(size, len(word) - 1)]


def _size(word: str) -> str:
    return f"{len(word)} {'letters' if word.isalpha() else 'characters'}"


def _word_clue(word: str, unlike: str = "") -> str:
    start = word_start(word, unlike)
    if not start:
        return f"a {len(word)}-letter word"
    return f'a word that starts with "{start}…" ({_size(word)})'


def _mark(token: str, article: str = "") -> str:
    name = _PUNCTUATION_NAMES.get(token)
    if name is None:
        return f'"{token}"'
    if not article:
        article = "an" if name[0] in "aeiou" else "a"
    return f"{article} {name}"


def _where(change: Change) -> str:
    if change.before is not None:
        return f'after "{change.before}"'
    if change.after is not None:
        return f'before "{change.after}"'
    return "to the sentence"


def _describe(change: Change, moved: dict[int, Change], index: int) -> str:
    if index in moved:
        target = moved[index]
        return f'Move "{_phrase(change.wrong)}" {_where(target)}.'
    wrong, right = change.wrong, change.right
    if not right:
        if len(wrong) == 1 and _is_punctuation(wrong[0]):
            return f"Remove {_mark(wrong[0], 'the')} {_where(change)}."
        return f'Remove "{_phrase(wrong)}".'
    if len(right) == 1 and _is_punctuation(right[0]):
        what = _mark(right[0])
        if not wrong:
            return f"Add {what} {_where(change)}."
        return f'Replace "{_phrase(wrong)}" with {what}.'
    if len(right) == 1:
        clue = _word_clue(right[0], wrong[0] if len(wrong) == 1 else "")
        if not wrong:
            return f"Add {clue} {_where(change)}."
        return f'Replace "{_phrase(wrong)}" with {clue}.'
    if not wrong:
        count = sum(1 for t in right if not _is_punctuation(t))
        words = "a word" if count == 1 else f"{count} words"
        return f'Add {words} {_where(change)}, starting with "{right[0]}".'
    return f'Replace "{_phrase(wrong)}": the corrected part starts with "{right[0]}".'


def correction_hint(wrong: str, right: str) -> str:
    """The almost-the-answer hint for correcting `wrong` into `right`."""
    found = changes(wrong, right)
    if not found:
        raise ValueError(f"no difference between {wrong!r} and {right!r}")
    # A word deleted in one place and inserted in another was moved: say so once.
    moved: dict[int, Change] = {}
    skip: set[int] = set()
    for i, c in enumerate(found):
        if c.right or i in skip:
            continue
        for j, d in enumerate(found):
            if (
                j != i
                and not d.wrong
                and [t.casefold() for t in d.right] == [t.casefold() for t in c.wrong]
            ):
                moved[i] = d
                skip.add(j)
                break
    steps = [_describe(c, moved, i) for i, c in enumerate(found) if i not in skip]
    if len(steps) == 1:
        return steps[0]
    first = steps[0][0].lower() + steps[0][1:]
    return f"There are {len(steps)} things to fix. The first: {first}"


def final_hint(kind: str, answer: str, *, choices: tuple[str, ...] = (), wrong: str = "") -> str:
    """The last, almost-the-answer hint of an exercise, true of its expected answer."""
    if kind == EC:
        return correction_hint(wrong, answer)
    if kind == MC:
        other = next(c for c in choices if c != answer)
        pair = [c for c in choices if c in (answer, other)]
        end = "" if pair[1][-1:] in ".?!" else "."
        return f'It is either "{pair[0]}" or "{pair[1]}"{end}'
    words = answer.split()
    if kind == SR:
        shown = min(len(words) - 1, math.ceil(len(words) / 2))
        return f'It starts with "{" ".join(words[:shown])} …"'
    if len(words) == 1:
        start = word_start(answer)
        if not start:
            return "It is a one-letter word."
        return f'It starts with "{start}…" and has {_size(answer)}.'
    return f'It is {len(words)} words; the first is "{words[0]}".'

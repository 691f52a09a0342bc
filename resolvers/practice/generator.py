"""Exercise generation aimed at each learner's weakest spots.

Planning (which targets, how many each, how hard) is ours; writing the exercises is the
provider's. The provider interface is one method, so an LLM-backed generator can be
plugged in with EXERCISE_GENERATOR=package.module:factory; the built-in one draws from the
curated bank and from the learner's own corrected sentences.
"""

from __future__ import annotations

import hashlib
import importlib
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from models.documents import utcnow
from resolvers.practice.bank import BankItem, bank_for
from resolvers.practice.hints import EC, changes, correction_hint
from resolvers.practice.skills import MASTERED_ABILITY, choose_difficulty, prior
from resolvers.taxonomy import pairs_for

# What a learner with no recorded errors practises first, by level.
STARTER_TARGETS = {
    "beginner": [
        ("Grammar", "Subject-Verb Agreement"),
        ("Grammar", "Articles"),
        ("Grammar", "Verb Tense"),
        ("Word Order", "Questions"),
        ("Grammar", "Plurals"),
        ("Grammar", "Prepositions"),
    ],
    "advanced": [
        ("Grammar", "Verb Tense"),
        ("Vocabulary", "Collocations"),
        ("Vocabulary", "False Friends"),
        ("Punctuation", "Commas"),
        ("Grammar", "Prepositions"),
        ("Vocabulary", "Word Choice"),
    ],
}
MAX_TARGETS = 4
# Daily practice spreads over at least this many targets when the learner has few weak ones.
MIN_DAILY_TARGETS = 3
# Targets lighter than this fraction of the heaviest are not worth an exercise yet.
MIN_RELATIVE_WEIGHT = 0.1
RECENT_DAYS = 30


@dataclass(frozen=True, slots=True)
class Target:
    category: str
    subcategory: str
    weight: float


@dataclass(slots=True)
class Slot:
    target: Target
    count: int
    difficulty: int


@dataclass(slots=True)
class OwnSentence:
    message_id: str
    content: str
    excerpt: str
    correction: str
    explanation: str | None


@dataclass
class GenerationRequest:
    user_id: str
    level: str | None
    slots: list[Slot]
    recently_seen: dict[str, Any]  # bank_id -> when it was last given
    own_sentences: dict[tuple[str, str], list[OwnSentence]] = field(default_factory=dict)
    language: str = "English"  # the learner's target language: which bank to draw from


@dataclass
class ExerciseDraft:
    category: str
    subcategory: str
    type: str
    difficulty: int
    prompt: str
    answer: str
    accepted_answers: list[str]
    choices: list[str]
    explanation: str
    hints: list[str]
    source: str
    bank_id: str


class ExerciseGenerator(Protocol):
    async def generate(self, request: GenerationRequest) -> list[ExerciseDraft]: ...


def allocate(targets: list[Target], count: int) -> list[tuple[Target, int]]:
    """Spread `count` over the heaviest targets in proportion to weight (largest remainder),
    each chosen target getting at least one."""
    chosen = targets[: min(len(targets), count, MAX_TARGETS)]
    total = sum(t.weight for t in chosen) or 1.0
    exact = [count * t.weight / total for t in chosen]
    shares = [max(1, math.floor(x)) for x in exact]
    while sum(shares) > count:  # the minimum of one pushed us over: take from the largest
        shares[shares.index(max(shares))] -= 1
    order = sorted(range(len(chosen)), key=lambda i: exact[i] - math.floor(exact[i]), reverse=True)
    i = 0
    while sum(shares) < count:
        shares[order[i % len(order)]] += 1
        i += 1
    return [(t, n) for t, n in zip(chosen, shares, strict=True) if n > 0]


def starter_targets(
    level: str | None, category: str | None, language: str | None = None
) -> list[Target]:
    pool = STARTER_TARGETS["beginner" if (level or "B1") in ("A1", "A2", "B1") else "advanced"]
    pairs = [p for p in pool if category is None or p[0] == category]
    pairs += [
        p for p in pairs_for(language) if p not in pairs and (category is None or p[0] == category)
    ]
    # Equal weights decreasing gently, so the level-appropriate ones come first.
    return [Target(c, s, 1.0 - i * 0.01) for i, (c, s) in enumerate(pairs)]


class BankGenerator:
    """Built-in generator: the curated bank plus error-correction from the learner's own words."""

    def __init__(self) -> None:
        bank_for("English")  # loads and checks the whole bank now, not on a learner's request

    async def generate(self, request: GenerationRequest) -> list[ExerciseDraft]:
        drafts: list[ExerciseDraft] = []
        bank = bank_or_empty(request.language)
        for slot in request.slots:
            key = (slot.target.category, slot.target.subcategory)
            own = [
                s
                for s in request.own_sentences.get(key, [])
                if _own_id(s) not in request.recently_seen and changes(s.content, _corrected(s))
            ]
            picks: list[ExerciseDraft] = []
            if own:  # the learner's own sentence first: it is the most relevant practice
                picks.append(_from_own_sentence(own[0], slot))
            rng = random.Random(f"{request.user_id}:{key}:{utcnow().date()}")
            candidates = list(bank.get(key, ()))
            rng.shuffle(candidates)
            fresh = [i for i in candidates if i.id not in request.recently_seen]
            stale = sorted(
                (i for i in candidates if i.id in request.recently_seen),
                key=lambda i: request.recently_seen[i.id],
            )
            fresh.sort(key=lambda i: abs(i.difficulty - slot.difficulty))
            for item in (fresh + stale)[: max(0, slot.count - len(picks))]:
                picks.append(_from_bank(item))
            drafts.extend(picks[: slot.count])
        return drafts


def bank_or_empty(language: str) -> dict[tuple[str, str], tuple[BankItem, ...]]:
    """A language without built-in content yet gets only own-sentence exercises, never
    exercises in another language."""
    try:
        return bank_for(language)
    except KeyError:
        return {}


def _own_id(sentence: OwnSentence) -> str:
    digest = hashlib.sha1(f"{sentence.excerpt}\x1f{sentence.correction}".encode()).hexdigest()[:8]
    return f"msg:{sentence.message_id}:{digest}"


def _corrected(s: OwnSentence) -> str:
    return s.content.replace(s.excerpt, s.correction, 1)


def _from_own_sentence(s: OwnSentence, slot: Slot) -> ExerciseDraft:
    corrected = _corrected(s)
    return ExerciseDraft(
        category=slot.target.category,
        subcategory=slot.target.subcategory,
        type=EC,
        difficulty=slot.difficulty,
        prompt=f'Correct the mistake in something you wrote: "{s.content}"',
        answer=corrected,
        accepted_answers=[],
        choices=[],
        explanation=s.explanation or f'"{s.excerpt}" should be "{s.correction}".',
        hints=[f'The mistake is in "{s.excerpt}".', correction_hint(s.content, corrected)],
        source="own_sentence",
        bank_id=_own_id(s),
    )


def _from_bank(item: BankItem) -> ExerciseDraft:
    return ExerciseDraft(
        category=item.category,
        subcategory=item.subcategory,
        type=item.type,
        difficulty=item.difficulty,
        prompt=item.prompt,
        answer=item.answer,
        accepted_answers=list(item.accepted),
        choices=list(item.choices),
        explanation=item.explanation,
        hints=list(item.hints),
        source="bank",
        bank_id=item.id,
    )


def load_generator(spec: str) -> ExerciseGenerator:
    """'builtin', or 'package.module:factory' returning an ExerciseGenerator."""
    if spec in ("", "builtin"):
        return BankGenerator()
    module_name, _, attr = spec.partition(":")
    factory = getattr(importlib.import_module(module_name), attr or "create_generator")
    return factory()  # type: ignore[no-any-return]


def plan(
    stats_rows: list[dict[str, Any]],
    recent: list[dict[str, Any]],
    level: str | None,
    count: int,
    category: str | None,
    abilities: dict[tuple[str, str], float],
    seed: str,
    weakest_first: bool = False,
    language: str | None = None,
) -> list[Slot]:
    """Targets, how many exercises each, and how hard (from the learner's ability there).

    `weakest_first` (daily practice) ranks the targets the learner has met by ability,
    lowest first, instead of by recency-weighted error weight."""
    ranked = sorted(stats_rows, key=lambda r: (-r["weight"], -r["count"]))
    known_pairs = set(pairs_for(language))
    targets = [
        Target(r["category"], r["subcategory"], r["weight"])
        for r in ranked
        if (category is None or r["category"] == category)
        and (r["category"], r["subcategory"]) in known_pairs
        and r["weight"] > 1e-9
    ]
    if weakest_first:
        weak = sorted(
            (a, pair)
            for pair, a in abilities.items()
            if a < MASTERED_ABILITY and (category is None or pair[0] == category)
        )
        if weak:
            targets = [Target(c, s, 1.0 - a) for a, (c, s) in weak]
            if len(targets) < MIN_DAILY_TARGETS:
                # Few weak spots yet: add fresh level-appropriate ground, ranked after them.
                known = {(t.category, t.subcategory) for t in targets}
                lightest = targets[-1].weight
                extra = [
                    t
                    for t in starter_targets(level, category, language)
                    if (t.category, t.subcategory) not in known
                ]
                targets += [
                    Target(t.category, t.subcategory, lightest * 0.5)
                    for t in extra[: MIN_DAILY_TARGETS - len(targets)]
                ]
            return _slots(targets, count, abilities, level, seed)
    if targets:
        floor = targets[0].weight * MIN_RELATIVE_WEIGHT
        targets = [t for t in targets if t.weight >= floor]
    else:
        targets = starter_targets(level, category, language)
        # Rotate: targets practised least recently come first.
        practised = Counter((e["category"], e["subcategory"]) for e in recent)
        targets.sort(key=lambda t: practised[(t.category, t.subcategory)])
    return _slots(targets, count, abilities, level, seed)


def _slots(
    targets: list[Target],
    count: int,
    abilities: dict[tuple[str, str], float],
    level: str | None,
    seed: str,
) -> list[Slot]:
    base = prior(level)
    return [
        Slot(
            t,
            n,
            choose_difficulty(
                abilities.get((t.category, t.subcategory), base),
                f"{seed}:{t.category}:{t.subcategory}",
            ),
        )
        for t, n in allocate(targets, count)
    ]


def recent_cutoff() -> Any:
    return utcnow() - timedelta(days=RECENT_DAYS)

"""Skill levels: one ability in 0..1 per (category, subcategory), with a confidence.

The model (docs/learning.md "Skills" has a worked example):

* An exercise of difficulty d (1..5) sits at level b(d) = (d - 1) / 4 on the same 0..1
  scale as ability. A learner of ability a solves it at the first try with probability
  P(a, d) = 1 / (1 + exp(-SLOPE * (a - b(d)))).
* Each answer is evidence with a credit and a weight (CREDIT, WEIGHT): a first-attempt
  answer without a hint is full credit; one after a wrong attempt or with a hint is
  partial credit (it was not known outright, and a multiple choice's later attempts are
  partly elimination); a miss is none; a skip is a half-weight miss; an error in
  conversation is a half-weight miss at the level's own difficulty.
* Ability starts at a prior centred on the learner's CEFR level (PRIOR_BY_LEVEL, spread
  PRIOR_SD) and follows the evidence in time order: each answer moves it to the a that
  maximises -precision (a - a_before)^2 / 2 + w (c log P + (1 - c) log(1 - P)) (Newton's
  method), and adds what it told to the precision. Between answers that information fades
  with half-life HALF_LIFE_DAYS, never below the prior's, while the ability stays put: newer
  answers outweigh older ones, an idle skill's ability does not drift (neither up towards
  the prior nor anywhere else), and a right answer never lowers it, a miss never raises it.
* Confidence = n / (n + CONFIDENCE_K), n the evidence weights aged to *now*: it grows with
  answers and fades when the skill is idle, to 0 ("unsure"). The API exposes it.
* mastered: ability >= MASTERED_ABILITY, confidence >= MASTERED_CONFIDENCE and at least
  MASTERED_MIN_CLEAN first-attempt answers; struggling: ability STRUGGLING_MARGIN below the
  level's prior with some confidence. Guessing at a multiple choice cannot master a skill.
* trend = ability now - ability TREND_DAYS ago (from the evidence before then).

Skills are computed on read from the stored exercises and messages (two queries,
bounded by LOOKBACK_DAYS and MAX_EVIDENCE), so they need no rebuild after an import.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from models.db import Database
from resolvers.taxonomy import canonical, in_language

PRIOR_BY_LEVEL = {"A1": 0.2, "A2": 0.35, "B1": 0.5, "B2": 0.6, "C1": 0.75, "C2": 0.85}
DEFAULT_PRIOR = 0.5
SLOPE = 5.0
PRIOR_SD = 0.3
HALF_LIFE_DAYS = 30.0
CONFIDENCE_K = 3.0
TREND_DAYS = 14
TARGET_SUCCESS = 0.7
MASTERED_ABILITY = 0.8
MASTERED_CONFIDENCE = 0.5
MASTERED_MIN_CLEAN = 3
STRUGGLING_MARGIN = 0.1  # struggling: this far below the prior of the learner's level
STRUGGLING_CONFIDENCE = 0.25
NEWTON_STEPS = 40
LOOKBACK_DAYS = 180
MAX_EVIDENCE = 2_000
DAY_S = 86_400.0

# kind -> (credit, weight)
CREDIT = {
    "correct": 1.0,  # first attempt, no hint
    "hinted": 0.6,  # first attempt after a hint
    "later": 0.4,  # right after a wrong attempt
    "incorrect": 0.0,
    "skipped": 0.0,
    "error": 0.0,  # an error in conversation
}
WEIGHT = {"correct": 1.0, "hinted": 1.0, "later": 1.0, "incorrect": 1.0, "skipped": 0.5}
ERROR_WEIGHT = 0.5
# What `attempts` and `accuracy` count: exercises answered. A skip is evidence about the
# skill (a half-weight miss in the ability) but no answer, as progress's
# exercisesAttempted and me.exercises(status: COMPLETED) do not count it either: five
# skips are not "5 attempts, accuracy 0".
ANSWER_KINDS = frozenset(CREDIT) - {"error", "skipped"}


@dataclass(frozen=True, slots=True)
class Evidence:
    at: datetime
    category: str
    subcategory: str
    kind: str  # a key of CREDIT
    difficulty: int = 0


@dataclass(slots=True)
class Skill:
    category: str
    subcategory: str
    ability: float
    attempts: int
    correct: int  # first-attempt answers without a hint
    trend: float
    base: float  # the prior it started from
    confidence: float = 0.0

    @property
    def accuracy(self) -> float | None:
        """Share of answers right at the first attempt without a hint."""
        return round(self.correct / self.attempts, 4) if self.attempts else None

    @property
    def mastered(self) -> bool:
        return (
            self.ability >= MASTERED_ABILITY
            and self.confidence >= MASTERED_CONFIDENCE
            and self.correct >= MASTERED_MIN_CLEAN
        )

    @property
    def struggling(self) -> bool:
        return (
            self.ability <= self.base - STRUGGLING_MARGIN
            and self.confidence >= STRUGGLING_CONFIDENCE
        )


def prior(level: str | None) -> float:
    return PRIOR_BY_LEVEL.get(level or "", DEFAULT_PRIOR)


def item_level(difficulty: int) -> float:
    return (max(1, min(5, difficulty)) - 1) / 4


def p_correct(ability: float, difficulty: int) -> float:
    return p_at_level(ability, item_level(difficulty))


def p_at_level(ability: float, level: float) -> float:
    """P(a, d) with d's item level already worked out (the estimate's inner loop)."""
    return 1.0 / (1.0 + math.exp(-SLOPE * (ability - level)))


def _age_factor(at: datetime, ref: datetime) -> float:
    days = max(0.0, (ref - at).total_seconds() / DAY_S)
    return float(2.0 ** (-days / HALF_LIFE_DAYS))


def level_difficulty(base: float) -> int:
    """The difficulty whose item level is nearest the prior: where a conversation error counts."""
    return min(range(1, 6), key=lambda d: abs(item_level(d) - base))


def _weight(e: Evidence) -> float:
    """How much one piece of evidence counts, in the ability and in the confidence."""
    return ERROR_WEIGHT if e.kind == "error" else WEIGHT.get(e.kind, 1.0)


def _term(e: Evidence, error_level: float) -> tuple[float, float, float]:
    """(credit, weight, item level) of one piece of evidence."""
    level = error_level if e.kind == "error" else item_level(e.difficulty)
    return CREDIT.get(e.kind, 0.0), _weight(e), level


def _mode(mean: float, precision: float, credit: float, weight: float, level: float) -> float:
    """The a maximising -precision (a - mean)^2 / 2 + w (c log P + (1 - c) log(1 - P)):
    concave, so Newton's method from the mean, clamped to 0..1. Its gradient at the mean,
    w SLOPE (c - P(mean)), has the sign of the move: a right answer never lowers the
    ability, a miss never raises it."""
    a = mean
    for _ in range(NEWTON_STEPS):
        p = p_at_level(a, level)
        grad = -(a - mean) * precision + weight * SLOPE * (credit - p)
        curve = -precision - weight * SLOPE * SLOPE * p * (1 - p)
        step = grad / curve
        a = min(1.0, max(0.0, a - step))
        if abs(step) < 1e-9:
            break
    return a


def estimate(evidence: list[Evidence], base: float) -> float:
    """The ability after the evidence, taken in time order from the level's prior.

    Each answer updates a belief (a most likely ability and a precision): the new ability
    is the most likely one given the belief and that answer, and the precision grows by
    what the answer told (Laplace's approximation). Between answers what earlier answers
    told fades with HALF_LIFE_DAYS, down to the prior's own precision but never below, and
    the most likely ability stays where it was. So newer answers outweigh older ones, an
    idle skill does not drift, an answer after a pause moves the ability more (but no
    more than a first answer would), and every answer moves it its own way. (Before, all
    evidence was weighed at once, aged against the latest and shrunk towards the prior: a
    month off, then a right answer, read *lower* than before it, a miss higher.)"""
    floor = 1.0 / PRIOR_SD**2
    error_level = item_level(level_difficulty(base))
    a, precision = base, floor
    last: datetime | None = None
    for e in sorted(evidence, key=lambda e: e.at):
        if last is not None:
            precision = floor + (precision - floor) * _age_factor(last, e.at)
        last = e.at
        credit, weight, level = _term(e, error_level)
        a = _mode(a, precision, credit, weight, level)
        p = p_at_level(a, level)
        precision += weight * SLOPE * SLOPE * p * (1 - p)
    return a


def confidence(evidence: list[Evidence], at: datetime) -> float:
    n = sum(_weight(e) * _age_factor(e.at, at) for e in evidence if e.at <= at)
    return n / (n + CONFIDENCE_K)


def replay(evidence: list[Evidence], base: float, at: datetime) -> float:
    """Ability at `at` from the evidence before it."""
    return estimate([e for e in evidence if e.at <= at], base)


def skills_from(evidence: list[Evidence], level: str | None, now: datetime) -> list[Skill]:
    """One Skill per (category, subcategory) met, weakest first."""
    base = prior(level)
    by_target: dict[tuple[str, str], list[Evidence]] = defaultdict(list)
    for e in sorted(evidence, key=lambda e: e.at):
        by_target[(e.category, e.subcategory)].append(e)
    out = []
    for (category, subcategory), items in by_target.items():
        answers = [e for e in items if e.kind in ANSWER_KINDS]
        ability = replay(items, base, now)
        before = replay(items, base, now - timedelta(days=TREND_DAYS))
        out.append(
            Skill(
                category=category,
                subcategory=subcategory,
                ability=round(ability, 4),
                attempts=len(answers),
                correct=sum(1 for e in answers if e.kind == "correct"),
                trend=round(ability - before, 4),
                base=base,
                confidence=round(confidence(items, now), 4),
            )
        )
    return sorted(out, key=lambda s: (s.ability, s.category, s.subcategory))


def answer_kind(doc: dict[str, object]) -> str | None:
    """What a finished exercise says about the skill (a key of CREDIT), or None."""
    outcome = doc.get("outcome") or ("correct" if doc.get("correct") else "incorrect")
    if doc.get("status") == "skipped" or outcome == "skipped":
        return "skipped"
    if outcome == "incorrect":
        return "incorrect"
    if outcome != "correct":
        return None
    if int(doc.get("attempts") or 1) > 1:  # type: ignore[call-overload]
        return "later"
    if int(doc.get("hints_used") or 0) > 0:  # type: ignore[call-overload]
        return "hinted"
    return "correct"


def choose_difficulty(ability: float, seed: str) -> int:
    """The difficulty that makes success likely at TARGET_SUCCESS on average.

    Between the two neighbouring difficulties whose success chances bracket the target,
    the harder one is picked with the probability that makes the expected success rate
    exactly TARGET_SUCCESS; `seed` makes the pick repeatable (one learner, day, target).
    """
    chances = [p_correct(ability, d) for d in range(1, 6)]
    if chances[0] <= TARGET_SUCCESS:
        return 1
    if chances[-1] >= TARGET_SUCCESS:
        return 5
    d = next(i for i in range(1, 5) if chances[i] < TARGET_SUCCESS)  # index of the harder
    easy, hard = chances[d - 1], chances[d]
    harder_share = (easy - TARGET_SUCCESS) / (easy - hard)
    u = int(hashlib.sha1(seed.encode()).hexdigest()[:8], 16) / 0x1_0000_0000
    return d + 1 if u < harder_share else d


async def load_evidence(
    db: Database, user_id: str, now: datetime, language: str | None = None
) -> list[Evidence]:
    """Finished exercises and conversation errors of the last LOOKBACK_DAYS (two queries).

    `language`: only the evidence of that language. A learner who switched from Spanish to
    German has a German ability to estimate; their Spanish answers say little about it
    (and Spanish-only skills such as Ser and Estar are none of German's). A message with
    no language recorded (older data) counts for whichever language is asked."""
    since = now - timedelta(days=LOOKBACK_DAYS)
    evidence: list[Evidence] = []
    exercise_language: dict[str, Any] = {} if language is None else in_language(language)
    message_language: dict[str, Any] = (
        {} if language is None else {"language": {"$in": [language, None]}}
    )
    exercises = db.exercises.find(
        {
            "user_id": user_id,
            "status": {"$in": ["completed", "skipped"]},
            "completed_at": {"$gte": since},
            **exercise_language,
        },
        {
            "category": 1,
            "subcategory": 1,
            "difficulty": 1,
            "status": 1,
            "outcome": 1,
            "correct": 1,
            "attempts": 1,
            "hints_used": 1,
            "completed_at": 1,
        },
    )
    async for doc in exercises.sort([("completed_at", -1)]).limit(MAX_EVIDENCE):
        kind = answer_kind(doc)
        if kind is not None:
            evidence.append(
                Evidence(
                    doc["completed_at"],
                    doc["category"],
                    doc["subcategory"],
                    kind,
                    int(doc.get("difficulty") or 1),
                )
            )
    messages = db.messages.find(
        # `errors.0` exists: the partial index `user_errors` holds exactly these.
        {
            "user_id": user_id,
            "role": "user",
            "timestamp": {"$gte": since},
            "errors.0": {"$exists": True},
            **message_language,
        },
        {"timestamp": 1, "errors.category": 1, "errors.subcategory": 1},
    )
    async for doc in messages.sort([("timestamp", -1)]).limit(MAX_EVIDENCE):
        for err in doc.get("errors") or []:
            pair = canonical(err.get("category", ""), err.get("subcategory", ""), any_language=True)
            if pair is not None:
                evidence.append(Evidence(doc["timestamp"], pair[0], pair[1], "error"))
    return evidence

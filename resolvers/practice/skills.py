"""Skill levels: one ability in 0..1 per (category, subcategory), from outcomes and errors.

The model (README "Learning > Skills" has a worked example):

* An exercise of difficulty d (1..5) sits at level b(d) = (d - 1) / 4 on the same 0..1
  scale as ability. A learner of ability a solves it with probability
  P(a, d) = 1 / (1 + exp(-SLOPE * (a - b(d)))).
* Abilities start at the prior of the learner's CEFR level (PRIOR_BY_LEVEL).
* A finished exercise moves ability by LEARNING_RATE * (y - P(a, d)), y = 1 if correct:
  an expected success moves it little, a surprise a lot (an Elo-style update).
* An error in conversation takes ERROR_RATE of the current ability away.
* Recency: between two pieces of evidence, and up to now, ability relaxes towards the
  prior with half-life HALF_LIFE_DAYS, so old evidence fades.
* trend = ability now - ability TREND_DAYS ago (from the evidence before then).
* mastered: ability >= MASTERED_ABILITY over at least MASTERED_MIN_ATTEMPTS exercises;
  struggling: ability at least STRUGGLING_MARGIN below the level's prior (doing worse
  than a learner of that level is expected to).

Skills are computed on read from the stored exercises and messages (two queries,
bounded by LOOKBACK_DAYS and MAX_EVIDENCE), so they need no rebuild after an import.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from models.db import Database
from resolvers.taxonomy import canonical

PRIOR_BY_LEVEL = {"A1": 0.2, "A2": 0.35, "B1": 0.5, "B2": 0.6, "C1": 0.75, "C2": 0.85}
DEFAULT_PRIOR = 0.5
SLOPE = 5.0
LEARNING_RATE = 0.15
ERROR_RATE = 0.05
HALF_LIFE_DAYS = 30.0
TREND_DAYS = 14
TARGET_SUCCESS = 0.7
MASTERED_ABILITY = 0.8
MASTERED_MIN_ATTEMPTS = 3
STRUGGLING_MARGIN = 0.1  # struggling: this far below the prior of the learner's level
LOOKBACK_DAYS = 180
MAX_EVIDENCE = 2_000
DAY_S = 86_400.0


@dataclass(frozen=True, slots=True)
class Evidence:
    at: datetime
    category: str
    subcategory: str
    kind: str  # "correct" | "incorrect" | "error"
    difficulty: int = 0


@dataclass(slots=True)
class Skill:
    category: str
    subcategory: str
    ability: float
    attempts: int
    correct: int
    trend: float
    base: float  # the prior it started from

    @property
    def accuracy(self) -> float | None:
        return round(self.correct / self.attempts, 4) if self.attempts else None

    @property
    def mastered(self) -> bool:
        return self.ability >= MASTERED_ABILITY and self.attempts >= MASTERED_MIN_ATTEMPTS

    @property
    def struggling(self) -> bool:
        return self.ability <= self.base - STRUGGLING_MARGIN


def prior(level: str | None) -> float:
    return PRIOR_BY_LEVEL.get(level or "", DEFAULT_PRIOR)


def item_level(difficulty: int) -> float:
    return (max(1, min(5, difficulty)) - 1) / 4


def p_correct(ability: float, difficulty: int) -> float:
    return 1.0 / (1.0 + math.exp(-SLOPE * (ability - item_level(difficulty))))


def relax(ability: float, base: float, elapsed: timedelta) -> float:
    days = max(0.0, elapsed.total_seconds() / DAY_S)
    return base + (ability - base) * 2.0 ** (-days / HALF_LIFE_DAYS)


def replay(evidence: list[Evidence], base: float, at: datetime) -> float:
    """Ability at `at` from the evidence before it (sorted by time)."""
    ability, last = base, None
    for e in evidence:
        if e.at > at:
            break
        if last is not None:
            ability = relax(ability, base, e.at - last)
        if e.kind == "error":
            ability -= ERROR_RATE * ability
        else:
            y = 1.0 if e.kind == "correct" else 0.0
            ability += LEARNING_RATE * (y - p_correct(ability, e.difficulty))
        ability = min(1.0, max(0.0, ability))
        last = e.at
    if last is not None:
        ability = relax(ability, base, at - last)
    return ability


def skills_from(evidence: list[Evidence], level: str | None, now: datetime) -> list[Skill]:
    """One Skill per (category, subcategory) met, weakest first."""
    base = prior(level)
    by_target: dict[tuple[str, str], list[Evidence]] = defaultdict(list)
    for e in sorted(evidence, key=lambda e: e.at):
        by_target[(e.category, e.subcategory)].append(e)
    out = []
    for (category, subcategory), items in by_target.items():
        finished = [e for e in items if e.kind != "error"]
        ability = replay(items, base, now)
        before = replay(items, base, now - timedelta(days=TREND_DAYS))
        out.append(
            Skill(
                category=category,
                subcategory=subcategory,
                ability=round(ability, 4),
                attempts=len(finished),
                correct=sum(1 for e in finished if e.kind == "correct"),
                trend=round(ability - before, 4),
                base=base,
            )
        )
    return sorted(out, key=lambda s: (s.ability, s.category, s.subcategory))


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


async def load_evidence(db: Database, user_id: str, now: datetime) -> list[Evidence]:
    """Finished exercises and conversation errors of the last LOOKBACK_DAYS (two queries)."""
    since = now - timedelta(days=LOOKBACK_DAYS)
    evidence: list[Evidence] = []
    exercises = db.exercises.find(
        {"user_id": user_id, "status": "completed", "completed_at": {"$gte": since}},
        {
            "category": 1,
            "subcategory": 1,
            "difficulty": 1,
            "outcome": 1,
            "correct": 1,
            "completed_at": 1,
        },
    )
    async for doc in exercises.sort([("completed_at", -1)]).limit(MAX_EVIDENCE):
        outcome = doc.get("outcome") or ("correct" if doc.get("correct") else "incorrect")
        if outcome in ("correct", "incorrect"):
            evidence.append(
                Evidence(
                    doc["completed_at"],
                    doc["category"],
                    doc["subcategory"],
                    outcome,
                    int(doc.get("difficulty") or 1),
                )
            )
    messages = db.messages.find(
        {"user_id": user_id, "role": "user", "timestamp": {"$gte": since}, "errors": {"$ne": []}},
        {"timestamp": 1, "errors.category": 1, "errors.subcategory": 1},
    )
    async for doc in messages.sort([("timestamp", -1)]).limit(MAX_EVIDENCE):
        for err in doc.get("errors") or []:
            pair = canonical(err.get("category", ""), err.get("subcategory", ""), any_language=True)
            if pair is not None:
                evidence.append(Evidence(doc["timestamp"], pair[0], pair[1], "error"))
    return evidence

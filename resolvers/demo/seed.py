"""Realistic demo data: learners of English, Spanish and German, their tutoring sessions
and their practice over the last four weeks.

Below the gateway so that the app's embedded database (SEED_DEMO_DATA) and the operator's
`python -m scripts.seed` both seed with it, and the app imports nothing from scripts/.
Deterministic for a given seed (dates are relative to now). Conversations come from the
hand-written corpus in resolvers/demo/corpus: each session has a topic, the learner's
utterances are about it and carry the mistakes a tutor would flag, biased towards the
learner's own weak spots, and every tutor reply names the correction or moves the topic
on. Exercises come from the exercise bank in the learner's target language and are
answered day by day through the real spaced-review schedule, so progress, skills, streaks
and the review queue show something at once. Some replies are rated. Derived collections
(error_stats, cost_daily, cost_totals) are rebuilt from the messages afterwards.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from tqdm import tqdm

from models.db import Database
from models.enums import CEFR_LEVELS
from resolvers.demo.corpus import load_corpus
from resolvers.demo.corpus.common import (
    MODELS,
    NATIVES,
    NO_TIME_ZONE_SHARE,
    TARGET_SHARES,
    TOPICS,
)
from resolvers.demo.corpus.model import LanguageCorpus, Pair, U
from resolvers.demo.corpus.tutor import Deck, Tutor
from resolvers.localtime import local_date, start_of, zone
from resolvers.practice.attempts import max_attempts
from resolvers.practice.bank import Bank, BankItem, bank_for
from resolvers.practice.schedule import (
    card_doc,
    new_card,
    on_its_day,
    rating_for,
    review_card,
    review_doc,
)
from resolvers.pricing import Pricing, load_pricing
from resolvers.rebuild import (
    rebuild_cost_daily,
    rebuild_cost_dims,
    rebuild_cost_totals,
    rebuild_error_stats,
    rebuild_provider_daily,
)

ADMIN_EMAIL = "admin@example.com"
ERROR_RATE_BY_LEVEL = {"A1": 0.75, "A2": 0.6, "B1": 0.45, "B2": 0.35, "C1": 0.2, "C2": 0.1}
# The bank difficulty (1-5) a learner of each level mostly practises at.
LEVEL_DIFFICULTY = {"A1": 1, "A2": 2, "B1": 3, "B2": 3, "C1": 4, "C2": 5}
PRACTICE_DAYS = 28  # exercise history reaches this far back
SESSION_HISTORY_DAYS = (24.0, 40.0)  # a learner's first session starts this many days ago
TURNS_PER_SESSION = (3, 10)  # learner utterances, each answered by the tutor
WEAK_SPOTS = 3  # (category, subcategory) pairs each learner struggles with
PREFER_WEAK = 0.65  # share of a learner's mistakes that fall on their weak spots
REVIEWS_PER_DAY = 6  # due reviews a learner works through before new exercises
NEW_PER_DAY = (2, 5)
SKIP_SHARE = 0.06
LATEST_BEFORE_NOW = timedelta(minutes=6)  # a seeded answer never lies in the future
# (share of learners, chance of practising on a given day)
ENGAGEMENT = ((0.2, 0.0), (0.3, 0.3), (0.3, 0.55), (0.2, 0.8))
DEMO_LEARNER_STREAK = 6  # learner 1 (whose token `make run` prints) practised these last days
DEMO_DUE_REVIEWS = 3  # reviews learner 1 has due whenever the demo starts
NEVER_RATES = 0.4  # share of learners who never rate a reply
RATING_SHARE = (0.1, 0.35)  # how often the others rate
RATING_COMMENT_SHARE = 0.15
# Letters NFKD does not reduce to ASCII (dotless i, Polish l, sharp s, Danish o).
_ASCII = str.maketrans({"\u0131": "i", "\u0142": "l", "\u0141": "L", "\u00df": "ss", "\u00f8": "o"})


@dataclass
class SeedSummary:
    admin_id: str = ""
    admin_email: str = ADMIN_EMAIL
    learner_id: str = ""
    learner_email: str = ""
    # The first FREE-tier learner after learner 1 (none when every learner pays), so local
    # development can try the FREE tier's budgets without a MongoDB server.
    free_learner_id: str = ""
    free_learner_email: str = ""
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class _Learner:
    doc: dict[str, Any]
    corpus: LanguageCorpus
    weak: list[Pair]
    rating_share: float


def _id(rng: random.Random) -> str:
    return str(UUID(int=rng.getrandbits(128), version=4))


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    names = list(weights)
    return rng.choices(names, [weights[n] for n in names])[0]


def _email_part(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name.translate(_ASCII))
    return folded.encode("ascii", "ignore").decode().lower()


class _Utterances:
    """Per (language, topic) decks, so a seed uses every sentence before repeating one."""

    def __init__(self, corpora: dict[str, LanguageCorpus], rng: random.Random) -> None:
        self._errors = {
            (lang, topic): Deck(rows, rng)
            for lang, c in corpora.items()
            for topic, rows in c.utterances.items()
        }
        self._clean = {
            (lang, topic): Deck(rows, rng)
            for lang, c in corpora.items()
            for topic, rows in c.clean.items()
        }

    def pick(
        self, rng: random.Random, learner: _Learner, topic: str, with_error: bool, said: set[str]
    ) -> U:
        """A sentence on `topic` not yet said in this session, if the topic has one left."""
        key = (learner.corpus.language, topic)
        native = learner.doc["native_language"]
        deck = self._errors[key] if with_error else self._clean[key]
        found = None
        if with_error and rng.random() < PREFER_WEAK:
            found = deck.draw(
                lambda u: (
                    u.text not in said
                    and u.suits(native)
                    and any(e.pair in learner.weak for e in u.errors)
                )
            )
        found = (
            found
            or deck.draw(lambda u: u.text not in said and u.suits(native))
            or deck.draw(lambda u: u.text not in said)
            or deck.draw()
        )
        assert found is not None
        return found


def _learner(
    rng: random.Random, i: int, now: datetime, corpora: dict[str, LanguageCorpus]
) -> _Learner:
    # The first three learners cover every target language; learner 1 is the demo account.
    languages = list(TARGET_SHARES)
    target = languages[i - 1] if i <= len(languages) else _weighted(rng, TARGET_SHARES)
    corpus = corpora[target]
    native = _weighted(rng, corpus.natives)
    profile = NATIVES[native]
    first, last = rng.choice(profile.first), rng.choice(profile.last)
    doc: dict[str, Any] = {
        "_id": _id(rng),
        "email": f"{_email_part(first)}.{_email_part(last)}.{i}@example.com",
        "name": f"{first} {last}",
        "role": "user",
        "subscription_tier": rng.choices(["free", "pro", "premium"], [0.6, 0.3, 0.1])[0],
        "native_language": native,
        "target_language": target,
        "level": "B1" if i == 1 else rng.choice(CEFR_LEVELS),
        "learning_preferences": {"topics": rng.sample(TOPICS, 2)},
        "created_at": now - timedelta(days=rng.randint(45, 365), minutes=i),
        "total_sessions": 0,
        "streak_days": 0,
    }
    if i == 1 or rng.random() >= NO_TIME_ZONE_SHARE:
        doc["time_zone"] = rng.choice(profile.zones)
    pairs = sorted({e.pair for rows in corpus.utterances.values() for u in rows for e in u.errors})
    rates = 0.0 if rng.random() < NEVER_RATES else rng.uniform(*RATING_SHARE)
    return _Learner(doc, corpus, rng.sample(pairs, WEAK_SPOTS), rates)


def _message(
    rng: random.Random, session: dict[str, Any], role: str, content: str, ts: datetime, **extra: Any
) -> dict[str, Any]:
    return {
        "_id": _id(rng),
        "session_id": session["_id"],
        "user_id": session["user_id"],
        "role": role,
        "content": content,
        "timestamp": ts,
        "provider": extra.get("provider"),
        "model": extra.get("model"),
        "tokens_in": extra.get("tokens_in"),
        "tokens_out": extra.get("tokens_out"),
        "cost": extra.get("cost"),
        "response_time_ms": extra.get("response_time_ms"),
        "errors": extra.get("errors", []),
        "language": extra.get("language"),
        "idempotency_key": None,
        "applied": True,
        "topic": session["topic"],
        "tier": session["_tier"],
    }


def _reply(
    rng: random.Random,
    learner: _Learner,
    session: dict[str, Any],
    text: str,
    ts: datetime,
    pricing: Pricing,
    corrected: bool,
) -> dict[str, Any]:
    provider, model = session["provider"], session["_model"]
    tokens_in, tokens_out = rng.randint(150, 1200), rng.randint(40, 400)
    reply = _message(
        rng,
        session,
        "assistant",
        text,
        ts,
        provider=provider,
        model=model,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        response_time_ms=int(rng.lognormvariate(7.0, 0.5)),
        cost=pricing.cost(provider, model, tokens_in, tokens_out),
    )
    if rng.random() < learner.rating_share:
        reply.update(_rating(rng, learner, corrected))
        reply["rated_at"] = ts + timedelta(seconds=rng.randint(5, 600))
    return reply


def _rating(rng: random.Random, learner: _Learner, corrected: bool) -> dict[str, Any]:
    """Learners rate corrections a little higher than chit-chat; helpful follows the stars."""
    weights = [4, 6, 12, 33, 45] if corrected else [4, 8, 20, 38, 30]
    rating = rng.choices([1, 2, 3, 4, 5], weights)[0]
    helpful_chance = {1: 0.05, 2: 0.15, 3: 0.5, 4: 0.9, 5: 0.97}[rating]
    fields: dict[str, Any] = {"rating": rating, "helpful": rng.random() < helpful_chance}
    if rng.random() < RATING_COMMENT_SHARE:
        fields["rating_comment"] = rng.choice(learner.corpus.rating_comments)
    return fields


def _conversation(
    rng: random.Random,
    learner: _Learner,
    session: dict[str, Any],
    tutor: Tutor,
    utterances: _Utterances,
    pricing: Pricing,
) -> list[dict[str, Any]]:
    topic = session["topic"]
    language = learner.corpus.language  # the sentences' language, as recordMessage stores it
    first_name = learner.doc["name"].split()[0]
    ts: datetime = session["started_at"]
    messages = [_reply(rng, learner, session, tutor.opener(first_name, topic), ts, pricing, False)]
    error_rate = ERROR_RATE_BY_LEVEL[learner.doc["level"]]
    said: set[str] = set()
    retry_of: U | None = None
    for _turn in range(rng.randint(*TURNS_PER_SESSION)):
        ts += timedelta(seconds=rng.randint(20, 120))
        if retry_of is not None:  # asked to try again, the learner says it right
            utterance = U(retry_of.corrected)
        else:
            utterance = utterances.pick(rng, learner, topic, rng.random() < error_rate, said)
        said.add(utterance.text)
        errors = [e.as_document() for e in utterance.errors]
        messages.append(
            _message(rng, session, "user", utterance.text, ts, errors=errors, language=language)
        )
        ts += timedelta(milliseconds=rng.randint(400, 4000))
        text, asked_retry = tutor.reply(utterance, topic)
        retry_of = utterance if asked_retry else None
        messages.append(_reply(rng, learner, session, text, ts, pricing, bool(errors)))
    return messages


def _sessions(
    rng: random.Random,
    learner: _Learner,
    now: datetime,
    tutor: Tutor,
    utterances: _Utterances,
    pricing: Pricing,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    user = learner.doc
    sessions: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    start = now - timedelta(days=rng.uniform(*SESSION_HISTORY_DAYS))
    favourites = user["learning_preferences"]["topics"]
    for _s in range(rng.randint(3, 10)):
        start += timedelta(days=rng.uniform(0.5, 5), minutes=rng.randint(0, 600))
        if start > now - timedelta(hours=1):
            break
        provider, model, _share = rng.choices(MODELS, [m[2] for m in MODELS])[0]
        session = {
            "_id": _id(rng),
            "user_id": user["_id"],
            "started_at": start,
            "ended_at": None,
            "topic": rng.choice(favourites) if rng.random() < 0.6 else rng.choice(TOPICS),
            "provider": provider,
            "_model": model,
            "_tier": user["subscription_tier"],
            "status": "completed",
        }
        convo = _conversation(rng, learner, session, tutor, utterances, pricing)
        last = convo[-1]["timestamp"]
        timed = [m["response_time_ms"] for m in convo if m["response_time_ms"] is not None]
        session.update(
            ended_at=last + timedelta(seconds=30),
            total_messages=len(convo),
            total_tokens=sum((m["tokens_in"] or 0) + (m["tokens_out"] or 0) for m in convo),
            total_cost=round(sum(m["cost"] or 0 for m in convo), 10),
            response_time_sum_ms=sum(timed),
            response_time_count=len(timed),
        )
        session.pop("_model")
        session.pop("_tier")
        sessions.append(session)
        messages.extend(convo)
        user["last_active"] = max(user.get("last_active") or last, last)
    if sessions and rng.random() < 0.3:  # some learners are mid-conversation right now
        sessions[-1]["status"], sessions[-1]["ended_at"] = "active", None
    return sessions, messages


class _Practice:
    """One learner's exercises, answered day by day through the real review schedule."""

    def __init__(self, rng: random.Random, learner: _Learner, bank: Bank, now: datetime) -> None:
        self.rng, self.learner, self.bank, self.now = rng, learner, bank, now
        self.level = learner.doc["level"]
        self.docs: list[dict[str, Any]] = []
        self.reviews: list[dict[str, Any]] = []  # pending review copies, oldest due first
        self.used: set[str] = set()
        self.cards: dict[tuple[str, str], tuple[Any, int, datetime]] = {}  # FSRS per skill

    def card_docs(self) -> list[dict[str, Any]]:
        uid = self.learner.doc["_id"]
        return [
            card_doc(uid, category, subcategory, card, reps, at)
            for (category, subcategory), (card, reps, at) in self.cards.items()
        ]

    def run(self, engagement: float, demo: bool) -> list[dict[str, Any]]:
        if not self.bank:
            return []
        tz = zone(self.learner.doc.get("time_zone"))
        today = local_date(self.now, tz)
        for back in range(PRACTICE_DAYS - 1, -1, -1):
            practises = self.rng.random() < engagement
            if demo and back < DEMO_LEARNER_STREAK:
                practises = True
            day = today - timedelta(days=back)
            when = self._time_on(day, tz)
            if practises and when is not None:
                # The demo learner leaves today's due reviews for the demo itself, so its
                # review queue shows something whatever the bank's content draws.
                reviews = not (demo and back == 0)
                self._practise_day(when, progress=1 - back / PRACTICE_DAYS, reviews=reviews)
        if demo:
            self._due_by_now()
        if engagement > 0:  # today's exercises, generated and not yet answered
            for _ in range(self.rng.randint(0, 2)):
                when = self.now - timedelta(minutes=self.rng.randint(5, 240))
                self.docs.append(self._new_exercise(when))
        return self.docs + self.reviews

    def _due_by_now(self) -> None:
        """A review falls due at the time of day its skill was last practised: the demo
        learner (America/Lima, practising in the local afternoon) had nothing due from
        01:00 to 13:00 local, so `make run` in a European morning showed an empty review
        queue. When nothing is due yet, the first DEMO_DUE_REVIEWS pending reviews are
        brought forward to an hour ago (never before they were scheduled), as a learner's
        queue looks the morning after a missed day."""
        pending = sorted(self.reviews, key=lambda r: r["due_at"])
        if not pending or pending[0]["due_at"] <= self.now:
            return
        for review in pending[:DEMO_DUE_REVIEWS]:
            review["due_at"] = max(review["created_at"], self.now - timedelta(hours=1))

    def _time_on(self, day: date, tz: Any) -> datetime | None:
        """A plausible local time of day to practise, never in the future."""
        midnight = start_of(day, tz)
        when = midnight + timedelta(hours=self.rng.uniform(7, 21.5))
        latest = self.now - timedelta(hours=1)
        if when <= latest:
            return when
        return latest if latest > midnight else None

    def _practise_day(self, when: datetime, progress: float, reviews: bool = True) -> None:
        due = sorted((r for r in self.reviews if r["due_at"] <= when), key=lambda r: r["due_at"])
        for review in due[:REVIEWS_PER_DAY] if reviews else []:
            if when > self.now - LATEST_BEFORE_NOW:
                return
            self.reviews.remove(review)
            when = self._answer(review, when, progress)
        for _ in range(self.rng.randint(*NEW_PER_DAY)):
            if when > self.now - LATEST_BEFORE_NOW:
                return
            when = self._answer(self._new_exercise(when), when, progress)

    def _new_exercise(self, when: datetime) -> dict[str, Any]:
        item = self._item()
        self.used.add(item.id)
        doc = {
            "_id": _id(self.rng),
            "user_id": self.learner.doc["_id"],
            "language": item.language,
            "category": item.category,
            "subcategory": item.subcategory,
            "type": item.type,
            "difficulty": item.difficulty,
            "prompt": item.prompt,
            "choices": list(item.choices),
            "answer": item.answer,
            "accepted_answers": list(item.accepted),
            "explanation": item.explanation,
            "hints": list(item.hints),
            "status": "pending",
            "attempts": 0,
            "hints_used": 0,
            "source": "bank",
            "bank_id": item.id,
            "created_at": when,
        }
        return doc

    def _item(self) -> BankItem:
        weak = [p for p in self.learner.weak if p in self.bank]
        pair = (
            self.rng.choice(weak)
            if weak and self.rng.random() < PREFER_WEAK
            else self.rng.choice(sorted(self.bank))
        )
        items = self.bank[pair]
        target = LEVEL_DIFFICULTY[self.level]
        near = [it for it in items if abs(it.difficulty - target) <= 1]
        fresh = [it for it in near if it.id not in self.used] or near or list(items)
        return self.rng.choice(fresh)

    def _answer(self, doc: dict[str, Any], when: datetime, progress: float) -> datetime:
        """Finish `doc` at about `when`; returns when the learner moves on."""
        rng = self.rng
        finished = when + timedelta(minutes=rng.uniform(0.5, 4))
        if rng.random() < SKIP_SHARE:
            outcome = "skipped"
            doc.update(attempts=rng.choice([0, 1]), hints_used=rng.choice([0, 0, 1]))
        elif rng.random() < self._success_chance(doc, progress):
            outcome = "correct"
            attempts = min(max_attempts(doc), rng.choices([1, 2, 3], [70, 20, 10])[0])
            hints = rng.choices([0, 1, 2], [75, 18, 7])[0] if attempts == 1 else rng.randint(0, 2)
            doc.update(attempts=attempts, hints_used=min(hints, len(doc["hints"])))
        else:
            outcome = "incorrect"
            doc.update(attempts=max_attempts(doc), hints_used=rng.randint(0, len(doc["hints"])))
        rating = rating_for(doc, outcome, finished)
        doc.update(
            status="skipped" if outcome == "skipped" else "completed",
            outcome=outcome,
            completed_at=finished,
        )
        if outcome != "skipped":
            doc["correct"] = outcome == "correct"
        doc.pop("due_at", None)  # a finished review is no longer due; its successor is
        if rating is not None:  # the skill's FSRS card, as submitExercise reviews it
            skill = (doc["category"], doc["subcategory"])
            card, reps, _ = self.cards.get(skill) or (new_card(doc["user_id"], *skill), 0, finished)
            card = review_card(card, rating, finished)
            self.cards[skill] = (card, reps + 1, finished)
            due = on_its_day(card.due, zone(self.learner.doc.get("time_zone")), finished)
            doc["due_at"] = due
            pending = [r for r in self.reviews if (r["category"], r["subcategory"]) == skill]
            if pending:
                for r in pending:
                    r["due_at"] = due
            else:
                self.reviews.append(review_doc(doc, rating, due, self.used, finished))
                self.used.add(str(self.reviews[-1].get("bank_id")))
        self.docs.append(doc)
        return finished + timedelta(seconds=rng.randint(10, 90))

    def _success_chance(self, doc: dict[str, Any], progress: float) -> float:
        """Better at higher levels, on easier items, off their weak spots, and over time."""
        ability = 0.58 + 0.04 * CEFR_LEVELS.index(self.level) + 0.15 * progress
        if (doc["category"], doc["subcategory"]) in self.learner.weak:
            ability -= 0.15
        if doc.get("review_of"):
            ability += 0.1
        ability -= 0.1 * (doc["difficulty"] - LEVEL_DIFFICULTY[self.level])
        return min(0.95, max(0.1, ability))


def _streak(exercises: list[dict[str, Any]], time_zone: str | None) -> tuple[int, str | None]:
    """(days, last day) of the latest run of local days with a correct exercise, as the
    product keeps them (resolvers/practice/attempts.py)."""
    tz = zone(time_zone)
    days = sorted(
        {local_date(e["completed_at"], tz) for e in exercises if e.get("outcome") == "correct"}
    )
    if not days:
        return 0, None
    run = 1
    while run < len(days) and days[-run - 1] == days[-run] - timedelta(days=1):
        run += 1
    return run, days[-1].isoformat()


def _bank(language: str) -> Bank:
    """The learner's bank; a language without one yet simply gets no seeded exercises."""
    try:
        return bank_for(language)
    except KeyError:
        return {}


async def seed_database(
    db: Database,
    users: int = 20,
    seed: int = 42,
    now: datetime | None = None,
    half_life_days: float = 14.0,
    progress: bool | None = None,
) -> SeedSummary:
    rng = random.Random(seed)
    now = now or datetime.now(UTC)
    pricing = load_pricing()
    corpora = load_corpus()
    tutors = {lang: Tutor(c, rng) for lang, c in corpora.items()}
    utterances = _Utterances(corpora, rng)
    summary = SeedSummary()
    admin: dict[str, Any] = {
        "_id": _id(rng),
        "email": ADMIN_EMAIL,
        "name": "Demo Admin",
        "role": "admin",
        "subscription_tier": "premium",
        "level": "C2",
        "learning_preferences": {},
        "created_at": now - timedelta(days=400),
        "total_sessions": 0,
        "streak_days": 0,
    }
    await db.users.update_one({"email": ADMIN_EMAIL}, {"$setOnInsert": admin}, upsert=True)
    existing_admin = await db.users.find_one({"email": ADMIN_EMAIL}, {"_id": 1})
    summary.admin_id = existing_admin["_id"] if existing_admin else admin["_id"]

    totals = {"users": 0, "sessions": 0, "messages": 0, "exercises": 0}
    bar = tqdm(
        total=users,
        desc="seeding users",
        disable=not (progress if progress is not None else users >= 200),
    )
    shares = [share for share, _chance in ENGAGEMENT]
    chances = [chance for _share, chance in ENGAGEMENT]
    for i in range(1, users + 1):
        learner = _learner(rng, i, now, corpora)
        user = learner.doc
        language = learner.corpus.language
        sessions, messages = _sessions(rng, learner, now, tutors[language], utterances, pricing)
        engagement = 0.85 if i == 1 else rng.choices(chances, shares)[0]
        practice = _Practice(rng, learner, _bank(language), now)
        exercises = practice.run(engagement, demo=i == 1)
        cards = practice.card_docs()
        user["streak_days"], last_day = _streak(exercises, user.get("time_zone"))
        if last_day:
            user["streak_last_day"] = last_day
        finished = [e["completed_at"] for e in exercises if e.get("completed_at")]
        if finished:
            user["last_active"] = max([user.get("last_active") or finished[0], *finished])
        user["total_sessions"] = len(sessions)
        if i == 1:
            summary.learner_id, summary.learner_email = user["_id"], user["email"]
        elif not summary.free_learner_id and user["subscription_tier"] == "free":
            summary.free_learner_id, summary.free_learner_email = user["_id"], user["email"]
        await db.users.insert_one(user)
        if sessions:
            await db.sessions.insert_many(sessions)
        if messages:
            await db.messages.insert_many(messages)
        if exercises:
            await db.exercises.insert_many(exercises)
        if cards:  # a learner re-seeded under the same id starts with fresh cards too
            await db.skill_cards.delete_many({"user_id": user["_id"]})
            await db.skill_cards.insert_many(cards)
        totals["users"] += 1
        totals["sessions"] += len(sessions)
        totals["messages"] += len(messages)
        totals["exercises"] += len(exercises)
        bar.update(1)
    bar.close()
    totals["error_stats"] = await rebuild_error_stats(db, half_life_days)
    totals["cost_daily"] = await rebuild_cost_daily(db)
    totals["cost_totals"] = await rebuild_cost_totals(db)
    totals["provider_daily"] = await rebuild_provider_daily(db)
    totals["cost_dims"] = await rebuild_cost_dims(db)
    summary.counts = totals
    return summary

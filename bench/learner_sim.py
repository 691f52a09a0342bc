"""A seeded simulated learner practising for N days over the API, with the clock moved.

    .venv/bin/python -m bench.learner_sim                 # 30 days, seed 7
    .venv/bin/python -m bench.learner_sim --days 45 --seed 3

It runs the gateway in-process on the embedded database (nothing to start), creates one
A2 learner of Spanish in America/Mexico_City whose conversations produced errors in a few
skills (one of them a sentence with two errors), and every local evening asks for
`dailyPractice` and a few more `generateExercise`, answering as a learner who

* always knows Articles (answers right at the first attempt): this skill should be
  mastered;
* guesses at Word Choice (a random choice of a multiple choice, otherwise right a third of
  the time): it must not be;
* is right 60% of the time elsewhere, sometimes at the second attempt.

It prints each skill's FSRS schedule (the due dates its card went through), the final
skills, and checks three claims, exiting non-zero if one fails: no expected answer is
ungrammatical (an own-sentence answer applies every correction of its sentence; no bank
answer equals its sentence to correct), the known skill is mastered, the guessed one is not.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from pydantic import SecretStr

from gateway.app import create_app
from gateway.auth import issue_token
from gateway.inprocess import in_process
from gateway.settings import Settings
from models.documents import UserDoc
from resolvers.messages import apply_message
from resolvers.practice.bank import normalize_answer

DAILY = "query { dailyPractice { exercises { id status } } }"
GENERATE = "mutation($n: Int) { generateExercise(count: $n) { id } }"
SUBMIT = """mutation($id: ID!, $a: String!) { submitExercise(id: $id, answer: $a) {
  correct expected exercise { status } } }"""
PROGRESS = """{ progress { skills { category subcategory ability confidence attempts accuracy }
  mastered { subcategory } } }"""
KNOWN = ("Grammar", "Articles")
GUESSED = ("Vocabulary", "Word Choice")
ZONE = "America/Mexico_City"
WRONG = ("no sé", "no lo sé", "ni idea")
CLOCK_MODULES = ("models.documents.base", "resolvers.practice.stats", "schema.users")


class _Now:
    value = datetime.now(UTC)


class _ClockDatetime(datetime):
    @classmethod
    def now(cls, tz: Any = None) -> Any:  # type: ignore[override]
        return _Now.value if tz is None else _Now.value.astimezone(tz)


@contextmanager
def moved_clock(start: datetime, seed: int) -> Iterator[type[_Now]]:
    """`datetime.now` as the gateway's clock modules see it, moved by the caller, and
    document ids drawn from `seed`, so a run is repeatable to the day."""
    modules = [sys.modules[name] for name in CLOCK_MODULES if name in sys.modules]
    saved = [m.datetime for m in modules]  # type: ignore[attr-defined]
    documents = sys.modules["models.documents.base"]  # utcnow and new_id
    saved_uuid4 = documents.uuid4  # type: ignore[attr-defined]
    ids = random.Random(f"ids:{seed}")
    _Now.value = start
    for m in modules:
        m.datetime = _ClockDatetime  # type: ignore[attr-defined]
    documents.uuid4 = lambda: uuid.UUID(int=ids.getrandbits(128), version=4)  # type: ignore[attr-defined]
    try:
        yield _Now
    finally:
        for m, original in zip(modules, saved, strict=True):
            m.datetime = original  # type: ignore[attr-defined]
        documents.uuid4 = saved_uuid4  # type: ignore[attr-defined]


@dataclass
class Report:
    answered: int = 0
    days: int = 0
    ungrammatical: list[str] = field(default_factory=list)
    schedule: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))
    skills: list[dict[str, Any]] = field(default_factory=list)
    mastered: list[str] = field(default_factory=list)

    @property
    def claims(self) -> dict[str, bool]:
        return {
            "no ungrammatical expected answer": not self.ungrammatical,
            f"{KNOWN[1]} (always right) mastered": KNOWN[1] in self.mastered,
            f"{GUESSED[1]} (guessed) not mastered": GUESSED[1] not in self.mastered,
        }


ERRORS = [
    (
        "Ayer yo voy a la playa con mi amigos.",
        [
            ("Grammar", "Verb Tense", "voy", "fui"),
            ("Grammar", "Noun-Adjective Agreement", "mi amigos", "mis amigos"),
        ],
    ),
    ("Quiero comprar el casa.", [("Grammar", "Articles", "el casa", "la casa")]),
    ("Mi hermana es muy sympatica.", [("Vocabulary", "Word Choice", "sympatica", "simpática")]),
    ("Yo tengo un problema con los libro.", [("Grammar", "Articles", "los libro", "los libros")]),
    ("La película fue muy aburrido.", [("Vocabulary", "Word Choice", "aburrido", "aburrida")]),
]


async def _conversation(db: Any, settings: Settings, user_id: str, at: datetime) -> None:
    """The learner's corrected messages (written as recordMessage stores and counts them)."""
    session_id = str(uuid.uuid4())
    await db.sessions.insert_one(
        {
            "_id": session_id,
            "user_id": user_id,
            "started_at": at,
            "status": "completed",
            "total_messages": 0,
            "total_tokens": 0,
            "total_cost": 0.0,
        }
    )
    for i, (content, errors) in enumerate(ERRORS):
        doc = {
            "_id": str(uuid.uuid4()),
            "session_id": session_id,
            "user_id": user_id,
            "role": "user",
            "content": content,
            "timestamp": at + timedelta(minutes=i),
            "language": "Spanish",
            "errors": [
                {"category": c, "subcategory": s, "excerpt": e, "correction": k}
                for c, s, e, k in errors
            ],
            "applied": False,
        }
        await db.messages.insert_one(doc)
        await apply_message(db, doc, settings.error_half_life_days)


def _ungrammatical(doc: dict[str, Any]) -> str | None:
    """Why an exercise's expected answer would teach something wrong, if it would."""
    answer = normalize_answer(doc["answer"])
    for c in doc.get("corrections") or []:
        fixed, wrong = normalize_answer(c["correction"]), normalize_answer(c["excerpt"])
        if f" {fixed} " not in f" {answer} " or (
            wrong not in fixed and f" {wrong} " in f" {answer} "
        ):
            return f"{doc['answer']!r} leaves {c['excerpt']!r} uncorrected"
    if doc["type"] == "error_correction" and doc.get("source") == "bank":
        wrong = doc["prompt"].split(":", 1)[-1].split(" (", 1)[0]
        if normalize_answer(wrong) == answer:
            return f"{doc['answer']!r} is the sentence to correct"
    return None


def _answer(doc: dict[str, Any], rng: random.Random, attempt: int) -> str:
    skill = (doc["category"], doc["subcategory"])
    right = doc["answer"]
    if skill == KNOWN:
        return right
    choices = doc.get("choices") or []
    if doc["type"] == "multiple_choice" and choices:
        if skill == GUESSED:
            return rng.choice(choices)
        wrong = [c for c in choices if c != right]
        return right if rng.random() < 0.6 else rng.choice(wrong)
    chance = 1 / 3 if skill == GUESSED else (0.6 if attempt == 1 else 0.5)
    # A different wrong answer each attempt: the same one again uses no attempt (it was
    # already counted), and would leave the exercise open after three tries.
    return right if rng.random() < chance else WRONG[attempt - 1]


async def simulate(days: int = 30, seed: int = 7) -> Report:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        jwt_secret=SecretStr("sim-" + "x" * 40),
        mongo_db=f"sim_{seed}",
        seed_demo_data=False,
        redis_url=None,
        redis_key_prefix=f"sim{uuid.uuid4().hex[:8]}",
        maintenance_interval_seconds=3600,
        execution_timeout_ms=120_000,
        rate_limits_enabled=False,
    )
    rng = random.Random(seed)
    tz = ZoneInfo(ZONE)
    start = datetime(2026, 3, 2, 19, 0, tzinfo=tz)  # a fixed first evening: repeatable runs
    report = Report()
    app = create_app(settings)
    async with in_process(app) as served:
        services = served.services
        db = services.db
        transport = httpx.ASGITransport(app=served)
        async with httpx.AsyncClient(transport=transport, base_url="http://sim") as client:
            with moved_clock(start.astimezone(UTC), seed) as clock:
                user = UserDoc(
                    email=f"sim{seed}@example.com",
                    name="Simulated learner",
                    level="A2",
                    native_language="English",
                    target_language="Spanish",
                    time_zone=ZONE,
                ).to_mongo()
                await db.users.insert_one(user)
                token = issue_token(settings, user["_id"])
                await _conversation(db, settings, user["_id"], clock.value - timedelta(days=1))

                async def gql(query: str, variables: dict[str, Any] | None = None) -> Any:
                    body = {"query": query, "variables": variables or {}}
                    headers = {"Authorization": f"Bearer {token}"}
                    out = (await client.post("/graphql", json=body, headers=headers)).json()
                    if out.get("errors"):
                        raise RuntimeError(out["errors"])
                    return out["data"]

                for day in range(days):
                    clock.value = (start + timedelta(days=day)).astimezone(UTC)
                    daily = (await gql(DAILY))["dailyPractice"]["exercises"]
                    extra = (await gql(GENERATE, {"n": 3}))["generateExercise"]
                    ids = [e["id"] for e in daily if e["status"] == "PENDING"]
                    ids += [e["id"] for e in extra]
                    for exercise_id in ids:
                        clock.value += timedelta(minutes=2)
                        await _work(gql, db, exercise_id, rng, report)
                    report.days += 1
                cards = db.skill_cards.find({"user_id": user["_id"]})
                async for card in cards:
                    report.schedule[(card["category"], card["subcategory"])].append(
                        f"due {card['due_at']:%Y-%m-%d} after {card['reps']} reviews"
                    )
                progress = (await gql(PROGRESS))["progress"]
                report.skills = progress["skills"]
                report.mastered = [m["subcategory"] for m in progress["mastered"]]
    return report


async def _work(gql: Any, db: Any, exercise_id: str, rng: random.Random, report: Report) -> None:
    doc = await db.exercises.find_one({"_id": exercise_id})
    if doc is None or doc["status"] != "pending":
        return
    why = _ungrammatical(doc)
    if why:
        report.ungrammatical.append(why)
    for attempt in range(1, 4):
        out = (await gql(SUBMIT, {"id": exercise_id, "a": _answer(doc, rng, attempt)}))[
            "submitExercise"
        ]
        if out["expected"] is not None and out["expected"] != doc["answer"]:
            report.ungrammatical.append(f"revealed {out['expected']!r}, stored {doc['answer']!r}")
        if out["exercise"]["status"] != "PENDING":
            break
    report.answered += 1
    finished = await db.exercises.find_one({"_id": exercise_id})
    if finished and finished["status"] != "pending" and finished.get("due_at"):
        mark = {"correct": "+", "incorrect": "x", "skipped": "s"}[finished["outcome"]]
        # In the learner's days: a review is due from the start of its local day.
        tz = ZoneInfo(ZONE)
        answered = finished["completed_at"].replace(tzinfo=UTC).astimezone(tz)
        due = finished["due_at"].replace(tzinfo=UTC).astimezone(tz)
        wait = (due.date() - answered.date()).days
        report.schedule[(doc["category"], doc["subcategory"])].append(
            f"{answered:%m-%d}{mark}{wait}d"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    report = asyncio.run(simulate(args.days, args.seed))
    print(f"{report.days} days, {report.answered} exercises answered\n")
    print("FSRS schedule per skill: answer date, + right / x missed, days to the next review")
    for (category, subcategory), lines in sorted(report.schedule.items()):
        print(f"{category} / {subcategory}: {lines[-1]}")
        steps = lines[:-1]
        for i in range(0, len(steps), 8):
            print("  " + "  ".join(steps[i : i + 8]))
    print("\nskills:")
    for s in report.skills:
        print(
            f"  {s['subcategory']:<28} ability {s['ability']:.3f}  confidence "
            f"{s['confidence']:.3f}  attempts {s['attempts']:>3}  accuracy {s['accuracy']}"
        )
    print(f"mastered: {', '.join(report.mastered) or '-'}")
    for why in report.ungrammatical:
        print(f"UNGRAMMATICAL: {why}")
    ok = True
    for claim, holds in report.claims.items():
        print(f"{'ok  ' if holds else 'FAIL'} {claim}")
        ok = ok and holds
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

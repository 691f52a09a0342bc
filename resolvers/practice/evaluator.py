"""An optional answer evaluator: an OpenAI-compatible chat-completions provider that judges a
free-text answer the rule-based checker rejected, says why in a sentence, and tailors the
next hint to the learner's last wrong answer.

Off unless EVALUATOR_LLM_URL is set. The rule-based checker (resolvers/practice/checking.py)
stays the default and the first word: an answer it accepts is accepted without a call; the
provider is asked only about free-text answers (error corrections and fill-in-the-blanks)
it rejected, where a correct alternative the item does not list is likeliest, and never
about one rejected for its capitals where capitals are the skill (German noun
capitalisation: "ich habe einen hund" stays wrong whatever a provider says). Any failure
(timeout, HTTP error, a reply that is not the JSON asked for) falls back to the rule-based
verdict and logs `evaluator_failed`. Each call's tokens and cost are recorded like any AI
usage: the learner's cost_daily row, the hourly and daily cost_totals (with their alerts),
cost_dims (topic "Answer checking" and the learner's tier) and provider_daily, so
costReport and providerStats include it; an `ai_usage` row keeps the call itself, and the
rebuilds (resolvers/rebuild.py) count those rows with the messages. The counting is
exactly once under retries, cut-off requests and late writes, as a message's
(resolvers/costs/usage.py).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import uuid4

import httpx
import structlog

from models.documents import utcnow
from resolvers.context import RequestContext
from resolvers.costs.rollup import Thresholds
from resolvers.costs.usage import apply_usage
from resolvers.counters import request_lease
from resolvers.practice.checking import case_matters, normalize_answer
from resolvers.practice.hints import EC, FB
from resolvers.pricing import load_pricing
from resolvers.taxonomy import exercise_language

log = structlog.get_logger()

FREE_TEXT = (EC, FB)
TOPIC = "Answer checking"
MAX_FEEDBACK_CHARS = 400
SYSTEM = (
    "You are a careful language teacher checking one answer to an exercise. Accept every "
    "answer a teacher would accept as correct in the target language (contractions, "
    "dropped subject pronouns, legal word orders, synonyms that fit), and nothing "
    "ungrammatical. Where capitals_judged is true, capital letters are the skill practised "
    "and an answer with any wrong capital is wrong. Reply with JSON only: "
    '{"correct": true or false, "feedback": "one short sentence in simple English saying '
    'what is right or what is still wrong, without giving the whole answer"}.'
)


@dataclass(frozen=True, slots=True)
class Judgement:
    correct: bool
    feedback: str


@dataclass(frozen=True, slots=True)
class EvaluatorConfig:
    url: str
    model: str
    provider: str
    api_key: str
    timeout_s: float


def config_of(settings: Any) -> EvaluatorConfig | None:
    url = (getattr(settings, "evaluator_llm_url", "") or "").rstrip("/")
    if not url:
        return None
    key: Any = getattr(settings, "evaluator_llm_api_key", "")
    secret = str(key.get_secret_value() if hasattr(key, "get_secret_value") else key or "")
    return EvaluatorConfig(
        url=url,
        model=settings.evaluator_llm_model,
        provider=settings.evaluator_llm_provider,
        api_key=secret,
        timeout_s=settings.evaluator_llm_timeout_ms / 1000,
    )


def wanted(exercise: dict[str, Any], config: EvaluatorConfig | None) -> bool:
    return config is not None and exercise.get("type") in FREE_TEXT


def _prompt(exercise: dict[str, Any], answer: str) -> str:
    accepted = [exercise["answer"], *(exercise.get("accepted_answers") or [])]
    asked: dict[str, Any] = {
        "target_language": exercise_language(exercise),
        "skill": f"{exercise['category']} / {exercise['subcategory']}",
        "exercise": exercise["prompt"],
        "model_answers": accepted,
        "learner_answer": answer,
    }
    if case_matters(exercise["category"], exercise["subcategory"], exercise.get("type")):
        # The rules already rejected every answer with a wrong capital on a word the model
        # answers have (resolvers/practice/attempts.py never asks about those); the
        # provider judges the capitals of the words they lack.
        asked["capitals_judged"] = True
    return json.dumps(asked, ensure_ascii=False)


HINT_SYSTEM = (
    "You are a patient language teacher. A learner answered an exercise wrongly. Give ONE "
    "short hint in simple English about what is wrong in their answer, without writing the "
    'correct answer or the corrected words. Reply with JSON only: {"hint": "..."}.'
)


def _reply(body: dict[str, Any]) -> tuple[dict[str, Any], int, int]:
    content = body["choices"][0]["message"]["content"]
    text = content.strip()
    if text.startswith("```"):
        text = text.strip("`").removeprefix("json").strip()
    reply = json.loads(text)
    if not isinstance(reply, dict):
        raise ValueError("reply is not a JSON object")
    usage = body.get("usage") or {}
    return reply, int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)


async def _ask(
    ctx: RequestContext, exercise: dict[str, Any], system: str, answer: str, event: str
) -> dict[str, Any] | None:
    """One chat completion about `exercise` and `answer`: its JSON reply, with the call
    counted as AI usage; None when not configured or when it failed (logged)."""
    config = config_of(ctx.settings)
    if config is None or not wanted(exercise, config):
        return None
    headers = {"Content-Type": "application/json"}
    if config.api_key:
        headers["Authorization"] = f"Bearer {config.api_key}"
    payload = {
        "model": config.model,
        "temperature": 0,
        "messages": [
            {"role": "system", "content": system},
            {"role": "user", "content": _prompt(exercise, answer)},
        ],
    }
    started = time.perf_counter()
    try:
        async with httpx.AsyncClient(timeout=config.timeout_s) as client:
            response = await asyncio.wait_for(
                client.post(f"{config.url}/chat/completions", json=payload, headers=headers),
                timeout=config.timeout_s,
            )
        response.raise_for_status()
        reply, tokens_in, tokens_out = _reply(response.json())
    except (httpx.HTTPError, TimeoutError, ValueError, KeyError, IndexError, TypeError) as exc:
        log.warning(
            "evaluator_failed",
            exercise_id=exercise["_id"],
            provider=config.provider,
            purpose=event,
            error=type(exc).__name__,
        )
        return None
    ms = round((time.perf_counter() - started) * 1000, 1)
    await record_usage(ctx, exercise, config, tokens_in, tokens_out, ms, utcnow())
    log.info(
        event,
        exercise_id=exercise["_id"],
        provider=config.provider,
        model=config.model,
        tokens=tokens_in + tokens_out,
        response_time_ms=ms,
    )
    return reply


async def evaluate(ctx: RequestContext, exercise: dict[str, Any], answer: str) -> Judgement | None:
    """The provider's verdict on `answer`, or None (not configured, or it failed)."""
    reply = await _ask(ctx, exercise, SYSTEM, answer, "answer_evaluated")
    if reply is None or not isinstance(reply.get("correct"), bool):
        return None
    feedback = str(reply.get("feedback") or "").strip()[:MAX_FEEDBACK_CHARS]
    return Judgement(reply["correct"], feedback)


async def tailored_hint(ctx: RequestContext, exercise: dict[str, Any], answer: str) -> str | None:
    """A hint about the learner's last wrong answer, or None: then the written hint is
    given. A hint that contains the model answer is not used."""
    reply = await _ask(ctx, exercise, HINT_SYSTEM, answer, "hint_evaluated")
    hint = str((reply or {}).get("hint") or "").strip()[:MAX_FEEDBACK_CHARS]
    language = exercise.get("language")
    if not hint or normalize_answer(exercise["answer"], language=language) in normalize_answer(
        hint, language=language
    ):
        return None
    return hint


async def record_usage(
    ctx: RequestContext,
    exercise: dict[str, Any],
    config: EvaluatorConfig,
    tokens_in: int,
    tokens_out: int,
    ms: float,
    at: datetime,
) -> None:
    """Count one evaluator call in the same cost rows an assistant reply is counted in."""
    db = ctx.db
    user = await ctx.loaders.user.load(exercise["user_id"])
    cost = load_pricing(ctx.settings.pricing_overrides).cost(
        config.provider, config.model, tokens_in, tokens_out
    )
    usage = {
        "_id": str(uuid4()),
        "kind": "answer_evaluation",
        "user_id": exercise["user_id"],
        "exercise_id": exercise["_id"],
        "timestamp": at,
        "provider": config.provider.strip().lower(),
        "model": config.model.strip().lower(),
        "tokens_in": tokens_in,
        "tokens_out": tokens_out,
        "cost": cost,
        "response_time_ms": ms,
        "topic": TOPIC,
        "tier": user.get("subscription_tier") if user is not None else None,
        "applied": False,
        "guarded": True,
    }
    await db.ai_usage.insert_one(usage)
    # Counted like a message: claimed under a lease, each row once, marked applied; a
    # request cut off in between leaves it to the maintenance pass (resolvers/costs/usage.py).
    await apply_usage(
        db,
        usage,
        Thresholds(hourly=ctx.settings.cost_alert_hourly, daily=ctx.settings.cost_alert_daily),
        lease=request_lease(ctx.settings.execution_timeout_ms),
    )

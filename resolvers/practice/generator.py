"""Exercise generation aimed at each learner's weakest spots.

Planning (which targets, how many each, how hard) is ours; writing the exercises is the
provider's. The provider interface is one method, so an LLM-backed generator can be
plugged in with EXERCISE_GENERATOR=package.module:factory; the built-in one draws from the
curated bank and from the learner's own corrected sentences.
"""

from __future__ import annotations

import importlib
import random
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from models.documents import utcnow
from resolvers.practice.bank import BankItem, bank_for
from resolvers.practice.checking import named_alternatives
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


# How far (in difficulty levels) a bank item may be from the planned difficulty and still
# be given while anything closer is left elsewhere.
DIFFICULTY_SLACK = 1


@dataclass(slots=True)
class Slot:
    target: Target
    count: int
    difficulty: int


@dataclass(frozen=True, slots=True)
class Correction:
    excerpt: str
    correction: str
    category: str
    subcategory: str
    explanation: str | None = None


@dataclass(slots=True)
class OwnSentence:
    """A learner's message with every correction found in it: one exercise per sentence,
    whose answer applies them all (fixing one error of two is not a right sentence)."""

    message_id: str
    content: str
    corrections: tuple[Correction, ...]
    corrected: str


def apply_corrections(content: str, corrections: list[Correction]) -> str | None:
    """`content` with every correction applied, or None when they cannot all be applied.

    Longer excerpts go first, so one correction that contains another ("zu Arbeit mit dem
    Bus" -> "mit dem Bus zur Arbeit" over "zu Arbeit" -> "zur Arbeit") covers it: a
    correction whose excerpt is gone and whose corrected words are already there is done."""
    text = content
    for c in sorted(corrections, key=lambda c: -len(c.excerpt)):
        if c.excerpt in text:
            text = text.replace(c.excerpt, c.correction, 1)
        elif c.correction not in text:
            return None
    return text


def own_sentence(message_id: str, content: str, errors: list[dict[str, Any]]) -> OwnSentence | None:
    """The exercise material in one message, if its corrections make a corrected sentence."""
    corrections = []
    for err in errors:
        excerpt, correction = err.get("excerpt"), err.get("correction")
        if excerpt and correction and excerpt in content and excerpt != correction:
            corrections.append(
                Correction(
                    excerpt,
                    correction,
                    err["category"],
                    err["subcategory"],
                    err.get("explanation"),
                )
            )
    if not corrections:
        return None
    corrected = apply_corrections(content, corrections)
    if corrected is None or not changes(content, corrected):
        return None
    return OwnSentence(message_id, content, tuple(corrections), corrected)


@dataclass
class GenerationRequest:
    user_id: str
    level: str | None
    slots: list[Slot]
    recently_seen: dict[str, Any]  # bank_id -> when it was last given
    own_sentences: dict[tuple[str, str], list[OwnSentence]] = field(default_factory=dict)
    language: str = "English"  # the learner's target language: which bank to draw from
    # False: only items not given in the last RECENT_DAYS (the caller fills a shortfall
    # from neighbouring skills first, and allows repeats only when those run out too).
    allow_repeats: bool = True
    variety: str = ""  # e.g. "es-ES" / "es-419"; "" serves only items for every variety
    native_language: str = ""  # ISO 639-1 code; "" serves no native-specific item


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
    # An own sentence: the corrections its answer applies (see OwnSentence).
    corrections: list[dict[str, str]] = field(default_factory=list)


class ExerciseGenerator(Protocol):
    async def generate(self, request: GenerationRequest) -> list[ExerciseDraft]: ...


def allocate(targets: list[Target], count: int) -> list[tuple[Target, int]]:
    """Spread `count` over the heaviest targets in proportion to weight, each chosen target
    getting at least one: every further exercise goes to the target furthest below its
    exact share (so weights 6.65 : 6.61 : 2.90 : 2.81 and count 5 give 2 : 1 : 1 : 1, the
    heaviest first, never more to a lighter target than to a heavier one)."""
    chosen = targets[: min(len(targets), count, MAX_TARGETS)]
    total = sum(t.weight for t in chosen) or 1.0
    exact = [count * t.weight / total for t in chosen]
    shares = [1] * len(chosen)
    while sum(shares) < count:
        # ties go to the heavier target (earlier in the list)
        i = max(range(len(chosen)), key=lambda k: (exact[k] - shares[k], -k))
        shares[i] += 1
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
        used: set[str] = set()  # one sentence or item at most once per request
        # Own-sentence ids once carried a per-error suffix: any id of the message counts.
        used |= {":".join(k.split(":")[:2]) for k in request.recently_seen if k.startswith("msg:")}
        for slot in request.slots:
            key = (slot.target.category, slot.target.subcategory)
            own = [
                s
                for s in request.own_sentences.get(key, [])
                if _own_id(s) not in request.recently_seen and _own_id(s) not in used
            ]
            picks: list[ExerciseDraft] = []
            if own:  # the learner's own sentence first: it is the most relevant practice
                used.add(_own_id(own[0]))
                picks.append(_from_own_sentence(own[0], slot))
            rng = random.Random(f"{request.user_id}:{key}:{utcnow().date()}")
            candidates = [i for i in bank.get(key, ()) if suits(i, request)]
            rng.shuffle(candidates)
            fresh = [i for i in candidates if i.id not in request.recently_seen]
            stale = sorted(
                (i for i in candidates if i.id in request.recently_seen),
                key=lambda i: request.recently_seen[i.id],
            )
            fresh.sort(key=lambda i: abs(i.difficulty - slot.difficulty))

            # An item far from the planned difficulty is no fit, fresh or not: a learner
            # who has done a skill's easy items gets easy items of neighbouring skills
            # (the caller's next draw), not ever harder ones of this skill (at ability 0.05
            # a difficulty 3 succeeds 1 time in 12, not 7 in 10); repeats come last, the
            # fitting ones first.
            def fits(i: BankItem, planned: int = slot.difficulty) -> bool:
                return abs(i.difficulty - planned) <= DIFFICULTY_SLACK

            pool = [i for i in fresh if fits(i)]
            if request.allow_repeats:
                pool += [i for i in stale if fits(i)]
                pool += [i for i in fresh if not fits(i)] + [i for i in stale if not fits(i)]
            for item in pool[: max(0, slot.count - len(picks))]:
                picks.append(draft_from_bank(item))
            drafts.extend(picks[: slot.count])
        return drafts


def suits(item: BankItem, request: GenerationRequest) -> bool:
    """An item marked for one variety goes to learners of that variety only, and a false
    friend marked for native languages to learners with one of them."""
    if item.variety and item.variety != request.variety:
        return False
    return not item.native_languages or request.native_language in item.native_languages


_NATIVE_CODES = {
    "english": "en",
    "spanish": "es",
    "español": "es",
    "german": "de",
    "deutsch": "de",
    "french": "fr",
    "français": "fr",
    "italian": "it",
    "italiano": "it",
    "portuguese": "pt",
    "português": "pt",
    "dutch": "nl",
    "nederlands": "nl",
    "romanian": "ro",
    "română": "ro",
}
_ES_ES_ZONES = ("Europe/", "Atlantic/Canary", "Africa/Ceuta")


def native_code(native_language: str | None) -> str:
    """ISO 639-1 code of a learner's native language as stored ("French", "fr", "pt-BR")."""
    value = (native_language or "").strip().casefold()
    code = value.replace("_", "-").split("-", 1)[0]
    if len(code) == 2 and code.isalpha():
        return code
    return _NATIVE_CODES.get(value, "")


def variety_of(language: str, target_language: str | None, time_zone: str | None) -> str:
    """The learner's variety of `language`: a region in the target ("es-ES", "es-MX" ->
    es-419), else where they live (Spain's zones -> es-ES, the Americas -> es-419), else ""."""
    if language != "Spanish":
        return ""
    parts = (target_language or "").strip().replace("_", "-").split("-")
    if len(parts) > 1 and parts[0].casefold() == "es":
        return "es-ES" if parts[1].casefold() == "es" else "es-419"
    zone = time_zone or ""
    if zone.startswith(_ES_ES_ZONES):
        return "es-ES"
    if zone.startswith("America/"):
        return "es-419"
    return ""


def bank_or_empty(language: str) -> dict[tuple[str, str], tuple[BankItem, ...]]:
    """A language without built-in content yet gets only own-sentence exercises, never
    exercises in another language."""
    try:
        return bank_for(language)
    except KeyError:
        return {}


_OWN_PROMPT = re.compile(r'something you wrote: "(?P<text>.*)"$', re.DOTALL)


def sentence_key(content: str) -> str:
    """A sentence as repeats of it are recognised: the same words, whatever the spacing."""
    return " ".join(content.split()).casefold()


def own_sentence_text(prompt: str) -> str:
    """The learner's sentence inside an own-sentence exercise's prompt (its key)."""
    m = _OWN_PROMPT.search(prompt)
    return sentence_key(m["text"]) if m else ""


def _own_id(sentence: OwnSentence) -> str:
    """One id per message: the sentence is one exercise whichever skill asks for it."""
    return f"msg:{sentence.message_id}"


def _from_own_sentence(s: OwnSentence, slot: Slot) -> ExerciseDraft:
    many = len(s.corrections) > 1
    explanation = " ".join(
        c.explanation or f'"{c.excerpt}" should be "{c.correction}".' for c in s.corrections
    )
    if many:
        where = ", ".join(f'"{c.excerpt}"' for c in s.corrections)
        first_hint = f"There are {len(s.corrections)} mistakes: in {where}."
    else:
        first_hint = f'The mistake is in "{s.corrections[0].excerpt}".'
    return ExerciseDraft(
        category=slot.target.category,
        subcategory=slot.target.subcategory,
        type=EC,
        difficulty=slot.difficulty,
        prompt=(
            f'Correct the {len(s.corrections)} mistakes in something you wrote: "{s.content}"'
            if many
            else f'Correct the mistake in something you wrote: "{s.content}"'
        ),
        answer=s.corrected,
        # what the corrections' own explanations name as also right ("'1989' or 'im Jahr 1989'")
        accepted_answers=named_alternatives(
            s.corrected, explanation, [c.correction for c in s.corrections]
        ),
        choices=[],
        explanation=explanation,
        hints=[first_hint, correction_hint(s.content, s.corrected)],
        source="own_sentence",
        bank_id=_own_id(s),
        corrections=[
            {
                "excerpt": c.excerpt,
                "correction": c.correction,
                "category": c.category,
                "subcategory": c.subcategory,
            }
            for c in s.corrections
        ],
    )


def draft_from_bank(item: BankItem) -> ExerciseDraft:
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


def generator_factory(spec: str) -> Callable[[], ExerciseGenerator]:
    """The factory 'package.module:factory' names ('builtin': the bank's), or ValueError
    saying why there is none: start-up calls it, so a misspelt EXERCISE_GENERATOR stops
    the gateway with one `invalid_settings` line instead of failing every practice page."""
    if spec in ("", "builtin"):
        return BankGenerator
    module_name, _, attr = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # ImportError, or whatever the module raised on import
        raise ValueError(f"module {module_name!r} cannot be imported: {exc}") from exc
    factory = getattr(module, attr or "create_generator", None)
    if not callable(factory):
        raise ValueError(f"module {module_name!r} has no callable {attr or 'create_generator'!r}")
    return factory  # type: ignore[no-any-return]


def load_generator(spec: str) -> ExerciseGenerator:
    """'builtin', or 'package.module:factory' returning an ExerciseGenerator."""
    return generator_factory(spec)()


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
    avoid: frozenset[tuple[str, str]] = frozenset(),
) -> list[Slot]:
    """Targets, how many exercises each, and how hard (from the learner's ability there).

    `weakest_first` (daily practice) ranks the targets the learner has met by ability,
    lowest first, instead of by recency-weighted error weight. `avoid`: skills that are
    no target (the daily set's reviews already practise them)."""
    ranked = sorted(stats_rows, key=lambda r: (-r["weight"], -r["count"]))
    known_pairs = set(pairs_for(language)) - avoid
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
            if a < MASTERED_ABILITY
            and (category is None or pair[0] == category)
            and pair not in avoid
        )
        if weak:
            targets = [Target(c, s, 1.0 - a) for a, (c, s) in weak]
            if len(targets) < MIN_DAILY_TARGETS:
                # Few weak spots yet: add fresh level-appropriate ground, ranked after them.
                known = {(t.category, t.subcategory) for t in targets} | avoid
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
        targets = [
            t
            for t in starter_targets(level, category, language)
            if (t.category, t.subcategory) not in avoid
        ]
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


def neighbour_targets(
    used: set[tuple[str, str]], category: str | None, level: str | None, language: str | None
) -> list[Target]:
    """Where a shortfall is filled: the other subcategories of the categories already
    practised, then the level's starter targets, each once."""
    near_categories = {c for c, _ in used}
    pairs = [p for p in pairs_for(language) if p[0] in near_categories and p not in used]
    pairs += [
        (t.category, t.subcategory)
        for t in starter_targets(level, category, language)
        if (t.category, t.subcategory) not in used and (t.category, t.subcategory) not in pairs
    ]
    pairs = [p for p in pairs if category is None or p[0] == category]
    return [Target(c, s, 1.0 - i * 0.01) for i, (c, s) in enumerate(pairs)]


def slots_for(
    targets: list[Target],
    count: int,
    abilities: dict[tuple[str, str], float],
    level: str | None,
    seed: str,
) -> list[Slot]:
    return _slots(targets, count, abilities, level, seed)


def recent_cutoff() -> Any:
    return utcnow() - timedelta(days=RECENT_DAYS)

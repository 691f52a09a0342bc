"""The exercise bank as typed items per target language, checked when it loads, and answer
normalisation.

A broken entry (an answer missing from its choices, a hint that contradicts the answer, a
subcategory with too few items) fails the first load, which happens in the gateway's
start-up (gateway/app.py, its lifespan), rather than reaching a learner as an exercise
that cannot be solved.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from functools import lru_cache

from resolvers.practice.checking import accepts, case_matters, normalize_answer
from resolvers.practice.content import VARIETIES, Content, Entry, read_language
from resolvers.practice.hints import EC, FB, MC, SR, changes, final_hint
from resolvers.taxonomy import LANGUAGES, language_specific, normalize_language, pairs_for

CODES = {"English": "en", "Spanish": "es", "German": "de"}
KINDS = (FB, MC, EC, SR)
# Per (language, subcategory) and per variety of the language: enough items that a learner
# practising daily meets fresh ones for weeks and adaptive difficulty has a choice, enough
# easy ones (difficulty 1-2) that an A1 learner is not handed B2 items by the 8th exercise,
# and a spread of difficulties so every level finds something near it.
MIN_ITEMS = 25
MIN_EASY = 6
DIFFICULTY_BANDS = ((1, 2), (3, 3), (4, 5))
MIN_KINDS = 3
MIN_MC_CHOICES = 3
EC_INSTRUCTION = "Correct the sentence:"


@dataclass(frozen=True, slots=True)
class BankItem:
    id: str
    language: str
    category: str
    subcategory: str
    type: str
    difficulty: int
    prompt: str
    answer: str
    accepted: tuple[str, ...]
    choices: tuple[str, ...]
    explanation: str
    hints: tuple[str, ...]
    variety: str = ""  # "" = every variety; else the only one it is served to ("es-ES")
    native_languages: tuple[str, ...] = ()  # () = every learner; else their native languages


class BankError(ValueError):
    """The bank's content breaks a rule; raised at load."""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


Bank = dict[tuple[str, str], tuple[BankItem, ...]]


def read_content() -> dict[str, Content]:
    """The content files of every language the bank has a folder code for."""
    return {language: read_language(code, language) for language, code in CODES.items()}


@lru_cache(maxsize=1)
def load_bank() -> dict[str, Bank]:
    """Every language's bank, keyed by language then (category, subcategory)."""
    content = read_content()
    if set(content) != set(LANGUAGES):
        raise BankError(f"exercise bank covers {sorted(content)}; the taxonomy lists {LANGUAGES}")
    return {language: _load_language(language, content[language]) for language in content}


def bank_for(language: str) -> Bank:
    """One language's bank; `language` may be any spelling normalize_language knows."""
    name = normalize_language(language)
    banks = load_bank()
    if name is None or name not in banks:
        raise KeyError(f"no exercise bank for language {language!r}; have {sorted(banks)}")
    return banks[name]


def _load_language(language: str, content: Content) -> Bank:
    extra = set(content) - set(pairs_for(language))
    if extra:
        raise BankError(f"{language} bank has subcategories outside its taxonomy: {sorted(extra)}")
    bank: Bank = {}
    seen: dict[str, str] = {}
    ids: set[str] = set()
    own = language_specific(language)
    for category, subcategory in pairs_for(language):
        if (category, subcategory) in own and (category, subcategory) not in content:
            continue  # a language's own subcategory is served once its content file exists
        entries = content.get((category, subcategory), [])
        items = []
        prefix = f"{CODES[language]}-{_slug(subcategory)}-"
        for entry in entries:
            item_id = entry.id
            # Ids are stable: attempts, reviews and reports name items by id for good.
            if not item_id.startswith(prefix) or item_id in ids:
                raise BankError(f"bank item {item_id}: ids are unique and start with {prefix}")
            ids.add(item_id)
            item = _build(item_id, language, category, subcategory, entry)
            key = _norm_prompt(item.prompt)
            if key in seen:
                raise BankError(f"bank item {item_id}: same prompt as {seen[key]}")
            seen[key] = item_id
            items.append(item)
        _check_coverage(language, category, subcategory, items)
        bank[(category, subcategory)] = tuple(items)
    return bank


def _build(item_id: str, language: str, category: str, subcategory: str, e: Entry) -> BankItem:
    where = f"bank item {item_id}"
    if e.type not in KINDS:
        raise BankError(f"{where}: unknown type {e.type!r}")
    prompt = e.prompt
    if e.type == EC:
        prompt = f"{EC_INSTRUCTION} {e.prompt}" + (f" ({e.note})" if e.note else "")
    item = BankItem(
        id=item_id,
        language=language,
        category=category,
        subcategory=subcategory,
        type=e.type,
        difficulty=e.difficulty,
        prompt=prompt,
        answer=e.answer,
        accepted=e.accepted,
        choices=e.choices,
        explanation=e.explanation,
        hints=e.hints,
        variety=e.variety,
        native_languages=e.native_languages,
    )
    problem = _problem(item, e)
    if problem:
        raise BankError(f"{where}: {problem}")
    last = final_hint(e.type, e.answer, choices=e.choices, wrong=e.prompt)
    if last in e.hints:
        raise BankError(f"{where}: a written hint repeats the derived last hint")
    return replace(item, hints=(*e.hints, last))


_STARTS_WITH = re.compile(r"starts with [\"']([^\"'…]+)")


def _problem(item: BankItem, e: Entry) -> str | None:
    """The first rule the item breaks, if any."""
    keep = item.category == "Punctuation"
    if not 1 <= item.difficulty <= 5:
        return f"difficulty {item.difficulty} is outside 1-5"
    if not item.answer.strip() or not item.explanation.strip():
        return "empty answer or explanation"
    if not e.hints or any(not h.strip() for h in e.hints):
        return "needs at least one written hint, none empty"
    if len(set(e.hints)) != len(e.hints):
        return "repeats a hint"
    for hint in e.hints:
        # A written hint is a gentle one: it must not hand over the answer itself.
        if re.search(rf"[\"']{re.escape(item.answer)}[\"']", hint, re.IGNORECASE):
            return f"hint {hint!r} gives the answer away"
        for start in _STARTS_WITH.findall(hint):
            if not re.search(rf"(?<!\w){re.escape(start)}", item.answer, re.IGNORECASE):
                return f"hint {hint!r} says the answer starts with {start!r}; it does not"
    if item.type == MC:
        if len(item.choices) < MIN_MC_CHOICES:
            return f"needs at least {MIN_MC_CHOICES} choices"
        if item.answer not in item.choices:
            return "answer is not among the choices"
        normalized = [normalize_answer(c, keep, item.language) for c in item.choices]
        if len(set(normalized)) != len(normalized):
            return "choices are not distinct"
        if any(
            normalize_answer(a, keep, item.language) in normalized
            for a in item.accepted
            if a != item.answer
        ):
            return "an also-accepted answer is one of the wrong choices"
    elif item.type == SR:
        if sorted(item.choices) != sorted(_sentence_core(item.answer).split()):
            return "reorder words do not make the answer"
        for other in item.accepted:
            words = sorted(w.casefold() for w in _sentence_core(other).split())
            if words != sorted(w.casefold() for w in item.choices):
                return f"also-accepted order {other!r} uses other words"
        given = normalize_answer(" ".join(item.choices), keep, item.language)
        if given in {
            normalize_answer(a, keep, item.language) for a in (item.answer, *item.accepted)
        }:
            return "reorder words are already in order"
    elif item.choices:
        return f"{item.type} takes no choices"
    if item.type == EC:
        right = (item.answer, *item.accepted)
        cased = case_matters(item.category, item.subcategory, item.type)
        if accepts(e.prompt, right, item.category, item.language, case_sensitive=cased):
            return "the sentence to correct is already accepted as the answer"
        if not changes(e.prompt, item.answer):
            return "the sentence to correct has no word-level difference from the answer"
    return None


def _check_coverage(language: str, category: str, subcategory: str, items: list[BankItem]) -> None:
    where = f"{language} bank, {category} / {subcategory}"
    for variety in VARIETIES.get(language, ("",)):
        served = [i for i in items if not i.variety or i.variety == variety]
        whose = f" for {variety} learners" if variety else ""
        if len(served) < MIN_ITEMS:
            raise BankError(f"{where}: {len(served)} items{whose}, needs at least {MIN_ITEMS}")
        easy = sum(1 for i in served if i.difficulty <= 2)
        if easy < MIN_EASY:
            raise BankError(
                f"{where}: {easy} items of difficulty 1-2{whose}, needs at least {MIN_EASY}"
            )
    levels = {i.difficulty for i in items}
    for low, high in DIFFICULTY_BANDS:
        if not any(low <= d <= high for d in levels):
            raise BankError(f"{where}: no item of difficulty {low}-{high}")
    kinds = Counter(i.type for i in items)
    if len(kinds) < MIN_KINDS:
        raise BankError(f"{where}: only {len(kinds)} exercise types, needs {MIN_KINDS}")


def _norm_prompt(text: str) -> str:
    return " ".join(text.casefold().split())


def _sentence_core(text: str) -> str:
    """A sentence without its opening ¿/¡ and closing . ? ! (reorder words leave them out)."""
    # rstrip, not re.sub(r"[.?!]+$"): the regex retried from every mark of a long run
    # (1.7 s on 20,000 dots); the result is the same.
    return text.strip().rstrip(".?!").lstrip("¿¡").strip()


def answers_match(
    given: str,
    expected: list[str],
    category: str,
    language: str | None = None,
    *,
    case_sensitive: bool = False,
    after: str = "",
) -> bool:
    """Whether `given` is one of the right answers (checking.accepts: listed answers and the
    language's variants: contractions, pro-drop, verb-second fronting; with
    `case_sensitive`, capitals too; `after`, a blank's following words)."""
    return accepts(given, expected, category, language, case_sensitive=case_sensitive, after=after)

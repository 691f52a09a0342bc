"""Demo conversations in English, Spanish and German, checked when they load.

`load_corpus()` returns one `LanguageCorpus` per target language and refuses a corpus
in which an error's excerpt is not part of its sentence, a (category, subcategory) is
outside the taxonomy, a sentence appears twice, or a topic is thin; the seed only ever
sees a corpus that passed. `python -m scripts.demo_corpus` prints its size per language.
"""

from __future__ import annotations

import itertools
from functools import lru_cache
from zoneinfo import ZoneInfo

from resolvers.demo.corpus import de, en, es
from resolvers.demo.corpus.common import NATIVES, TOPICS
from resolvers.demo.corpus.model import E, LanguageCorpus, TutorVoice, U
from resolvers.taxonomy import TAXONOMY

MIN_UTTERANCES_PER_TOPIC = 10
MIN_CLEAN_PER_TOPIC = 4
MIN_FOLLOW_UPS_PER_TOPIC = 4

_ERROR_FIELDS = {"excerpt": "x", "correction": "y", "explanation": "z."}


class CorpusError(ValueError):
    """The demo corpus contradicts itself; the message lists every problem found."""


@lru_cache(maxsize=1)
def load_corpus() -> dict[str, LanguageCorpus]:
    corpora = {c.language: c for c in (en.CORPUS, es.CORPUS, de.CORPUS)}
    problems = _check_natives()
    for corpus in corpora.values():
        problems += check_language(corpus)
    if problems:
        raise CorpusError("demo corpus:\n" + "\n".join(problems))
    return corpora


def check_language(corpus: LanguageCorpus) -> list[str]:
    lang = corpus.language
    problems: list[str] = []
    for name, section in (
        ("utterances", corpus.utterances),
        ("clean", corpus.clean),
        ("follow_ups", corpus.follow_ups),
        ("topic_names", corpus.topic_names),
    ):
        if set(section) != set(TOPICS):
            problems.append(f"{lang} {name}: topics {sorted(set(section) ^ set(TOPICS))} differ")
    for topic in TOPICS:
        for name, rows, least in (
            ("utterances", corpus.utterances.get(topic, ()), MIN_UTTERANCES_PER_TOPIC),
            ("clean", corpus.clean.get(topic, ()), MIN_CLEAN_PER_TOPIC),
            ("follow_ups", corpus.follow_ups.get(topic, ()), MIN_FOLLOW_UPS_PER_TOPIC),
        ):
            if len(rows) < least:
                problems.append(f"{lang} {topic}: {len(rows)} {name}, fewer than {least}")
    seen: set[str] = set()
    for topic, rows in corpus.utterances.items():
        for u in rows:
            problems += [f"{lang} {topic}: {p}" for p in _check_utterance(u, corpus, True)]
            if u.text in seen:
                problems.append(f"{lang} {topic}: {u.text!r} appears twice")
            seen.add(u.text)
    for topic, rows in corpus.clean.items():
        for u in rows:
            problems += [f"{lang} {topic}: {p}" for p in _check_utterance(u, corpus, False)]
            if u.text in seen:
                problems.append(f"{lang} {topic}: {u.text!r} appears twice")
            seen.add(u.text)
    unknown = sorted(set(corpus.natives) - set(NATIVES))
    if unknown:
        problems.append(f"{lang}: native languages {unknown} have no names or time zones")
    problems += [f"{lang} voice: {p}" for p in _check_voice(corpus.voice)]
    return problems


def _check_utterance(u: U, corpus: LanguageCorpus, with_errors: bool) -> list[str]:
    where = repr(u.text)
    problems: list[str] = []
    if with_errors and not u.errors:
        problems.append(f"{where} is listed with mistakes but has none")
    if not with_errors and u.errors:
        problems.append(f"{where} is listed as clean but has mistakes")
    spans: list[tuple[int, int]] = []
    for e in u.errors:
        problems += [f"{where}: {p}" for p in _check_error(u.text, e)]
        start = u.text.find(e.excerpt)
        if start >= 0:
            spans.append((start, start + len(e.excerpt)))
    spans.sort()
    if any(a[1] > b[0] for a, b in itertools.pairwise(spans)):
        problems.append(f"{where}: excerpts overlap")
    if u.natives and not set(u.natives) & set(corpus.natives):
        problems.append(f"{where}: no learner of {corpus.language} speaks {u.natives}")
    return problems


def _check_error(text: str, e: E) -> list[str]:
    problems: list[str] = []
    if e.subcategory not in TAXONOMY.get(e.category, ()):
        problems.append(f"{e.pair} is not in the taxonomy")
    count = text.count(e.excerpt) if e.excerpt else 0
    if count != 1:
        problems.append(f"excerpt {e.excerpt!r} occurs {count} times (must be exactly once)")
    if not e.correction or e.correction == e.excerpt:
        problems.append(f"correction {e.correction!r} does not change {e.excerpt!r}")
    ending = e.explanation.strip().rstrip("'\"\u2019\u201d\u00bb")  # closing quotes
    if not ending or ending[-1] not in ".?!":
        problems.append(f"explanation of {e.excerpt!r} is not a finished sentence")
    return problems


def _check_voice(voice: TutorVoice) -> list[str]:
    problems: list[str] = []
    required = (
        ("corrections", voice.corrections, ("{excerpt}", "{correction}", "{explanation}")),
        ("second_error", voice.second_error, ("{excerpt}", "{correction}", "{explanation}")),
        ("recasts", voice.recasts, ("{fixed}",)),
        ("openers", voice.openers, ("{name}", "{topic}")),
        ("praise", voice.praise, ()),
        ("retry", voice.retry, ()),
    )
    for name, templates, fields in required:
        if len(templates) < 3:
            problems.append(f"{name}: fewer than 3 phrasings")
        for t in templates:
            missing = [f for f in fields if f not in t]
            if missing:
                problems.append(f"{name} {t!r} lacks {missing}")
            try:
                t.format(**_ERROR_FIELDS, fixed="f", name="n", topic="t")
            except (KeyError, IndexError, ValueError) as exc:
                problems.append(f"{name} {t!r} does not format: {exc!r}")
    return problems


def _check_natives() -> list[str]:
    problems: list[str] = []
    for language, native in NATIVES.items():
        for zone in native.zones:
            try:
                ZoneInfo(zone)
            except (KeyError, ValueError):
                problems.append(f"{language}: {zone!r} is not an IANA time zone")
    return problems


def summary() -> str:
    lines = [f"{'language':<10}{'with errors':>12}{'clean':>7}{'errors':>8}{'pairs':>7}"]
    for language, c in load_corpus().items():
        rows = [u for us in c.utterances.values() for u in us]
        errors = [e for u in rows for e in u.errors]
        lines.append(
            f"{language:<10}{len(rows):>12}{sum(len(v) for v in c.clean.values()):>7}"
            f"{len(errors):>8}{len({e.pair for e in errors}):>7}"
        )
    return "\n".join(lines)

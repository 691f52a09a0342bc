"""Answer checking: which typed answers a teacher would accept, and what a near miss is told.

An exercise lists its model answer and, per item, other answers that are also right. On top
of those lists, four families of variants are accepted for every item of a language, so an
author never has to enumerate them:

* English contractions either way ("I do not like" for "I don't like"), except in
  Apostrophes exercises, where the contraction is the point;
* Spanish pro-drop: the subject pronoun of the model answer may be left out ("fui a la
  playa" for "yo fui a la playa"), as Spanish normally does;
* German verb-second fronting: a main clause "Ich komme morgen nicht" may start with the
  adverb or prepositional phrase instead ("Morgen komme ich nicht"), and the other way
  round;
* an English time phrase at the end or the front of the sentence ("Last Saturday I went
  to the beach" for "I went to the beach last Saturday").

Case is ignored, except where capitals are the skill practised (a category or subcategory
about capitalisation, such as German Noun Capitalisation): there a typed answer whose words
match but whose capitals differ from the model answer's is wrong, and the feedback names
the words ("Check the capital letters: \"dienstagabend\"."). The first word of a
sentence is held to it too: the answer is a written sentence and the model answer starts
with a capital. A multiple choice is exempt: picking a choice is the answer, however typed.

A wrong answer close to a right one gets feedback that names what is off: only the accents
("Only the accent: simpática."), only the punctuation, one misspelt word, or the words
still wrong in a sentence ("Still wrong: \"since three years\"."), without revealing the
rest of the answer.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from difflib import SequenceMatcher
from itertools import product

from resolvers.practice.hints import changes

MAX_VARIANTS = 64

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})
_END = re.compile(r"[\s.!?]+$")
_ANY_PUNCT = re.compile(r"[^\w\s']|(?<!\w)'|'(?!\w)")
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})


def normalize_answer(text: str, keep_punctuation: bool = False) -> str:
    """Ignore case, spacing, end punctuation and, unless punctuation is the point, all
    punctuation (an apostrophe inside a word, as in "don't", is kept, and so are Spanish
    opening marks in punctuation exercises).

    Accents stay significant: Spanish "esta"/"está" and "si"/"sí" are different words, and
    so are German "schon"/"schön". Two spellings are equal by German convention rather than
    by leniency: "ss" for "ß" (Swiss German writes no ß; case folding maps ß to ss) and
    "ae"/"oe"/"ue" for "ä"/"ö"/"ü", the standard substitute on a keyboard without
    umlauts ("Tuer" = "Tür", but "Tur" is wrong).
    """
    value = unicodedata.normalize("NFKC", text).translate(_QUOTES).casefold().strip()
    value = value.translate(_UMLAUTS)
    value = value.strip('"')
    if len(value) > 1 and value[0] == value[-1] == "'":  # quoted, not a closing possessive
        value = value[1:-1]
    value = _END.sub("", value)
    if keep_punctuation:
        value = re.sub(r"\s*([,;:])\s*", r"\1 ", value)
    else:
        value = _ANY_PUNCT.sub(" ", value)
    return " ".join(value.split())


# ---- English contractions -------------------------------------------------------------

_EN_FIXED = {
    "can't": ("can not",),
    "cannot": ("can not",),
    "won't": ("will not",),
    "shan't": ("shall not",),
    "ain't": ("is not", "are not", "am not"),
    "let's": ("let us",),
    "i'm": ("i am",),
}
# 's after these words is "is" or "has"; after a noun it is a possessive and stays.
_EN_S_HOSTS = frozenset(
    "he she it that there what who where here how when why everyone everything nobody".split()
)
_EN_SUFFIXES = (
    ("n't", ("not",)),
    ("'re", ("are",)),
    ("'ve", ("have",)),
    ("'ll", ("will",)),
    ("'d", ("would", "had")),
)


def _en_word(word: str) -> tuple[str, ...]:
    if word in _EN_FIXED:
        return _EN_FIXED[word]
    if word.endswith("'s") and word[:-2] in _EN_S_HOSTS:
        host = word[:-2]
        return (f"{host} is", f"{host} has")
    for suffix, expansions in _EN_SUFFIXES:
        if word.endswith(suffix) and len(word) > len(suffix):
            host = word[: -len(suffix)]
            return tuple(f"{host} {e}" for e in expansions)
    return (word,)


def _expand_english(text: str) -> set[str]:
    words = text.split()
    options = [_en_word(w) for w in words]
    out: set[str] = set()
    for combo in product(*options):
        out.add(" ".join(combo))
        if len(out) >= MAX_VARIANTS:
            break
    return out


# English time phrases may stand at the end or at the front of a clause:
# "I went to the beach last Saturday" = "Last Saturday I went to the beach".
_EN_DAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_EN_TIME = (
    rf"yesterday|today|tomorrow|tonight|(?:last|next|this|every) (?:week|month|year|night|"
    rf"weekend|summer|winter|spring|autumn|morning|evening|{_EN_DAYS})|on (?:{_EN_DAYS})s?|"
    r"at the weekend|on the weekend|in the (?:morning|afternoon|evening)|"
    r"(?:a|one|two|three|four|five|six|\d+) (?:days?|weeks?|months?|years?) ago"
)
_EN_TIME_END = re.compile(rf"^(?P<rest>.+\w) (?P<time>{_EN_TIME})$")
_EN_TIME_START = re.compile(rf"^(?P<time>{_EN_TIME}) (?P<rest>\w.+)$")


def _english_time_fronting(text: str) -> set[str]:
    if m := _EN_TIME_END.match(text):
        return {f"{m['time']} {m['rest']}"}
    if m := _EN_TIME_START.match(text):
        return {f"{m['rest']} {m['time']}"}
    return set()


# ---- Spanish pro-drop -------------------------------------------------------------------

_ES_SUBJECTS = frozenset(
    "yo tú él ella usted nosotros nosotras vosotros vosotras ellos ellas ustedes".split()
)
# A pronoun right after one of these is an object or a comparison, never a dropped subject.
_ES_BEFORE_NON_SUBJECT = frozenset(
    "a de con para por sin en sobre entre hacia hasta según contra que como y o ni".split()
)


def _drop_spanish_subject(text: str) -> set[str]:
    words = text.split()
    out = set()
    for i, w in enumerate(words):
        if w not in _ES_SUBJECTS or i == len(words) - 1:
            continue
        if i > 0 and words[i - 1] in _ES_BEFORE_NON_SUBJECT:
            continue
        out.add(" ".join(words[:i] + words[i + 1 :]))
    return out


# ---- German verb-second fronting --------------------------------------------------------

_DE_SUBJECTS = frozenset("ich du er sie es wir ihr man".split())
_DE_PREPOSITIONS = frozenset(
    "an am auf aus bei beim mit nach seit von vom zu zum zur in im ins um für über unter "
    "vor hinter neben zwischen durch gegen ohne während wegen".split()
)
_DE_NOT_FRONTED = frozenset(
    "und oder aber denn sondern nicht der die das den dem des ein eine einen einem einer "
    "eines mich mir dich dir sich uns euch ihn ihm ihnen".split()
)
_DE_PRONOUNS = frozenset("es mich mir dich dir sich uns euch ihn ihm ihnen".split())
_DE_QUESTION = frozenset("wann wo wohin woher warum was wie wer wen wem welche welcher".split())


# Time noun phrases that move like an adverb: "letzten Sommer", "jeden Tag".
_DE_TIME_DET = frozenset(
    "letzten letzte letztes nächsten nächste nächstes naechsten naechste naechstes jeden "
    "jede jedes diesen diese dieses vorigen vorige voriges vergangenen vergangene "
    "vergangenes kommenden kommende kommendes".split()
)
_DE_ARTICLES = frozenset(
    "der die das den dem des ein eine einen einem einer eines mein meine meinen meinem "
    "meiner dein deine sein seine ihr ihre unser unsere kein keine keinen".split()
)
# A final word like these is (or may be) the clause's final verb part: nothing moves past it.
_DE_PARTICLES = frozenset(
    "an auf aus ein mit zu zurück zurueck weg vor nach ab fest los her hin vorbei".split()
)


def _final_is_free(written: str | None) -> bool:
    """Whether the answer's last word is not a final verb part (participle, infinitive,
    separable particle), so a phrase may end the sentence after it or be fronted from
    there: a capitalised word (a noun; the answer as written shows it) or a small word that
    cannot be a verb form ("hier", "dort")."""
    if not written:
        return False
    words = [w.strip(_WORD_EDGE) for w in written.split()]
    words = [w for w in words if w]
    if len(words) < 2:
        return False
    last = words[-1]
    if last[:1].isupper():
        return True
    folded = last.casefold()
    return folded.isalpha() and folded not in _DE_PARTICLES and not folded.endswith(("n", "t"))


def _fronting_chunks(rest: list[str], final_free: bool = False) -> list[tuple[int, int]]:
    """Spans of `rest` (the middle field after subject and verb) that may stand first: one
    adverb-like word, a time noun phrase ("letzten Sommer"), or a prepositional phrase of up
    to four words; never the final word when it may be a verb part (a participle,
    infinitive or separable particle stays at the end), and never a word inside a phrase."""
    spans = []
    last = len(rest) if final_free else len(rest) - 1
    for i, word in enumerate(rest[:last]):
        before = rest[i - 1] if i > 0 else ""
        inside = before in _DE_PREPOSITIONS or before in _DE_ARTICLES or before in _DE_TIME_DET
        if word in _DE_PREPOSITIONS:
            for end in range(i + 2, min(i + 4, last) + 1):
                spans.append((i, end))
        elif word in _DE_TIME_DET and i + 2 <= last:
            spans.append((i, i + 2))
        elif inside or (final_free and i == len(rest) - 1):
            continue  # part of a phrase, or the noun ending the sentence on its own
        elif word not in _DE_NOT_FRONTED and word not in _DE_SUBJECTS:
            spans.append((i, i + 1))
    return spans


def _german_v2(text: str, final_free: bool = False) -> set[str]:
    words = text.split()
    out: set[str] = set()
    if len(words) < 4 or words[0] in _DE_QUESTION:
        return out
    if words[0] in _DE_SUBJECTS:  # "ich komme morgen nicht" -> "morgen komme ich nicht"
        subject, verb, rest = words[0], words[1], words[2:]
        for i, j in _fronting_chunks(rest, final_free):
            out.add(" ".join([*rest[i:j], verb, subject, *rest[:i], *rest[j:]]))
        return out
    for j in range(2, min(6, len(words) - 1)):  # "morgen komme ich nicht" -> "ich komme ..."
        if words[j] in _DE_SUBJECTS:
            fronted, verb = words[: j - 1], words[j - 1]
            phrase = fronted[0] in _DE_PREPOSITIONS or (
                len(fronted) == 2 and fronted[0] in _DE_TIME_DET
            )
            if (phrase or len(fronted) == 1) and fronted[0] not in _DE_NOT_FRONTED:
                rest = words[j + 1 :]
                # unstressed pronouns open the middle field: "er hat es mir gestern gesagt"
                k = 0
                while k < len(rest) - 1 and rest[k] in _DE_PRONOUNS:
                    k += 1
                out.add(" ".join([words[j], verb, *rest[:k], *fronted, *rest[k:]]))
                if final_free and phrase and rest:  # "seit zwei jahren wohne ich hier"
                    out.add(" ".join([words[j], verb, *rest, *fronted]))
            break
    return out


# ---- capitals ----------------------------------------------------------------------------


def case_matters(category: str, subcategory: str = "", kind: str | None = None) -> bool:
    """Whether capitals are judged: the skill is capitalisation (in any language), and the
    answer is typed rather than chosen (a multiple choice's choices differ by more than
    case; the bank checks they are distinct after normalisation)."""
    if kind == "multiple_choice":
        return False
    return any("capitali" in (text or "").casefold() for text in (category, subcategory))


_WORD_EDGE = ".,;:!?¿¡\"'()«»„“”"


def written_words(text: str) -> list[str]:
    """The words of an answer as written (case kept), punctuation around them removed and
    German's substitutes mapped as the comparison maps them (ae = ä, ss = ß)."""
    value = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    out = []
    for raw in _ANY_PUNCT.sub(" ", value).split():
        word = raw.strip(_WORD_EDGE)
        if word:
            out.append(word)
    return out


def _fold_word(word: str) -> str:
    return word.casefold().translate(_UMLAUTS)


def _same_case(given: str, right: str) -> bool:
    """Capitals in the same places, whatever substitute spelling was used ("Tuer" for
    "Tür", "Spass" for "Spaß"): only the first letter and the word's overall case count
    where the lengths differ."""
    if len(given) == len(right):
        return all(g.isupper() == r.isupper() for g, r in zip(given, right, strict=True))
    return given[:1].isupper() == right[:1].isupper() and (given.isupper() == right.isupper())


def case_errors(given: str, expected: Iterable[str]) -> list[str]:
    """The words of `given` (as typed) whose capitals differ from a model answer's.

    Word by word against an answer with the same words in the same order; for a reordered
    variant (German fronting) against the capitals each word has inside the answer, where a
    word that only stands first there may be small elsewhere and the first word of the
    given answer needs its capital."""
    typed = written_words(given)
    if not typed:
        return []
    answers = [written_words(e) for e in expected]
    folded = [_fold_word(w) for w in typed]
    for words in answers:
        if [_fold_word(w) for w in words] == folded:
            return [g for g, r in zip(typed, words, strict=True) if not _same_case(g, r)]
    forms: dict[str, list[str]] = {}
    for words in answers:
        for i, w in enumerate(words):
            options = forms.setdefault(_fold_word(w), [])
            options.append(w)
            if i == 0 and w[:1].isupper():  # capital only because it opens the sentence
                options.append(w[:1].lower() + w[1:])
    wrong = []
    for i, word in enumerate(typed):
        found = forms.get(_fold_word(word))
        if not found:
            continue  # a word the answer lacks: wrong anyway, not a capitalisation matter
        options = [o[:1].upper() + o[1:] for o in found] if i == 0 else found
        if not any(_same_case(word, o) for o in options):
            wrong.append(word)
    return wrong


def capitals_feedback(words: list[str]) -> str:
    noun = "capital letter" if len(words) == 1 else "capital letters"
    return f"Check the {noun}: " + ", ".join(f'"{w}"' for w in words) + "."


# ---- alternatives an explanation names --------------------------------------------------

_QUOTE_OR = re.compile(r"'(?P<a>[^']+)'\)?\s*\(?(?:,\s*)?or\s+'(?P<b>[^']+)'")
_OPTIONAL = re.compile(r"\s*\(([^()]+)\)")


def named_alternatives(answer: str, explanation: str, changed: Iterable[str] = ()) -> list[str]:
    """Other right answers an explanation names, in the two forms explanations quote them:
    "'1989' or 'im Jahr 1989'" and "'zweimal in der Woche' (or 'zweimal pro Woche')", where
    one quoted form is in the answer and the other takes its place; and an optional part in
    brackets, "'ich bin 25 (Jahre alt)'", where the answer has it and may leave it out.
    Matched ignoring case, the answer's own capitals kept at its start. Only a quoted form
    that overlaps one of the `changed` phrases (the corrections) counts: an explanation's
    other quotes are examples, not alternatives."""
    fixes = [c.casefold() for c in changed if c.strip()]

    def about_fix(part: str) -> bool:
        p = part.casefold()
        return any(f in p or p in f for f in fixes)

    out: list[str] = []
    folded = answer.casefold()

    def put(start: int, end: int, text: str) -> None:
        new = answer[:start] + text + answer[end:]
        if start == 0 and answer[:1].isupper():
            new = new[:1].upper() + new[1:]
        new = re.sub(r"\s+", " ", new).strip()
        if "..." in text or "…" in text:
            return  # a pattern ("hace ... que"), not a form to put in
        if new.casefold() != folded and new not in out:
            out.append(new)

    def find(part: str) -> int:
        m = re.search(rf"(?<!\w){re.escape(part.casefold())}(?!\w)", folded)
        return m.start() if m else -1

    for m in _QUOTE_OR.finditer(explanation):
        pair = (m["a"], m["b"])
        for one, other in (pair, pair[::-1]):
            at = find(one)
            if at >= 0 and about_fix(one):
                put(at, at + len(one), other)
                break
    for quoted in re.findall(r"'([^']+)'", explanation):
        if "(" not in quoted:
            continue
        full = " ".join(_OPTIONAL.sub(lambda m: " " + m[1], quoted).split())
        short = " ".join(_OPTIONAL.sub("", quoted).split())
        at = find(full)
        if at >= 0 and about_fix(full):
            put(at, at + len(full), short)
    return out


# ---- matching ---------------------------------------------------------------------------


def variants(
    normalized: str, language: str | None, category: str, written: str | None = None
) -> set[str]:
    """Every normalized form that counts as this (normalized) answer; `written`, the answer
    as written, tells German nouns (capitalised) from a final verb part."""
    forms = {normalized}
    if language == "Spanish":
        forms |= _drop_spanish_subject(normalized)
    elif language == "German":
        forms |= _german_v2(normalized, _final_is_free(written))
    elif language == "English" and category != "Punctuation":
        forms |= _english_time_fronting(normalized)
        forms = {e for f in forms for e in _expand_english(f)}
    return forms


def _canonical(normalized: str, language: str | None, category: str) -> set[str]:
    """The forms a typed answer is compared as: contractions expanded for English."""
    if language == "English" and category != "Punctuation":
        return _expand_english(normalized)
    return {normalized}


def accepts(
    given: str,
    expected: Iterable[str],
    category: str,
    language: str | None = None,
    *,
    case_sensitive: bool = False,
) -> bool:
    """Whether `given` is right. `case_sensitive` (see case_matters): capitals count too."""
    expected = list(expected)
    keep = category == "Punctuation"
    targets: set[str] = set()
    for answer in expected:
        targets |= variants(normalize_answer(answer, keep), language, category, answer)
    if not _canonical(normalize_answer(given, keep), language, category) & targets:
        return False
    return not (case_sensitive and case_errors(given, expected))


# ---- near misses ------------------------------------------------------------------------


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def _closest(given: str, candidates: Iterable[str]) -> str:
    return max(candidates, key=lambda c: SequenceMatcher(None, given.split(), c.split()).ratio())


def _quote(words: Iterable[str]) -> str:
    return re.sub(r"\s+([,.;:?!])", r"\1", " ".join(words))


def near_miss(
    given: str,
    expected: list[str],
    category: str,
    language: str | None = None,
    choices: Iterable[str] = (),
    *,
    case_sensitive: bool = False,
) -> str | None:
    """What is off in a wrong answer that is close to a right one; None if it is not close."""
    if not given.strip() or not expected:
        return None
    keep = category == "Punctuation"
    if case_sensitive and accepts(given, expected, category, language):
        wrong_case = case_errors(given, expected)
        if wrong_case:
            return capitals_feedback(wrong_case)
    if keep:
        loose = {normalize_answer(e) for e in expected}
        if normalize_answer(given) in loose:
            return "The words are right; check the punctuation."
    norm_given = normalize_answer(given, keep)
    forms: dict[str, str] = {}  # normalized variant -> the answer as written
    for answer in expected:
        for form in variants(normalize_answer(answer, keep), language, category, answer):
            forms.setdefault(form, answer)
    bare = strip_accents(norm_given)
    for form, answer in forms.items():
        if strip_accents(form) == bare and form != norm_given:
            written = [w.strip(".,;:!?¿¡\"'") for w in answer.split()]
            typed = set(given.casefold().split())
            fixed = [w for w in written if w.casefold() not in typed and strip_accents(w) != w] or [
                w for w in written if strip_accents(w.casefold()) != w.casefold()
            ]
            noun = "accent" if len(fixed) <= 1 else "accents"
            return f"Only the {noun}: {', '.join(fixed)}."
    if any(normalize_answer(c, keep) == norm_given for c in choices):
        return None  # a wrong choice is a wrong choice, not a near miss
    best = _closest(norm_given, forms)
    given_words, best_words = norm_given.split(), best.split()
    if len(given_words) == len(best_words):
        differing = [(g, b) for g, b in zip(given_words, best_words, strict=True) if g != b]
        if len(differing) == 1 and len(differing[0][1]) >= 4:
            wrong, right = differing[0]
            if _edit_distance(strip_accents(wrong), strip_accents(right)) <= 2:
                if len(best_words) == 1:
                    return "Almost: check the spelling."
                return f'Almost: check the spelling of "{wrong}".'
    if len(best_words) < 3:
        return None
    found = changes(norm_given, best)
    changed = sum(max(len(c.wrong), len(c.right)) for c in found)
    if not found or len(found) > 3 or changed * 2 > len(best_words):
        return None  # not close: more than half of it differs
    wrong_parts = [_quote(c.wrong) for c in found if c.wrong]
    if len(found) == 1 and not found[0].wrong:
        anchor = found[0].before or found[0].after
        where = f'after "{anchor}"' if found[0].before else f'before "{anchor}"'
        return f"Something is missing {where}."
    if sorted(w for c in found for w in c.wrong) == sorted(w for c in found for w in c.right):
        return "The words are right; check their order."
    return "Still wrong: " + ", ".join(f'"{p}"' for p in wrong_parts) + "."

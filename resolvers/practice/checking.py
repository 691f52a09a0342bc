"""Answer checking: which typed answers a teacher would accept, and what a near miss is told.

An exercise lists its model answer and, per item, other answers that are also right. On top
of those lists, four families of variants are accepted for every item of a language, so an
author never has to enumerate them:

* English contractions either way ("I do not like" for "I don't like"), except in
  Punctuation exercises (Apostrophes among them), where the contraction is the point. A
  contraction that stands for more than one word ('s, 'd, ain't) is read as the words
  after it allow, in the model answer and in the learner's alike: "I'd like" is "I would
  like" and never "I had like", "I'd finished" is "I had finished", "I'd better" is "I had
  better", "she's been" is "she has been", "she's a nurse" is "she is a nurse" (not "she
  has"); where both readings are grammatical ("I'd put", "he's gone") both count;
* Spanish pro-drop: the subject pronoun of the model answer may be left out ("fui a la
  playa" for "yo fui a la playa"), as Spanish normally does;
* German verb-second fronting: a main clause "Ich komme morgen nicht" may start with the
  adverb or prepositional phrase instead ("Morgen komme ich nicht"), and the other way
  round;
* an English time phrase at the end or the front of the sentence ("Last Saturday I went
  to the beach" for "I went to the beach last Saturday").

German's keyboard substitutes (ae, oe, ue for ä, ö, ü; ss for ß) are the letters they
stand for in German answers only: Spanish "pingueino" is not "pingüino". Punctuation is
ignored outside Punctuation exercises, but not the apostrophes that make a word: the one
inside a contraction ("dont" is wrong; a phone's curly one is "'") and a possessive's
("my parents house" is wrong for "my parents' house").

Case is ignored, except where capitals are the skill practised (a category or subcategory
about capitalisation, such as German Noun Capitalisation): there a typed answer whose words
match but whose capitals differ from the model answer's is wrong, and the feedback names
the words ("Check the capital letters: \"dienstagabend\"."). The first word of a
sentence is held to it too: the answer is a written sentence and the model answer starts
with a capital. A multiple choice is exempt: picking a choice is the answer, however typed.

A wrong answer close to a right one gets feedback that names what is off, without revealing
the rest of the answer: only the accents ("Only the accent: simpática.", "Only the umlaut:
müde."), only the punctuation, an apostrophe ("Almost: \"dont\" needs an apostrophe."),
a misspelt word, or the words still wrong in a sentence ("Still wrong: \"since\".") and
where a word is missing, by the word next to the gap, never the missing word itself
("Still wrong: \"realised\". Something is also missing after \"then\".").
"Spelling" is said only where a slip of the pen is the likely cause (a Spelling exercise, a
sentence to reorder): elsewhere a word a letter off ("goes", "den") is the grammar being
practised. Words are quoted as the learner wrote them, capitals, umlauts and ß kept, and a
contraction is compared with a contraction, so one that was right is never named.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import product

from resolvers.practice.hints import SR, tokens

MAX_VARIANTS = 64

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})
_END = re.compile(r"[\s.!?]+$")
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})
_WORD_CHAR = re.compile(r"\w")
_MARK = re.compile(r"[^\w\s]")
# A word-final apostrophe after these letters may be a possessive's: "parents'", "Hans'",
# German "Max'" and "Fritz'".
_POSSESSIVE_END = frozenset("sxzß")


def _punct_gaps(text: str) -> list[int]:
    """Where normalize_answer blanks out punctuation when it is not the point: every mark
    except an apostrophe inside a word ("don't", "it's") and a possessive's apostrophe
    after a final s, x or z ("my parents' house", "Hans' Auto", "Max' Rad"). An apostrophe
    opening a quote ("he said 'yes'") and the one closing it are quotes and go (a
    possessive inside a quote then goes with them: a rare loss, on the lenient side)."""
    gaps = []
    opened = 0
    last = len(text) - 1
    for m in _MARK.finditer(text):
        i = m.start()
        if text[i] != "'":
            gaps.append(i)
            continue
        after = i > 0 and bool(_WORD_CHAR.match(text[i - 1]))
        before = i < last and bool(_WORD_CHAR.match(text[i + 1]))
        if after and before:
            continue  # inside a word
        if not after:
            opened += before  # opens a quote (or stands alone)
            gaps.append(i)
        elif opened:
            opened -= 1  # closes the quote
            gaps.append(i)
        elif text[i - 1].lower() not in _POSSESSIVE_END:
            gaps.append(i)
    return gaps


def _blank_punctuation(text: str) -> str:
    gaps = set(_punct_gaps(text))
    return "".join(" " if i in gaps else c for i, c in enumerate(text))


def _fold(text: str, language: str | None) -> str:
    """Case folded, and in German its keyboard substitutes taken as the letters they stand
    for (ä = ae, ö = oe, ü = ue, ß = ss). Elsewhere ü is ü and ß is ß: Spanish
    "pingueino" is not "pingüino"."""
    if language == "German":
        return text.casefold().translate(_UMLAUTS)
    return "ß".join(part.casefold() for part in text.replace("ẞ", "ß").split("ß"))


def normalize_answer(text: str, keep_punctuation: bool = False, language: str | None = None) -> str:
    """Ignore case, spacing, end punctuation and, unless punctuation is the point, all
    punctuation but the apostrophes that make a word (kept: the one inside a word, as in
    "don't", and a possessive's after a final s, x or z, as in "parents'"; Spanish opening
    marks are kept in punctuation exercises).

    Accents stay significant: Spanish "esta"/"está" and "si"/"sí" are different words, and
    so are German "schon"/"schön". In German (`language`), two spellings are equal by
    convention rather than by leniency: "ss" for "ß" (Swiss German writes no ß; case
    folding maps ß to ss) and "ae"/"oe"/"ue" for "ä"/"ö"/"ü", the standard substitute on
    a keyboard without umlauts ("Tuer" = "Tür", but "Tur" is wrong). In any other language,
    or none given, they are different letters.
    """
    value = _fold(unicodedata.normalize("NFKC", text).translate(_QUOTES), language).strip()
    value = value.strip('"')
    if len(value) > 1 and value[0] == value[-1] == "'":  # quoted, not a closing possessive
        value = value[1:-1]
    value = _END.sub("", value)
    if keep_punctuation:
        value = re.sub(r"\s*([,;:])\s*", r"\1 ", value)
    else:
        value = _blank_punctuation(value)
    return " ".join(value.split())


# ---- English contractions -------------------------------------------------------------

_EN_FIXED = {
    "can't": ("can not",),
    "cannot": ("can not",),
    "won't": ("will not",),
    "shan't": ("shall not",),
    "let's": ("let us",),
    "i'm": ("i am",),
}
_EN_SUFFIXES = (
    ("n't", "not"),
    ("'re", "are"),
    ("'ve", "have"),
    ("'ll", "will"),
)

# Three contractions stand for more than one word: 's (is, has, or a possessive), 'd
# (would, had, and after a question word did) and ain't (am/is/are not, have/has not).
# Each is expanded only to what is grammatical before the word after it, in the model
# answer and in the learner's answer alike: "I'd like" is "I would like", never "I had
# like"; "I'd finished" is "I had finished"; "He's a car" is not "He has a car". Where the
# next word allows both ("I'd put", "he's gone", a blank's answer with nothing after it),
# both are kept.
_EN_S_HOSTS = frozenset("he she it that there what who where here how when why".split())
# 's after these is "is"/"has" ("nobody's perfect") or a possessive ("nobody's fault");
# after a noun it is a possessive and stays.
_EN_S_OR_POSSESSIVE = frozenset(
    "everyone everybody everything nobody somebody someone anyone anybody nothing something "
    "anything".split()
)
_EN_WH = frozenset("what who where when why how".split())
_EN_SUBJECTS = frozenset("i you he she it we they".split())
# Words that may stand between the contraction and the verb it goes with.
_EN_ADVERBS = frozenset(
    "not never just already always still really also probably ever only even actually "
    "definitely certainly surely usually often sometimes rarely seldom hardly barely "
    "finally nearly almost simply truly obviously clearly recently once so too very "
    "quite".split()
)
# Past participles unlike the bare verb (regular ones end in -ed).
_EN_PARTICIPLES = frozenset(
    "been gone done seen taken given eaten written known grown shown thrown flown blown "
    "drawn withdrawn driven ridden risen arisen hidden bitten forbidden forgiven forgotten "
    "gotten got broken spoken chosen frozen stolen woken awoken fallen beaten mistaken "
    "shaken taken undertaken overtaken woven worn torn born borne sworn begun sung rung "
    "drunk swum sunk shrunk sprung stunk stung swung hung clung flung dug spun won struck "
    "stuck bought brought caught taught thought fought sought felt dealt dreamt knelt "
    "meant kept left slept swept wept crept leapt lent sent spent bent built burnt learnt "
    "spelt spilt spoilt lost told sold held found ground bound wound made paid said laid "
    "heard sat met fed led bled fled sped shot stood understood misunderstood had lit slid "
    "forgot rewritten proven shone bred dwelt leant sewn shorn slain slung smelt sown spat "
    "strewn striven strung swollen trodden wrung bidden forsaken hewn mown shaven "
    "wrought".split()
)
# "overslept", "withheld", "undone": a prefix on one of the verbs above.
_EN_VERB_PREFIXES = ("over", "under", "mis", "re", "out", "un", "fore", "with", "up", "be")
# Past participles that are also the bare verb: "I'd put" is "I would put" or "I had put".
_EN_BARE_OR_PARTICIPLE = frozenset(
    "come become overcome run put cut hit let set upset reset shut read hurt cost quit "
    "spread bet burst cast broadcast forecast split thrust rid fit beat shed".split()
)
# Ending in -ed without being a past participle ("I'd need"), and -eed ones that are.
_EN_ED_BARE = frozenset("need feed bleed breed speed proceed succeed exceed heed weed seed".split())
_EN_EED_PARTICIPLES = frozenset("agreed disagreed freed guaranteed decreed refereed".split())
# What "had" takes as a main verb ("I'd a feeling", "I'd to leave"), never "would".
_EN_HAD_OBJECT = frozenset(
    "a an the no some any my your his her its our their this these those to enough".split()
)
# Words a clause's subject may follow: "nobody's" after them may be "nobody is".
_EN_CLAUSE_OPENERS = frozenset(
    "and but or so because if when that since as while although though think thought "
    "know knew believe guess hope say said sure feel felt suppose realise realize".split()
)
_EN_PERFECT = frozenset("been got gotten had".split())


def _participle(word: str) -> bool | None:
    """Whether `word` is a past participle: True, False, or None for both a participle and
    a bare verb ("put", "come")."""
    stems = [word]
    if word not in ("resent", "relent"):  # bare verbs, not re- + sent/lent
        stems += [word[len(p) :] for p in _EN_VERB_PREFIXES if word.startswith(p)]
    if any(stem in _EN_BARE_OR_PARTICIPLE for stem in stems):
        return None
    if any(stem in _EN_PARTICIPLES or stem in _EN_EED_PARTICIPLES for stem in stems):
        return True
    return len(word) > 3 and word.endswith("ed") and word not in _EN_ED_BARE


def _next_word(words: list[str], i: int) -> tuple[str | None, bool]:
    """The word after words[i] that the contraction goes with, adverbs skipped, and
    whether an adverb was skipped."""
    j = i + 1
    while j < len(words) and words[j] in _EN_ADVERBS:
        j += 1
    return (words[j] if j < len(words) else None), j > i + 1


def _verb_after(words: list[str], i: int) -> tuple[str | None, bool, bool]:
    """As _next_word, past the subject of a question ("where'd you go", "where's he
    gone"): (the word, an adverb skipped, a subject skipped)."""
    word, skipped = _next_word(words, i)
    if word in _EN_SUBJECTS and words[i].rsplit("'", 1)[0] in _EN_WH:
        at = words.index(word, i + 1)
        later, more = _next_word(words, at)
        return later, skipped or more, True
    return word, skipped, False


def _readings_d(words: list[str], i: int) -> tuple[str, ...]:
    word, _, question = _verb_after(words, i)
    if word in ("better", "best"):
        return ("had",)
    if word in ("rather", "sooner"):
        return ("would",)
    participle = None if word is None else _participle(word)
    if participle:
        return ("had",)
    if participle is None:
        return ("would", "had", "did") if question else ("would", "had")
    if word in _EN_HAD_OBJECT and not question:
        return ("had",)
    return ("would", "did") if question else ("would",)


def _readings_s(words: list[str], i: int) -> tuple[str, ...]:
    word, _, question = _verb_after(words, i)
    if word is None:
        return ("is",) if question else ("is", "has")
    if word in _EN_PERFECT:
        return ("has",)
    if _participle(word) is not False:
        return ("is", "has")  # "he's gone", "it's finished": perfect or passive
    return ("is",)


def _verbal(word: str | None, skipped: bool) -> bool:
    """Whether the word after an 's is one a verb takes rather than a possessive's noun."""
    return (
        skipped
        or word is None
        or word in _EN_PERFECT
        or word in _EN_HAD_OBJECT
        or _participle(word) is not False
        or (len(word) > 4 and word.endswith("ing"))
        or word in ("here", "there", "in", "on", "at", "from", "with", "out", "away", "home")
    )


def _en_options(words: list[str]) -> list[tuple[str, ...]]:
    """For each (normalized) word, what it may stand for in this sentence: itself, or the
    expansions of a contraction that are grammatical where it stands."""
    out: list[tuple[str, ...]] = []
    for i, word in enumerate(words):
        if word in _EN_FIXED:
            out.append(_EN_FIXED[word])
            continue
        if word == "ain't":
            out.append(_readings_aint(words, i))
            continue
        if word.endswith("'s") and len(word) > 2:
            host = word[:-2]
            if host in _EN_S_HOSTS:
                out.append(tuple(f"{host} {r}" for r in _readings_s(words, i)))
                continue
            if host in _EN_S_OR_POSSESSIVE:
                after, skipped = _next_word(words, i)
                if _verbal(after, skipped):
                    readings = [f"{host} {r}" for r in _readings_s(words, i)]
                    if after is None:
                        readings.append(word)
                elif i == 0 or words[i - 1] in _EN_CLAUSE_OPENERS:
                    readings = [f"{host} is", word]
                else:
                    readings = [word]
                out.append(tuple(readings))
                continue
        if word.endswith("'d") and len(word) > 2:
            host = word[:-2]
            out.append(tuple(f"{host} {r}" for r in _readings_d(words, i)))
            continue
        for suffix, expansion in _EN_SUFFIXES:
            if word.endswith(suffix) and len(word) > len(suffix):
                out.append((f"{word[: -len(suffix)]} {expansion}",))
                break
        else:
            out.append((word,))
    return out


def _readings_aint(words: list[str], i: int) -> tuple[str, ...]:
    """ain't: am/is/are not by its subject, and have/has not where a participle follows."""
    subject = words[i - 1] if i > 0 else None
    word, _ = _next_word(words, i)
    be: tuple[str, ...]
    have: tuple[str, ...]
    if subject == "i":
        be, have = ("am not",), ("have not",)
    elif subject in ("you", "we", "they"):
        be, have = ("are not",), ("have not",)
    elif subject in _EN_S_HOSTS or subject in _EN_S_OR_POSSESSIVE or subject == "this":
        be, have = ("is not",), ("has not",)
    else:
        be, have = ("is not", "are not", "am not"), ("has not", "have not")
    if word in _EN_PERFECT:
        return have
    if word is None or _participle(word) is not False:
        return (*be, *have)
    return be


def _expand_english(text: str) -> set[str]:
    options = _en_options(text.split())
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
    """The words of an answer as written: case, umlauts, ß and substitute spellings kept
    ("Tuer" stays "Tuer"), the punctuation around them removed. Comparisons fold them
    (_fold_word); the words themselves are what feedback quotes."""
    value = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    out = []
    for raw in _blank_punctuation(value).split():
        word = raw.strip(_WORD_EDGE)
        if word:
            out.append(word)
    return out


def _fold_word(word: str, language: str | None) -> str:
    """A word as normalize_answer compares it (German substitutes mapped in German)."""
    return _fold(word, language)


def _same_case(given: str, right: str) -> bool:
    """Capitals in the same places, whatever substitute spelling was used ("Tuer" for
    "Tür", "Spass" for "Spaß"): only the first letter and the word's overall case count
    where the lengths differ."""
    if len(given) == len(right):
        return all(g.isupper() == r.isupper() for g, r in zip(given, right, strict=True))
    return given[:1].isupper() == right[:1].isupper() and (given.isupper() == right.isupper())


def case_errors(given: str, expected: Iterable[str], language: str | None = None) -> list[str]:
    """The words of `given` (as typed) whose capitals differ from a model answer's.

    Word by word against an answer with the same words in the same order; for a reordered
    variant (German fronting) against the capitals each word has inside the answer, where a
    word that only stands first there may be small elsewhere and the first word of the
    given answer needs its capital."""
    typed = written_words(given)
    if not typed:
        return []
    answers = [written_words(e) for e in expected]
    folded = [_fold_word(w, language) for w in typed]
    for words in answers:
        if [_fold_word(w, language) for w in words] == folded:
            return [g for g, r in zip(typed, words, strict=True) if not _same_case(g, r)]
    forms: dict[str, list[str]] = {}
    for words in answers:
        for i, w in enumerate(words):
            options = forms.setdefault(_fold_word(w, language), [])
            options.append(w)
            if i == 0 and w[:1].isupper():  # capital only because it opens the sentence
                options.append(w[:1].lower() + w[1:])
    wrong = []
    for i, word in enumerate(typed):
        found = forms.get(_fold_word(word, language))
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
    """Whether `given` is right. `case_sensitive` (see case_matters): capitals count too.
    `language` is the exercise's: German's substitute spellings count only in German, and
    each language's variants only in it."""
    expected = list(expected)
    keep = category == "Punctuation"
    targets: set[str] = set()
    for answer in expected:
        normalized = normalize_answer(answer, keep, language)
        targets |= variants(normalized, language, category, answer)
    if not _canonical(normalize_answer(given, keep, language), language, category) & targets:
        return False
    return not (case_sensitive and case_errors(given, expected, language))


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


@dataclass(frozen=True, slots=True)
class _Word:
    """A compared token with the word it stands for as written, so feedback can quote the
    learner's "Gemälden" or "I'd" rather than the comparison's "gemaelden" or "i would"."""

    key: str  # normalize_answer's form of the token
    shown: str  # as its answer writes it; for a contraction's parts, the whole contraction
    source: int  # the written word it comes from
    whole: bool = True  # False for a part of an expanded contraction ("would" of "I'd")


def _written_tokens(text: str, keep: bool) -> list[str]:
    """normalize_answer's tokens before case folding and the umlaut substitutes: the same
    trimming and punctuation edits, made on the text as typed (a typographic apostrophe
    stays as typed too). Every edit keeps the working copy and the typed text aligned."""
    shown = unicodedata.normalize("NFKC", text)
    work = shown.translate(_QUOTES)  # one character for one: positions stay shared
    start, end = 0, len(work)
    while start < end and work[start].isspace():
        start += 1
    while end > start and work[end - 1].isspace():
        end -= 1
    while start < end and work[start] == '"':
        start += 1
    while end > start and work[end - 1] == '"':
        end -= 1
    if end - start > 1 and work[start] == work[end - 1] == "'":
        start, end = start + 1, end - 1
    work, shown = work[start:end], shown[start:end]
    if m := _END.search(work):
        work, shown = work[: m.start()], shown[: m.start()]
    if keep:
        return re.sub(r"\s*([,;:])\s*", r"\1 ", shown).split()
    gaps = set(_punct_gaps(work))
    return "".join(" " if i in gaps else c for i, c in enumerate(shown)).split()


def _words(text: str, keep: bool, language: str | None) -> list[_Word]:
    keys = normalize_answer(text, keep, language).split()
    shown = _written_tokens(text, keep)
    if len(shown) != len(keys) or any(
        _fold_word(s.translate(_QUOTES), language) != k for s, k in zip(shown, keys, strict=True)
    ):
        shown = keys  # never quote a word that is not the one compared
    return [_Word(k, s, i) for i, (k, s) in enumerate(zip(keys, shown, strict=True))]


def _trace(keys: list[str], words: list[_Word]) -> list[_Word]:
    """A reordered or shortened variant (fronting, pro-drop) as the words it moved."""
    free = list(range(len(words)))
    out: list[_Word] = []
    for key in keys:
        at = next((i for i in free if words[i].key == key), None)
        if at is None:
            out.append(_Word(key, key, -1 - len(out)))
        else:
            free.remove(at)
            out.append(words[at])
    return out


def _expand(form: list[_Word]) -> list[list[_Word]]:
    """The form itself, then its contractions expanded as _expand_english expands them
    (by the words around them), each part remembering the contraction it was written as."""
    readings = _en_options([w.key for w in form])
    options = [
        [[_Word(part, w.shown, w.source, False) for part in e.split()] for e in found]
        if found != (w.key,)
        else [[w]]
        for w, found in zip(form, readings, strict=True)
    ]
    out = [form]
    seen: set[str] = set()
    for combo in product(*options):
        words = [w for part in combo for w in part]
        key = " ".join(w.key for w in words)
        if key not in seen:
            seen.add(key)
            if words != form:
                out.append(words)
        if len(seen) >= MAX_VARIANTS:
            break
    return out


def _english_variants(language: str | None, category: str) -> bool:
    return language == "English" and category != "Punctuation"


def _answer_forms(
    answer: str, language: str | None, category: str, keep: bool
) -> list[list[_Word]]:
    """What `variants` accepts for `answer`, word by word, and the answer as written with
    its contractions: a learner who contracts the same word is compared contraction to
    contraction, so a contraction is never reported for a word that was right."""
    words = _words(answer, keep, language)
    normalized = " ".join(w.key for w in words)
    others: set[str] = set()
    if language == "Spanish":
        others = _drop_spanish_subject(normalized)
    elif language == "German":
        others = _german_v2(normalized, _final_is_free(answer))
    elif _english_variants(language, category):
        others = _english_time_fronting(normalized)
    forms = [words, *(_trace(o.split(), words) for o in sorted(others - {normalized}))]
    if _english_variants(language, category):
        forms = [e for f in forms for e in _expand(f)]
    return forms


def _pieces(form: list[_Word]) -> list[_Word]:
    """Words split into words and punctuation marks (hints.tokens), as the corrections
    are: "however," is "however" and "," in a Punctuation exercise."""
    out: list[_Word] = []
    for w in form:
        keys = tokens(w.key) or [w.key]
        shown = tokens(w.shown) if w.whole else []
        if len(shown) != len(keys):
            shown = [w.shown if not w.whole else k for k in keys]
        out.extend(_Word(k, s, w.source, w.whole) for k, s in zip(keys, shown, strict=True))
    return out


Ops = list[tuple[str, int, int, int, int]]
# The learner's contractions are expanded for the comparison; past a few of them the
# answer is not a near miss anyway, and each form is one more diff per model form.
_GIVEN_FORMS = 16


def _diff(given: list[_Word], right: list[_Word]) -> Ops:
    matcher = SequenceMatcher(None, [w.key for w in given], [w.key for w in right], False)
    return [op for op in matcher.get_opcodes() if op[0] != "equal"]


def _cost(given: list[_Word], right: list[_Word], ops: Ops) -> int:
    """How many written words differ, on both sides: what a learner would count."""
    wrong = {given[i].source for _, i1, i2, _, _ in ops for i in range(i1, i2)}
    fixed = {right[j].source for _, _, _, j1, j2 in ops for j in range(j1, j2)}
    return len(wrong) + len(fixed)


def _quote(words: Iterable[_Word]) -> str:
    """Words as written: a contraction once for its parts, a mark joined to its word."""
    out = ""
    last: int | None = None
    for w in words:
        if w.source == last and not w.whole:
            continue
        out += w.shown if w.source == last else f" {w.shown}"
        last = w.source
    return out.strip()


def _bare(w: _Word) -> str:
    """The word without its marks, the substitutes undone ("Tür" and "Tur" are "tur")."""
    text = w.shown.translate(_QUOTES).casefold() if w.whole else w.key
    return strip_accents(text)


def _mark_name(given: list[_Word], right: list[_Word], language: str | None) -> str:
    """What a teacher calls the marks that differ: an umlaut in German, a tilde (ñ)."""
    names = set()
    for g, r in zip(given, right, strict=True):
        a, b = (
            Counter(
                c
                for c in unicodedata.normalize("NFD", w.shown.casefold())
                if unicodedata.combining(c)
            )
            for w in (g, r)
        )
        for mark in (a - b) | (b - a):
            if mark == "\u0308" and language == "German":
                names.add("umlaut")
            elif mark == "\u0303":
                names.add("tilde")
            else:
                names.add("accent")
    return names.pop() if len(names) == 1 else "accent"


def _only_accents(given: list[_Word], right: list[_Word], language: str | None) -> str | None:
    if len(given) != len(right):
        return None
    pairs = [(g, r) for g, r in zip(given, right, strict=True) if g.key != r.key]
    if not pairs or any(_bare(g) != _bare(r) for g, r in pairs):
        return None
    named: list[str] = []
    for _, r in pairs:
        if r.shown not in named:
            named.append(r.shown)
    noun = _mark_name([g for g, _ in pairs], [r for _, r in pairs], language)
    return f"Only the {noun}{'s' if len(named) > 1 else ''}: {', '.join(named)}."


def _one_word(given: _Word, right: _Word, single: bool, spelling: bool) -> str | None:
    """One word off: an apostrophe, or a slip of the pen where spelling is plausible."""
    if not (given.whole and right.whole):
        return None
    if given.key.replace("'", "") == right.key.replace("'", ""):
        if "'" not in given.key:
            return f'Almost: "{given.shown}" needs an apostrophe.'
        if "'" not in right.key:
            return f'Almost: "{given.shown}" takes no apostrophe.'
        return f'Almost: check where the apostrophe goes in "{given.shown}".'
    if spelling and len(right.key) >= 4:
        if _edit_distance(strip_accents(given.key), strip_accents(right.key)) <= 2:
            return (
                "Almost: check the spelling."
                if single
                else (f'Almost: check the spelling of "{given.shown}".')
            )
    return None


def near_miss(
    given: str,
    expected: list[str],
    category: str,
    language: str | None = None,
    choices: Iterable[str] = (),
    *,
    case_sensitive: bool = False,
    kind: str | None = None,
) -> str | None:
    """What is off in a wrong answer that is close to a right one; None if it is not close.

    A one-word difference is called spelling only where a slip of the pen is the likely
    cause: in a Spelling exercise, or when the words were handed out (a sentence to
    reorder). Elsewhere "goes" for "go" or "den" for "der" is the grammar being practised,
    and the feedback just names the word that is still wrong."""
    if not given.strip() or not expected:
        return None
    keep = category == "Punctuation"
    if case_sensitive and accepts(given, expected, category, language):
        wrong_case = case_errors(given, expected, language)
        if wrong_case:
            return capitals_feedback(wrong_case)
    if keep:
        loose = {normalize_answer(e, language=language) for e in expected}
        if normalize_answer(given, language=language) in loose:
            return "The words are right; check the punctuation."
    typed = _words(given, keep, language)
    given_forms = [typed]
    if _english_variants(language, category):
        given_forms = _expand(typed)[:_GIVEN_FORMS]
    given_pieces = [_pieces(g) for g in given_forms]
    pairs = [
        (g, form, r)
        for answer in expected
        for form in _answer_forms(answer, language, category, keep)
        for r in [_pieces(form)]
        for g in given_pieces
        # a pair whose lengths differ by more than half the answer is never close
        if abs(len(g) - len(r)) * 2 <= len(form)
    ]
    for g, _, r in pairs:
        if said := _only_accents(g, r, language):
            return said
    norm_given = normalize_answer(given, keep, language)
    if not pairs or any(normalize_answer(c, keep, language) == norm_given for c in choices):
        return None  # a wrong choice is a wrong choice, not a near miss
    best: tuple[int, list[_Word], list[_Word], list[_Word], Ops] | None = None
    for g, form, r in pairs:
        ops = _diff(g, r)
        cost = _cost(g, r, ops)
        if best is None or cost < best[0]:
            best = (cost, g, form, r, ops)
    assert best is not None
    _, g, form, r, found = best
    if len(g) == len(r) and len(found) == 1 and found[0][0] == "replace":
        _, i1, i2, j1, _ = found[0]
        if i2 - i1 == 1:
            spelling = category == "Spelling" or kind == SR
            if said := _one_word(g[i1], r[j1], len(form) == 1, spelling):
                return said
    if len(form) < 3:
        return None
    changed = sum(max(i2 - i1, j2 - j1) for _, i1, i2, j1, j2 in found)
    if not found or len(found) > 3 or changed * 2 > len(form):
        return None  # not close: more than half of it differs
    moved = sorted(g[i].key for _, i1, i2, _, _ in found for i in range(i1, i2))
    if moved == sorted(r[j].key for _, _, _, j1, j2 in found for j in range(j1, j2)):
        return "The words are right; check their order."
    return _wrong_and_missing(g, r, found)


def _is_word(w: _Word) -> bool:
    return any(c.isalnum() for c in w.key)


def _wrong_and_missing(g: list[_Word], r: list[_Word], found: Ops) -> str:
    """The words still wrong, as written, and where words are missing, by the written word
    next to the gap (the missing words themselves are not given away):
    'Still wrong: "realised". Something is also missing after "then".'"""
    wrong_at = {i for _, i1, i2, _, _ in found for i in range(i1, i2)}
    wrong: list[str] = []
    places: list[str] = []
    for tag, i1, i2, j1, j2 in found:
        if tag == "insert":
            if (place := _gap(g, i1, wrong_at)) not in places:
                places.append(place)
            continue
        part = f'"{_quote(g[i1:i2])}"'
        short = sum(map(_is_word, r[j1:j2])) - sum(map(_is_word, g[i1:i2]))
        if short > 0:  # "go" for "have gone": a word missing inside the wrong part
            part += " (a word is missing there)" if short == 1 else " (words are missing there)"
        wrong.append(part)
    missing = " and ".join(places)
    if not wrong:
        return f"Something is missing {missing}."
    said = "Still wrong: " + ", ".join(wrong) + "."
    return f"{said} Something is also missing {missing}." if places else said


def _gap(g: list[_Word], at: int, wrong_at: set[int]) -> str:
    """Where a gap at `at` is, by a neighbouring word that is not itself wrong if there is
    one: 'after "then"' or 'before "I"'."""
    sides = []
    if at > 0:
        sides.append((at - 1, "after"))
    if at < len(g):
        sides.append((at, "before"))
    i, side = next((s for s in sides if s[0] not in wrong_at), sides[0])
    return f'{side} "{_quote([g[i]])}"'

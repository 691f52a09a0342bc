"""Answer checking: which typed answers a teacher would accept, and what a near miss is told.

An exercise lists its model answer and, per item, other answers that are also right. On top
of those lists, five families of variants are accepted for every item of a language, so an
author never has to enumerate them:

* English contractions either way ("I do not like" for "I don't like"), except in
  Punctuation exercises (Apostrophes among them), where the contraction is the point. A
  contraction that stands for more than one word ('s, 'd, ain't) is read as the words
  after it allow, in the model answer and in the learner's alike: "I'd like" is "I would
  like" and never "I had like", "I'd finished" is "I had finished", "I'd better" is "I had
  better", "she's been" is "she has been", "she's a nurse" is "she is a nurse" (not "she
  has"); where both readings are grammatical ("I'd put", "he's gone") both count. A
  blank's answer that ends at one is read by the prompt's words after the blank: "I had"
  is wrong in "___ like a coffee" for "I'd" (after_blank);
* Spanish pro-drop: the subject pronoun of the model answer may be left out ("fui a la
  playa" for "yo fui a la playa"), as Spanish normally does;
* German verb-second fronting: a main clause "Ich komme morgen nicht" may start with an
  adverb, a time phrase or a prepositional phrase of its middle field instead ("Morgen
  komme ich nicht", "Heute Abend rufe ich dich an", "Mit dem neuen Auto fahre ich nach
  Hause"), and the other way round; with a noun-phrase subject too ("Heute spielt mein
  Bruder Fußball"), where an article or possessive and a noun make it sure to be the
  subject. A phrase moves whole, never a piece of it ("Abend rufe ich dich heute an", "In
  einer Woche fliegen wir heute" are wrong), and one that may belong to a word next to it
  stays where it is ("Tee mit Zucker und Milch", "sehr gern");
* an English time phrase at the end or the front of the sentence ("Last Saturday I went
  to the beach" for "I went to the beach last Saturday");
* an English name's possessive either way, in every exercise ("Thomas's car" for "Thomas'
  car"), never a plural's ("parents's", "the Smiths's" stay wrong).

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
müde.", "Only the diaeresis: pingüino."), only the punctuation, an apostrophe ("Almost:
\"dont\" needs an apostrophe."), a misspelt word, or the words still wrong in a sentence
("Still wrong: \"since\".") and where a word is missing, by the word next to the gap,
never the missing word itself ("Still wrong: \"realised\". Something is also missing after
\"then\"."). An English word typed for one that sounds like it is told what it is and what
the sentence needs ("Almost: \"Your\" is a possessive (as in 'your bag'); here the sentence
needs the short form of 'you are'."), a plural's possessive with an extra s that a plural
takes only the apostrophe.
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
from dataclasses import dataclass, replace
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


def _blank_punctuation(text: str, gaps_of: str | None = None) -> str:
    """`text` with the marks _punct_gaps finds blanked out; `gaps_of`: the text to find
    them in, when it differs from `text` only by characters one for one (typographic
    quotes already mapped)."""
    gaps = set(_punct_gaps(text if gaps_of is None else gaps_of))
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
# like"; "I'd finished" is "I had finished"; "He's a car" is not "He has a car". A blank's
# answer is followed by the rest of its prompt ("___ like a coffee"): those words decide
# too. Where the next word allows both ("I'd put", "he's gone", a blank at the end of its
# clause, "Yes, ___."), both are kept.
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


def _en_options(words: list[str], following: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """For each (normalized) word, what it may stand for in this sentence: itself, or the
    expansions of a contraction that are grammatical where it stands. `following`: the words
    that follow these in the sentence without being part of the answer (a blank's answer
    is followed by the rest of its prompt's sentence: "___ like a coffee" makes an "I'd"
    typed in the blank "I would", as it would in the whole sentence)."""
    given = len(words)
    words = [*words, *following]
    out: list[tuple[str, ...]] = []
    for i, word in enumerate(words[:given]):
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


def _expand_english(text: str, after: tuple[str, ...] = ()) -> set[str]:
    options = _en_options(text.split(), after)
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


# ---- English possessives of names ending in s ---------------------------------------------
#
# "Thomas' car" and "Thomas's car" are both standard (style guides differ, and teachers
# accept either), so a model answer written one way accepts the other. Only for one
# person's name: a plural takes the apostrophe alone ("my parents' house", "the Smiths'
# car": "parents's", "Smiths's" are wrong), and a capital alone does not tell a name from a
# plural where the sentence starts ("Parents' evening"). A name is a capitalised word ending
# in s inside a sentence, a title's name ("Mr Jones'") or, where a sentence starts, a name
# from the list below; never after "the" ("the Joneses'", "the United States'"). A
# capitalised plural inside a sentence (a title, "Parents' Weekly") would pass as a name: a
# rare loss, on the lenient side, and a model answer can still list the wrong form nowhere.

_EN_NAMES_IN_S = frozenset(
    "thomas james charles chris jesus moses lucas marcus nicholas douglas dennis francis "
    "frances louis carlos andreas hans klaus jonas agnes doris iris lois tess bess jess ross "
    "gus angus silas elias tobias julius cyrus ulysses achilles socrates dickens keats yeats "
    "burns jones williams davies evans harris roberts adams lewis collins phillips edwards "
    "hughes stevens peters sanders brooks ellis".split()
)
_EN_TITLES = frozenset("mr mrs ms miss dr prof sir lady lord saint st aunt uncle".split())
_EN_NAME_POSSESSIVE = re.compile(r"(?<![\w'])(?P<name>[A-Z]\w*s)(?P<mark>'s|')(?![\w'])")
_EN_OPENERS = '"(«„“¿¡'


def _ends_sentence(word: str) -> bool:
    """Whether a written word ends a sentence ("late.", "Really?"), a title's full stop
    ("Mr.", "Dr.") not counted."""
    return word[-1:] in ".!?" and word.rstrip(".").casefold() not in _EN_TITLES


def _a_name(text: str, start: int, name: str) -> bool:
    """Whether the capitalised word at text[start] ending in s is one person's name."""
    if name.isupper():
        return False  # "ITS'": shouting, not a name
    before = text[:start].split()
    k = len(before)
    while k and before[k - 1][:1].isupper() and not _ends_sentence(before[k - 1]):
        k -= 1
    run, lead = before[k:], before[k - 1] if k else None  # capitalised words before it
    plain = [w.strip(_WORD_EDGE).rstrip(".").casefold() for w in run]
    if "the" in plain or (lead is not None and lead.strip(_WORD_EDGE).casefold() == "the"):
        return False  # "the Smiths'", "The Joneses'", "the United States'"
    starts = lead is None or _ends_sentence(lead) or lead[-1] in _EN_OPENERS
    if not starts or (run and plain[0] in _EN_TITLES):
        return True  # inside a sentence, or after a title ("Mr Jones'")
    return name.casefold() in _EN_NAMES_IN_S  # "Thomas' car is red.", "Chris Evans' dog"


def _name_possessives(written: str, keep: bool) -> set[str]:
    """The answer (normalized) with each name's possessive written the other way:
    "Thomas' car" -> "thomas's car" and the reverse, every combination of them."""
    text = unicodedata.normalize("NFKC", written).translate(_QUOTES)
    found = [m for m in _EN_NAME_POSSESSIVE.finditer(text) if _a_name(text, m.start(), m["name"])][
        :3
    ]
    out: set[str] = set()
    for swaps in product((False, True), repeat=len(found)):
        if not any(swaps):
            continue
        pieces, at = [], 0
        for m, swap in zip(found, swaps, strict=True):
            if swap:
                other = "'" if m["mark"] == "'s" else "'s"
                pieces += [text[at : m.start("mark")], other]
                at = m.end("mark")
        out.add(normalize_answer("".join([*pieces, text[at:]]), keep, "English"))
    return out


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
#
# A German main clause has one constituent before its finite verb. "Ich rufe dich heute
# Abend an" may also be "Heute Abend rufe ich dich an", but never "Abend rufe ich dich heute
# an": a phrase moves whole or not at all. The middle field (after the subject and the
# verb) is read left to right into constituents: pronouns, adverbs, time phrases ("heute
# Abend", "jeden Tag", "den ganzen Tag", "zweimal in der Woche"), prepositional phrases
# with their article, adjectives and noun ("mit dem neuen Auto", "um acht Uhr"), noun
# phrases, and words the lists below do not know. Only adverbs, time phrases and
# prepositional phrases are fronted, and only where nothing around them may belong to them
# ("sehr gern", "hier in Berlin", "das Dorf in Bayern", "Tee mit Zucker und Milch"): a
# correct variant the rules cannot be sure of is left to the item's `accepted` list. Nouns
# are told by their capital in the answer as written; a clause or an apposition after a
# comma, colon or dash, or after "und", "oder", "weil" ..., stays where it is.
#
# The subject is a pronoun or a noun phrase that is sure to be one: a determiner a subject
# may have (not "den", "dem", "einen"), adjectives and a noun that is no time ("Diese Woche
# arbeitet er viel"), and nothing after the verb that could be the subject instead or must
# stand before it (a pronoun, "das Buch", "niemand"): "Das Buch hat mein Bruder gestern
# gelesen" starts with its object and keeps its order.


def _de(words: str) -> frozenset[str]:
    """A German word list in the form it is compared in: normalize_answer's German (lower
    case, ä/ö/ü as ae/oe/ue, ß as ss), so "für" matches a typed "für" and "fuer" alike."""
    return frozenset(normalize_answer(w, language="German") for w in words.split())


def _de_inflected(stems: str, endings: tuple[str, ...]) -> frozenset[str]:
    return _de(" ".join(s + e for s in stems.split() for e in endings))


_ENDINGS = ("", "e", "en", "em", "er", "es")
_DE_SUBJECTS = _de("ich du er sie es wir ihr man")
# Unstressed pronouns open the middle field: "Gestern hat er es mir gesagt".
_DE_PRONOUNS = _de("es mich mir dich dir sich uns euch ihn ihm ihnen sie einander")
_DE_OBJECTS = _DE_PRONOUNS | _de("ihr")  # "ihr" is also "her"/"their" before a noun
_DE_QUESTION = _de(
    "wann wo wohin woher warum weshalb wieso was wie wer wen wem wessen welche welcher "
    "welches welchen welchem womit wofür worauf worüber wovon wozu woran"
)
_DE_PREPOSITIONS = _de(
    "an am ans auf aufs aus bei beim mit nach seit von vom zu zum zur in im ins um ums für "
    "fürs über übers unter unterm vor vorm hinter neben zwischen durch durchs gegen ohne "
    "während wegen trotz außer ab gegenüber"
)
# A prepositional phrase after these is not fronted: the phrase before it may be its noun's
# ("in einem Konzert von einer Jazzband"); one after a phrase is fronted only when it is a
# destination ("mit dem Bus zur Arbeit", not "aus einem Dorf in Bayern").
_DE_OF = _de("von vom")
_DE_GOAL = _de("nach zu zum zur ins")
_DE_ARTICLES = _de("der die das den dem des ein eine einen einem einer eines")
# Quantifiers: a noun phrase's first word, or after its article ("die vielen Leute").
_DE_QUANTIFIERS = _de(
    "viel viele vielen vieler vielem wenig wenige wenigen einige einigen einiger mehrere "
    "mehreren alle allen aller beide beiden"
)
_DE_DETERMINERS = (
    _DE_ARTICLES
    | _DE_QUANTIFIERS
    | _de_inflected("mein dein sein ihr unser euer kein", _ENDINGS)
    | _de_inflected("eur dies jen jed manch solch welch", _ENDINGS[1:])
)
# Determiners a subject (nominative) may have: "mein Bruder", "die Familie", "der kleine
# Junge"; "den", "dem", "einen", "meinem" ... make an object, never a subject.
_DE_NOMINATIVE = _de(
    "der die das ein eine mein meine dein deine sein seine ihr ihre unser unsere euer eure "
    "kein keine dieser diese dieses jeder jede jedes"
)
# Nouns ending in -er that head their phrase: "mein Bruder Fußball" is "mein Bruder" and
# an object, where "das Brandenburger Tor" is one phrase (an -er word may be a place's
# adjective, so an unlisted one before a noun leaves the phrase unread).
_DE_ER_NOUNS = _de(
    "Bruder Vater Mutter Schwester Tochter Lehrer Schüler Partner Fahrer Spieler Sänger "
    "Kellner Arbeiter Besucher Nachbar Computer Drucker"
)
# Words a middle field's subject may be: a noun subject is not read where one follows it
# ("Das Buch hat mein Bruder gestern gelesen": the first phrase is the object).
_DE_PERSONS = _de("jemand niemand man")
# A noun's genitive attribute starts with one of these ("das Album meiner Lieblingsband").
_DE_GENITIVE = _de(
    "des eines meines deines seines ihres unseres eures dieses der einer meiner deiner "
    "seiner ihrer unserer eurer dieser"
)
# A determiner standing alone is a pronoun ("Ich habe das gestern gemacht").
_DE_DEMONSTRATIVES = _de("das dies dieses")
_DE_INDEFINITES = _de("nichts etwas alles jemand jemanden jemandem niemand niemanden niemandem")
_DE_NUMBERS = _de(
    "ein eins zwei drei vier fünf sechs sieben acht neun zehn elf zwölf dreizehn vierzehn "
    "fünfzehn sechzehn siebzehn achtzehn neunzehn zwanzig dreißig vierzig fünfzig hundert "
    "tausend halb viertel"
)
_DE_NUMBER = re.compile(r"\d+(?:er)?$")
# Titles that take a name: "mit Herrn Weber", "bei Frau Schmidt".
_DE_TITLES = _de("herr herrn frau doktor dr professor onkel tante")

_DE_WEEKDAYS = "montag dienstag mittwoch donnerstag freitag samstag sonnabend sonntag"
_DE_DAYPARTS = _de("morgen vormittag mittag nachmittag abend nacht früh")
_DE_TIME_NOUNS = _de(
    f"{_DE_WEEKDAYS} tag tage tagen woche wochen monat monate monaten jahr jahre jahren "
    "wochenende wochenenden morgen vormittag mittag nachmittag abend abenden nacht nächte "
    "nächten stunde stunden minute minuten sekunde sekunden uhr mal semester sommer winter "
    "frühling herbst frühjahr weihnachten ostern silvester januar februar märz april mai "
    "juni juli august september oktober november dezember"
) | _de(" ".join(d + p for d in _DE_WEEKDAYS.split() for p in _DE_DAYPARTS if p != "frueh"))
# "heute Abend", "morgen früh", "gestern Nachmittag": one time phrase.
_DE_DEICTIC = _de("heute morgen gestern vorgestern übermorgen")
# Determiners of a time noun phrase ("letzten Sommer", "jeden Tag", "nächste Woche").
_DE_TIME_DET = _de_inflected(
    "letzt nächst jed dies vorig vergangen kommend", ("e", "en", "er", "es")
)
_DE_WHOLE = _de("ganze ganzen ganzes")  # "den ganzen Tag", "die ganze Woche"
# "heute in einer Woche", "morgen vor einem Jahr": a day counted from another, one time
_DE_COUNTED = _de("in vor")
# "zweimal in der Woche", "einmal pro Monat", "dreimal am Tag": one frequency phrase (the
# pattern matches the normalised word: "fünfmal" is "fuenfmal").
_DE_TIMES = re.compile(r"(?:ein|zwei|drei|vier|fuenf|sechs|sieben|acht|neun|zehn|\d+)mal$")
_DE_PER = _de("in im am pro die jeden jede jedes")

# Adverbs that may stand first on their own.
_DE_TIME_ADVERBS = _de(
    "heute morgen gestern vorgestern übermorgen jetzt nun bald damals später danach vorher "
    "nachher zuerst anschließend neulich kürzlich inzwischen mittlerweile endlich plötzlich "
    "dann abends morgens mittags nachmittags vormittags nachts montags dienstags mittwochs "
    "donnerstags freitags samstags sonntags wochentags täglich wöchentlich monatlich "
    "jährlich immer oft manchmal selten nie niemals meistens häufig ständig"
)
_DE_SENTENCE_ADVERBS = _de(
    "leider hoffentlich vielleicht wahrscheinlich bestimmt natürlich eigentlich trotzdem "
    "deshalb deswegen darum außerdem übrigens tatsächlich glücklicherweise gern gerne"
)
# Place adverbs may belong to the noun before them ("das Haus dort") or make one phrase
# with a prepositional phrase after them ("hier in Berlin").
_DE_PLACE_ADVERBS = _de("hier dort draußen drinnen überall")
_DE_ADVERBS = _DE_TIME_ADVERBS | _DE_SENTENCE_ADVERBS | _DE_PLACE_ADVERBS
# After an adverb, these make one phrase with it: "immer noch", "nie wieder".
_DE_ADVERB_TAILS = _de("noch mehr wieder weniger")
# Modal particles: they belong to no phrase next to them ("Ich habe ja heute keine Zeit").
_DE_MODAL = _de("ja doch mal halt")
_DE_NOT = _de("nicht")
_DE_DEGREE = _de("sehr ganz ziemlich besonders so")  # inside a noun phrase: "ein sehr altes"
_DE_UM, _DE_HALF, _DE_SINCE = _de("um"), _de("halb viertel"), _de("seit ab")
_DE_NOW = _DE_DEICTIC | _de("jetzt")

# Where the main clause ends: a conjunction (the words after it stay at the end), and the
# ones after which the phrase before them may still be fronted (a clause, not a second
# half of a phrase: "Heute komme ich nicht, weil ...", but not "Mit Zucker trinke ich Tee
# und Milch").
_DE_COORDINATORS = _de("und oder sondern sowie bzw beziehungsweise")
_DE_SUBORDINATORS = _de(
    "dass weil obwohl nachdem sobald falls ob bevor wenn als damit aber denn um ohne statt "
    "anstatt seitdem bis während"
)
_DE_CLAUSE_WORDS = _DE_COORDINATORS | _de(
    "dass weil obwohl nachdem sobald falls ob bevor wenn als aber denn"
)
_DE_CLAUSE_MARK = re.compile(r"[,;:()\[\]!?.\u2013\u2014\u2026]|\s-\s")
# Words that are never the finite verb of "Ich komme morgen".
_DE_FUNCTION = (
    _DE_SUBJECTS
    | _DE_PRONOUNS
    | _DE_PREPOSITIONS
    | _DE_DETERMINERS
    | _DE_ADVERBS
    | _DE_CLAUSE_WORDS
    | _DE_SUBORDINATORS
    | _DE_QUESTION
    | _DE_MODAL
    | _DE_NOT
    | _DE_INDEFINITES
)


@dataclass(frozen=True, slots=True)
class _Part:
    """A constituent of the middle field, words [start, end)."""

    start: int
    end: int
    kind: str  # pronoun | adverb | time | pp | np | other
    whole: bool = True  # a phrase the rules read completely (no attribute left unsure)
    temporal: bool = False
    place: bool = False  # a place adverb
    light: bool = False  # a noun phrase without a noun ("viel"): nothing attaches to it


@dataclass(frozen=True, slots=True)
class _Clause:
    """An answer's words read for fronting: its main clause is words[:cut], the rest (a
    second clause, an apposition) stays at the end; `free` says whether the main clause's
    last word may move (a noun or an adverb, not a final verb part); `nouns` marks the
    words written with a capital."""

    words: list[str]
    nouns: list[bool]
    cut: int
    free: bool
    after: str  # what follows the main clause: "" (nothing), "clause" or "more"


def _adjective(word: str, noun: bool) -> bool:
    return (
        not noun
        and word.isalpha()
        and word.endswith(("e", "en", "em", "er", "es"))
        and word not in _DE_FUNCTION
    )


def _number(word: str) -> bool:
    return word in _DE_NUMBERS or bool(_DE_NUMBER.match(word))


def _noun_phrase(c: _Clause, i: int, end: int) -> tuple[int, bool, int] | None:
    """The noun phrase at words[i]: (its end, read whole, its noun's index or -1 when it
    has none ("das", "viel")), or None if none starts there."""
    w, n = c.words, c.nouns
    k = i
    # a determiner; "Ihr" with a capital is the polite "your"
    det = k < end and w[k] in _DE_DETERMINERS and (not n[k] or w[k].startswith("ihr"))
    if det:
        k += 1
    while k < end and (
        _adjective(w[k], n[k])
        or (_number(w[k]) and not n[k])
        or (det and w[k] in _DE_QUANTIFIERS)
        or (w[k] in _DE_DEGREE and k + 1 < end and _adjective(w[k + 1], n[k + 1]))
    ):
        k += 1
    if k < end and n[k] and w[k] not in _DE_PRONOUNS and w[k] not in _DE_SUBJECTS:
        head, k = k, k + 1
        whole = True
        if k < end and n[k]:
            if w[head] in _DE_TITLES and not det:  # "Herrn Weber", not "meiner Frau Kaffee"
                k += 1
            elif w[head].endswith("er"):  # "am Brandenburger Tor", or "im Keller Bier"
                k, whole = k + 1, False
        if k < end and w[k] in _DE_GENITIVE:  # "das Album meiner Lieblingsband"
            more = _noun_phrase(c, k + 1, end)
            if more and more[2] >= 0:
                k, whole = more[0], False
        return k, whole, head
    if det and k == i + 1:
        return k, True, -1
    return None


def _time_unit(c: _Clause, i: int, end: int) -> int | None:
    """The end of a time phrase without a preposition at words[i]: "heute Abend", "jeden
    Tag", "letzte Woche", "den ganzen Tag", "jeden zweiten Tag", "zweimal in der Woche"."""
    w = c.words
    if w[i] in _DE_DEICTIC and i + 1 < end and w[i + 1] in _DE_DAYPARTS:
        return i + 2
    if w[i] in _DE_DEICTIC and i + 2 < end and w[i + 1] in _DE_COUNTED:
        # "heute in einer Woche": moved whole or not at all ("In einer Woche fliegen wir
        # heute" is another day)
        found = _noun_phrase(c, i + 2, end)
        if found is not None and found[1] and found[2] >= 0 and w[found[2]] in _DE_TIME_NOUNS:
            return found[0]
    if w[i] in _DE_TIME_DET or w[i] in _DE_ARTICLES:
        k = i + 1
        if w[i] in _DE_ARTICLES:
            if not (k < end and w[k] in _DE_WHOLE):
                return None
            k += 1
        elif k < end and _adjective(w[k], c.nouns[k]):  # "jeden zweiten Tag"
            k += 1
        if k < end and w[k] in _DE_TIME_NOUNS:
            return k + 1
        return None
    if _DE_TIMES.match(w[i]) and i + 2 < end and w[i + 1] in _DE_PER:
        k = i + 2
        if w[i + 1] == "in" and w[k] in _DE_ARTICLES:
            k += 1
        if k < end and w[k] in _DE_TIME_NOUNS:
            return k + 1
    return None


def _de_parts(c: _Clause, start: int, end: int) -> list[_Part]:
    """words[start:end] as constituents, left to right."""
    w = c.words
    parts: list[_Part] = []
    i = start
    while i < end:
        word = w[i]
        if not word.replace("'", "").isalnum():  # "hause," in a Punctuation exercise
            parts.append(_Part(i, i + 1, "other"))
            i += 1
            continue
        if word in _DE_OBJECTS and _noun_phrase(c, i, end) in (None, (i + 1, True, -1)):
            parts.append(_Part(i, i + 1, "pronoun"))  # "ihr" too, unless "ihr Buch"
            i += 1
            continue
        if (k := _time_unit(c, i, end)) is not None:
            parts.append(_Part(i, k, "time", temporal=True))
            i = k
            continue
        if word in _DE_ADVERBS or _DE_TIMES.match(word):
            place = word in _DE_PLACE_ADVERBS
            temporal = word in _DE_TIME_ADVERBS or bool(_DE_TIMES.match(word))
            parts.append(_Part(i, i + 1, "adverb", temporal=temporal, place=place))
            i += 1
            continue
        if word in _DE_PREPOSITIONS and i + 1 < end:
            k = i + 1
            pp: _Part | None = None
            if word in _DE_UM and _number(w[k]):  # "um acht (Uhr)", "um halb sieben"
                k += 2 if w[k] in _DE_HALF and k + 1 < end and _number(w[k + 1]) else 1
                k += 1 if k < end and w[k] == "uhr" else 0
                pp = _Part(i, k, "pp", temporal=True)
            elif word in _DE_SINCE and w[k] in _DE_NOW:
                k = _time_unit(c, k, end) or k + 1  # "seit gestern (Abend)"
                pp = _Part(i, k, "pp", temporal=True)
            elif (found := _noun_phrase(c, k, end)) and found[2] >= 0:
                k, whole, head = found
                pp = _Part(i, k, "pp", whole=whole, temporal=w[head] in _DE_TIME_NOUNS)
            elif w[k] in _DE_OBJECTS:  # "mit ihm", "mit ihr", "für Sie"
                pp = _Part(i, k + 1, "pp")
            if pp is not None:
                parts.append(pp)
                i = pp.end
                continue
        if (found := _noun_phrase(c, i, end)) is not None:
            k, whole, head = found
            if head < 0 and word in _DE_DEMONSTRATIVES:
                parts.append(_Part(i, k, "pronoun"))
            else:
                parts.append(_Part(i, k, "np", whole=whole, light=head < 0))
            i = k
            continue
        if word in _DE_INDEFINITES:
            parts.append(_Part(i, i + 1, "np", light=True))
            i += 1
            continue
        parts.append(_Part(i, i + 1, "other"))
        i += 1
    return parts


def _frontable(c: _Clause, parts: list[_Part], m: int) -> bool:
    """Whether parts[m] may stand first: a whole adverb, time phrase or prepositional
    phrase that nothing next to it may belong to."""
    p = parts[m]
    if p.kind not in ("adverb", "time", "pp") or not p.whole:
        return False
    w = c.words
    before = parts[m - 1] if m > 0 else None
    if before is not None and before.kind == "other" and w[before.start] in _DE_MODAL:
        before = parts[m - 2] if m > 1 else None  # "ja", "doch" belong to no phrase
    after = parts[m + 1] if m + 1 < len(parts) else None
    if before is not None:
        if before.kind == "other":
            # "sehr gern", "schon seit fünf Uhr", "nicht heute": the word may be the
            # phrase's; only "nicht" leaves a prepositional phrase alone ("nicht in mein
            # Konto")
            if not (p.kind == "pp" and w[before.start] in _DE_NOT):
                return False
        elif before.kind == "np" and not before.light:
            # a phrase after a noun may be the noun's ("den Fisch mit Kartoffeln", "das
            # Haus dort"); a time phrase never is
            if p.kind == "pp" or p.place:
                return False
        elif before.kind == "pp" and p.kind == "pp" and not before.temporal:
            return False  # "ein Dorf in Bayern", "Tee mit Zucker"
        elif before.place and p.kind == "pp" and not p.temporal:
            return False  # "hier in Berlin"
    if after is not None:
        if p.kind == "adverb" and after.kind == "other" and w[after.start] in _DE_ADVERB_TAILS:
            return False  # "immer noch"
        if p.place and after.kind == "pp" and not after.temporal:
            return False
        if p.kind == "pp" and after.kind == "pp":
            first = w[after.start]
            if first in _DE_OF or not (p.temporal or first in _DE_GOAL):
                return False
    elif p.end == c.cut and c.after == "more":
        return False  # the last phrase before "und", a colon, a relative clause
    return True


def _de_clause(text: str, written: str | None, keep: bool) -> _Clause | None:
    words = text.split()
    if written is None:
        nouns = [False] * len(words)
        written = text
    else:
        typed = _words(written, keep, "German")
        if [t.key for t in typed] != words:
            return None
        nouns = [t.whole and t.shown[:1].isupper() for t in typed]
    body = written.strip()
    # a question keeps its order ("Kommst du morgen?"), a statement before it does not
    first_end = re.search(r"[.!?]", body)
    question = first_end is not None and first_end.group() == "?"
    cut, after = len(words), ""
    if (m := _DE_CLAUSE_MARK.search(body)) is not None:
        head = normalize_answer(body[: m.start()], keep, "German").split()
        if len(head) < len(words):
            cut = len(head)
            ends = m.group() in ".!?" or words[cut] in _DE_SUBORDINATORS
            after = "clause" if ends else "more"
    for i in range(2, cut):
        if words[i] in _DE_CLAUSE_WORDS:
            cut, after = i, ("more" if words[i] in _DE_COORDINATORS else "clause")
            break
    if question or cut < 3:
        return None
    last = words[cut - 1]
    free = last.replace("'", "").isalnum() and (nouns[cut - 1] or last in _DE_ADVERBS)
    return _Clause(words, nouns, cut, free, after)


def _fronting_chunks(c: _Clause, start: int = 2) -> list[tuple[int, int]]:
    """Spans of the middle field (after subject and verb, from words[start]) that may stand
    first."""
    end = c.cut if c.free else c.cut - 1
    parts = _de_parts(c, start, end)
    return [(p.start, p.end) for m, p in enumerate(parts) if _frontable(c, parts, m)]


def _noun_subject(c: _Clause, i: int) -> int | None:
    """The end of a subject noun phrase at words[i], or None where none is sure to start
    there: a determiner a subject may have, adjectives, and a noun that is no time ("Diese
    Woche arbeitet er viel" starts with a time, not a subject), read whole. Where a
    sentence starts, its capital says nothing about a noun."""
    w = c.words
    if i >= c.cut or w[i] not in _DE_NOMINATIVE:
        return None
    read = c if i else replace(c, nouns=[False, *c.nouns[1:]])
    found = _noun_phrase(read, i, c.cut)
    if found is None or found[2] < 0 or w[found[2]] in _DE_TIME_NOUNS:
        return None
    end, whole, head = found
    if not whole and w[head] in _DE_ER_NOUNS and end == head + 2:
        end, whole = head + 1, True  # "mein Bruder Fußball": the noun after is an object
    return end if whole else None


def _plain_middle(c: _Clause, start: int) -> bool:
    """Whether the middle field after a noun subject (from words[start]) leaves no doubt
    that it was the subject and that it may follow the verb: no pronoun (which would
    stand before it: "Heute gibt es mir mein Bruder"), no phrase that could be the
    subject itself ("das Buch", "niemand")."""
    for p in _de_parts(c, start, c.cut):
        first = c.words[p.start]
        if p.kind == "pronoun" or first in _DE_SUBJECTS or first in _DE_PERSONS:
            return False
        if p.kind == "np" and first in _DE_NOMINATIVE:
            return False
    return True


def _german_v2(text: str, written: str | None = None, keep: bool = False) -> set[str]:
    """The answer with another constituent first: "Ich komme morgen nicht" -> "Morgen komme
    ich nicht", and "Heute Abend rufe ich dich an" -> "Ich rufe dich heute Abend an".
    `written` is the answer as written (its capitals tell nouns; its commas, clauses)."""
    out: set[str] = set()
    words = text.split()
    if len(words) < 4 or words[0] in _DE_QUESTION:
        return out
    c = _de_clause(text, written, keep)
    if c is None:
        return out
    tail = words[c.cut :]
    # the subject first: a pronoun ("ich komme morgen nicht" -> "morgen komme ich nicht")
    # or a noun phrase ("mein Bruder spielt heute Fußball" -> "heute spielt mein Bruder ...")
    pronoun = words[0] in _DE_SUBJECTS
    s_end = 1 if pronoun else _noun_subject(c, 0)
    if (
        s_end is not None
        and s_end + 1 < c.cut
        and not c.nouns[s_end]
        and words[s_end] not in _DE_FUNCTION
        and (pronoun or _plain_middle(c, s_end + 1))
    ):
        subject, verb, rest = words[:s_end], words[s_end], words[s_end + 1 : c.cut]
        for i, j in _fronting_chunks(c, s_end + 1):
            i, j = i - s_end - 1, j - s_end - 1
            out.add(" ".join([*rest[i:j], verb, *subject, *rest[:i], *rest[j:], *tail]))
        return out
    for j in range(2, min(7, c.cut)):  # "morgen komme ich nicht" -> "ich komme morgen nicht"
        pronoun = words[j] in _DE_SUBJECTS
        s_end = j + 1 if pronoun else _noun_subject(c, j)
        if s_end is None:
            continue
        front = _de_parts(c, 0, j - 1)
        verb = words[j - 1]
        if not pronoun and (c.nouns[j - 1] or verb in _DE_FUNCTION):
            continue  # a determiner inside the first phrase ("am Ende der Woche")
        if len(front) != 1 or not _frontable(c, front, 0) or c.nouns[j - 1] or verb in _DE_FUNCTION:
            break
        if not pronoun and (not _plain_middle(c, s_end) or (tail and c.after != "clause")):
            break  # the clause after may be the noun's ("ein kleiner Laden, wo ...")
        subject = words[j:s_end]
        fronted, rest = words[: j - 1], words[s_end : c.cut]
        parts = _de_parts(c, s_end, c.cut)
        k = 0  # unstressed pronouns open the middle field: "er hat es mir gestern gesagt"
        while k < len(parts) and parts[k].kind == "pronoun":
            k += 1
        at = parts[k].start - s_end if k < len(parts) else len(rest)
        out.add(" ".join([*subject, verb, *rest[:at], *fronted, *rest[at:], *tail]))
        # "seit zwei jahren wohne ich hier" -> "ich wohne hier seit zwei jahren": a phrase
        # may end a clause that ends in a noun or an adverb, not after another phrase
        if (
            front[0].kind in ("pp", "time")
            and len(fronted) > 1
            and c.free
            and not tail
            and parts
            and parts[-1].kind in ("np", "adverb")
        ):
            out.add(" ".join([*subject, verb, *rest, *fronted]))
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
    (_fold); the words themselves are what feedback quotes."""
    value = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    out = []
    for raw in _blank_punctuation(value).split():
        word = raw.strip(_WORD_EDGE)
        if word:
            out.append(word)
    return out


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
    folded = [_fold(w, language) for w in typed]
    for words in answers:
        if [_fold(w, language) for w in words] == folded:
            return [g for g, r in zip(typed, words, strict=True) if not _same_case(g, r)]
    forms: dict[str, list[str]] = {}
    for words in answers:
        for i, w in enumerate(words):
            options = forms.setdefault(_fold(w, language), [])
            options.append(w)
            if i == 0 and w[:1].isupper():  # capital only because it opens the sentence
                options.append(w[:1].lower() + w[1:])
    wrong = []
    for i, word in enumerate(typed):
        found = forms.get(_fold(word, language))
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


def _english_variants(language: str | None, category: str) -> bool:
    """Whether English's variants count: contractions and time fronting, except where
    punctuation (apostrophes among it) is the point."""
    return language == "English" and category != "Punctuation"


def _reorderings(
    normalized: str, language: str | None, category: str, written: str | None
) -> set[str]:
    """The language's other word orders (or a dropped subject) of a normalized answer:
    what `variants` accepts and `near_miss` compares with, before English contractions."""
    if language == "Spanish":
        return _drop_spanish_subject(normalized)
    if language == "German":
        return _german_v2(normalized, written, category == "Punctuation")
    if language != "English":
        return set()
    # a name's possessive either way, in every exercise (Apostrophes too: both are right)
    spelled = _name_possessives(written, category == "Punctuation") if written else set()
    if _english_variants(language, category):
        return spelled | {t for f in {normalized} | spelled for t in _english_time_fronting(f)}
    return spelled


def variants(
    normalized: str,
    language: str | None,
    category: str,
    written: str | None = None,
    after: tuple[str, ...] = (),
) -> set[str]:
    """Every normalized form that counts as this (normalized) answer; `written`, the answer
    as written, tells German nouns (capitalised) from a final verb part; `after`, a blank's
    following words (after_words), which reading a contraction at its end takes."""
    forms = {normalized} | _reorderings(normalized, language, category, written)
    if _english_variants(language, category):
        forms = {e for f in forms for e in _expand_english(f, after)}
    return forms


def _canonical(
    normalized: str, language: str | None, category: str, after: tuple[str, ...] = ()
) -> set[str]:
    """The forms a typed answer is compared as: contractions expanded for English."""
    if _english_variants(language, category):
        return _expand_english(normalized, after)
    return {normalized}


# A fill-in-the-blank's blank: three or more underscores standing alone (a spelling
# prompt's "d_________" is a word's first letter and its length, not the blank).
_BLANK = re.compile(r"(?<!\w)_{3,}(?!\w)")
_BLANK_HINT = re.compile(r"^\s*\([^()]*\)")  # "___ (go)": the verb to use, not the sentence
_BLANK_STOP = re.compile(r"[,;:.!?()\"\u2013\u2014\u2026]")


def after_blank(prompt: str) -> str:
    """The words after a prompt's only blank, up to the end of its clause: what decides a
    contraction the blank's answer ends with ("___ like a coffee, please." -> "like a
    coffee"). "" where nothing after it can: no blank or two, the blank at a clause's end
    ("Yes, ___."), a comma after it."""
    found = list(_BLANK.finditer(prompt))
    if len(found) != 1:
        return ""
    rest = _BLANK_HINT.sub("", prompt[found[0].end() :], count=1)
    stop = _BLANK_STOP.search(rest)
    return (rest[: stop.start()] if stop else rest).strip()


def after_words(after: str, language: str | None) -> tuple[str, ...]:
    """after_blank's words in the form answers are compared in."""
    return tuple(normalize_answer(after, language=language).split()) if after else ()


def accepts(
    given: str,
    expected: Iterable[str],
    category: str,
    language: str | None = None,
    *,
    case_sensitive: bool = False,
    after: str = "",
) -> bool:
    """Whether `given` is right. `case_sensitive` (see case_matters): capitals count too.
    `language` is the exercise's: German's substitute spellings count only in German, and
    each language's variants only in it. `after`: for a blank, the prompt's words after it
    (after_blank), which a contraction at the end of the answer is read by."""
    expected = list(expected)
    keep = category == "Punctuation"
    following = after_words(after, language)
    targets: set[str] = set()
    for answer in expected:
        normalized = normalize_answer(answer, keep, language)
        targets |= variants(normalized, language, category, answer, following)
    typed = normalize_answer(given, keep, language)
    if not _canonical(typed, language, category, following) & targets:
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
    return _blank_punctuation(shown, work).split()


def _words(text: str, keep: bool, language: str | None) -> list[_Word]:
    keys = normalize_answer(text, keep, language).split()
    shown = _written_tokens(text, keep)
    if len(shown) != len(keys) or any(
        _fold(s.translate(_QUOTES), language) != k for s, k in zip(shown, keys, strict=True)
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


def _expand(form: list[_Word], after: tuple[str, ...] = ()) -> list[list[_Word]]:
    """The form itself, then its contractions expanded as _expand_english expands them
    (by the words around them), each part remembering the contraction it was written as."""
    readings = _en_options([w.key for w in form], after)
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


def _answer_forms(
    answer: str, language: str | None, category: str, keep: bool, after: tuple[str, ...] = ()
) -> list[list[_Word]]:
    """What `variants` accepts for `answer`, word by word, and the answer as written with
    its contractions: a learner who contracts the same word is compared contraction to
    contraction, so a contraction is never reported for a word that was right."""
    words = _words(answer, keep, language)
    normalized = " ".join(w.key for w in words)
    others = _reorderings(normalized, language, category, answer)
    forms = [words, *(_trace(o.split(), words) for o in sorted(others - {normalized}))]
    if _english_variants(language, category):
        forms = [e for f in forms for e in _expand(f, after)]
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


# A plural that is not the name with an s: "Only the diaereses: pingüinos, vergüenza."
_MARK_PLURALS = {"diaeresis": "diaereses"}


def _mark_name(given: list[_Word], right: list[_Word], language: str | None) -> str:
    """What a teacher calls the marks that differ: an umlaut in German, a tilde (ñ), and
    the two dots elsewhere a diaeresis (Spanish "pingüino", "vergüenza"), which is no
    accent (it marks a u that is said, not stress) and no umlaut (that is German's name;
    Spanish calls it diéresis): a learner told "the accent" looks for an acute accent
    that is not there."""
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
            if mark == "\u0308":
                names.add("umlaut" if language == "German" else "diaeresis")
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
    if len(named) > 1:
        noun = _MARK_PLURALS.get(noun, f"{noun}s")
    return f"Only the {noun}: {', '.join(named)}."


def _one_word(given: _Word, right: _Word, single: bool, spelling: bool) -> str | None:
    """One word off: an apostrophe, or a slip of the pen where spelling is plausible."""
    if not (given.whole and right.whole):
        return None
    # a possessive after an s: a plural's takes the apostrophe alone, one owner's takes 's
    # (a name's either way is accepted before this); said of the model's word, lower case
    # being a common noun ("parents'", "bus's"), a capitalised one may be a name
    common = right.shown[:1].islower()
    if given.key.endswith("s's") and right.key == given.key[:-1]:
        why = "a plural that ends in s takes" if common else "this possessive takes"
        return f'Almost: "{given.shown}": {why} only the apostrophe.'
    if given.key.endswith("s'") and right.key == given.key + "s":
        why = "one owner takes 's, even after an s" if common else "this possessive takes 's"
        return f'Almost: "{given.shown}": {why}.'
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


# Words that sound alike and are told apart by meaning: a learner who typed one for another
# is told what the typed word is and what kind of word the sentence needs, not the word.
_EN_SOUND_ALIKE = (
    frozenset({"your", "you're"}),
    frozenset({"its", "it's"}),
    frozenset({"their", "there", "they're"}),
    frozenset({"whose", "who's"}),
)
_EN_POSSESSIVE_EXAMPLES = {
    "your": "your bag",
    "its": "its tail",
    "their": "their house",
    "whose": "whose bag?",
}
_EN_THERE = "the word for a place, or for saying that something exists"


def _collapsed(form: list[_Word]) -> tuple[list[str], list[int]]:
    """A form's words with its expanded contractions written as contractions again (the
    forms compared may be expanded), and the source of each: what _en_options reads."""
    keys: list[str] = []
    sources: list[int] = []
    for w in form:
        if w.whole:
            keys.append(w.key)
        elif sources and sources[-1] == w.source:
            continue
        else:
            keys.append(w.shown.translate(_QUOTES).casefold())
        sources.append(w.source)
    return keys, sources


def _short_for(form: list[_Word], source: int) -> str:
    """What the contraction written at `source` stands for in its sentence ("'it is' or
    'it has'" where the words after it allow both), in single quotes: double quotes in
    feedback are the learner's own words."""
    keys, sources = _collapsed(form)
    readings = _en_options(keys)[sources.index(source)]
    return " or ".join(f"'{r}'" for r in readings)


def _word_of(part: list[_Word], words: list[_Word]) -> str:
    """The word a diff's one-source part stands for: the contraction as written where the
    part is all of it, else the part's own words ("there" of "there's" is "there")."""
    whole = [w for w in words if w.source == part[0].source]
    if len(part) == len(whole):
        return part[0].shown.translate(_QUOTES).casefold()
    return " ".join(w.key for w in part)


def _sound_alike(
    given: list[_Word],
    right: list[_Word],
    typed: list[_Word],
    form: list[_Word],
    keep: bool,
    g_all: list[_Word],
    r_all: list[_Word],
) -> str | None:
    """ "Your" for "you're", "there" for "their" and the like, the only word off: what the
    typed word is ("a possessive", "short for "you are"") and what the sentence needs
    ("the short form of "you are"", "a possessive"), which spells out no more than the
    meaning of a word the learner has all but written."""
    if not given or not right:
        return None
    if len({w.source for w in given}) != 1 or len({w.source for w in right}) != 1:
        return None
    typed_word, right_word = _word_of(given, g_all), _word_of(right, r_all)
    if typed_word == right_word or not any(
        {typed_word, right_word} <= group for group in _EN_SOUND_ALIKE
    ):
        return None
    if keep and typed_word.replace("'", "") == right_word.replace("'", ""):
        return None  # "its" for "it's" where apostrophes are the skill: _one_word names it

    def what(word: str, words: list[_Word], source: int, needed: bool) -> str:
        if word in _EN_POSSESSIVE_EXAMPLES:
            return (
                "a possessive"
                if needed
                else f"a possessive (as in '{_EN_POSSESSIVE_EXAMPLES[word]}')"
            )
        if word == "there":
            return _EN_THERE
        short = _short_for(words, source)
        return f"the short form of {short}" if needed else f"short for {short}"

    said = what(typed_word, typed, given[0].source, False)
    needs = what(right_word, form, right[0].source, True)
    return f'Almost: "{_quote(given)}" is {said}; here the sentence needs {needs}.'


def near_miss(
    given: str,
    expected: list[str],
    category: str,
    language: str | None = None,
    choices: Iterable[str] = (),
    *,
    case_sensitive: bool = False,
    kind: str | None = None,
    after: str = "",
) -> str | None:
    """What is off in a wrong answer that is close to a right one; None if it is not close.

    A one-word difference is called spelling only where a slip of the pen is the likely
    cause: in a Spelling exercise, or when the words were handed out (a sentence to
    reorder). Elsewhere "goes" for "go" or "den" for "der" is the grammar being practised,
    and the feedback just names the word that is still wrong. `after`: a blank's following
    words, as for accepts."""
    if not given.strip() or not expected:
        return None
    keep = category == "Punctuation"
    following = after_words(after, language)
    if case_sensitive and accepts(given, expected, category, language, after=after):
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
        given_forms = _expand(typed, following)[:_GIVEN_FORMS]
    given_pieces = [_pieces(g) for g in given_forms]
    pairs = [
        (g, form, r)
        for answer in expected
        for form in _answer_forms(answer, language, category, keep, following)
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
    if language == "English" and len(found) == 1 and found[0][0] == "replace":
        _, i1, i2, j1, j2 = found[0]
        if said := _sound_alike(g[i1:i2], r[j1:j2], typed, form, keep, g, r):
            return said
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

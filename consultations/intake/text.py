"""Free-text understanding: find the concepts a patient or clinician mentions, and whether each is
affirmed, negated ("no fever", "denies chest pain"), historical, about someone else, or hypothetical.

The approach is NegEx / ConText (Chapman et al., J Biomed Inform 2001; Harkema et al., 2009): a trigger
phrase governs the words after it until a terminator ("but", "she has", ...) or the end of the sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .knowledge import Knowledge, knowledge

AFFIRMED, HISTORICAL, OTHER, HYPOTHETICAL = "affirmed", "historical", "other", "hypothetical"
SCOPE_WORDS = 15  # a negation cue governs at most this many words (lists like "denies fever, cough, ...")
PAIN_SITE_WINDOW = 6  # a pain word and a body site this close together make a site-specific pain
# Cues further than this from a mention are out of scope anyway (SCOPE_WORDS); looking no further keeps a long
# unpunctuated transcript, which is one "sentence", linear rather than quadratic to read.
WINDOW_CHARS = 200

_CONTRACTIONS = [
    (r"\b(?:cannot|can not|cant)\b", "can't"),
    (r"\b(?:do not|dont)\b", "don't"),
    (r"\b(?:does not|doesnt)\b", "doesn't"),
    (r"\b(?:did not|didnt)\b", "didn't"),
    (r"\b(?:is not|isnt)\b", "isn't"),
    (r"\b(?:are not|arent)\b", "aren't"),
    (r"\b(?:was not|wasnt)\b", "wasn't"),
    (r"\b(?:were not|werent)\b", "weren't"),
    (r"\b(?:has not|hasnt)\b", "hasn't"),
    (r"\b(?:have not|havent)\b", "haven't"),
    (r"\b(?:will not|wont)\b", "won't"),
    (r"\b(?:could not|couldnt)\b", "couldn't"),
    (r"\bim\b", "i'm"),
    (r"\bive\b", "i've"),
]
_UNITS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9}
_TEENS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
          "seventeen": 17, "eighteen": 18, "nineteen": 19}  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_NUMBER_WORDS = {**_UNITS, **_TEENS, **_TENS}
_UNIT_WORD, _TEEN_WORD, _TENS_WORD = ("|".join(words) for words in (_UNITS, _TEENS, _TENS))
_BELOW_100 = rf"(?:(?:{_TENS_WORD})(?:[\s-]+(?:{_UNIT_WORD}))?|{_TEEN_WORD}|{_UNIT_WORD})"
# "thirty eight point five", "a hundred and twenty", "one forty over ninety": numbers as a speech recogniser
# writes them.
_SPOKEN_NUMBER = re.compile(
    rf"\b(?:(?:a|one|two)\s+hundred(?:\s+and)?(?:\s+{_BELOW_100})?|(?:one|two)\s+(?:{_TENS_WORD})(?:\s+(?:{_UNIT_WORD}))?"
    rf"(?=\s+over\b)|{_BELOW_100})"
    rf"(?:\s+point(?:\s+(?:{_UNIT_WORD}))+)?\b"
)
# A lone number word is only a number before a unit or after a measurement ("two days", "sats ninety"); otherwise
# "one side" or "no one" would turn into digits.
_NUMBER_UNIT_AFTER = re.compile(
    r"^[\s-]+(?:years?|yrs?|months?|weeks?|wks?|days?|nights?|hours?|hrs?|minutes?|mins?|seconds?|times|out of|"
    r"degrees?|percent|per ?cent|%|bpm|beats|breaths|kg|kilos?|stone|units|mmol|millimoles|over|c\b|f\b)"
)
_NOT_A_NUMBER_AFTER = re.compile(r"^\s+(?:of|or|thing|more|another|way)\b")  # "one of those", "one or two"
_NUMBER_CUE_BEFORE = re.compile(
    r"\b(?:temperature|temp|fever|sats|saturations?|saturating|oxygen(?: level)?|spo2|o2|heart rate|pulse|rate|"
    r"bp|blood pressure|pressure|sugars?|glucose|bm|reading|reads|ketones|aged?|over|i'm|i am|son|daughter|child|"
    r"kid|boy|girl|baby|brother|sister|mum|mom|dad|husband|wife|grandad|grandma|nan|granny|grandpa|who is|is aged)"
    r"(?:\s+(?:is|was|of|at|about|around|are|were|reading|now|only|just|a|it's))*\s+$"
)
_HESITATION = re.compile(r"\b(?:um+|uh+|erm+|uhm+|hmm+|mm+)\b,?")
# A sentence ends at . ! ? ; or a line break, but not at the point inside "38.5".
_SENTENCE = re.compile(r"(?:[^.!?;\n]|(?<=\d)\.(?=\d))+")
_LIST_CUES = re.compile(r"(?:denies|denied|denying|deny|negative for|free of|absence of|nil)\b")
_DISJUNCTION = re.compile(r"\b(?:or|nor)\b")
_NEW_SUBJECT = re.compile(r"\b(?:my|his|her|their|our|your|i|he|she|they|we|it's|its|the baby|baby)\b")
_LIST_JOINER = re.compile(r",|\b(?:or|and|nor)\b")
_BLOCKS_PAIN_SITE = re.compile(r",|\b(?:but|and (?:my|the|his|her|i|it|he|she))\b")


@dataclass(frozen=True)
class Mention:
    code: str
    start: int
    end: int
    text: str
    negated: bool
    context: str = AFFIRMED

    @property
    def affirmed(self) -> bool:
        return not self.negated and self.context == AFFIRMED


def normalise(text: str) -> str:
    """Lower case, straight quotes, no hesitations ("um", "uh"), spelled-out negative contractions, digits for
    spoken numbers ("thirty eight point five" -> 38.5)."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'").replace("\u00ba", "°")
    text = _HESITATION.sub("", text)
    text = re.sub(r"[ \t]+", " ", text)
    for pattern, replacement in _CONTRACTIONS:
        text = re.sub(pattern, replacement, text)
    return _SPOKEN_NUMBER.sub(lambda m: _spoken_number(m, text), text)


def _spoken_number(match: re.Match[str], text: str) -> str:
    words = match.group().replace("-", " ").split()
    whole_words, _, decimals = " ".join(words).partition(" point ")
    compound = len(whole_words.split()) > 1 or bool(decimals)
    after = text[match.end() : match.end() + 40]
    in_context = _NUMBER_UNIT_AFTER.match(after) or (
        _NUMBER_CUE_BEFORE.search(text, max(0, match.start() - 60), match.start())
        and not _NOT_A_NUMBER_AFTER.match(after)
    )
    if not (compound or in_context) or whole_words == "a":
        return match.group()
    value = _whole_number(whole_words.split())
    return f"{value}.{''.join(str(_UNITS[w]) for w in decimals.split())}" if decimals else str(value)


def _whole_number(words: list[str]) -> int:
    if len(words) > 1 and words[0] in ("one", "two") and words[1] in _TENS:  # "one forty" is 140
        return _UNITS[words[0]] * 100 + _whole_number(words[1:])
    value = 0
    for word in words:
        if word == "hundred":
            value = max(value, 1) * 100
        elif word in _NUMBER_WORDS:
            value += _NUMBER_WORDS[word]
    return value


def sentences(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _SENTENCE.finditer(text) if m.group().strip()]


def find_mentions(text: str, kb: Knowledge | None = None) -> list[Mention]:
    """All concept mentions in already-normalised text, in reading order."""
    kb = kb or knowledge()
    found: list[Mention] = []
    for start, end in sentences(text):
        found += _sentence_mentions(text, start, end, kb)
    return sorted(_drop_subsumed(found, kb), key=lambda m: (m.start, m.code))


def _sentence_mentions(text: str, start: int, end: int, kb: Knowledge) -> list[Mention]:
    sentence = text[start:end]
    raw: list[tuple[str, int, int, list[tuple[int, int]]]] = []
    for concept in kb.concepts_in(sentence):
        for m in concept.regex.finditer(sentence):
            gaps = [m.span(i) for i in range(1, (m.lastindex or 0) + 1) if m.group(i)]
            raw.append((concept.code, m.start(), m.end(), gaps))
    raw += _pain_site_pairs(sentence, kb)
    spans = [(s, e, gaps) for _, s, e, gaps in raw]
    cues = _negation_cues(sentence, spans, kb)
    return [
        Mention(
            code=code,
            start=start + s,
            end=start + e,
            text=sentence[s:e].strip(),
            negated=_is_negated(sentence, s, e, gaps, cues, spans, kb),
            context=_context(sentence, s, e, kb),
        )
        for code, s, e, gaps in raw
    ]


def _pain_site_pairs(sentence: str, kb: Knowledge) -> list[tuple[str, int, int, list[tuple[int, int]]]]:
    """'my tummy really hurts', 'pain in the left calf': a pain word near a body site names a pain there."""
    pains = list(kb.pain_words.finditer(sentence))
    if not pains:
        return []
    sites = [
        (site, m)
        for site in kb.sites
        for m in site.regex.finditer(sentence)
        if not (site.not_after and site.not_after.search(sentence, 0, m.start()))
    ]
    pairs = []
    for pain in pains:
        near = [(site, m) for site, m in sites if _close(sentence, pain, m)]
        strong = [(site, m) for site, m in near if not site.weak]
        for site, m in strong or near:
            s, e = min(pain.start(), m.start()), max(pain.end(), m.end())
            between = (min(pain.end(), m.end()), max(pain.start(), m.start()))
            pairs.append((site.concept, s, e, [between]))
    return pairs


def _close(sentence: str, a: re.Match[str], b: re.Match[str]) -> bool:
    """a is a pain word, b a body site. Adjectives before the site may be listed with commas
    ("a painful, swollen right testicle"); otherwise a comma or a new clause separates them."""
    gap = sentence[min(a.end(), b.end()) : max(a.start(), b.start())]
    if a.start() < b.end() and b.start() < a.end():
        return False
    words = len(gap.split())
    adjective_list = a.end() <= b.start() and words <= 3 and not _BLOCKS_PAIN_SITE.search(gap.replace(",", ""))
    return words <= PAIN_SITE_WINDOW and (adjective_list or not _BLOCKS_PAIN_SITE.search(gap))


def _negation_cues(
    sentence: str, spans: list[tuple[int, int, list[tuple[int, int]]]], kb: Knowledge
) -> list[re.Match[str]]:
    """Cue matches that are real negations: not part of a pseudo-negation, not part of a concept's own words."""
    pseudo = [m.span() for m in kb.cues.pseudo.finditer(sentence)]
    cues = []
    for cue in kb.cues.negation_pre.finditer(sentence):
        if any(_inside(cue.span(), p) for p in pseudo):
            continue
        if any(_inside(cue.span(), (s, e)) and not any(_inside(cue.span(), g) for g in gaps) for s, e, gaps in spans):
            continue
        cues.append(cue)
    return cues


def _inside(inner: tuple[int, int], outer: tuple[int, int]) -> bool:
    return outer[0] <= inner[0] and inner[1] <= outer[1]


def _is_negated(
    sentence: str,
    start: int,
    end: int,
    gaps: list[tuple[int, int]],
    cues: list[re.Match[str]],
    spans: list[tuple[int, int, list[tuple[int, int]]]],
    kb: Knowledge,
) -> bool:
    # A concept whose own words are a negation ("hasn't passed wind", "can't breathe") is not negated again by an
    # earlier cue: "she hasn't opened her bowels and hasn't passed wind" affirms both.
    own_negation = any(cue.start() == start for cue in cues) or bool(kb.cues.negation_pre.match(sentence, start))
    for cue in cues:
        # A cue that runs into the concept's first words ("no thoughts of | thoughts of harming") still negates it.
        if own_negation and cue.start() < start:
            continue
        if (
            cue.start() < start
            and _cue_reaches(sentence, cue, start, kb)
            and not _new_clause(sentence, cue, start, spans)
        ):
            return True
        if any(_inside(cue.span(), gap) for gap in gaps):
            return True
    return _starts_within(kb.cues.negation_post, sentence[end : end + WINDOW_CHARS], words=2)


def _starts_within(regex: re.Pattern[str], text: str, words: int) -> bool:
    """Does regex match at one of the first few word starts of text ("chest pain - denied")?"""
    starts = [m.start() for m in re.finditer(r"[a-z0-9]\S*", text)][: words + 1]
    return any(regex.match(text, start) for start in starts)


def _cue_reaches(sentence: str, cue: re.Match[str], start: int, kb: Knowledge) -> bool:
    """Does a negation cue govern the words at start? A comma ends the scope of "no"/"without" unless the list
    is a disjunction ("no fever, cough or vomiting"); "denies"-type cues always govern their whole list."""
    between = sentence[min(cue.end(), start) : start]
    if not _in_scope(between, kb):
        return False
    if "," not in between or _LIST_CUES.match(cue.group()):
        return True
    return bool(_DISJUNCTION.search(sentence, cue.end(), start + WINDOW_CHARS))


def _new_clause(
    sentence: str, cue: re.Match[str], start: int, spans: list[tuple[int, int, list[tuple[int, int]]]]
) -> bool:
    """Unpunctuated speech runs clauses together ("i have no fever my throat is sore"): after the first thing a
    cue negates, a new subject ("my", "she", ...) not joined to it as a list item starts a new clause; and an
    unjoined item after "no"/"without" is only still negated when the list ends in "or" ("no fever cough or
    vomiting", but "red eyes without discharge cracked red lips")."""
    ends = [e for s, e, _ in spans if cue.end() <= s and e <= start]
    if not ends:
        return False
    joint = sentence[max(ends) : start]
    if _LIST_JOINER.search(joint):
        return False
    if _NEW_SUBJECT.search(joint):
        return True
    return not _LIST_CUES.match(cue.group()) and not _DISJUNCTION.search(sentence, start, start + WINDOW_CHARS)


def _in_scope(between: str, kb: Knowledge) -> bool:
    return len(between.split()) <= SCOPE_WORDS and not kb.cues.terminators.search(between)


def _context(sentence: str, start: int, end: int, kb: Knowledge) -> str:
    window = max(0, start - WINDOW_CHARS)
    before = sentence[window:start]
    for trigger, context in (
        (kb.cues.other_pre, OTHER),
        (kb.cues.hypothetical_pre, HYPOTHETICAL),
        (kb.cues.historical_pre, HISTORICAL),
    ):
        # "his mother has a history of stroke": a cue may run into the concept's own first words.
        for cue in trigger.finditer(sentence, window, end if context == OTHER else start):
            cue_start, cue_end = cue.start() - window, cue.end() - window
            if cue_start >= len(before) or not _in_scope(before[cue_end:], kb):
                continue
            if context == HISTORICAL and kb.cues.not_historical_before.search(before[:cue_start]):
                continue
            return context
    after = sentence[end : end + WINDOW_CHARS]
    if _starts_within(kb.cues.other_post, after, words=2) and _family_event(sentence, window, start, end, kb):
        return OTHER
    if _starts_within(kb.cues.historical_post, after, words=2):
        return HISTORICAL
    return AFFIRMED


def _family_event(sentence: str, window: int, start: int, end: int, kb: Knowledge) -> bool:
    """'My father had a heart attack at 50' is family history; 'my mum had a fall and can't get up' is the
    patient being described by a carer, so a relative's 'had' needs an age or time after it to count."""
    return any(
        cue.start() < start and _in_scope(sentence[cue.end() : start], kb)
        for cue in kb.cues.other_pre_if_past.finditer(sentence, window, end)
    )


def _drop_subsumed(mentions: list[Mention], kb: Knowledge) -> list[Mention]:
    """A specific reading of the same words wins over a generic one (a stye is not a worrying lump)."""
    dropped = set()
    for m in mentions:
        for other in mentions:
            overlap = other.start < m.end and m.start < other.end
            if overlap and other.code in kb.concepts[m.code].subsumes:
                dropped.add(id(other))
    return [m for m in mentions if id(m) not in dropped]

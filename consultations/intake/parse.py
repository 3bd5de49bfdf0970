"""Structured facts in free text: age, sex, temperature, duration, severity, blood sugar, allergies, pain
character. Each parser returns the value and the words it came from, so every derived fact is explainable."""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUM = r"(\d+(?:\.\d+)?|a|an|one|a few|few|several|a couple of|couple of|a couple|half an?|a half)"
_UNIT = r"(minutes?|mins?|hours?|hrs?|days?|nights?|weeks?|wks?|fortnights?|months?|years?|yrs?)"
_UNIT_HOURS = {"min": 1 / 60, "hour": 1, "hr": 1, "day": 24, "night": 24, "week": 168, "wk": 168,
               "fortnight": 336, "month": 730, "year": 8760, "yr": 8760}  # fmt: skip
_FUZZY = {"a": 1, "an": 1, "one": 1, "a few": 3, "few": 3, "several": 3, "a couple of": 2, "couple of": 2,
          "a couple": 2, "half a": 0.5, "half an": 0.5, "a half": 0.5}  # fmt: skip
_QUALIFIERS = (
    r"(?:(?:the|past|last|about|around|approximately|roughly|nearly|almost|over|more than|at least|just|only|like|"
    r"maybe|probably|the last|a good)\s+)*"
)

# "for 3 days", "over the past 2 weeks", "lasting about 6 minutes": how long it has been going on.
_DURATION_FOR = re.compile(rf"\b(?:for|over|in|during|lasting|lasted|x)\s+{_QUALIFIERS}{_NUM}[\s-]+{_UNIT}\b")
# "2 hours of crushing chest pain", "a 2-day history", "3/7".
_DURATION_OF = re.compile(rf"\b{_NUM}[\s-]+{_UNIT}[\s-]+(?:of|history|hx|duration)\b")
_DURATION_SLASH = re.compile(r"\b(\d+)/(7|52|12)\b")
_DURATION_PAST = re.compile(
    r"\b(?:for|over|in|during)\s+(?:the\s+)?(?:past|last)\s+(hour|day|week|fortnight|month|year)\b"
)
# "for ages", "for months": vague but clearly long.
_DURATION_VAGUE = re.compile(r"\b(?:for|over)\s+(ages|a long time|years|months|weeks|days)\b")
_VAGUE_HOURS = {"ages": 2190.0, "a long time": 2190.0, "years": 17520.0, "months": 1460.0, "weeks": 336.0, "days": 72.0}
_DURATION_AGO = re.compile(rf"\b{_NUM}[\s-]+{_UNIT}\s+ago\b")
_SINCE = {
    "last night": 12, "yesterday": 24, "this morning": 6, "this afternoon": 3, "this evening": 2, "tonight": 2,
    "today": 6, "i woke up": 6, "waking up": 6, "the weekend": 72, "last week": 168, "monday": 72, "tuesday": 72,
    "wednesday": 72, "thursday": 72, "friday": 72, "saturday": 72, "sunday": 72, "overnight": 10,
}  # fmt: skip
_SINCE_RE = re.compile(r"\b(?:since|from|started|began|came on|starting)\s+(" + "|".join(_SINCE) + r")\b")
_WHEN_RE = re.compile(
    r"\b(last night|yesterday|this morning|this afternoon|this evening|today|tonight|overnight|all day)\b"
)
_NOT_A_DURATION_AFTER = re.compile(r"^[\s-]*(?:old|pregnant|gestation|along|postpartum|post|after|later|before)\b")
_RECURRENCE_BEFORE = re.compile(
    r"\b(?:every|each)\s+(?:spring|summer|autumn|fall|winter|year|season|month|week)\b[^.]*$"
)

_TEMPERATURE_UNIT = re.compile(
    r"(?<![\d.])(\d{2,3}(?:\.\d+)?)\s*(?:°|degrees?|deg)?\s*(c|f|celsius|centigrade|fahrenheit)\b"
)
_TEMPERATURE_WORD = re.compile(
    r"\b(?:temp(?:erature)?|t|fever|pyrexia|pyrexial|febrile)\b(?:\s+(?:of|is|was|at|to|up|up to|around|about|"
    r"reading|measured|reached|hit|went|spiking|spiked|peaked|a|high|it))*\s*:?\s*(\d{2,3}(?:\.\d+)?)(?!\d|\.\d|\s*(?:days?|hours?|weeks?|minutes?|times?|%|/))"
)
_GLUCOSE = re.compile(
    r"\b(?:blood\s+)?(?:sugars?|glucose|bm|bgl?|cbg)(?:\s+(?:level|reading|levels))?\s*(?:is|was|of|at|reading|reads|:)?\s*"
    r"(?:only\s+|about\s+|around\s+)?(\d{1,3}(?:\.\d)?)\b"
)
_BLOOD_PRESSURE = re.compile(
    r"\b(?:blood pressure|bp)\b[^0-9]{0,25}?(\d{2,3})\s*(?:/|over)\s*(\d{2,3})\b"
    r"|\b(\d{2,3})\s*/\s*(\d{2,3})\s*mm\s?hg\b"
)
# Vital signs as clinicians write them ("HR 120", "RR 28", "SpO2 91% on air") and as patients say them
# ("my heart's racing at about 150", "oxygen reading 89", "breathing 60 times a minute").
_VITAL_FILLER = (
    r"\s*(?:(?:is|was|of|at|about|around|approximately|approx|only|now|currently|reading|reads|measured|rate|"
    r"regular|irregular|irregularly|irregularly irregular|up to|down to|dropped to|dropping to|going|running|racing|"
    r"pounding|beating|like|of about|are|were|showed|shows|says|really|very|so|fast|quickly|hard|slow|slowly|low|"
    r":|=|-|,)\s*)*"
)
_NOT_A_RATE_AFTER = r"(?!\s*(?:/(?!\s*min)|%|kg|mmol|years?|degrees|c\b|f\b|mins?|minutes|hours?|days?))"
_HEART_RATE = [
    re.compile(
        r"\b(?:heart rate|pulse(?: rate)?|hr|p|heart ?beat|heart(?:'s| is| was)?|tachycardic|bradycardic)\b"
        + _VITAL_FILLER
        + r"(\d{2,3})\b"
        + _NOT_A_RATE_AFTER
    ),
    re.compile(r"\b(\d{2,3})\s*(?:bpm|beats (?:per|a|/|an) ?min(?:ute)?)"),
]
_RESPIRATORY_RATE = [
    re.compile(
        r"\b(?:respiratory rate|resp(?:iratory)? rate|resps|rr|breathing rate|respirations?|breathing)\b"
        + _VITAL_FILLER
        + r"(?:fast\s+(?:at\s+)?)?(\d{1,2})\b"
        + _NOT_A_RATE_AFTER
    ),
    re.compile(r"\b(\d{1,2})\s*(?:breaths|times) (?:per|a|/|an|each) ?min(?:ute)?"),
]
_OXYGEN_SATURATION = [
    re.compile(
        r"\b(?:spo2|sp02|sao2|o2 sats?|o2 saturations?|sats|saturations?|saturating"
        r"|oxygen(?: saturations?| sats| levels?| readings?)?|pulse ox(?:imeter|imetry)?(?: reading)?"
        r"|oximeter(?: reading)?)\b" + _VITAL_FILLER + r"(\d{2,3})\s*(?:%|percent|per ?cent)?" + _NOT_A_RATE_AFTER
    ),
    re.compile(r"\b(\d{2,3})\s*%\s*(?:on|in) (?:room )?air\b"),
]
_PAIN_SCORE = re.compile(r"\b(\d{1,2}(?:\.\d)?)\s*(?:/|out of)\s*10\b")

_AGE_PATTERNS: list[tuple[re.Pattern[str], float]] = [
    (re.compile(r"\b(\d{1,3}(?:\.\d)?)[\s-]*(?:years?|yrs?)[\s-]*old\b"), 1.0),
    (re.compile(r"\b(\d{1,2})[\s-]*(?:months?|mo)[\s-]*old\b"), 1 / 12),
    (re.compile(r"\b(\d{1,2})[\s-]*(?:weeks?|wks?)[\s-]*old\b"), 1 / 52),
    (re.compile(r"\b(\d{1,2})[\s-]*days?[\s-]*old\b"), 1 / 365),
    (
        re.compile(
            r"\b(?:infant|baby|newborn|child|boy|girl|son|daughter)\s+(?:of\s+|aged\s+|is\s+)?(\d{1,2})\s+months?\b"
        ),
        1 / 12,
    ),
    (re.compile(r"\b(?:infant|baby|newborn|son|daughter)\s+(?:of\s+|aged\s+|is\s+)?(\d{1,2})\s+weeks?\b"), 1 / 52),
    (re.compile(r"\b(?:aged?|age:)\s*(\d{1,3})\b"), 1.0),
    (re.compile(r"\b(\d{1,3})\s*(?:yo|y/o|y\.o\.|years of age)\b"), 1.0),
    (re.compile(r"\b(\d{2})\s?(?:m|f)\b(?![/\w])"), 1.0),
    (
        re.compile(
            r"\b(?:i'm|i am|he's|she's|he is|she is)\s+(?:a\s+|an\s+|only\s+|now\s+)?(\d{1,3})\b"
            r"(?!\.\d|\s*(?:weeks?|months?|days?|minutes?|hours?|times?|%|kg|kilos?|lbs?|pounds|stone|cm|degrees|/|"
            r"out of|miles?|km|units?|mg))"
        ),
        1.0,
    ),
    (
        re.compile(
            r"\b(?:son|daughter|child|kid|boy|girl|mum|mom|mother|dad|father|husband|wife|partner|grandma|grandmother|"
            r"granny|nan|grandad|grandfather|grandpa|brother|sister|friend|neighbour|neighbor)"
            r"\s*(?:\(|,|is|who is|aged)?\s*(\d{1,3})\s*\)?"
            r"(?!\.\d|\s*(?:weeks?|months?|days?|minutes?|hours?|times?|%|kg|degrees|/))"
        ),
        1.0,
    ),
]
_AGE_WORDS = [
    (re.compile(r"\b(?:newborn|neonate)\b"), 0.05),
    (re.compile(r"\b(?:my|our|the|a|this)\s+(?:baby|infant)\b"), 0.5),
    (re.compile(r"\btoddler\b"), 2.0),
    (re.compile(r"\b(?:teenager|teen|adolescent)\b"), 15.0),
    (re.compile(r"\b(?:my|our|the|a|this)\s+(?:child|kid|little one|preschooler)\b"), 6.0),
    (re.compile(r"\belderly\b"), 80.0),
]
_SEX_AFTER_AGE = re.compile(r"\bold\s+(?:baby\s+)?(man|woman|male|female|boy|girl|gentleman|lady)\b")
_FEMALE = re.compile(
    r"\b(?:woman|female|lady|girl|mother|mum|mom|wife|daughter|sister|grandma|grandmother|granny|nan|mrs|ms|miss)\b"
)
_MALE = re.compile(r"\b(?:man|male|gentleman|boy|father|dad|husband|son|brother|grandad|grandfather|grandpa|mr)\b")
_SHE = re.compile(r"\b(?:she|her|hers|herself)\b")
_HE = re.compile(r"\b(?:he|him|his|himself)\b")
_GESTATION = re.compile(
    r"\b(\d{1,2})\s*(?:weeks?|wks?)\s*(?:pregnant|gestation|along|of pregnancy)|\bpregnant\s+at\s+(\d{1,2})\s*weeks?"
)
_GESTATION_SAID = re.compile(  # "I'm 38 weeks" said by someone who has already said she is pregnant
    r"\b(?:i'm|i am|she's|she is|we're|we are)\s+(?:now\s+)?(\d{1,2})\s*(?:weeks?|wks?)\b"
    r"(?!\s*(?:old|ago|post|after|since|of|in|into|later|now|out|off|on|from|clean|sober))"
)
_GESTATION_MONTHS = re.compile(r"\b([1-9])\s*months?\s*(?:pregnant|gone|along|of pregnancy)\b")
WEEKS_PER_MONTH = 4.35

_ALLERGY_NONE = re.compile(
    r"\b(?:no known (?:drug )?allergies|nkda|nka|no (?:drug )?allergies|not allergic to anything|no allergies)\b"
)
_ALLERGY_TO = re.compile(r"\ballerg(?:ic|y|ies)\s+to\s+([a-z][a-z -]*?)(?=\s*(?:,|\.|;|\band\b|\bbut\b|\bwhich\b|$))")
_ALLERGY_NOUN = re.compile(r"\b([a-z]+)\s+allerg(?:y|ies)\b")
_NOT_AN_ALLERGEN = {"no", "known", "drug", "any", "food", "an", "the", "severe", "my", "his", "her", "seasonal"}

_CHARACTER = re.compile(
    r"\b(sharp|dull|burning|crushing|squeezing|pressing|pressure|tight|throbbing|stabbing|aching|cramping|crampy|"
    r"colicky|tearing|ripping|pounding|gnawing|shooting|heavy|band[- ]like|pins and needles)\b"
)


@dataclass(frozen=True)
class Fact:
    value: float
    evidence: str


def durations_hours(text: str, anchors: list[tuple[int, bool]]) -> Fact | None:
    """How long the complaint has lasted; anchors are (position, is_symptom) of mentions, so a duration that
    belongs to a history item ("diabetic for 10 years") is not taken for the symptom's duration."""
    primary = [fact for pos, fact, follows in _primary_durations(text) if _belongs_to_symptom(pos, anchors, follows)]
    if primary:
        return max(primary, key=lambda f: f.value)
    secondary = [f for pos, f in _secondary_durations(text) if _belongs_to_symptom(pos, anchors)]
    return max(secondary, key=lambda f: f.value) if secondary else None


def _primary_durations(text: str) -> list[tuple[int, Fact, bool]]:
    """(position, duration, whether it follows what it describes): "cough for 3 days" but "3 days of cough"."""
    found = []
    for regex in (_DURATION_FOR, _DURATION_OF):
        for m in regex.finditer(text):
            if regex is _DURATION_OF and _NOT_A_DURATION_AFTER.match(text[m.end() :]):
                continue
            if _RECURRENCE_BEFORE.search(text[max(0, m.start() - 40) : m.start()]):
                continue
            position = m.start() if regex is _DURATION_FOR else m.end()
            found.append((position, Fact(_hours(m.group(1), m.group(2)), m.group().strip()), regex is _DURATION_FOR))
    for m in _DURATION_PAST.finditer(text):
        found.append((m.start(), Fact(_hours("1", m.group(1)), m.group()), True))
    for m in _DURATION_VAGUE.finditer(text):
        if _RECURRENCE_BEFORE.search(text[max(0, m.start() - 40) : m.start()]):
            continue
        found.append((m.start(), Fact(_VAGUE_HOURS[m.group(1)], m.group()), True))
    for m in _DURATION_SLASH.finditer(text):
        unit = {"7": "day", "52": "week", "12": "month"}[m.group(2)]
        found.append((m.start(), Fact(_hours(m.group(1), unit), m.group()), True))
    for m in _SINCE_RE.finditer(text):
        found.append((m.start(), Fact(float(_SINCE[m.group(1)]), m.group()), True))
    return found


def _secondary_durations(text: str) -> list[tuple[int, Fact]]:
    found = [(m.start(), Fact(_hours(m.group(1), m.group(2)), m.group())) for m in _DURATION_AGO.finditer(text)]
    when = {"all day": 12.0, **{k: float(v) for k, v in _SINCE.items()}}
    return found + [(m.start(), Fact(when[m.group(1)], m.group())) for m in _WHEN_RE.finditer(text)]


def _belongs_to_symptom(position: int, anchors: list[tuple[int, bool]], follows: bool | None = None) -> bool:
    """Is the mention a duration describes a symptom? It describes the nearest mention on its side (before it
    when it follows, after it when it leads), or the nearest either side when the side has none."""
    if not anchors:
        return True
    side = [a for a in anchors if (a[0] < position if follows else a[0] >= position)] if follows is not None else []
    nearest = min(side or anchors, key=lambda a: abs(a[0] - position))
    return nearest[1]


def _hours(number: str, unit: str) -> float:
    count = _FUZZY.get(number.strip()) or float(number)
    key = next(k for k in _UNIT_HOURS if unit.startswith(k))
    return count * _UNIT_HOURS[key]


def temperature_c(text: str) -> list[Fact]:
    """Every temperature reading, in °C; Fahrenheit is converted and implausible numbers are ignored."""
    readings = []
    for m in _TEMPERATURE_UNIT.finditer(text):
        readings.append(_celsius(m.group(1), m.group(2).startswith("f"), m.group()))
    for m in _TEMPERATURE_WORD.finditer(text):
        readings.append(_celsius(m.group(1), None, m.group()))
    return [r for r in readings if r is not None]


def _celsius(number: str, fahrenheit: bool | None, evidence: str) -> Fact | None:
    value = float(number)
    if fahrenheit or (fahrenheit is None and value >= 90):
        value = (value - 32) * 5 / 9
    return Fact(round(value, 1), evidence.strip()) if 30 <= value <= 45 else None


def glucose_mmol(text: str) -> Fact | None:
    """Blood sugar in mmol/L; readings over 35 are taken as mg/dL (US) and converted."""
    m = _GLUCOSE.search(text)
    if not m:
        return None
    value = float(m.group(1))
    return Fact(round(value / 18, 1) if value > 35 else value, m.group().strip())


def blood_pressure(text: str) -> tuple[Fact, Fact] | None:
    """(systolic, diastolic) in mmHg from "blood pressure 220/120" or "185/95 mmHg"."""
    m = _BLOOD_PRESSURE.search(text)
    if not m:
        return None
    systolic, diastolic = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    return Fact(float(systolic), m.group().strip()), Fact(float(diastolic), m.group().strip())


def heart_rate_bpm(text: str) -> Fact | None:
    return _vital(text, _HEART_RATE, low=25, high=250)


def respiratory_rate(text: str) -> Fact | None:
    """Breaths per minute."""
    return _vital(text, _RESPIRATORY_RATE, low=4, high=99)


def oxygen_saturation(text: str) -> Fact | None:
    """SpO2 in percent; the lowest reading given is the one that matters."""
    return _vital(text, _OXYGEN_SATURATION, low=50, high=100, lowest=True)


def _vital(text: str, patterns: list[re.Pattern[str]], low: float, high: float, lowest: bool = False) -> Fact | None:
    """The most abnormal plausible reading: the highest (or, for SpO2, the lowest)."""
    readings = [
        Fact(float(m.group(1)), m.group().strip())
        for regex in patterns
        for m in regex.finditer(text)
        if low <= float(m.group(1)) <= high
    ]
    if not readings:
        return None
    return min(readings, key=lambda f: f.value) if lowest else max(readings, key=lambda f: f.value)


def pain_score(text: str) -> Fact | None:
    scores = [Fact(float(m.group(1)), m.group()) for m in _PAIN_SCORE.finditer(text) if float(m.group(1)) <= 10]
    return max(scores, key=lambda f: f.value) if scores else None


def age_years(text: str) -> Fact | None:
    for regex, factor in _AGE_PATTERNS:
        m = regex.search(text)
        if m and 0 <= float(m.group(1)) * factor <= 120:
            return Fact(round(float(m.group(1)) * factor, 3), m.group().strip())
    for regex, years in _AGE_WORDS:
        m = regex.search(text)
        if m:
            return Fact(years, m.group())
    return None


def sex(text: str) -> str | None:
    m = _SEX_AFTER_AGE.search(text)
    if m:
        return "female" if m.group(1) in ("woman", "female", "girl", "lady") else "male"
    female, male = _FEMALE.search(text), _MALE.search(text)
    if female or male:
        first = min((x for x in (female, male) if x), key=lambda x: x.start())
        return "female" if first is female else "male"
    she, he = len(_SHE.findall(text)), len(_HE.findall(text))
    if she != he:
        return "female" if she > he else "male"
    return None


def gestation_weeks(text: str) -> int | None:
    m = _GESTATION.search(text)
    if m:
        return int(m.group(1) or m.group(2))
    said = _GESTATION_SAID.search(text)
    if said:
        return int(said.group(1))
    months = _GESTATION_MONTHS.search(text)
    return round(int(months.group(1)) * WEEKS_PER_MONTH) if months else None


def allergies(text: str) -> list[str] | None:
    """Named allergies; [] when the text says there are none; None when it doesn't say."""
    if _ALLERGY_NONE.search(text):
        return []
    names = [m.group(1).strip() for m in _ALLERGY_TO.finditer(text)]
    names += [m.group(1) for m in _ALLERGY_NOUN.finditer(text) if m.group(1) not in _NOT_AN_ALLERGEN]
    return list(dict.fromkeys(names)) or None


def pain_character(text: str) -> str | None:
    words = list(dict.fromkeys(m.group(1) for m in _CHARACTER.finditer(text)))
    return ", ".join(words) if words else None

"""review(): the guard-rail applied to every LLM reply before the patient hears it.

Two things a symptom assistant must never do (MHRA / FDA position on software that is not a diagnostic device,
and NHS 111 call-handler practice): state a diagnosis as certain, or give prescription dosing. Sentences with
dosing are removed; certainty is softened into "could fit with ... only a clinician can confirm". The rest of the
reply is kept as written.
"""

from __future__ import annotations

import re

DOSING_NOTE = "A pharmacist or doctor can tell you whether a medicine is suitable for you and how much to take."
CONFIRM_NOTE = "only a clinician who assesses you can confirm that"

_UNIT = r"(?:mg|mcg|µg|micrograms?|milligrams?|grams?|g|ml|millilitres?|milliliters?|units?|iu)"
_DOSE_FORM = (
    r"(?:tablets?|tabs?|capsules?|caps?|pills?|puffs?|drops?|sprays?|sachets?|spoonfuls?|teaspoons?|tsp|doses?|"
    r"patch(?:es)?)"
)
_NUMBER = r"(?:\d+(?:\.\d+)?|one|two|three|four|five|six|half an?|a half|a couple of)"
_DOSING = [
    re.compile(rf"\b\d+(?:\.\d+)?\s?{_UNIT}\b", re.I),
    re.compile(rf"\b{_NUMBER}[\s-]+{_DOSE_FORM}\b", re.I),
    re.compile(r"\b(?:every|each)\s+\d+(?:\s*(?:-|to)\s*\d+)?\s*(?:hours?|hrs?|h)\b", re.I),
    re.compile(r"\b(?:once|twice|three times|four times|\d+\s*times)\s+(?:a|per|each)\s+day\b", re.I),
    re.compile(r"\b(?:bd|bid|tds|tid|qds|qid|prn|nocte|mane)\b"),
    re.compile(r"\b(?:dose|dosage|maximum of|max(?:imum)? daily)\b[^.!?]*\d", re.I),
    re.compile(r"\bi (?:will |would |can )?(?:prescribe|recommend you take)\b", re.I),
]
_DIAGNOSIS = (
    r"(?:an? |the )?(?:[a-z]+ )?(?:[a-z]+itis|[a-z]+osis|[a-z]+a?emia|infection|syndrome|disease|disorder|cancer|"
    r"tumou?r|flu|influenza|covid(?:-19)?|cold|migraine|pneumonia|asthma|diabetes|stroke|heart attack|angina|"
    r"fracture|sprain|ulcer|gout|shingles|depression|anxiety|hernia|sepsis|meningitis|allergy|uti|virus|clot|dvt|concussion)\b"
)
_CERTAINTY = [
    re.compile(
        rf"^(?P<lead>.*?)\b(?:you|he|she|they|your (?:child|son|daughter|baby))\s+"
        rf"(?:definitely |certainly |clearly |obviously |must |almost certainly )?"
        rf"(?:have|has|'ve got|have got|has got|are suffering from|is suffering from|are having|is having)\s+"
        rf"(?P<what>{_DIAGNOSIS}[^.,;!?]*)",
        re.I,
    ),
    re.compile(
        r"^(?P<lead>.*?)\b(?:this|it|that)(?: is|'s| must be| will be)\s+(?:definitely|certainly|clearly|obviously|"
        r"undoubtedly|100%|without (?:a )?doubt|for sure)\s+(?P<what>[^.,;!?]+)",
        re.I,
    ),
    re.compile(r"^(?P<lead>.*?)\b(?:the|your) diagnosis is\s+(?P<what>[^.,;!?]+)", re.I),
    re.compile(
        r"^(?P<lead>.*?)\bi (?:can )?(?:diagnose|confirm) (?:you with|that you have|this as|it as)\s+"
        r"(?P<what>[^.,;!?]+)",
        re.I,
    ),
]
_CERTAINTY_WORDS = re.compile(
    r"\b(?:definitely|certainly|undoubtedly|without (?:a )?doubt|for sure|"
    r"i'?m (?:sure|certain|confident) (?:that )?)\s*",
    re.I,
)
_SENTENCE = re.compile(r"[^.!?]+[.!?]*\s*")
_TRAILING = re.compile(r"\s+(?:and|but|so|which|because)\b.*$", re.I)


def review(reply_text: str) -> str:
    """The reply without dosing and without certainty of diagnosis; otherwise unchanged."""
    kept, dropped_dose = [], False
    for sentence in _SENTENCE.findall(reply_text):
        if any(p.search(sentence) for p in _DOSING):
            dropped_dose = True
            continue
        kept.append(_soften(sentence))
    if dropped_dose:
        kept.append(DOSING_NOTE)
    return " ".join(s.strip() for s in kept if s.strip())


def _soften(sentence: str) -> str:
    for pattern in _CERTAINTY:
        m = pattern.search(sentence)
        if m:
            return _could_fit(m.group("lead").strip(), _TRAILING.sub("", m.group("what").strip()))
    return _CERTAINTY_WORDS.sub("", sentence)


def _could_fit(lead: str, what: str) -> str:
    if lead:
        return f"{lead} these symptoms could fit with {what}, but {CONFIRM_NOTE}."
    return f"These symptoms could fit with {what}, but {CONFIRM_NOTE}."

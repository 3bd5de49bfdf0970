"""Reference ranges as labs print them, and our own fallback ranges for when they print none.

A row's reference may be a range ("13 - 17", "13 to 17"), a bound ("< 200", "> OR = 60", "Up to 200"), separate min
and max columns, or several labelled ranges ("Deficiency < 20  Sufficiency 30 - 100", "Male 13 - 17  Female 12 - 15").
Labelled ranges prefer the label that names the usual range; sex-specific ones follow the sex printed on the report,
or are combined when it is not printed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from reports.analysis.analytes import Analyte, normalize_name
from reports.analysis.tokens import BOUND, FLAG, LABEL, NUM, QUAL, RANGE, UNIT, WORD, Token, qualitative_key

PREFERRED_LABELS = (
    "normal",
    "reference",
    "ref",
    "range",
    "interval",
    "desirable",
    "optimal",
    "sufficiency",
    "sufficient",
    "nondiabetic",
    "non diabetic",
    "non-diabetic",
    "euthyroid",
    "healthy",
    "adult",
    "adults",
    "expected",
    "negative",
)
MALE_LABELS = frozenset({"male", "males", "men", "m"})
FEMALE_LABELS = frozenset({"female", "females", "women", "f"})
_DIMENSIONLESS = frozenset({"{ratio}", "{index}"})


@dataclass(frozen=True)
class Reference:
    low: float | None
    high: float | None
    text: str
    low_inclusive: bool = True
    high_inclusive: bool = True
    qualitative: str | None = None


@dataclass(frozen=True)
class Candidate:
    """A printed reference range or bound, the category words printed before it, and where both sit."""

    reference: Reference
    label: str
    start: int
    end: int


_AGE_WORDS = frozenset("y yr yrs year years month months mo mths day days d week weeks wk wks".split())
_ADULT_YEARS = 18


def reference_candidates(tokens: list[Token], source: str) -> list[Candidate]:
    candidates: list[Candidate] = []
    label_words: list[str] = []
    label_start: int | None = None
    for index, token in enumerate(tokens):
        if token.kind in (RANGE, BOUND) and (age_group := _age_group(tokens, index)):
            label_words, label_start = [age_group], token.start  # "> or = 20 Years  0.40-4.50": adults' range
        elif token.kind in (RANGE, BOUND):
            reference = _from_token(token, source[token.start : token.end])
            if reference:
                start = token.start if label_start is None else label_start
                candidates.append(Candidate(reference, " ".join(label_words), start, token.end))
            label_words, label_start = [], None
        elif token.kind == UNIT:
            label_words, label_start = [], None  # a unit ends a cell: the words before it are not a range's label
        elif token.kind in (LABEL, QUAL, FLAG, WORD):
            label_words.append(normalize_name(token.text))
            label_start = token.start if label_start is None else label_start
    return candidates


def _is_duration(tokens: list[Token], index: int) -> bool:
    """ "8 weeks", "6 months": a time span, not a limit of a range."""
    following = tokens[index + 1] if index + 1 < len(tokens) else None
    return following is not None and normalize_name(following.text) in _AGE_WORDS


def _age_group(tokens: list[Token], index: int) -> str | None:
    """ ">= 18 years", "1 - 6 yrs" label the range after them with an age group: "adult" from 18 years on."""
    if not _is_duration(tokens, index):
        return None
    token, following = tokens[index], tokens[index + 1]
    youngest = token.value if token.kind == RANGE or (token.op or "").startswith(">") else None
    in_years = normalize_name(following.text).startswith("y")
    return "adult" if in_years and youngest is not None and youngest >= _ADULT_YEARS else "child"


def _from_token(token: Token, text: str) -> Reference | None:
    if token.kind == RANGE:
        if token.value is None or token.high is None or token.value > token.high:
            return None
        return Reference(token.value, token.high, text)
    op = token.op or ""
    if op.startswith("<"):
        return Reference(None, token.value, text, high_inclusive=op == "<=")
    return Reference(token.value, None, text, low_inclusive=op == ">=")


def min_max_columns(after: list[Token]) -> Reference | None:
    """Separate 'min' and 'max' columns: exactly two plain numbers after the value, the first smaller."""
    numbers = [
        token
        for index, token in enumerate(after)
        if token.kind == NUM and not re.fullmatch(r"0\d+", token.text) and not _is_duration(after, index)
    ]
    if len(numbers) != 2 or any(token.kind in (RANGE, BOUND) for token in after):
        return None
    low, high = numbers[0].value, numbers[1].value
    if low is None or high is None or low >= high:
        return None
    return Reference(low, high, f"{numbers[0].text} - {numbers[1].text}")


def choose_reference(candidates: list[Candidate], source: str, sex: str | None) -> Reference:
    if len(candidates) == 1:
        return candidates[0].reference
    whole = source[candidates[0].start : candidates[-1].end].strip(" :([)];,")
    chosen = sex_specific(candidates, sex) or preferred(candidates)
    return replace(chosen, text=whole)


def preferred(candidates: list[Candidate]) -> Reference:
    for preferred in PREFERRED_LABELS:
        for candidate in candidates:
            if _names_label(candidate.label, preferred):
                return candidate.reference
    if framed := _between_low_and_high(candidates):
        return framed
    unlabelled = [candidate for candidate in candidates if not candidate.label]
    return (unlabelled or candidates)[0].reference


def _between_low_and_high(candidates: list[Candidate]) -> Reference | None:
    """ "Low: < 40   High: >= 60": the usual range lies between the low and the high category."""
    low = next((c.reference for c in candidates if c.label == "low" and c.reference.low is None), None)
    high = next((c.reference for c in candidates if c.label == "high" and c.reference.high is None), None)
    if low is None or high is None or low.high is None or high.low is None or low.high > high.low:
        return None
    return Reference(
        low.high, high.low, "", low_inclusive=not low.high_inclusive, high_inclusive=not high.low_inclusive
    )


def _names_label(label: str, wanted: str) -> bool:
    return label == wanted or wanted in label.split()


def names_usual_range(label: str) -> bool:
    words = set(label.split())
    return any(_names_label(label, wanted) for wanted in PREFERRED_LABELS) or bool(
        words & (MALE_LABELS | FEMALE_LABELS)
    )


def sex_specific(candidates: list[Candidate], sex: str | None) -> Reference | None:
    male = [c for c in candidates if set(c.label.split()) & MALE_LABELS]
    female = [c for c in candidates if set(c.label.split()) & FEMALE_LABELS]
    if not male or not female:
        return None
    if sex:
        return (male if sex == "male" else female)[0].reference
    return _envelope([male[0].reference, female[0].reference])


def _envelope(references: list[Reference]) -> Reference:
    """The union of sex-specific ranges when the report does not say the patient's sex."""
    lows = [r.low for r in references if r.low is not None]
    highs = [r.high for r in references if r.high is not None]
    return Reference(min(lows) if lows else None, max(highs) if highs else None, "")


def fallback_reference(analyte: Analyte, unit: str | None, *, word_result: bool) -> tuple[Reference, str] | None:
    """Our typical range for `analyte` in the printed unit, with its source; None when none fits."""
    for entry in analyte.fallback:
        if entry.text is not None:
            if word_result:
                text = f"{entry.text} (typical; not printed on the report)"
                return Reference(None, None, text, qualitative=qualitative_key(entry.text)), entry.source
            continue
        reference = None if word_result else _converted_fallback(analyte, entry.unit, entry.low, entry.high, unit)
        if reference:
            return replace(reference, high_inclusive=entry.high_inclusive), entry.source
    return None


def _converted_fallback(
    analyte: Analyte, entry_unit: str | None, low: float | None, high: float | None, printed_unit: str | None
) -> Reference | None:
    unit = None if printed_unit in _DIMENSIONLESS else printed_unit
    if entry_unit is not None and unit is None:
        return None
    converted_low = analyte.convert(low, entry_unit, unit) if low is not None else None
    converted_high = analyte.convert(high, entry_unit, unit) if high is not None else None
    if (low is not None and converted_low is None) or (high is not None and converted_high is None):
        return None
    return Reference(converted_low, converted_high, _fallback_text(converted_low, converted_high, printed_unit))


def _fallback_text(low: float | None, high: float | None, unit: str | None) -> str:
    unit_text = f" {unit}" if unit else ""
    if low is not None and high is not None:
        span = f"{low:.4g} - {high:.4g}"
    elif high is not None:
        span = f"< {high:.4g}"
    else:
        span = f">= {low or 0.0:.4g}"
    return f"{span}{unit_text} (typical range; not printed on the report)"

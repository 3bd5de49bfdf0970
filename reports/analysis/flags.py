"""Flags from the printed range, the printed marker and published critical limits.

normal / low / high from comparing with the range (results printed with "<" or ">" only when the comparison is
certain); the lab's H / L / HH / LL / A markers win over that comparison; critical limits from published
critical-value lists (see the analyte dictionary) upgrade a flag to critical_low / critical_high.
"""

from __future__ import annotations

from reports.analysis.analytes import Analyte
from reports.analysis.references import Reference
from reports.analysis.tokens import ABNORMAL_QUALITATIVE, NORMAL_QUALITATIVE

NORMAL, LOW, HIGH, CRITICAL_LOW, CRITICAL_HIGH, ABNORMAL = (
    "normal",
    "low",
    "high",
    "critical_low",
    "critical_high",
    "abnormal",
)


def numeric_flag(value: float, comparator: str | None, reference: Reference) -> str | None:
    low, high = reference.low, reference.high
    if comparator in ("<", "<="):
        return _below_bound_flag(value, comparator, low, high)
    if comparator in (">", ">="):
        return _above_bound_flag(value, comparator, low, high)
    if low is not None and (value < low or (value == low and not reference.low_inclusive)):
        return LOW
    if high is not None and (value > high or (value == high and not reference.high_inclusive)):
        return HIGH
    return NORMAL


def _below_bound_flag(value: float, comparator: str, low: float | None, high: float | None) -> str | None:
    """A result printed as "< value" (or "<= value"): the true value is somewhere below it."""
    if low is not None and value <= low:
        return LOW if value < low or comparator == "<" else None
    if (low is None or low <= 0) and (high is None or value <= high):
        return NORMAL
    return None


def _above_bound_flag(value: float, comparator: str, low: float | None, high: float | None) -> str | None:
    """A result printed as "> value" (or ">= value"): the true value is somewhere above it."""
    if high is not None and value >= high:
        return HIGH if value > high or comparator == ">" else None
    if high is None and (low is None or value >= low):
        return NORMAL
    return None


def qualitative_flag(value: str, reference: Reference | None) -> str | None:
    """Word results: known abnormal and normal words first, then any other word against the printed word reference
    ("Few" where "None seen" is expected, "Calcium oxalate" where "Absent" is)."""
    if value in ABNORMAL_QUALITATIVE:
        return ABNORMAL
    if value in NORMAL_QUALITATIVE:
        return NORMAL
    if reference and reference.qualitative:
        return NORMAL if value == reference.qualitative else ABNORMAL
    return None


def with_markers(computed: str | None, markers: tuple[str, ...]) -> str | None:
    """The lab's printed marker wins over our comparison (it knows sex- and age-specific limits)."""
    for code, flag in (("HH", CRITICAL_HIGH), ("LL", CRITICAL_LOW)):
        if code in markers:
            return flag
    if "C" in markers and computed in (HIGH, LOW):
        return CRITICAL_HIGH if computed == HIGH else CRITICAL_LOW
    if "H" in markers:
        return HIGH
    if "L" in markers:
        return LOW
    if "A" in markers and computed in (None, NORMAL):
        return ABNORMAL
    return computed


def critical_flag(
    analyte: Analyte | None, value: float | None, unit: str | None, comparator: str | None, flag: str | None
) -> str | None:
    """`flag`, upgraded when the value is at or beyond the analyte's critical limit (converted to its unit)."""
    if analyte is None or analyte.critical is None or value is None:
        return flag
    limits = analyte.critical
    converted = analyte.convert(value, unit, limits.unit)
    if converted is None:
        return flag
    if limits.low is not None and converted <= limits.low and comparator not in (">", ">="):
        return CRITICAL_LOW
    if limits.high is not None and converted >= limits.high and comparator not in ("<", "<="):
        return CRITICAL_HIGH
    return flag

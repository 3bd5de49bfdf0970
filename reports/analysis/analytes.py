"""The analyte dictionary: canonical names, LOINC codes, printed aliases, units, fallback ranges, critical limits.

The data lives in `data/analytes.json` (one analyte per line). Aliases are matched on a spelling-insensitive form
(`normalize_name`): lower case, punctuation as spaces, British spellings folded to American ones, so "Haemoglobin",
"HEMOGLOBIN" and "hemoglobin (Hb)" meet the same entry.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from reports.analysis.units import convert

_DATA_FILE = Path(__file__).with_name("data") / "analytes.json"

# British → American spellings, applied to whole-word fragments on both sides of a match.
_SPELLING_FOLDS = (
    (re.compile(r"haem"), "hem"),
    (re.compile(r"anaem"), "anem"),
    (re.compile(r"leuc"), "leuk"),
    (re.compile(r"\boestr"), "estr"),
    (re.compile(r"colour"), "color"),
    (re.compile(r"sulph"), "sulf"),
    (re.compile(r"(?<=[a-z])is(ed|ing|ation)\b"), r"iz\1"),
    (re.compile(r"\bfoet"), "fet"),
    (re.compile(r"\bfaec"), "fec"),
)
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
# Dotted initialisms ("E.S.R.", "S.G.P.T") are one word, as printed without dots.
INITIALISM_RE = re.compile(r"(?<![A-Za-z0-9])(?:[A-Za-z]\.){2,}(?:[A-Za-z](?![A-Za-z0-9]))?")


def normalize_name(text: str) -> str:
    """Lower case, punctuation-free, American-spelled form of a printed test name."""
    text = INITIALISM_RE.sub(lambda match: match.group().replace(".", ""), text)
    folded = text.lower().replace("&", " and ").replace("µ", "u").replace("μ", "u").replace("'", "")
    for pattern, replacement in _SPELLING_FOLDS:
        folded = pattern.sub(replacement, folded)
    return _NON_ALNUM.sub(" ", folded).strip()


@dataclass(frozen=True)
class FallbackRange:
    """A reference range of our own, used only when the lab printed none."""

    unit: str | None
    low: float | None
    high: float | None
    text: str | None
    source: str
    high_inclusive: bool = True


@dataclass(frozen=True)
class CriticalLimits:
    unit: str | None
    low: float | None
    high: float | None
    source: str


@dataclass(frozen=True, eq=False)
class Analyte:
    key: str
    name: str
    loinc: str | None
    units: tuple[str, ...]
    specimen: str
    kind: str
    molar_mass: float | None
    valence: int
    loinc_by_unit: dict[str, str]
    fallback: tuple[FallbackRange, ...]
    critical: CriticalLimits | None

    def loinc_for(self, unit: str | None) -> str | None:
        return self.loinc_by_unit.get(unit or "", self.loinc)

    def convert(self, value: float, from_unit: str | None, to_unit: str | None) -> float | None:
        return convert(value, from_unit, to_unit, molar_mass=self.molar_mass, valence=self.valence)

    def accepts_unit(self, unit: str) -> bool:
        """Whether a printed unit belongs to this analyte (listed, or convertible to one that is)."""
        if unit in self.units:
            return True
        return any(self.convert(1.0, unit, known) is not None for known in self.units)

    @property
    def takes_text_values(self) -> bool:
        return self.kind in ("qualitative", "any", "microscopy", "label")

    @property
    def takes_numeric_values(self) -> bool:
        return self.kind in ("quantity", "any", "microscopy")


@dataclass(frozen=True)
class AliasMatch:
    """Analytes whose alias spans `token_count` normalized tokens from the start of a name."""

    analytes: tuple[Analyte, ...]
    token_count: int


class AnalyteDictionary:
    def __init__(self, analytes: list[Analyte], aliases: dict[tuple[str, ...], list[Analyte]]) -> None:
        self.analytes = {analyte.key: analyte for analyte in analytes}
        self._aliases = aliases
        self._by_first_token: dict[str, list[tuple[str, ...]]] = {}
        for alias in sorted(aliases, key=len, reverse=True):
            self._by_first_token.setdefault(alias[0], []).append(alias)

    def lookup(self, name: str) -> tuple[Analyte, ...]:
        """Analytes whose alias is exactly this printed name."""
        return tuple(self._aliases.get(tuple(normalize_name(name).split()), ()))

    def longest_prefix(self, tokens: list[str]) -> AliasMatch | None:
        """The longest alias that the normalized `tokens` start with."""
        if not tokens:
            return None
        for alias in self._by_first_token.get(tokens[0], ()):
            if tuple(tokens[: len(alias)]) == alias:
                return AliasMatch(tuple(self._aliases[alias]), len(alias))
        return None

    def longest_contained(self, tokens: list[str]) -> AliasMatch | None:
        """The longest alias found anywhere inside the normalized `tokens` (for names with extra words)."""
        matches = (self.longest_prefix(tokens[start:]) for start in range(len(tokens)))
        return max((m for m in matches if m), key=lambda m: m.token_count, default=None)


def _fallback(entry: dict, sources: dict[str, str]) -> FallbackRange:
    return FallbackRange(
        unit=entry.get("unit"),
        low=entry.get("low"),
        high=entry.get("high"),
        text=entry.get("text"),
        source=sources[entry["source"]],
        high_inclusive=entry.get("high_inclusive", True),
    )


def _analyte(entry: dict, sources: dict[str, str]) -> Analyte:
    critical = entry.get("critical")
    return Analyte(
        key=entry["key"],
        name=entry["name"],
        loinc=entry["loinc"],
        units=tuple(entry["units"]),
        specimen=entry.get("specimen", "blood"),
        kind=entry.get("kind", "quantity"),
        molar_mass=entry.get("molar_mass"),
        valence=entry.get("valence", 1),
        loinc_by_unit=entry.get("loinc_by_unit", {}),
        fallback=tuple(_fallback(item, sources) for item in entry.get("fallback", ())),
        critical=CriticalLimits(critical["unit"], critical["low"], critical["high"], sources[critical["source"]])
        if critical
        else None,
    )


@cache
def load_dictionary() -> AnalyteDictionary:
    raw = json.loads(_DATA_FILE.read_text(encoding="utf-8"))
    analytes = [_analyte(entry, raw["sources"]) for entry in raw["analytes"]]
    aliases: dict[tuple[str, ...], list[Analyte]] = {}
    for entry, analyte in zip(raw["analytes"], analytes, strict=True):
        for alias in [entry["name"], *entry["aliases"]]:
            bucket = aliases.setdefault(tuple(normalize_name(alias).split()), [])
            if analyte not in bucket:
                bucket.append(analyte)
    return AnalyteDictionary(analytes, aliases)

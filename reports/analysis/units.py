"""Lab unit spellings → UCUM codes, and conversions between compatible units.

Labs print the same unit many ways ("gm/dl", "g/dL", "gm%"; "x10^9/L", "10^3/µL", "thou/cumm", "lakhs/cumm").
`normalize_unit` maps a printed spelling to its UCUM code (https://ucum.org/ucum) so results compare across labs;
`convert` moves a value between units of one dimension (mass, substance, count, activity), and between mass and
substance concentration when the analyte's molar mass is known.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_MASS_G = {"kg": 1e3, "g": 1.0, "mg": 1e-3, "ug": 1e-6, "ng": 1e-9, "pg": 1e-12}
_SUBSTANCE_MOL = {"mol": 1.0, "mmol": 1e-3, "umol": 1e-6, "nmol": 1e-9, "pmol": 1e-12}
_ACTIVITY = {"U": 1.0, "mU": 1e-3, "uU": 1e-6, "kU": 1e3, "[IU]": 1.0, "m[IU]": 1e-3, "u[IU]": 1e-6, "k[IU]": 1e3}
_VOLUME_L = {"L": 1.0, "dL": 0.1, "mL": 1e-3, "uL": 1e-6}

_MASS_SPELLINGS = {
    "g": ("g", "gm", "gms", "gram", "grams"),
    "mg": ("mg", "mgs"),
    "ug": ("ug", "mcg"),
    "ng": ("ng",),
    "pg": ("pg",),
    "kg": ("kg",),
}
_SUBSTANCE_SPELLINGS = {  # whole moles per litre are never a lab unit: a printed "mol/L" is an OCR-dropped "µmol/L"
    "mmol": ("mmol",),
    "umol": ("umol",),
    "nmol": ("nmol",),
    "pmol": ("pmol",),
}
_ACTIVITY_SPELLINGS = {
    "U": ("u", "units"),
    "mU": ("mu",),
    "uU": ("uu",),
    "kU": ("ku",),
    "[IU]": ("iu", "intunits"),
    "m[IU]": ("miu",),
    "u[IU]": ("uiu",),
    "k[IU]": ("kiu",),
}
_VOLUME_SPELLINGS = {
    "L": ("l", "lit", "litre", "liter"),
    "dL": ("dl",),
    "mL": ("ml",),
    "uL": ("ul", "mm3", "cumm", "cmm"),
}

# Cell counts: UCUM code → cells per litre.
_COUNT_PER_L = {
    "/L": 1.0,
    "/uL": 1e6,
    "10*3/uL": 1e9,
    "10*5/uL": 1e11,
    "10*6/uL": 1e12,
    "10*9/L": 1e9,
    "10*12/L": 1e12,
}
_COUNT_SPELLINGS = {
    "/uL": ("/ul", "/cumm", "/cmm", "/mm3", "cells/ul", "cells/cumm", "cells/mm3", "cells/cmm"),
    "10*3/uL": (
        "10^3/ul",
        "10^3/mm3",
        "10^3/cumm",
        "k/ul",
        "k/cumm",
        "thou/ul",
        "thou/cumm",
        "thou/mm3",
        "thousand/ul",
        "thousand/cumm",
    ),
    "10*5/uL": ("lakh/cumm", "lakhs/cumm", "lakhs/ul", "lakh/ul", "lakhs/mm3", "lakh/mm3", "lacs/cumm", "lac/cumm"),
    "10*6/uL": (
        "10^6/ul",
        "10^6/mm3",
        "10^6/cumm",
        "m/ul",
        "mil/ul",
        "mill/ul",
        "million/ul",
        "mill/cumm",
        "million/cumm",
        "mil/cumm",
        "millions/cumm",
        "mill/mm3",
        "million/mm3",
    ),
    "10*9/L": ("10*9/l", "10^9/l", "giga/l"),
    "10*12/L": ("10*12/l", "10^12/l", "tera/l"),
}

_OTHER_UNITS = {
    "%": ("%", "percent", "pct"),
    "fL": ("fl", "femtolitre", "femtoliter", "cu.micron", "cumicron", "um3"),
    "pg": ("pg", "picogram", "picograms", "pg/cell"),
    "mm/h": ("mm/hr", "mm/h", "mm/1sthr", "mm/1sthour", "mm/hour", "mm/1hr", "mmfor1sthr", "mm/1st", "mm1sthr"),
    "s": ("sec", "secs", "second", "seconds"),
    "mL/min/{1.73_m2}": (
        "ml/min/1.73m2",
        "ml/min/1.73m^2",
        "ml/min/1.73m²",
        "ml/min/1.73sqm",
        "ml/min/1.73sq.m",
        "ml/min/1.73sq.m.",
        "ml/min/1.73",
        "ml/min/1.73msq",
        "ml/min/1.73sqmeter",
        "ml/min/1.73sqmetre",
        "ml/min",
        "per1.73squaremetres",
        "per1.73squaremeters",
        "per1.73sqmetres",
        "per1.73m2",
        "per1.73sqm",
        "/1.73m2",
        "/1.73sqm",
        "1.73m2",
    ),
    "meq/L": ("meq/l", "meq./l"),
    "mosm/kg": ("mosm/kg", "mosmol/kg", "mosm/kgh2o"),
    "mmol/mol": ("mmol/mol", "mmol/molhb"),
    "{ratio}": ("ratio",),
    "L/L": ("l/l",),
    "/100{WBCs}": ("/100wbc", "/100wbcs", "/100leukocytes", "/100leucocytes"),
    "/[HPF]": ("/hpf", "cells/hpf", "/h.p.f", "/h.p.f.", "perhpf", "/hpf.", "hpf"),
    "/[LPF]": ("/lpf", "cells/lpf", "/l.p.f", "/l.p.f.", "perlpf", "lpf"),
    "{EU}/dL": ("eu/dl", "e.u./dl", "ehrlichu/dl", "ehrlichunits/dl", "eu"),
    "mm[Hg]": ("mmhg", "mm/hg", "mmofhg"),
    "g/(24.h)": ("g/24h", "g/24hr", "g/24hrs", "g/day", "gm/24hrs", "gm/24hr"),
    "mg/(24.h)": ("mg/24h", "mg/24hr", "mg/24hrs", "mg/day"),
    "mg/g": ("mg/g", "mg/gcreat", "mg/gcr", "mg/gm", "mg/gmcreatinine", "mg/gcreatinine", "ug/mgcreat", "ug/mg"),
    "mg/mmol": ("mg/mmol", "mg/mmolcreat", "mg/mmolcreatinine"),
    "{index}": ("index", "s/co", "s/co.ratio", "coi", "cutoffindex"),
    "{titer}": ("titre", "titer"),
}

_MASS_PERCENT_ALIASES = {"gm%": "g/dL", "g%": "g/dL", "gms%": "g/dL", "mg%": "mg/dL"}


def _composite_units() -> dict[str, str]:
    """Every prefix × volume spelling of mass, substance and activity concentrations."""
    table: dict[str, str] = {}
    families = (_MASS_SPELLINGS, _SUBSTANCE_SPELLINGS, _ACTIVITY_SPELLINGS)
    for family in families:
        for code, spellings in family.items():
            for vol_code, vol_spellings in _VOLUME_SPELLINGS.items():
                for spelling in spellings:
                    for vol in vol_spellings:
                        table[f"{spelling}/{vol}"] = f"{code}/{vol_code}"
    return table


def _build_table() -> dict[str, str]:
    table = _composite_units()
    for group in (_COUNT_SPELLINGS, _OTHER_UNITS):
        for code, spellings in group.items():
            for spelling in spellings:
                table[spelling] = code
    table.update(_MASS_PERCENT_ALIASES)
    return table


_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")


def _unit_key(raw: str) -> str:
    """A spelling-insensitive key: lower case, micro as "u", powers of ten as "10^n", no spaces or "x" prefix."""
    key = raw.strip().lower().replace("µ", "u").replace("μ", "u").replace("×", "x").replace(" ", "")
    key = re.sub(r"10([⁰¹²³⁴⁵⁶⁷⁸⁹]+)", r"10^\1", key).translate(_SUPERSCRIPTS).strip("()[],;:")
    key = key.replace("**", "^").replace("*", "^").replace("cu.mm", "cumm")
    key = re.sub(r"10e(\d)", r"10^\1", key)
    key = key.removeprefix("x").rstrip(".") if key not in ("x",) else key
    return re.sub(r"^e(\d+)(?=/)", r"10^\1", key)  # "x E9/L" (Canadian and LIS printouts)


_UNIT_TABLE = {_unit_key(spelling): code for spelling, code in _build_table().items()}


_EXPONENT_DIGITS = str.maketrans("oqgilsz", "0991152")


def _exponent_digits(match: re.Match[str]) -> str:
    return "10^" + match.group(1).translate(_EXPONENT_DIGITS)


# Letters OCR engines confuse in units: "mlU/L" for mIU/L, "pg/rnL" for pg/mL, "mg/d1" for mg/dl, "mm0l/l" for mmol/l,
# "x EQ/L" for x E9/L, "10*3/pL" for 10*3/µL, "mol/L" for µmol/L (the µ is the glyph OCR most often drops).
_OCR_CONFUSIONS = (
    (re.compile(r"(?<=[mu])lu"), "iu"),
    (re.compile(r"rn"), "m"),
    (re.compile(r"(?<=d)1$"), "l"),
    (re.compile(r"(?<=m)0(?=l)"), "o"),
    (re.compile(r"^(?:10\^|e)([0-9oqgilsz]{1,2})(?=/)"), _exponent_digits),
    (re.compile(r"^((?:10\^\d+|cells|thou|mill|lakhs?)/)pu?l$"), r"\1ul"),
    (re.compile(r"^mol/l$"), "umol/l"),
    (re.compile(r"cu[s,;:]mm"), "cumm"),
)


@lru_cache(maxsize=8192)
def normalize_unit(raw: str) -> str | None:
    """The UCUM code for a printed unit spelling, or None when the text is not a lab unit we know."""
    if not raw or len(raw) > 32:
        return None
    key = _unit_key(raw)
    if key in _UNIT_TABLE:
        return _UNIT_TABLE[key]
    for pattern, replacement in _OCR_CONFUSIONS:
        key = pattern.sub(replacement, key)
    return _UNIT_TABLE.get(key)


@dataclass(frozen=True)
class _Dimensioned:
    dimension: str
    factor: float


def _split_fraction(code: str) -> tuple[str, str] | None:
    if "/" not in code or code.startswith("/"):
        return None
    numerator, denominator = code.split("/", 1)
    return numerator, denominator


_VOLUME_FRACTION = {"%": 0.01, "L/L": 1.0}


def _dimension(code: str) -> _Dimensioned | None:
    if code in _COUNT_PER_L:
        return _Dimensioned("count", _COUNT_PER_L[code])
    if code in _VOLUME_FRACTION:
        return _Dimensioned("fraction", _VOLUME_FRACTION[code])
    parts = _split_fraction(code)
    if parts is None or parts[1] not in _VOLUME_L:
        return None
    numerator, volume = parts
    for name, scale in (("mass", _MASS_G), ("substance", _SUBSTANCE_MOL), ("activity", _ACTIVITY)):
        if numerator in scale:
            return _Dimensioned(name, scale[numerator] / _VOLUME_L[volume])
    return None


def convert(
    value: float, from_unit: str | None, to_unit: str | None, *, molar_mass: float | None = None, valence: int = 1
) -> float | None:
    """`value` expressed in `to_unit`, or None when the two units are not interconvertible for this analyte."""
    if from_unit == to_unit:
        return value
    if from_unit is None or to_unit is None:
        return None
    if from_unit == "meq/L":
        return convert(value / valence, "mmol/L", to_unit, molar_mass=molar_mass)
    if to_unit == "meq/L":
        converted = convert(value, from_unit, "mmol/L", molar_mass=molar_mass)
        return None if converted is None else converted * valence
    return _convert_dimensioned(value, _dimension(from_unit), _dimension(to_unit), molar_mass)


def _convert_dimensioned(
    value: float, source: _Dimensioned | None, target: _Dimensioned | None, molar_mass: float | None
) -> float | None:
    if source is None or target is None:
        return None
    base = value * source.factor
    if source.dimension == target.dimension:
        return base / target.factor
    if molar_mass and {source.dimension, target.dimension} == {"mass", "substance"}:
        base = base / molar_mass if source.dimension == "mass" else base * molar_mass
        return base / target.factor
    return None

"""Typed tokens for the text of a lab result row: numbers, ranges, bounds, units, flags, qualitative words.

`tokenize("14,0 g/dL  (13.0 - 17.0)  L")` gives NUM(14.0) UNIT(g/dL) PUNCT RANGE(13-17) PUNCT FLAG(L). Units may span
several printed pieces ("x 10^9 / L", "mL/min/1.73 m2"), ranges and bounds too ("13 to 17", "> OR = 60", "Up to 200",
"between 21 and 29"). Numbers accept thousands grouping ("7,500", Indian "2,50,000") and decimal commas ("13,2"),
decided per document. Dates ("03/11/2023", "2023-09-01", "12-Mar-2024") are DATE tokens: they date a previous result
or head a cumulative column, and are never values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from reports.analysis.units import normalize_unit

NUM, RANGE, BOUND, UNIT, FLAG, QUAL, LABEL, WORD, PUNCT, DASH, COMP, DATE = (
    "num",
    "range",
    "bound",
    "unit",
    "flag",
    "qual",
    "label",
    "word",
    "punct",
    "dash",
    "comp",
    "date",
)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    start: int
    end: int
    value: float | None = None
    high: float | None = None
    op: str | None = None
    unit: str | None = None
    code: str | None = None

    @property
    def is_numeric(self) -> bool:
        return self.kind in (NUM, RANGE, BOUND)


_GROUPED = r"[1-9]\d{0,2}(?:,\d{3})+|[1-9]\d?(?:,\d{2})+,\d{3}"
_NUMBER = rf"(?:{_GROUPED}|\d+)(?:[.,]\d+)?|[.,]\d+"
_NUMBER_RE = re.compile(rf"^[+-]?(?:{_NUMBER})$")
_OCR_NUMBER_RE = re.compile(r"^[0-9OolI|]+(?:[.,][0-9OolI|]+)?$")
_OCR_DIGIT_TABLE = str.maketrans({"O": "0", "o": "0", "l": "1", "I": "1", "|": "1"})
OCR_CORRECTED = "ocr-corrected"
_DECIMAL_COMMA_RE = re.compile(r"^\d+,\d{1,2}$")
_DOT_GROUPED_RE = re.compile(r"^-?[1-9]\d{0,2}(?:\.\d{3})+(?:,\d+)?$")
_RANGE_RE = re.compile(rf"^(-?(?:{_NUMBER}))\s*(?:-|–|—|to)\s*(-?(?:{_NUMBER}))$", re.IGNORECASE)
_COMPARATORS = {"<": "<", "<=": "<=", "=<": "<=", "≤": "<=", ">": ">", ">=": ">=", "=>": ">=", "≥": ">="}
_BOUND_RE = re.compile(rf"^(<=|>=|=<|=>|<|>|≤|≥)\s*({_NUMBER})$")
_ATTACHED_RE = re.compile(rf"^(\*?)((?:<=|>=|<|>|≤|≥)?(?:{_NUMBER}))(\*|[HL]|[a-zA-Zµμ%/].*)$")
_LEADING_STAR_RE = re.compile(rf"^\*((?:{_NUMBER}))$")
_OR_EQUAL_RE = re.compile(r"^(<|>)\s*or\s*=$", re.IGNORECASE)
_LEADING_ZERO_RE = re.compile(r"^-?0\d")  # "022-4125", "0142": phone numbers and codes, never range limits
_MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec"
DATE_RE = re.compile(
    rf"^(?:\d{{1,2}}[/.-]\d{{1,2}}[/.-](?:\d{{4}}|\d{{2}})|\d{{4}}[/.-]\d{{1,2}}[/.-]\d{{1,2}}|"
    rf"\d{{1,2}}[-/ ]?(?:{_MONTHS})[a-z]*[-/ ]?(?:\d{{4}}|\d{{2}}))$",
    re.IGNORECASE,
)

_FLAGS = {
    "h": "H",
    "l": "L",
    "hh": "HH",
    "ll": "LL",
    "high": "H",
    "low": "L",
    "hi": "H",
    "lo": "L",
    "a": "A",
    "abn": "A",
    "abnormal": "A",
    "*": "A",
    "**": "A",
    "crit": "C",
    "critical": "C",
    "panic": "C",
    "↑": "H",
    "↓": "L",
    "↑↑": "HH",
    "↓↓": "LL",
    "▲": "H",
    "▼": "L",
    "!": "A",
    "!!": "C",
    "*h": "H",
    "*l": "L",
    "h*": "H",
    "l*": "L",
    "*hh": "HH",
    "*ll": "LL",
    "hh*": "HH",
    "ll*": "LL",
    "(h)": "H",
    "(l)": "L",
}
_CASE_SENSITIVE_FLAGS = {"h", "l", "hh", "ll", "a", "hi", "lo", "*h", "*l", "h*", "l*"}

NORMAL_QUALITATIVE = frozenset(
    {
        "negative",
        "neg",
        "nil",
        "absent",
        "not detected",
        "non reactive",
        "nonreactive",
        "not reactive",
        "not seen",
        "none seen",
        "none",
        "normal",
        "clear",
        "pale yellow",
        "light yellow",
        "straw",
        "straw yellow",
        "straw colored",
        "yellow",
        "colorless",
        "acidic",
        "occasional",
        "rare",
        "not found",
        "no growth",
    }
)
ABNORMAL_QUALITATIVE = frozenset(
    {
        "positive",
        "pos",
        "detected",
        "present",
        "reactive",
        "trace",
        "traces",
        "+",
        "++",
        "+++",
        "++++",
        "1+",
        "2+",
        "3+",
        "4+",
        "moderate",
        "large",
        "many",
        "plenty",
        "numerous",
        "turbid",
        "cloudy",
        "hazy",
        "slightly turbid",
        "red",
        "brown",
        "bloody",
        "reddish",
        "abnormal",
    }
)
NEUTRAL_QUALITATIVE = frozenset(
    {"few", "amber", "dark yellow", "alkaline", "slightly hazy", "a", "b", "ab", "o", "small", "very few"}
)
_QUALITATIVE = NORMAL_QUALITATIVE | ABNORMAL_QUALITATIVE | NEUTRAL_QUALITATIVE
_QUALITATIVE_PHRASE_WORDS = max(len(phrase.split()) for phrase in _QUALITATIVE)

# Words that introduce a reference range or a category of one rather than a result.
REFERENCE_LABELS = frozenset(
    {
        "normal",
        "ref",
        "reference",
        "range",
        "ranges",
        "interval",
        "bio",
        "biological",
        "desirable",
        "optimal",
        "near",
        "borderline",
        "adult",
        "adults",
        "male",
        "female",
        "males",
        "females",
        "men",
        "women",
        "m",
        "f",
        "child",
        "children",
        "sufficient",
        "sufficiency",
        "insufficient",
        "insufficiency",
        "deficient",
        "deficiency",
        "toxic",
        "toxicity",
        "risk",
        "goal",
        "target",
        "therapeutic",
        "nondiabetic",
        "non-diabetic",
        "prediabetes",
        "prediabetic",
        "pre-diabetic",
        "pre-diabetes",
        "diabetic",
        "diabetes",
        "expected",
        "euthyroid",
        "healthy",
        "very",
        "elevated",
        "decreased",
        "increased",
        "moderately",
        "mildly",
        "severely",
        "kidney",
        "failure",
        "average",
        "above",
        "below",
        "trimester",
        "pregnancy",
        "pregnant",
        "postmenopausal",
        "premenopausal",
        "follicular",
        "luteal",
        "ovulation",
        "midcycle",
        "phase",
        "cut-off",
        "cutoff",
    }
)
_WORD_BOUNDS = {
    ("less", "than"): "<",
    ("lessthan",): "<",
    ("below",): "<",
    ("under",): "<",
    ("up", "to"): "<=",
    ("upto",): "<=",
    ("till",): "<=",
    ("max",): "<=",
    ("maximum",): "<=",
    ("more", "than"): ">",
    ("greater", "than"): ">",
    ("above",): ">",
    ("over",): ">",
    ("min",): ">=",
    ("minimum",): ">=",
    ("at", "least"): ">=",
    ("atleast",): ">=",
}
_WORD_BOUND_STARTS = frozenset(words[0] for words in _WORD_BOUNDS)
_MAX_UNIT_PIECES = 4
_EDGE_PUNCTUATION = "()[]{},;:"


def _ocr_digits(text: str) -> str | None:
    """'1O.9' → '10.9', 'l82' → '182': letters OCR mistakes for digits, only inside otherwise numeric text."""
    if len(text) < 2 or not _OCR_NUMBER_RE.match(text) or not any(char.isdigit() for char in text):
        return None
    return text.translate(_OCR_DIGIT_TABLE)


def parse_number(text: str, *, decimal_comma: bool = False) -> float | None:
    """A printed number as a float: grouping separators dropped, a single decimal comma read as a point."""
    cleaned = text.strip().lstrip("+")
    if decimal_comma and _DOT_GROUPED_RE.match(cleaned):
        cleaned = cleaned.replace(".", "")
    elif not _NUMBER_RE.match(cleaned):
        return None
    single_comma = cleaned.count(",") == 1 and "." not in cleaned
    if single_comma and (decimal_comma or _DECIMAL_COMMA_RE.match(cleaned.lstrip("-"))):
        cleaned = cleaned.replace(",", ".")
    try:
        return float(cleaned.replace(",", ""))
    except ValueError:
        return None


def uses_decimal_comma(text: str) -> bool:
    """Whether a document writes decimals with commas ("13,2 g/dL") more often than with points."""
    commas = len(re.findall(r"(?<![\d,.])\d{1,4},\d{1,2}(?![\d,])", text))
    points = len(re.findall(r"(?<![\d.])\d+\.\d+(?![\d.])", text))
    return commas > points


@dataclass(frozen=True)
class _Piece:
    text: str
    start: int
    end: int


def _pieces(text: str) -> list[_Piece]:
    """Whitespace-separated pieces, with brackets and separators split off as their own pieces."""
    pieces: list[_Piece] = []
    for match in re.finditer(r"\S+", text):
        pieces.extend(_split_edges(match.group(), match.start()))
    return pieces


def _split_edges(chunk: str, offset: int) -> list[_Piece]:
    if chunk.lower() in ("(h)", "(l)"):
        return [_Piece(chunk, offset, offset + len(chunk))]
    start, end = 0, len(chunk)
    head: list[_Piece] = []
    tail: list[_Piece] = []
    while start < end and chunk[start] in _EDGE_PUNCTUATION:
        head.append(_Piece(chunk[start], offset + start, offset + start + 1))
        start += 1
    while end > start and chunk[end - 1] in _EDGE_PUNCTUATION:
        end -= 1
        tail.insert(0, _Piece(chunk[end], offset + end, offset + end + 1))
    core = [_Piece(chunk[start:end], offset + start, offset + end)] if end > start else []
    return head + core + tail


def _join_unit(pieces: list[_Piece], index: int) -> tuple[str, int] | None:
    """The UCUM unit spelled by pieces[index:index+n] for the largest n, and n."""
    for count in range(min(_MAX_UNIT_PIECES, len(pieces) - index), 0, -1):
        group = pieces[index : index + count]
        if count > 1 and any(piece.text in _EDGE_PUNCTUATION for piece in group):
            continue
        unit = normalize_unit("".join(piece.text for piece in group))
        if unit:
            return unit, count
    return None


def _classify(piece: _Piece, decimal_comma: bool) -> list[Token]:
    text, start, end = piece.text, piece.start, piece.end
    lowered = text.lower()
    if text in _EDGE_PUNCTUATION:
        return [Token(PUNCT, text, start, end)]
    if (number := parse_number(text, decimal_comma=decimal_comma)) is not None:
        return [Token(NUM, text, start, end, value=number)]
    if (corrected := _ocr_digits(text)) and (
        number := parse_number(corrected, decimal_comma=decimal_comma)
    ) is not None:
        return [Token(NUM, corrected, start, end, value=number, code=OCR_CORRECTED)]
    if text in ("-", "–", "—") or lowered == "to":
        return [Token(DASH, text, start, end)]
    if text in _COMPARATORS or _OR_EQUAL_RE.match(text) or lowered == "or" or text == "=":
        return [Token(COMP, text, start, end, op=_comparator(text))]
    return _classify_compound(piece, decimal_comma) or [_classify_word(piece)]


def _comparator(text: str) -> str | None:
    if text in _COMPARATORS:
        return _COMPARATORS[text]
    if match := _OR_EQUAL_RE.match(text):
        return match.group(1) + "="
    return None


def _classify_compound(piece: _Piece, decimal_comma: bool) -> list[Token]:
    text, start, end = piece.text, piece.start, piece.end
    if match := _RANGE_RE.match(text):
        if _LEADING_ZERO_RE.match(match.group(1)) or _LEADING_ZERO_RE.match(match.group(2)):
            return []
        low = parse_number(match.group(1), decimal_comma=decimal_comma)
        high = parse_number(match.group(2), decimal_comma=decimal_comma)
        return [Token(RANGE, text, start, end, value=low, high=high)]
    if match := _BOUND_RE.match(text):
        value = parse_number(match.group(2), decimal_comma=decimal_comma)
        return [Token(BOUND, text, start, end, value=value, op=_COMPARATORS[match.group(1)])]
    if match := _LEADING_STAR_RE.match(text):
        return [
            Token(FLAG, "*", start, start + 1, code="A"),
            *_classify(_Piece(match.group(1), start + 1, end), decimal_comma),
        ]
    return _split_attached(piece, decimal_comma)


def _split_attached(piece: _Piece, decimal_comma: bool) -> list[Token]:
    """'14.0g/dL' → NUM UNIT; '5.2H' → NUM FLAG; '<0.5mg/L' → BOUND UNIT."""
    match = _ATTACHED_RE.match(piece.text)
    if not match:
        return []
    number_text, suffix = match.group(2), match.group(3)
    split = piece.start + len(match.group(1)) + len(number_text)
    if not (suffix in ("*", "H", "L") or normalize_unit(suffix)):
        return []
    leading = [Token(FLAG, "*", piece.start, piece.start + 1, code="A")] if match.group(1) else []
    number = _classify(_Piece(number_text, split - len(number_text), split), decimal_comma)
    return [*leading, *number, *_classify_suffix(suffix, split, piece.end)]


def _classify_suffix(suffix: str, start: int, end: int) -> list[Token]:
    if suffix in ("*", "H", "L"):
        return [Token(FLAG, suffix, start, end, code=_FLAGS[suffix.lower()])]
    return [Token(UNIT, suffix, start, end, unit=normalize_unit(suffix))]


def _classify_word(piece: _Piece) -> Token:
    text, lowered = piece.text, piece.text.lower()
    if DATE_RE.match(text):
        return Token(DATE, text, piece.start, piece.end)
    flag = _FLAGS.get(lowered)
    if flag and (lowered not in _CASE_SENSITIVE_FLAGS or text.isupper() or not text.isalpha()):
        return Token(FLAG, text, piece.start, piece.end, code=flag)
    phrase = qualitative_key(text)
    if phrase in _QUALITATIVE:
        return Token(QUAL, text, piece.start, piece.end, code=phrase)
    if lowered.rstrip(".") in REFERENCE_LABELS:
        return Token(LABEL, text, piece.start, piece.end, code=lowered.rstrip("."))
    return Token(WORD, text, piece.start, piece.end)


def qualitative_key(text: str) -> str:
    """The comparable form of a word result: 'Not  Detected' → 'not detected', 'Colourless' → 'colorless'."""
    return re.sub(r"[\s\-_]+", " ", text.lower().replace("colour", "color")).strip(" .")


def tokenize(text: str, *, decimal_comma: bool = False) -> list[Token]:
    """Typed tokens of `text` (cached: the parser looks at the same cells several times)."""
    return list(_tokenize(text, decimal_comma))


@lru_cache(maxsize=4096)
def _tokenize(text: str, decimal_comma: bool) -> tuple[Token, ...]:
    pieces = _pieces(text)
    tokens: list[Token] = []
    index = 0
    while index < len(pieces):
        joined = None if _NUMBER_RE.match(pieces[index].text) else _join_unit(pieces, index)
        if joined:
            unit, count = joined
            first, last = pieces[index], pieces[index + count - 1]
            tokens.append(Token(UNIT, text[first.start : last.end], first.start, last.end, unit=unit))
            index += count
            continue
        tokens.extend(_classify(pieces[index], decimal_comma))
        index += 1
    return tuple(_merge_phrases(_merge_ranges(_merge_bounds(_merge_word_bounds(tokens)))))


def _span(tokens: list[Token], first: int, last: int, source: list[Token] | None = None) -> tuple[str, int, int]:
    group = (source or tokens)[first : last + 1]
    return " ".join(token.text for token in group), group[0].start, group[-1].end


def _merge_word_bounds(tokens: list[Token]) -> list[Token]:
    """'less than 5' / 'up to 200' / 'above 60' → BOUND tokens."""
    merged: list[Token] = []
    index = 0
    while index < len(tokens):
        bound = _word_bound_at(tokens, index)
        if bound:
            merged.append(bound[0])
            index += bound[1]
            continue
        merged.append(tokens[index])
        index += 1
    return merged


def _word_bound_at(tokens: list[Token], index: int) -> tuple[Token, int] | None:
    if tokens[index].text.lower() == "between":
        return _between_at(tokens, index)
    if tokens[index].text.lower() not in _WORD_BOUND_STARTS:
        return None
    for words, op in _WORD_BOUNDS.items():
        end = index + len(words)
        if end >= len(tokens) or tokens[end].kind != NUM:
            continue
        if tuple(token.text.lower() for token in tokens[index:end]) == words:
            text, start, stop = _span(tokens, index, end)
            return Token(BOUND, text, start, stop, value=tokens[end].value, op=op, code="words"), len(words) + 1
    return None


def _between_at(tokens: list[Token], index: int) -> tuple[Token, int] | None:
    """'between 21 and 29' → a RANGE written in words (prose, never a result)."""
    group = tokens[index : index + 4]
    if len(group) < 4 or group[1].kind != NUM or group[2].text.lower() != "and" or group[3].kind != NUM:
        return None
    text, start, end = _span(tokens, index, index + 3)
    return Token(RANGE, text, start, end, value=group[1].value, high=group[3].value, code="words"), 4


def _merge_bounds(tokens: list[Token]) -> list[Token]:
    """'<' '5' / '>' 'OR' '=' '60' / '< =' '5' → BOUND tokens."""
    merged: list[Token] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.kind == COMP and token.op:
            bound = _bound_from(tokens, index)
            if bound:
                merged.append(bound[0])
                index += bound[1]
                continue
        merged.append(token)
        index += 1
    return merged


def _bound_from(tokens: list[Token], index: int) -> tuple[Token, int] | None:
    op = tokens[index].op or ""
    cursor = index + 1
    while cursor < len(tokens) and tokens[cursor].kind == COMP and tokens[cursor].op is None and cursor - index < 3:
        op = op if op.endswith("=") or tokens[cursor].text.lower() == "or" else op + "="
        cursor += 1
    if cursor >= len(tokens) or tokens[cursor].kind != NUM:
        return None
    text, start, end = _span(tokens, index, cursor)
    return Token(BOUND, text, start, end, value=tokens[cursor].value, op=op), cursor - index + 1


def _merge_ranges(tokens: list[Token]) -> list[Token]:
    """'13' '-' '17' / '13' 'to' '17' / '13' '-17' → RANGE tokens."""
    merged: list[Token] = []
    index = 0
    while index < len(tokens):
        found = _range_at(tokens, index)
        if found:
            merged.append(found[0])
            index += found[1]
            continue
        merged.append(tokens[index])
        index += 1
    return merged


def _range_at(tokens: list[Token], index: int) -> tuple[Token, int] | None:
    first = tokens[index]
    if first.kind != NUM or index + 1 >= len(tokens) or _LEADING_ZERO_RE.match(first.text):
        return None
    following = tokens[index + 1]
    if following.kind == DASH and index + 2 < len(tokens) and _range_limit(tokens[index + 2]):
        text, start, end = _span(tokens, index, index + 2)
        return Token(RANGE, text, start, end, value=first.value, high=tokens[index + 2].value), 3
    if following.kind == NUM and following.text.startswith("-") and first.value is not None and _range_limit(following):
        high = abs(following.value or 0.0)
        if high > first.value:
            text, start, end = _span(tokens, index, index + 1)
            return Token(RANGE, text, start, end, value=first.value, high=high), 2
    return None


def _range_limit(token: Token) -> bool:
    return token.kind == NUM and not _LEADING_ZERO_RE.match(token.text.lstrip("-"))


def _merge_phrases(tokens: list[Token]) -> list[Token]:
    """Multi-word qualitative results ('Not detected', 'Pale yellow', 'Non reactive') → one QUAL token."""
    merged: list[Token] = []
    index = 0
    while index < len(tokens):
        phrase = _phrase_at(tokens, index)
        if phrase:
            merged.append(phrase[0])
            index += phrase[1]
            continue
        merged.append(tokens[index])
        index += 1
    return merged


def _phrase_at(tokens: list[Token], index: int) -> tuple[Token, int] | None:
    for count in range(min(_QUALITATIVE_PHRASE_WORDS, len(tokens) - index), 1, -1):
        group = tokens[index : index + count]
        if any(token.kind in (PUNCT, NUM, RANGE, BOUND, UNIT) for token in group):
            continue
        key = qualitative_key(" ".join(token.text for token in group))
        if key in _QUALITATIVE:
            return replace(
                group[0], kind=QUAL, text=" ".join(t.text for t in group), end=group[-1].end, code=key
            ), count
    return None

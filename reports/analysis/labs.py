"""Lab result rows → coded results with the lab's printed reference range and a flag.

Principles, not per-lab templates:
- A row is a test name followed by a result; the name is matched against the analyte dictionary (longest alias,
  spelling- and punctuation-insensitive), the rest is read as typed tokens (value, unit, range, markers) in any order
  labs print them: value-range-unit, value-unit-range, inline "Test: 155 mg/dL (Normal: 70 - 99)", min/max columns.
- A result needs a value of its own. Rows that only carry ranges, or whose numbers are introduced by a category word
  ("Desirable < 200", "Children 1-6 yrs 11.5 - 13.5", "First trimester 0.1 - 2.5"), are reference tables, not results.
- Inside a block introduced by "Interpretation", "Reference ranges", "Paediatric", "Pregnancy", "Note" … or by a row
  of category headings ("Desirable   Borderline High   High"), only rows that look like complete results (known test,
  numeric value, printed range) are accepted, and never a second one for a test already reported on the page.
- Earlier results are not current results: values dated in a Previous Result column and the older columns of a
  cumulative report are skipped (see `history`).
- Layout: a test name wrapped over two lines around its centred value, a range continued on the lines below
  ("M: 0.7-1.3" / "F: 0.6-1.1"), phone numbers in headers ("Ph: 022-4125 2525") are recognised as such.
- Unknown test names are accepted only with a numeric value, a lab unit and a printed range, and never when the
  name is patient or report metadata (age, dates, IDs, phone numbers …).
- The lab's printed range and markers decide the flag; our own fallback ranges are used only when the lab printed
  none, and critical limits upgrade a flag to critical_low / critical_high.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from reports.analysis.analytes import INITIALISM_RE, Analyte, AnalyteDictionary, load_dictionary, normalize_name
from reports.analysis.flags import (
    critical_flag,
    numeric_flag,
    qualitative_flag,
    with_markers,
)
from reports.analysis.history import DateColumns, current_column, date_columns, without_dated_results
from reports.analysis.references import (
    Candidate,
    Reference,
    choose_reference,
    fallback_reference,
    min_max_columns,
    names_usual_range,
    preferred,
    reference_candidates,
    sex_specific,
)
from reports.analysis.tokens import (
    BOUND,
    COMP,
    DASH,
    DATE,
    FLAG,
    LABEL,
    NUM,
    OCR_CORRECTED,
    PUNCT,
    QUAL,
    RANGE,
    REFERENCE_LABELS,
    UNIT,
    WORD,
    Token,
    qualitative_key,
    tokenize,
    uses_decimal_comma,
)
from reports.analysis.units import normalize_unit

PRINTED, FALLBACK = "printed", "fallback"


class PageLike(Protocol):
    @property
    def number(self) -> int: ...

    @property
    def text(self) -> str: ...


class DocumentLike(Protocol):
    @property
    def pages(self) -> Sequence[PageLike]: ...


@dataclass(frozen=True)
class LabResultData:
    analyte: str
    loinc: str | None
    value: float | None
    value_text: str
    unit: str | None
    reference_low: float | None
    reference_high: float | None
    reference_text: str | None
    flag: str | None
    page: int
    range_source: str | None
    printed_name: str = ""
    fallback_source: str | None = None
    key: str | None = None
    printed_unit: str | None = None


# --- words that tell a row apart ----------------------------------------------------------------------------------
_POPULATION_WORDS = frozenset(
    "children child pediatric paediatric infant infants newborn newborns neonate neonates neonatal cord pregnancy "
    "pregnant trimester trimesters years yrs year months month days day weeks boys girls postmenopausal "
    "premenopausal follicular luteal ovulation menopause".split()
)
_CATEGORY_WORDS = _POPULATION_WORDS | frozenset(
    "adult adults desirable borderline optimal deficiency insufficiency sufficiency toxicity risk prediabetes "
    "prediabetic diabetic diabetes normal range reference interval interpretation note remark remarks comment "
    "comments guideline guidelines male female men women".split()
)
_METADATA_WORDS = frozenset(
    "age sex gender dob date birth born phone tel telephone mobile mob fax id no number patient name ref referred "
    "referring doctor dr physician consultant collected collection received reported registered sample specimen "
    "barcode accession page lab laboratory visit bed ward uhid mrn address email time printed report status order "
    "requisition client height weight bmi pulse bp temperature invoice bill amount rs price pin zip pincode code "
    "centre center branch location reg passport aadhaar account policy test tests method technology instrument".split()
)
_SENTENCE_WORDS = frozenset(
    "is are was were be been of the in on at for with may can could should would will this that these those if "
    "than when which who indicates indicate suggest suggests associated between and or not your you please".split()
)
_NOISE_PREFIXES = frozenset({"serum", "s", "plasma", "p", "venous", "whole", "total", "estimation", "test", "of"})
_ENUMERATOR_RE = re.compile(r"^\s*(?:\d{1,2}[.)]|[•·▪►*-]|[a-z][.)])\s+", re.IGNORECASE)
_CELL_SPLIT_RE = re.compile(r"\s{2,}|\t")
_SERIAL_RE = re.compile(r"^\d{1,3}[.)]?\s+(?=[A-Za-z])")
_RESULTS_HEADER_RE = re.compile(
    r"\b(test|tests|investigation|parameter|analyte|examination|description|component)s?\b.*"
    r"\b(results?|values?|observed|findings?|in range|out of range)\b",
    re.IGNORECASE,
)
_REFERENCE_BLOCK_RE = re.compile(
    r"\b(interpretation|reference\s+(ranges?|intervals?|values?)|ref\.?\s+ranges?|biological\s+reference|"
    r"p(a)?ediatric|children|pregnan\w*|trimester|note|comments?|remarks?|clinical\s+significance|guidelines?|"
    r"expected\s+values?|age\s+group|cut[- ]?offs?|decision\s+limits?|risk\s+categor\w*|as\s+per)\b",
    re.IGNORECASE,
)
_URINE_HEADING_RE = re.compile(r"\burin\w*|\bu/?a\b|dipstick", re.IGNORECASE)
_BLOOD_HEADING_RE = re.compile(
    r"h(a)?em|blood|biochem|chemistry|lipid|liver|kidney|renal|thyroid|metabolic|electrolyte|serum|plasma|diabet|"
    r"glyc|vitamin|iron|coagul|hormone|immun|serolog|\bcbc\b|(a)?emogram|profile|panel|function|marker",
    re.IGNORECASE,
)
_SEX_PATTERNS = (
    re.compile(r"\b(?:sex|gender)\b\s*[:\-/]?\s*(male|female|m|f)\b", re.IGNORECASE),
    re.compile(r"\bage\s*/\s*(?:sex|gender)\b\s*[:\-]?\s*\d+\s*\w*\s*/\s*(male|female|m|f)\b", re.IGNORECASE),
    re.compile(r"\b\d{1,3}\s*(?:y|yr|yrs|years?)\s*/\s*(male|female|m|f)\b", re.IGNORECASE),
    re.compile(r"\bage\s*/\s*(?:sex|gender)\b\s*[:\-]?[ \w.]{0,24}/\s*(male|female|m|f)\b", re.IGNORECASE),
    re.compile(r"\b(?:sex|gender)\s*/\s*age\b\s*[:\-]?\s*(male|female|m|f)\b", re.IGNORECASE),
)
_ATTACH_WINDOW_LINES = 8
# "Ph: 022-4125 2525", "Tel (02) 9555 0134", "Mobile : +91-98480 12345": a phone number, not a pH or a count.
_PHONE_RE = re.compile(
    r"\b(?:ph|phone|tel|telephone|mob|mobile|cell|fax|helpline|contact|call)\b\.?(?:\s*no\.?)?\s*[:#\-]?\s*"
    r"\+?[\d(][\d\s()/+\-]{5,}\d",
    re.IGNORECASE,
)
_PHONE_MIN_DIGITS = 7
# A comment or interpretation heading: ranges printed after it describe categories, not the row above.
_INTERPRETATION_RE = re.compile(
    r"^\W*(interpretation|notes?|comments?|remarks?|clinical\s+significance|please\s+note)\b", re.IGNORECASE
)
_HEADER_CATEGORY_WORDS = frozenset({"high", "low", "very", "and", "or", "to"})
_VALUE_LINE_WORDS = _NOISE_PREFIXES | {"blood", "urine", "level"}
_RATIO_WORDS = frozenset({"ratio", "index"})
_PROSE_MIN_WORDS = 4
# A table of charges ("Test Name   Qty   Rate   Amount") lists tests but holds no results.
_BILLING_WORDS = frozenset(
    "qty quantity rate rates amount amt price mrp rs inr charges charge fee fees gst tax".split()
)
_BILLED_ITEM_WORDS = frozenset("test tests name description particulars service services investigation item".split())


# --- document walk --------------------------------------------------------------------------------------------------
@dataclass
class _Row:
    printed_name: str
    analyte: Analyte | None
    value: float | None
    value_text: str
    comparator: str | None
    unit: str | None
    reference: Reference | None
    markers: tuple[str, ...]
    page: int
    value_range: tuple[float, float] | None = None
    printed_unit: str | None = None
    alias_tokens: int = 0
    candidates: list[Candidate] = field(default_factory=list)
    trailing_candidates: list[Candidate] = field(default_factory=list)
    trailing_text: list[str] = field(default_factory=list)
    continued: list[Candidate] = field(default_factory=list)
    continued_text: list[str] = field(default_factory=list)


@dataclass
class _State:
    dictionary: AnalyteDictionary
    sex: str | None
    decimal_comma: bool
    page: int = 0
    specimen: str | None = None
    in_reference_block: bool = False
    pending_name: str | None = None
    open_row: _Row | None = None
    lines_since_row: int = 0
    date_columns: DateColumns | None = None
    in_billing_table: bool = False
    rows: list[_Row] = field(default_factory=list)

    def start_page(self, number: int) -> None:
        self.page = number
        self.in_reference_block = False
        self.pending_name = None
        self.open_row = None
        self.date_columns = None
        self.in_billing_table = False

    def reported_on_page(self, analyte: Analyte) -> bool:
        return any(row.analyte is analyte and row.page == self.page for row in self.rows)


def parse_lab_results(doc: DocumentLike) -> list[LabResultData]:
    """Every lab result printed in `doc`, in reading order."""
    full_text = "\n".join(page.text for page in doc.pages)
    state = _State(load_dictionary(), detect_sex(full_text), uses_decimal_comma(full_text))
    for page in doc.pages:
        state.start_page(page.number)
        for line in _joined_centred_rows(page.text.splitlines(), state):
            _read_line(line, state)
    return _deduplicated([_result(row, state.sex) for row in state.rows])


@dataclass(frozen=True)
class _TextPage:
    number: int
    text: str


@dataclass(frozen=True)
class _TextDocument:
    pages: list[_TextPage]


def parse_lines(lines: Iterable[str], page: int = 1) -> list[LabResultData]:
    """Convenience for text that is not a document: one page of lines."""
    return parse_lab_results(_TextDocument([_TextPage(page, "\n".join(lines))]))


def detect_sex(text: str) -> str | None:
    """'male' / 'female' from the report header ("Sex: F", "Age/Sex: 45 Y/M"), or None."""
    for pattern in _SEX_PATTERNS:
        if match := pattern.search(text):
            return "male" if match.group(1).lower().startswith("m") else "female"
    return None


def _joined_centred_rows(lines: list[str], state: _State) -> Iterable[str]:
    """Rows whose test name wraps over two lines with the value centred between them ("ESTIMATED AVERAGE" /
    "177   mg/dL" / "GLUCOSE (eAG)") are put back on one line: "ESTIMATED AVERAGE GLUCOSE (eAG)   177   mg/dL"."""
    index = 0
    while index < len(lines):
        if index + 2 < len(lines) and (joined := _centred_row(lines[index], lines[index + 1], lines[index + 2], state)):
            yield joined
            index += 3
            continue
        yield lines[index]
        index += 1


def _centred_row(above: str, middle: str, below: str, state: _State) -> str | None:
    above, middle, below = above.strip(), middle.strip(), below.strip()
    if not (_is_name_fragment(above, 4) and _is_name_fragment(below, 6) and middle):
        return None
    first = tokenize(" ".join(middle.split()[:3]), decimal_comma=state.decimal_comma)[:1]
    if not first or first[0].kind not in (NUM, BOUND, QUAL):
        return None
    alone = _match_at_start(above, state.dictionary)
    joined = _match_at_start(f"{above} {below}", state.dictionary)
    if joined is None or (alone is not None and joined.alias_tokens <= alone.alias_tokens):
        return None
    return f"{above} {below}   {middle}"


def _is_name_fragment(text: str, max_words: int) -> bool:
    """A short line of words (brackets allowed: "(HbA1c), WHOLE BLOOD EDTA") with no number outside brackets."""
    if not text or not (text[0].isalpha() or text[0] == "(") or len(text.split()) > max_words:
        return False
    return not any(char.isdigit() for char in re.sub(r"\([^)]*\)", "", text))


def _read_line(line: str, state: _State) -> None:
    text = _PHONE_RE.sub(_without_phone_number, line).strip()
    if not text or _in_billing_table(text, state):
        return
    rows = [row for row in (_parse_segment(s, state, i == 0) for i, s in enumerate(_segments(text, state))) if row]
    if rows:
        state.rows.extend(rows)
        state.in_reference_block = False
        state.open_row = rows[-1] if rows[-1].reference is None else None
        state.lines_since_row = 0
        state.pending_name = None
        return
    _observe_other_line(text, state)


def _in_billing_table(text: str, state: _State) -> bool:
    """Whether `text` is the header or a row of a table of charges ("Test Name   Qty   Rate (Rs)   Amount"), which
    lists tests but holds no results; a results header ends it."""
    words = set(normalize_name(text).split())
    if len(words & _BILLING_WORDS) >= 2 and words & _BILLED_ITEM_WORDS and not any(char.isdigit() for char in text):
        state.in_billing_table = True
    elif state.in_billing_table and _RESULTS_HEADER_RE.search(text):
        state.in_billing_table = False
    return state.in_billing_table


def _without_phone_number(match: re.Match[str]) -> str:
    return "" if sum(char.isdigit() for char in match.group()) >= _PHONE_MIN_DIGITS else match.group()


def _observe_other_line(text: str, state: _State) -> None:
    tokens = tokenize(text, decimal_comma=state.decimal_comma)
    if _continue_reference(text, tokens, state):
        return
    state.lines_since_row += 1
    has_numbers = any(token.is_numeric for token in tokens)
    if columns := date_columns(tokens):
        state.date_columns = columns
        return
    if _RESULTS_HEADER_RE.search(text):
        state.in_reference_block = False
        state.date_columns = None
    elif not has_numbers and _is_heading(text) and _set_specimen(text, state):
        state.in_reference_block = False
        state.date_columns = None
    elif _REFERENCE_BLOCK_RE.search(text) or (not has_numbers and _is_category_header(tokens)):
        state.in_reference_block = True
    if _INTERPRETATION_RE.search(text):
        state.open_row = None
    if not _attach_named_reference(text, state):
        _attach_trailing_reference(text, tokens, state)
    name_only = _is_name_only(text, tokens)
    if name_only and state.lines_since_row == 1 and _continue_name(text, state):
        state.pending_name = None
        return
    state.pending_name = text if name_only else None


def _continue_reference(text: str, tokens: list[Token], state: _State) -> bool:
    """A labelled range continued on the lines under its row ("Male : 0 - 50" / "Female : 0 - 35") joins the row's."""
    row = state.rows[-1] if state.rows else None
    if row is None or row.page != state.page or state.lines_since_row > 0:
        return False
    if not row.candidates or not all(candidate.label for candidate in row.candidates):
        return False
    if any(token.kind in (NUM, DATE, QUAL) for token in tokens) or _match_at_start(text, state.dictionary):
        return False
    candidates = reference_candidates(tokens, text)
    if not candidates or not all(candidate.label for candidate in candidates):
        return False
    row.continued.extend(candidates)
    row.continued_text.append(text)
    return True


def _is_category_header(tokens: list[Token]) -> bool:
    """A row of category headings over the columns of a reference table ("Desirable   Borderline High   High")."""
    words = [normalize_name(token.text) for token in tokens if token.kind != PUNCT]
    if len(words) < 2 or not set(words) & _CATEGORY_WORDS:
        return False
    return all(word in REFERENCE_LABELS or word in _HEADER_CATEGORY_WORDS for word in words)


def _continue_name(text: str, state: _State) -> bool:
    """A name wrapped under its row ("Mean Corpuscular  24.8 pg" / "Hemoglobin (MCH)") completes that row's name."""
    row = state.rows[-1] if state.rows else None
    if row is None or row.page != state.page:
        return False
    combined = f"{row.printed_name} {text}"
    match = _match_at_start(combined, state.dictionary)
    if match is None or match.alias_tokens <= row.alias_tokens or match.end <= len(row.printed_name) + 1:
        return False
    if re.sub(r"\([^)]*\)", "", combined[match.end :]).strip(" .,:;-/)]"):
        return False  # a heading such as "ABSOLUTE LEUCOCYTE COUNT" is not the rest of the name above it
    value = Token(NUM if row.value is not None else QUAL, row.value_text, 0, 0, value=row.value)
    row.analyte = _best_candidate(match.analytes, row.unit, value, combined, state)
    row.printed_name, row.alias_tokens = combined, match.alias_tokens
    return True


def _is_heading(text: str) -> bool:
    """A section title ("URINE ROUTINE EXAMINATION"), not a header field ("Specimen: Urine")."""
    return len(text.split()) <= 10 and ":" not in text.rstrip(":")


def _set_specimen(text: str, state: _State) -> bool:
    if _URINE_HEADING_RE.search(text):
        state.specimen = "urine"
        return True
    if _BLOOD_HEADING_RE.search(text):
        state.specimen = "blood"
        return True
    return False


def _is_name_only(text: str, tokens: list[Token]) -> bool:
    words = text.split()
    return (
        1 <= len(words) <= 4
        and text[0].isalpha()
        and all(token.kind in (WORD, LABEL, PUNCT) for token in tokens)
        and not _REFERENCE_BLOCK_RE.search(text)
    )


def _attach_named_reference(text: str, state: _State) -> bool:
    """A block of ranges naming each test ("T3 : 60-200 ng/dL") gives each result that printed none its range."""
    name = _match_at_start(text, state.dictionary)
    if name is None:
        return False
    rest = text[name.end :]
    tokens = tokenize(rest, decimal_comma=state.decimal_comma)
    if {normalize_name(token.text) for token in tokens if token.kind in (WORD, LABEL)} & _POPULATION_WORDS:
        return False
    candidates = reference_candidates(tokens, rest)
    row = next((row for row in reversed(state.rows) if _awaits_range(row, name, state.page)), None)
    if not candidates or row is None:
        return False
    row.trailing_candidates.extend(candidates)
    row.trailing_text.append(rest.strip(" :-"))
    return True


def _awaits_range(row: _Row, name: _Name, page: int) -> bool:
    return row.page == page and row.analyte in name.analytes and row.reference is None and not row.trailing_candidates


def _attach_trailing_reference(text: str, tokens: list[Token], state: _State) -> None:
    """Ranges printed on lines under a result that has none ("Sufficiency : 30 - 100") belong to it."""
    row = state.open_row
    if row is None or state.lines_since_row > _ATTACH_WINDOW_LINES:
        return
    candidates = [c for c in reference_candidates(tokens, text) if names_usual_range(c.label)]
    if candidates:
        row.trailing_candidates.extend(candidates)
        row.trailing_text.append(text)


# --- segments: several results on one printed line ------------------------------------------------------------------
def _segments(text: str, state: _State) -> list[str]:
    """The line split where a new test name starts after a result (two results printed side by side)."""
    segments: list[list[str]] = []
    has_value = False
    for cell in _CELL_SPLIT_RE.split(text):
        if not cell.strip():
            continue
        tokens = tokenize(cell, decimal_comma=state.decimal_comma)
        if segments and not (has_value and _starts_result(cell, state)):
            segments[-1].append(cell)
            has_value = has_value or _holds_value(tokens)
        else:
            segments.append([cell])
            has_value = _holds_value(tokens[1:])
    return ["   ".join(cells) for cells in segments]


def _holds_value(tokens: list[Token]) -> bool:
    """Whether tokens after a test name already hold a result (a number or a word result)."""
    return any(token.is_numeric or token.kind == QUAL for token in tokens)


def _starts_result(cell: str, state: _State) -> bool:
    first = cell.split()[0]
    if not first[0].isalpha() or normalize_unit(first):
        return False
    if tokenize(first)[0].kind in (FLAG, QUAL, LABEL, UNIT):
        return False
    return state.dictionary.longest_prefix(normalize_name(cell).split()) is not None


# --- one segment → one row ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Name:
    printed: str
    end: int
    analytes: tuple[Analyte, ...]
    alias_tokens: int


def _parse_segment(segment: str, state: _State, first_in_line: bool) -> _Row | None:
    segment = re.sub(r"^%\s+(?=[A-Za-z])", "", _ENUMERATOR_RE.sub("", segment, count=1).lstrip("*•·▪► "))
    if not segment or not segment[0].isalnum():
        return None
    pending = state.pending_name if first_in_line else None
    name = _match_known_name(segment, pending, state.dictionary)
    if name is None and (serial := _SERIAL_RE.match(segment)):
        segment = segment[serial.end() :]
        name = _match_known_name(segment, None, state.dictionary)
    if name and not _names_a_ratio_of_tests(segment, name):
        return _known_row(segment, name, state)
    return _unknown_row(segment, state)


def _names_a_ratio_of_tests(segment: str, name: _Name) -> bool:
    """ "TRIG / HDL RATIO" starts with a test's name but is a ratio of two tests, not that test."""
    cell = _CELL_SPLIT_RE.split(segment[name.end :].lstrip(), maxsplit=1)[0] if name.end < len(segment) else ""
    if not set(normalize_name(cell).split()) & _RATIO_WORDS:
        return False
    return not any(_is_ratio(analyte) for analyte in name.analytes)


_NAME_TOKEN_RE = re.compile(rf"{INITIALISM_RE.pattern}|[A-Za-z0-9µμ]+")


def _name_tokens(text: str) -> list[tuple[str, int]]:
    """Normalized alphanumeric tokens of `text` with the offset where each ends ("E.S.R." is one token)."""
    tokens: list[tuple[str, int]] = []
    for match in _NAME_TOKEN_RE.finditer(text):
        tokens.extend((word, match.end()) for word in normalize_name(match.group()).split())
    return tokens


def _match_known_name(segment: str, pending: str | None, dictionary: AnalyteDictionary) -> _Name | None:
    own = _match_at_start(segment, dictionary)
    if not pending:
        return own
    combined = _match_at_start(f"{pending} {segment}", dictionary)
    pending_tokens = len(_name_tokens(pending))
    if combined and combined.alias_tokens > pending_tokens and combined.end > len(pending) + 1:
        offset = len(pending) + 1
        end = combined.end - offset
        return _Name(f"{pending} {segment[:end]}", end, combined.analytes, combined.alias_tokens)
    if own is None and combined and combined.alias_tokens == pending_tokens and _starts_with_value(segment):
        return _Name(pending, 0, combined.analytes, combined.alias_tokens)  # the name above, its value below
    return own


def _starts_with_value(segment: str) -> bool:
    """Whether a line begins with a result, after at most a specimen word or a lab code ("Serum 01   34.9")."""
    for token in tokenize(segment):
        if (token.is_numeric and not re.fullmatch(r"0\d+", token.text)) or token.kind == QUAL:
            return True
        if token.kind != PUNCT and not re.fullmatch(r"0\d+", token.text):
            if normalize_name(token.text) not in _VALUE_LINE_WORDS:
                return False
    return False


def _match_at_start(text: str, dictionary: AnalyteDictionary) -> _Name | None:
    tokens = _name_tokens(text)
    words = [word for word, _ in tokens]
    for skip in range(3):
        if skip and words[skip - 1 : skip] and words[skip - 1] not in _NOISE_PREFIXES:
            return None
        match = dictionary.longest_prefix(words[skip:])
        if match:
            end = _closing_bracket(text, tokens[skip + match.token_count - 1][1])
            return _Name(text[:end], end, match.analytes, match.token_count)
    return None


def _closing_bracket(text: str, end: int) -> int:
    """A name ending inside brackets ends after them: "Sodium (Na+)", "Potassium (K+)"."""
    if text.count("(", 0, end) <= text.count(")", 0, end):
        return end
    close = text.find(")", end)
    return close + 1 if 0 <= close - end <= 2 else end


def _known_row(segment: str, name: _Name, state: _State) -> _Row | None:
    rest = segment[name.end :]
    tokens = _current_tokens(rest, state)
    if tokens is None:
        return None
    if free_text := _free_text_row(name, rest, tokens, state):
        return free_text
    allow_text = any(analyte.takes_text_values for analyte in name.analytes)
    allow_range = any(analyte.kind == "microscopy" for analyte in name.analytes)
    value_index = _find_value(tokens, allow_text, allow_range)
    if value_index is None or _is_reference_row(tokens[:value_index]):
        return None
    value = tokens[value_index]
    unit = _unit(tokens, value_index)
    analyte = _choose_analyte(name, unit, value, tokens[:value_index], state)
    if analyte is None or _trails_into_sentence(tokens[value_index + 1 :]):
        return None
    printed = (name.printed + rest[: value.start]).strip(" :-=.")
    if analyte.kind == "label":
        return _label_row(printed, analyte, rest[value.start :], state)
    row = _row(printed, analyte, tokens, value_index, rest, unit, state, markers_before_value=True)
    row.alias_tokens = name.alias_tokens
    if state.in_reference_block and (not _is_complete(row) or state.reported_on_page(analyte)):
        return None
    if value.kind == BOUND and len(row.candidates) >= 2:
        return None  # "<200   200 - 239   >= 240": the columns of a category table, not a result
    if _reads_as_prose(row, tokens[value_index + 1 :]):
        return None
    return row


def _current_tokens(text: str, state: _State) -> list[Token] | None:
    """Tokens of a row without earlier results (dated values, older cumulative columns); None when the row's
    cumulative cells cannot be told apart."""
    tokens = without_dated_results(tokenize(text, decimal_comma=state.decimal_comma))
    return current_column(tokens, state.date_columns) if state.date_columns else tokens


def _free_text_row(name: _Name, rest: str, tokens: list[Token], state: _State) -> _Row | None:
    """A urine finding printed as free text with a word reference ("Crystals   Calcium oxalate   Absent")."""
    analytes = [a for a in name.analytes if a.specimen == "urine" and a.kind in ("qualitative", "microscopy")]
    cells = [cell for cell in _CELL_SPLIT_RE.split(rest) if cell.strip()]
    if not analytes or len(cells) < 2 or any(token.is_numeric for token in tokens):
        return None
    first = tokenize(cells[0])
    qualitative = [token for token in tokens if token.kind == QUAL]
    if not all(token.kind == WORD for token in first) or len(qualitative) != 1:
        return None
    reference = Reference(None, None, qualitative[0].text, qualitative=qualitative[0].code)
    printed = name.printed.strip(" :-=.")
    return _Row(printed, analytes[0], None, " ".join(cells[0].split()), None, None, reference, (), state.page)


def _label_row(printed: str, analyte: Analyte, value_text: str, state: _State) -> _Row:
    """Results that are labels, not measurements (blood group "B Positive"): kept as printed, never flagged."""
    text = _CELL_SPLIT_RE.split(value_text.strip(), maxsplit=1)[0]
    return _Row(printed, analyte, None, text, None, None, None, (), state.page)


def _unknown_row(segment: str, state: _State) -> _Row | None:
    tokens = _current_tokens(segment, state)
    if tokens is None:
        return None
    value_index = _find_value(tokens, allow_text=False, allow_range=False)
    if value_index is None or tokens[value_index].kind not in (NUM, BOUND):
        return None
    before_value = segment[: tokens[value_index].start].strip(" :-=.")
    if not _plausible_unknown_name(before_value):
        return None
    printed = _CELL_SPLIT_RE.split(before_value, maxsplit=1)[0]  # the name, not the method column after it
    unit = _unit(tokens, value_index)
    row = _row(printed, None, tokens, value_index, segment, unit, state, markers_before_value=False)
    if (
        unit is None
        or row.reference is None
        or row.reference.qualitative
        or _trails_into_sentence(tokens[value_index + 1 :])
    ):
        return None
    words = normalize_name(printed).split()
    dictionary_match = state.dictionary.longest_contained(words)
    if dictionary_match and len(words) <= 6:
        analytes = dictionary_match.analytes
        if not (set(words) & _RATIO_WORDS) or any(_is_ratio(analyte) for analyte in analytes):
            row.analyte = _best_candidate(analytes, unit, tokens[value_index], printed, state)
    return row


def _is_ratio(analyte: Analyte) -> bool:
    return bool({"{ratio}", "{index}"} & set(analyte.units))


def _plausible_unknown_name(printed: str) -> bool:
    words = normalize_name(printed).split()
    letters = sum(char.isalpha() for char in printed)
    if not printed or not printed[0].isalpha() or letters < 3 or not 1 <= len(words) <= 6:
        return False
    return not (set(words) & (_METADATA_WORDS | _CATEGORY_WORDS | _SENTENCE_WORDS))


def _find_value(tokens: list[Token], allow_text: bool, allow_range: bool) -> int | None:
    """Index of the result value: the first number, symbol bound or (when allowed) word result or count range,
    skipping name remnants, bracketed qualifiers, units and markers; None when a reference comes first."""
    depth = 0
    for index, token in enumerate(tokens):
        if token.kind == PUNCT:
            depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(token.text, 0)
            continue
        if depth > 0 or token.kind in (WORD, UNIT, DASH, COMP, DATE):
            continue
        if token.kind == NUM and re.fullmatch(r"0\d+", token.text):
            continue
        if token.kind == FLAG and len(token.text) > 1 and token.text.isalpha() and _introduces_number(tokens, index):
            return None
        if token.kind == FLAG:
            continue
        return _value_or_none(tokens, index, allow_text, allow_range)
    return None


def _value_or_none(tokens: list[Token], index: int, allow_text: bool, allow_range: bool) -> int | None:
    token = tokens[index]
    if token.kind == NUM:
        return index
    if token.kind == BOUND and token.code != "words":
        return index
    if token.kind == QUAL:
        return index if allow_text and not _labels_number(tokens, index) else None
    if token.kind == RANGE and allow_range:
        return index
    if token.kind in (RANGE, BOUND):
        return _value_after_reference(tokens, index)
    return None


def _value_after_reference(tokens: list[Token], index: int) -> int | None:
    """Reference-before-result columns ("13.0 - 17.0   12.1 g/dL"): one plain number after a single range."""
    later = [i for i in range(index + 1, len(tokens)) if tokens[i].is_numeric]
    if len(later) == 1 and tokens[later[0]].kind == NUM and not re.fullmatch(r"0\d+", tokens[later[0]].text):
        return later[0]
    return None


def _reference_before(before: list[Token], source: str) -> Reference | None:
    candidates = reference_candidates(before, source)
    return candidates[0].reference if len(candidates) == 1 else None


def _labels_number(tokens: list[Token], index: int) -> bool:
    """A word result that is really a range label: "Normal < 150", "Negative: < 0.9" (but not "None seen < 5")."""
    following = tokens[index + 1] if index + 1 < len(tokens) else None
    if following is not None and following.kind == PUNCT and following.text == ":":
        return _introduces_number(tokens, index)
    return tokens[index].code == "normal" and _introduces_number(tokens, index)


def _introduces_number(tokens: list[Token], index: int) -> bool:
    """Whether a word is the label of a number that follows it ("Normal: 70 - 99")."""
    for token in tokens[index + 1 : index + 3]:
        if token.kind == PUNCT and token.text == ":":
            continue
        return token.is_numeric
    return False


def _is_reference_row(before_value: list[Token]) -> bool:
    """Category or sentence words between the name and the value mark a reference table or a prose line."""
    words = {normalize_name(token.text) for token in before_value if token.kind in (WORD, LABEL)}
    sentence_words = words & _SENTENCE_WORDS
    return bool(words & _CATEGORY_WORDS) or len(sentence_words) >= 2


def _trails_into_sentence(after_value: list[Token]) -> bool:
    words = [normalize_name(token.text) for token in after_value if token.kind in (WORD, LABEL)]
    return sum(word in _SENTENCE_WORDS for word in words) >= 3


def _reads_as_prose(row: _Row, after_value: list[Token]) -> bool:
    """With no printed range to anchor it, a value followed by a clause is prose ("Haemoglobin 13.5 g/dL or above is
    considered normal", "60,000 IU weekly for 8 weeks"), not a result row."""
    if row.reference is not None:
        return False
    words = [normalize_name(token.text) for token in after_value if token.kind in (WORD, LABEL, COMP, QUAL)]
    return sum(word in _SENTENCE_WORDS for word in words) >= 2 or len(words) >= _PROSE_MIN_WORDS


def _unit_token(tokens: list[Token], value_index: int) -> Token | None:
    after = [token for token in tokens[value_index + 1 :] if token.kind == UNIT]
    before = [token for token in tokens[:value_index] if token.kind == UNIT]
    candidates = after or before
    return candidates[0] if candidates else None


def _unit(tokens: list[Token], value_index: int) -> str | None:
    token = _unit_token(tokens, value_index)
    return token.unit if token else None


# --- choosing among analytes that share an alias ("Glucose": blood or urine; "Neutrophils": % or count) ----------
def _choose_analyte(name: _Name, unit: str | None, value: Token, before: list[Token], state: _State) -> Analyte | None:
    qualifier = " ".join(token.text for token in before if token.kind in (WORD, PUNCT))
    return _best_candidate(name.analytes, unit, value, f"{name.printed} {qualifier}", state)


def _best_candidate(
    analytes: tuple[Analyte, ...], unit: str | None, value: Token, printed: str, state: _State
) -> Analyte | None:
    scored = [(_score(analyte, unit, value, printed, state), -order, analyte) for order, analyte in enumerate(analytes)]
    score, _, best = max(scored, key=lambda item: item[:2])
    return best if score > -5 else None


def _score(analyte: Analyte, unit: str | None, value: Token, printed: str, state: _State) -> int:
    score = 0
    words = set(normalize_name(printed).split())
    if words & {"urine", "urinary", "ur"}:
        score += 5 if analyte.specimen == "urine" else -5
    if state.specimen:
        score += 4 if analyte.specimen == state.specimen else 0
    elif analyte.specimen == "blood":
        score += 1
    if unit:
        score += 3 if analyte.accepts_unit(unit) else -5
    textual = value.kind == QUAL
    score += 2 if (analyte.takes_text_values if textual else analyte.takes_numeric_values) else -6
    return score


# --- a row's value, unit, reference, markers ------------------------------------------------------------------------
def _row(
    printed: str,
    analyte: Analyte | None,
    tokens: list[Token],
    value_index: int,
    source: str,
    unit: str | None,
    state: _State,
    *,
    markers_before_value: bool,
) -> _Row:
    value = tokens[value_index]
    after = tokens[value_index + 1 :]
    reference = _reference(after, source, value, state.sex) or _reference_before(tokens[:value_index], source)
    first_marker = 0 if markers_before_value else value_index + 1
    return _Row(
        candidates=reference_candidates(after, source),
        printed_name=printed,
        analyte=analyte,
        value=value.value if value.kind in (NUM, BOUND) else None,
        value_text=value.text if value.code == OCR_CORRECTED else " ".join(source[value.start : value.end].split()),
        comparator=value.op if value.kind == BOUND else None,
        unit=unit,
        reference=reference,
        markers=_markers(tokens, value_index, first_marker),
        page=state.page,
        value_range=_value_range(value),
        printed_unit=_printed_unit(tokens, value_index, source),
    )


def _printed_unit(tokens: list[Token], value_index: int, source: str) -> str | None:
    token = _unit_token(tokens, value_index)
    return source[token.start : token.end] if token else None


def _value_range(value: Token) -> tuple[float, float] | None:
    """A count printed as a range ("8 - 10" pus cells per field)."""
    if value.kind != RANGE or value.value is None or value.high is None:
        return None
    return value.value, value.high


def _markers(tokens: list[Token], value_index: int, first: int) -> tuple[str, ...]:
    """Printed H / L / HH / LL / A markers: before the value, or after it unless they are words labelling a range
    ("High >= 240"); letters and symbols ("L", "*") right before the range column are markers."""
    markers = []
    for index, token in enumerate(tokens):
        if index < first or token.kind != FLAG or not token.code:
            continue
        labels_range = len(token.text) > 1 and token.text.isalpha() and _introduces_number(tokens, index)
        if index > value_index and labels_range:
            continue
        if index > value_index and _after_label(tokens, index):
            continue
        markers.append(token.code)
    return tuple(markers)


def _after_label(tokens: list[Token], index: int) -> bool:
    previous = tokens[index - 1] if index else None
    return previous is not None and previous.kind == LABEL


def _reference(after: list[Token], source: str, value: Token, sex: str | None) -> Reference | None:
    candidates = reference_candidates(after, source)
    if candidates:
        return choose_reference(candidates, source, sex)
    pair = min_max_columns(after)
    if pair:
        return pair
    if value.kind == QUAL:
        qualitative = [token for token in after if token.kind == QUAL]
        if qualitative:
            return Reference(None, None, qualitative[0].text, qualitative=qualitative[0].code)
    return None


def _is_complete(row: _Row) -> bool:
    return row.analyte is not None and row.value is not None and row.reference is not None


# --- results: fallback ranges, flags, critical limits ---------------------------------------------------------------
def _result(row: _Row, sex: str | None) -> LabResultData:
    reference, source, citation = _effective_reference(row, sex)
    analyte = row.analyte
    unit = row.unit
    return LabResultData(
        analyte=analyte.name if analyte else _clean_name(row.printed_name),
        loinc=analyte.loinc_for(unit) if analyte else None,
        value=row.value,
        value_text=row.value_text,
        unit=unit,
        reference_low=reference.low if reference else None,
        reference_high=reference.high if reference else None,
        reference_text=reference.text if reference else None,
        flag=_flag(row, reference),
        page=row.page,
        range_source=source,
        printed_name=row.printed_name,
        fallback_source=citation,
        key=analyte.key if analyte else None,
        printed_unit=row.printed_unit,
    )


def _clean_name(printed: str) -> str:
    return re.sub(r"\s+", " ", printed).strip(" :-.")


def _effective_reference(row: _Row, sex: str | None) -> tuple[Reference | None, str | None, str | None]:
    if row.reference and row.continued:
        candidates = [*row.candidates, *row.continued]
        chosen = sex_specific(candidates, sex) or preferred(candidates)
        return replace(chosen, text=" / ".join([row.reference.text, *row.continued_text])), PRINTED, None
    if row.reference:
        return row.reference, PRINTED, None
    if row.trailing_candidates:
        chosen = sex_specific(row.trailing_candidates, sex) or preferred(row.trailing_candidates)
        return replace(chosen, text=" ".join(row.trailing_text)), PRINTED, None
    word_result = row.value is None and row.value_range is None
    fallback = fallback_reference(row.analyte, row.unit, word_result=word_result) if row.analyte else None
    if fallback:
        return fallback[0], FALLBACK, fallback[1]
    return None, None, None


def _flag(row: _Row, reference: Reference | None) -> str | None:
    if row.analyte and row.analyte.kind == "label":
        return None
    flag = with_markers(_computed_flag(row, reference), row.markers)
    return critical_flag(row.analyte, row.value, row.unit, row.comparator, flag)


def _computed_flag(row: _Row, reference: Reference | None) -> str | None:
    if row.value is None and row.value_range is None:
        return qualitative_flag(qualitative_key(row.value_text), reference)
    if reference is None or (reference.low is None and reference.high is None):
        return None
    if row.value_range:
        return numeric_flag(row.value_range[1], None, reference) or numeric_flag(row.value_range[0], None, reference)
    return numeric_flag(row.value or 0.0, row.comparator, reference)


def _deduplicated(results: list[LabResultData]) -> list[LabResultData]:
    """The same result printed twice on a page (summary tables, repeated headers) is kept once."""
    seen: set[tuple] = set()
    unique = []
    for result in results:
        key = (result.analyte, result.value_text, result.unit, result.page)
        if key not in seen:
            seen.add(key)
            unique.append(result)
    return unique

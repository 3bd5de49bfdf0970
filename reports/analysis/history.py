"""Earlier results printed beside the current one, so that only the current result is read.

Labs print history two ways:
- a Previous Result column, where each earlier value carries its date ("96  03/11/2023", "124 (2023-09-01)",
  "H 5.3 (2023-09-01)"); a value followed by a date is never the current result;
- cumulative reports, where a header row of dates ("Date  12/09/23  15/12/23  14/03/24") heads one result column
  per collection; the current result is the column of the newest date, wherever the lab puts it.

Taking a previous value for the current one is the most harmful misreading a parser can make, so a cumulative row
whose cells cannot be matched one to one with the dated columns gives no result rather than a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reports.analysis.tokens import BOUND, DATE, FLAG, LABEL, NUM, PUNCT, QUAL, RANGE, UNIT, WORD, Token

_VALUE_KINDS = (NUM, BOUND, QUAL)
_CODE_RE = re.compile(r"0\d+")  # performing-lab codes ("01") and padded IDs are not results
_MONTHS = {name: number for number, name in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}
_MAX_HEADER_LABEL_WORDS = 2


def without_dated_results(tokens: list[Token]) -> list[Token]:
    """`tokens` without earlier results that carry their date, and the flags printed with them."""
    if not any(token.kind == DATE for token in tokens):
        return tokens
    dropped: set[int] = set()
    for index, token in enumerate(tokens):
        if token.kind == DATE:
            dropped.update(_dated_result(tokens, index))
    return [token for index, token in enumerate(tokens) if index not in dropped]


def _dated_result(tokens: list[Token], date_index: int) -> range:
    """Indexes of the value (with its flags and brackets) that the date at `date_index` belongs to."""
    cursor = date_index - 1
    while cursor >= 0 and (tokens[cursor].kind == FLAG or tokens[cursor].text in "(["):
        cursor -= 1
    if cursor < 0 or tokens[cursor].kind not in _VALUE_KINDS or _CODE_RE.fullmatch(tokens[cursor].text):
        return range(0)
    first = cursor
    if first > 0 and tokens[first - 1].kind == FLAG and (first < 2 or tokens[first - 2].kind not in _VALUE_KINDS):
        first -= 1  # a flag printed before the earlier value ("H 5.3 (date)"), not after the current one
    last = date_index + 1 if date_index + 1 < len(tokens) and tokens[date_index + 1].text in ")]" else date_index
    return range(first, last + 1)


@dataclass(frozen=True)
class DateColumns:
    """A cumulative header: how many dated result columns there are and which one is the newest."""

    count: int
    newest: int


def date_columns(tokens: list[Token]) -> DateColumns | None:
    """The dated columns announced by a header row of two or more dates and at most a short label ("Date")."""
    dates = [token.text for token in tokens if token.kind == DATE]
    others = [token for token in tokens if token.kind not in (DATE, PUNCT)]
    if len(dates) < 2 or len(others) > _MAX_HEADER_LABEL_WORDS or any(t.kind not in (WORD, LABEL) for t in others):
        return None
    return DateColumns(len(dates), _newest(dates))


def _newest(dates: list[str]) -> int:
    """Index of the newest date, reading dd/mm or mm/dd as the dates allow; the last column when undecidable."""
    readings = [_reading(dates, day_first) for day_first in (True, False)]
    newest = {max(range(len(dates)), key=lambda i: reading[i]) for reading in readings if reading}
    return newest.pop() if len(newest) == 1 else len(dates) - 1


def _reading(dates: list[str], day_first: bool) -> list[tuple[int, int, int]] | None:
    parsed = [_parse_date(text, day_first) for text in dates]
    return None if any(date is None for date in parsed) else parsed  # type: ignore[return-value]


def _parse_date(text: str, day_first: bool) -> tuple[int, int, int] | None:
    parts = [part for part in re.split(r"[/.\- ]|(?<=\d)(?=[A-Za-z])|(?<=[A-Za-z])(?=\d)", text) if part]
    if len(parts) != 3:
        return None
    if len(parts[0]) == 4:
        year, month, day = parts
    else:
        first, second, year = parts
        day, month = (first, second) if day_first or not second.isdigit() else (second, first)
    month_number = int(month) if month.isdigit() else _MONTHS.get(month[:3].lower())
    if month_number is None or not (1 <= month_number <= 12 and 1 <= int(day) <= 31):
        return None
    full_year = int(year) if len(year) == 4 else 2000 + int(year) if int(year) < 70 else 1900 + int(year)
    return full_year, month_number, int(day)


def current_column(tokens: list[Token], columns: DateColumns) -> list[Token] | None:
    """`tokens` of a cumulative row keeping only the newest column's result, or None when the cells do not line up."""
    cells = _result_cells(tokens, columns.count)
    if len(cells) != columns.count:
        return None
    dropped = {index for number, cell in enumerate(cells) if number != columns.newest for index in cell}
    return [token for index, token in enumerate(tokens) if index not in dropped]


def _result_cells(tokens: list[Token], count: int) -> list[list[int]]:
    """Token indexes of the leading result cells (a value with its flags, "*L 3.1" or "5.4 H"), up to the unit or
    the reference."""
    cells: list[list[int]] = []
    index = 0
    while index < len(tokens) and len(cells) < count:
        token = tokens[index]
        if token.kind in (UNIT, RANGE) or token.text in "([":
            break
        starts_cell = token.kind in _VALUE_KINDS and not _CODE_RE.fullmatch(token.text)
        flag_first = token.kind == FLAG and index + 1 < len(tokens) and tokens[index + 1].kind in _VALUE_KINDS
        if not (starts_cell or flag_first):
            index += 1
            continue
        cell = [index, index + 1] if flag_first else [index]
        index = cell[-1] + 1
        while index < len(tokens) and tokens[index].kind == FLAG:
            cell.append(index)
            index += 1
        cells.append(cell)
    return cells

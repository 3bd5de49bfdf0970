"""Rebuilding printed lines from positioned words, so a table row stays one line in reading order.

PDF text layers store text in drawing order, which for tables is often column by column; OCR engines may split a row
into blocks. Grouping words by vertical position and sorting each group left to right restores "Haemoglobin 14.0
gm/dl 13 - 17" as one line. Wide horizontal gaps (table columns) are kept as three spaces, so the lab parser can tell
cells apart and read two results printed side by side.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from statistics import median

COLUMN_GAP = "   "


@dataclass(frozen=True)
class Word:
    """A word box in page coordinates with y growing downwards."""

    text: str
    left: float
    right: float
    top: float
    bottom: float

    @property
    def height(self) -> float:
        return max(self.bottom - self.top, 1e-6)

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2


def assemble_lines(words: list[Word]) -> list[str]:
    """Lines of text, top to bottom, each left to right, with column gaps marked."""
    return [_join(line) for line in _group_rows(words)]


def _group_rows(words: list[Word]) -> list[list[Word]]:
    rows: list[list[Word]] = []
    row_middle = row_height = 0.0
    for word in sorted(words, key=lambda w: (w.middle, w.left)):
        if rows and abs(word.middle - row_middle) <= 0.45 * min(word.height, row_height):
            rows[-1].append(word)
            continue
        rows.append([word])
        row_middle, row_height = word.middle, word.height
    return [sorted(row, key=lambda w: w.left) for row in rows]


def _join(row: list[Word]) -> str:
    height = median(word.height for word in row)
    parts = [row[0].text]
    for previous, word in itertools.pairwise(row):
        gap = word.left - previous.right
        parts.append(COLUMN_GAP if gap > 0.8 * height else " ")
        parts.append(word.text)
    return "".join(parts)

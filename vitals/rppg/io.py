"""Reading colour traces from CSV files (header ``t,r,g,b``) for the command line."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from vitals.rppg.validation import SampleError

COLUMNS = ("t", "r", "g", "b")
MAX_ROWS = 200_000


def read_trace_csv(path: str | Path) -> np.ndarray:
    """Return the ``(N, 4)`` float array of ``t, r, g, b`` rows in ``path``.

    The header names the columns (any order, any case, extra columns ignored). Offline files are read
    leniently - a recording is worth keeping even if a few frames are bad: rows with an empty, NaN or
    infinite value are skipped, and the engine itself sorts by time and averages repeated timestamps.
    Raises :class:`SampleError` for a missing column, a non-numeric value, or no usable rows.
    """
    with Path(path).open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise SampleError("empty file")
        columns = _column_indices(header)
        rows = [_parse_row(row, columns, line) for line, row in enumerate(reader, start=2) if any(row)]
    usable = [row for row in rows if row is not None]
    if len(usable) > MAX_ROWS:
        raise SampleError(f"too many rows (at most {MAX_ROWS})")
    if not usable:
        raise SampleError("no usable rows")
    return np.array(usable, dtype=np.float64)


def _column_indices(header: list[str]) -> list[int]:
    names = [name.strip().lower() for name in header]
    missing = [name for name in COLUMNS if name not in names]
    if missing:
        raise SampleError(f"header must name the columns t,r,g,b (missing: {','.join(missing)})")
    return [names.index(name) for name in COLUMNS]


def _parse_row(row: list[str], columns: list[int], line: int) -> list[float] | None:
    if len(row) <= max(columns):
        raise SampleError(f"line {line}: expected columns t,r,g,b")
    try:
        values = [float(row[index]) if row[index].strip() else float("nan") for index in columns]
    except ValueError:
        raise SampleError(f"line {line}: values must be numbers") from None
    return values if all(np.isfinite(values)) else None

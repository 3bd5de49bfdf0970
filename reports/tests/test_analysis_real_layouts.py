"""Real-world report layouts: every printed result is read with its unit, range, flag and page, and nothing else is.

The fixtures (reports/tests/fixtures/real_layouts.py) reproduce how laboratories in India, the US, Canada, Australia
and the UK lay out their reports; the expected rows were written from the printed documents, not from parser output.
"""

from __future__ import annotations

import shutil

import pytest

from reports.analysis.extraction import extract_text
from reports.analysis.labs import LabResultData, parse_lab_results, parse_lines
from reports.analysis.service import analyze_document
from reports.tests.fixtures.engines import NoOcr
from reports.tests.fixtures.make_reports import FixtureReport
from reports.tests.fixtures.real_layouts import (
    OCR_CASES,
    REAL_LAYOUTS,
    OcrCase,
    rounded,
    score,
    si_previous_column,
    us_previous_column,
)


def _row(result: LabResultData) -> tuple:
    return rounded(
        (
            result.analyte,
            result.loinc,
            result.value,
            result.value_text,
            result.unit,
            result.reference_low,
            result.reference_high,
            result.flag,
            result.page,
            result.range_source,
        )
    )


def _sorted(rows: list[tuple]) -> list[tuple]:
    return sorted(rows, key=lambda row: (row[8], repr(row)))


def _results(report: FixtureReport) -> list[LabResultData]:
    return parse_lab_results(extract_text(report.build(), "pdf", ocr=NoOcr()))


@pytest.fixture(scope="module")
def parsed() -> dict[str, list[LabResultData]]:
    return {report.name: _results(report) for report in REAL_LAYOUTS}


@pytest.mark.parametrize("report", REAL_LAYOUTS, ids=lambda report: report.name)
def test_real_layout_gives_every_result_and_nothing_else(
    report: FixtureReport, parsed: dict[str, list[LabResultData]]
) -> None:
    found = _sorted([_row(result) for result in parsed[report.name]])
    assert found == _sorted([rounded(row) for row in report.expected])


def test_the_whole_set_scores_full_precision_recall_and_field_accuracy(
    parsed: dict[str, list[LabResultData]],
) -> None:
    total = sum(
        (score(report.expected, [_row(r) for r in parsed[report.name]]) for report in REAL_LAYOUTS),
        start=score([], []),
    )
    assert (total.precision, total.recall, total.field_accuracy) == (1.0, 1.0, 1.0)


# --- previous and cumulative results -------------------------------------------------------------------------------
def test_a_previous_result_and_its_flag_never_replace_the_current_one() -> None:
    results = parse_lab_results(extract_text(si_previous_column(), "pdf", ocr=NoOcr()))
    potassium = next(result for result in results if result.analyte == "Potassium")
    assert (potassium.value, potassium.flag) == (4.9, "normal")


def test_previous_result_lines_under_a_result_are_not_results() -> None:
    results = parse_lines(["Vitamin B12   156   L   > 220   pmol/L", "Previous: 210 (2023-09-01)"])
    assert [(result.value, result.flag) for result in results] == [(156.0, "low")]


def test_dated_previous_result_in_the_same_row_is_skipped() -> None:
    result = parse_lines(["Glucose  01   96      142   High   03/11/2023   mg/dL   70-99"])[0]
    assert (result.value, result.flag) == (96.0, "normal")


def test_cumulative_report_takes_the_newest_dated_column() -> None:
    results = parse_lines(
        [
            "Date   12/09/23   15/12/23   14/03/24",
            "WCC   11.8 H   9.2   7.1   x10^9/L   (4.0-11.0)",
            "Potassium   4.3   4.6   5.4 H   mmol/L   (3.5-5.2)",
        ]
    )
    assert [(r.analyte, r.value, r.flag) for r in results] == [
        ("White blood cell count", 7.1, "normal"),
        ("Potassium", 5.4, "high"),
    ]


def test_cumulative_report_with_the_newest_column_first() -> None:
    results = parse_lines(["Date   14/03/24   15/12/23   12/09/23", "Sodium   131 L   139   141   mmol/L   (135-145)"])
    assert [(r.value, r.flag) for r in results] == [(131.0, "low")]


def test_performing_lab_code_after_the_name_is_not_the_value() -> None:
    results = parse_lab_results(extract_text(us_previous_column(), "pdf", ocr=NoOcr()))
    bun = next(result for result in results if result.analyte == "Urea nitrogen (BUN)")
    assert (bun.value, bun.printed_name.split()[0]) == (17.0, "BUN")


# --- reference tables, comments, metadata --------------------------------------------------------------------------
def test_category_columns_under_a_header_row_are_a_reference_table() -> None:
    results = parse_lines(
        [
            "TOTAL CHOLESTEROL   214   mg/dL   <200",
            "Desirable   Borderline High   High   Very High",
            "TOTAL CHOLESTEROL   <200   200 - 239   ≥ 240",
            "HDL   ≥ 60",
        ]
    )
    assert [(r.analyte, r.value) for r in results] == [("Cholesterol, total", 214.0)]


def test_a_note_listing_category_bounds_for_a_test_already_reported_is_not_a_result() -> None:
    results = parse_lines(
        [
            "GFR Estimated   78   mL/min/1.73m2   >59",
            "Note",
            "1. eGFR category: G1 >=90 Normal or high; G2 60-89 Mildly decreased",
        ]
    )
    assert [(r.analyte, r.value) for r in results] == [("eGFR", 78.0)]


def test_prose_with_a_range_in_words_is_not_a_result() -> None:
    line = "Vitamin B12: values between 148 and 220 pmol/L are indeterminate; consider methylmalonic acid."
    assert parse_lines([line]) == []


def test_ratio_of_two_tests_is_not_read_as_the_first_test() -> None:
    result = parse_lines(["TRIG / HDL RATIO   CALCULATED   4.63   Ratio   < 3.12"])[0]
    assert (result.analyte, result.loinc, result.flag) == ("TRIG / HDL RATIO", None, "high")


def test_a_value_in_a_sentence_without_a_printed_range_is_not_a_result() -> None:
    lines = [
        "Haemoglobin 13.5 g/dL or above is considered normal for adult men.",
        "Vitamin D supplementation: 60,000 IU weekly for 8 weeks, then 1,000 IU daily.",
    ]
    assert parse_lines(lines) == []


def test_a_table_of_charges_lists_tests_but_holds_no_results() -> None:
    lines = [
        "S.No   Test Name   Qty   Rate (Rs)   Amount",
        "1   HbA1c   1   550.00   550.00",
        "2   TSH   1   300.00   300.00",
    ]
    assert parse_lines(lines) == []


def test_a_results_table_after_a_table_of_charges_is_read() -> None:
    lines = [
        "Test Name   Qty   Amount",
        "HbA1c   1   550.00",
        "Test   Result   Unit   Range",
        "HbA1c   6.1   %   4.0 - 5.6",
    ]
    assert [(r.analyte, r.value) for r in parse_lines(lines)] == [("Hemoglobin A1c", 6.1)]


def test_header_fields_with_numbers_and_units_are_not_results() -> None:
    lines = [
        "Age/Gender : 52 Y 4 M 10 D/M   Weight : 72 kg   Height : 170 cm   BP : 120/80 mmHg",
        "Date Issued: 03/14/24 1022 ET   FINAL REPORT   Page 2 of 2",
        "01  BN  Synth Labs, 1447 York Court, Burlington, NC 27215-3361   Dir: Jane Roe, MD",
    ]
    assert parse_lines(lines) == []


# --- printed forms ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "value", "flag"),
    [
        ("WBC   14.2H   10^3/µL   4.0 – 11.0", 14.2, "high"),
        ("POTASSIUM   *L 3.1   mmol/L   3.5-5.1", 3.1, "low"),
        ("CREATININE   1.6 (H)   mg/dL   0.7-1.3", 1.6, "high"),
        ("SODIUM   131 LOW   mmol/L   136-145", 131.0, "low"),
        ("NEUT#   11.5 ↑   10^3/µL   1.8-7.7", 11.5, "high"),
    ],
)
def test_flags_glued_or_beside_the_value(line: str, value: float, flag: str) -> None:
    result = parse_lines([line])[0]
    assert (result.value, result.flag) == (value, flag)


@pytest.mark.parametrize(
    ("printed", "unit"),
    [
        ("x E9/L", "10*9/L"),
        ("x10^12/L", "10*12/L"),
        ("mill/cu.mm", "10*6/uL"),
        ("cells/cumm", "/uL"),
        ("lakhs/cumm", "10*5/uL"),
        ("mm/1st hour", "mm/h"),
        ("mL/min/1.73m²", "mL/min/{1.73_m2}"),
    ],
)
def test_printed_unit_spellings(printed: str, unit: str) -> None:
    line = {
        "x E9/L": "WBC   4.2   4.0 - 11.0   x E9/L",
        "x10^12/L": "RCC   4.05   x10^12/L   (3.80-5.20)",
        "mill/cu.mm": "RBC Count   4.02   mill/cu.mm   3.80 - 4.80",
        "cells/cumm": "Total WBC Count   9,800   cells/cumm   4,000 - 11,000",
        "lakhs/cumm": "Platelet Count   1.45   lakhs/cumm   1.50 - 4.50",
        "mm/1st hour": "ESR   28   mm/1st hour   0-15",
        "mL/min/1.73m²": "eGFR   64   mL/min/1.73m²   >=90",
    }[printed]
    assert parse_lines([line])[0].unit == unit


def test_value_centred_between_the_two_lines_of_its_test_name() -> None:
    result = parse_lines(["ESTIMATED AVERAGE", "177   mg/dL   Calculated", "GLUCOSE (eAG)"])[0]
    assert (result.analyte, result.value) == ("Estimated average glucose", 177.0)


def test_free_text_word_result_differing_from_the_printed_reference_is_abnormal() -> None:
    results = parse_lines(["URINE ROUTINE", "Crystals   Calcium oxalate   Absent"])
    assert [(r.value_text, r.flag) for r in results] == [("Calcium oxalate", "abnormal")]


def test_asterisk_before_the_range_column_marks_the_result() -> None:
    assert parse_lines(["Sodium   145*   136 - 145   mmol/L"])[0].flag == "abnormal"


def test_adult_age_group_range_printed_under_the_result_is_its_range() -> None:
    lines = ["TSH   1.84   mIU/L", "Reference Range", "> or = 20 Years  0.40-4.50", "First trimester   0.26-2.66"]
    result = parse_lines(lines)[0]
    assert (result.reference_low, result.reference_high, result.range_source) == (0.4, 4.5, "printed")


def test_low_and_high_category_bounds_frame_the_usual_range() -> None:
    result = parse_lines(["HDL Cholesterol   44   mg/dL   Low: <40", "High: >=60"])[0]
    assert (result.reference_low, result.reference_high, result.flag) == (40.0, 60.0, "normal")


# --- the OCR path ----------------------------------------------------------------------------------------------------
_ESSENTIAL = (0, 1, 2, 5, 6, 7, 8)  # analyte, LOINC, value, range, flag, page
_OCR_MIN_RECALL = 0.9


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("tesseract") is None, reason="Tesseract is not installed (Debian tesseract-ocr)")
@pytest.mark.parametrize("case", OCR_CASES, ids=lambda case: case.name)
def test_photographed_or_scanned_report_never_misreads_a_result_and_misses_few(case: OcrCase) -> None:
    """A glyph OCR cannot read may cost a row (or a unit), but a row that is returned has the right value, range,
    flag and test."""
    result = analyze_document(case.build(), case.filename)
    found = [_row(r) for r in result.lab_results]
    expected = [rounded(row) for row in case.expected]
    essential = [tuple(row[i] for i in _ESSENTIAL) for row in expected]
    assert result.document.ocr_used is True
    assert [row for row in found if tuple(row[i] for i in _ESSENTIAL) not in essential] == []
    assert score(expected, found).exact_rows >= _OCR_MIN_RECALL * len(expected)

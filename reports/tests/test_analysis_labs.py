"""Lab result parsing: every fixture layout end to end, then one behaviour per test on printed lines."""

from __future__ import annotations

import re

import pytest

from reports.analysis.analytes import load_dictionary
from reports.analysis.extraction import extract_text
from reports.analysis.labs import LabResultData, parse_lab_results, parse_lines
from reports.analysis.units import convert, normalize_unit
from reports.tests.fixtures.engines import NoOcr
from reports.tests.fixtures.make_reports import REPORTS, Expected, FixtureReport


def _rounded(row: tuple) -> tuple:
    return tuple(round(item, 6) if isinstance(item, float) else item for item in row)


def _row(result: LabResultData) -> Expected:
    return _rounded(
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


def _one(*lines: str) -> LabResultData:
    results = parse_lines(list(lines))
    assert len(results) == 1, results
    return results[0]


@pytest.mark.parametrize("report", REPORTS, ids=lambda report: report.name)
def test_fixture_report_gives_every_value_unit_range_and_flag(report: FixtureReport) -> None:
    results = parse_lab_results(extract_text(report.build(), "pdf", ocr=NoOcr()))
    assert [_row(result) for result in results] == [_rounded(row) for row in report.expected]


# --- layouts --------------------------------------------------------------------------------------------------------
def test_value_unit_range_row() -> None:
    result = _one("Haemoglobin   14.0   gm/dl   13 - 17")
    assert (result.analyte, result.value, result.unit, result.reference_low, result.reference_high) == (
        "Hemoglobin",
        14.0,
        "g/dL",
        13.0,
        17.0,
    )
    assert (result.reference_text, result.flag) == ("13 - 17", "normal")


def test_value_range_unit_row() -> None:
    result = _one("Sodium   128   135 - 145   mmol/L")
    assert (result.unit, result.reference_low, result.reference_high, result.flag) == ("mmol/L", 135, 145, "low")


def test_inline_result_with_labelled_normal_range() -> None:
    result = _one("Glucose: 155 mg/dL (Normal: 70 - 99)")
    assert (result.value, result.unit, result.reference_low, result.reference_high, result.flag) == (
        155.0,
        "mg/dL",
        70.0,
        99.0,
        "high",
    )


def test_row_without_column_gaps_is_read_from_its_tokens() -> None:
    result = _one("Haemoglobin 14.0 gm/dl 13 - 17")
    assert (result.value, result.reference_low, result.reference_high) == (14.0, 13.0, 17.0)


def test_separate_minimum_and_maximum_columns() -> None:
    result = _one("Potassium   5.6   mmol/L   3.5   5.1")
    assert (result.reference_low, result.reference_high, result.flag) == (3.5, 5.1, "high")


def test_two_results_printed_side_by_side() -> None:
    results = parse_lines(["Sodium   140   mmol/L   135 - 145      Chloride   110   mmol/L   98 - 107"])
    assert [(r.analyte, r.value, r.flag) for r in results] == [("Sodium", 140.0, "normal"), ("Chloride", 110.0, "high")]


def test_serial_number_column_is_not_part_of_the_name() -> None:
    assert _one("3   Serum Creatinine   0.9   mg/dL   0.7 - 1.3").analyte == "Creatinine"


def test_name_wrapped_onto_the_line_above_its_value() -> None:
    result = _one("Mean Corpuscular", "Hemoglobin   29.5   pg   27 - 32")
    assert (result.analyte, result.loinc, result.unit) == ("Mean corpuscular hemoglobin", "785-6", "pg")


# --- ranges ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "low", "high", "flag"),
    [
        ("CRP   12   mg/L   < 5.0", None, 5.0, "high"),
        ("eGFR   72   mL/min/1.73m2   > 60", 60.0, None, "normal"),
        ("eGFR   45   mL/min/1.73m2   > OR = 60", 60.0, None, "low"),
        ("Cholesterol   180   mg/dL   Up to 200", None, 200.0, "normal"),
        ("Creatinine   1.4   mg/dL   0.5-1.2", 0.5, 1.2, "high"),
        ("Triglycerides   150   mg/dL   < 150", None, 150.0, "high"),
        ("Troponin I   0.04   ng/mL   0.00 to 0.04", 0.0, 0.04, "normal"),
    ],
)
def test_printed_reference_forms(line: str, low: float | None, high: float | None, flag: str) -> None:
    result = _one(line)
    assert (result.reference_low, result.reference_high, result.flag, result.range_source) == (
        low,
        high,
        flag,
        "printed",
    )


def test_result_printed_with_a_comparator_keeps_it_in_value_text() -> None:
    result = _one("CRP   < 0.5   mg/L   0 - 5")
    assert (result.value, result.value_text, result.flag) == (0.5, "< 0.5", "normal")


def test_result_above_a_bound_is_high_only_when_the_bound_is_past_the_range() -> None:
    assert _one("eGFR   >90   mL/min/1.73m2   >59").flag == "normal"
    assert _one("HCG   >1000   mIU/mL   0 - 5").flag == "high"


def test_labelled_category_ranges_prefer_the_normal_one() -> None:
    result = _one("Vitamin D Total (25-OH)   22.5   ng/mL   Deficiency: <20 Insufficiency: 20-30 Sufficiency: 30-100")
    assert (result.reference_low, result.reference_high, result.flag) == (30.0, 100.0, "low")
    assert result.reference_text == "Deficiency: <20 Insufficiency: 20-30 Sufficiency: 30-100"


def test_sex_specific_ranges_follow_the_sex_printed_in_the_header() -> None:
    lines = ["Name: A Patient   Sex: Female", "Haemoglobin   12.4   g/dL   Male: 13 - 17   Female: 12 - 15"]
    result = parse_lines(lines)[0]
    assert (result.reference_low, result.reference_high, result.flag) == (12.0, 15.0, "normal")


def test_sex_specific_ranges_are_combined_when_the_sex_is_unknown() -> None:
    result = _one("Haemoglobin   12.4   g/dL   Male: 13 - 17   Female: 12 - 15")
    assert (result.reference_low, result.reference_high, result.flag) == (12.0, 17.0, "normal")


def test_range_printed_under_a_result_belongs_to_it() -> None:
    result = parse_lines(["LDL-CHOLESTEROL   168 H   mg/dL (calc)", "Reference range: <100"])[0]
    assert (result.reference_high, result.range_source, result.flag) == (100.0, "printed", "high")


def test_decimal_commas_and_dotted_thousands_in_a_european_report() -> None:
    results = parse_lines(["Haemoglobin   13,2   g/dL   13,5 - 17,5   *L", "Ferritin   1.250   ng/mL   30 - 400   *H"])
    assert [(r.value, r.reference_low, r.reference_high, r.flag) for r in results] == [
        (13.2, 13.5, 17.5, "low"),
        (1250.0, 30.0, 400.0, "high"),
    ]


def test_indian_grouping_stays_a_whole_number_in_a_decimal_comma_report() -> None:
    results = parse_lines(
        ["Haemoglobin   13,2   g/dL   13,5 - 17,5", "Platelets   2,50,000   /cumm   1,50,000 - 4,10,000"]
    )
    assert [result.value for result in results] == [13.2, 250000.0]


def test_thousands_separators_including_indian_grouping() -> None:
    assert _one("Platelet Count   2,50,000   /cumm   1,50,000 - 4,10,000").value == 250000.0
    assert _one("Total Leucocyte Count   7,500   /cumm   4,000 - 11,000").value == 7500.0


# --- markers and critical values -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "flag"),
    [
        ("Glucose   155   H   mg/dL   65-99", "high"),
        ("Haemoglobin   11.2   L   g/dL   13 - 17", "low"),
        ("Haemoglobin   15.0   *L   g/dL   13 - 17", "low"),
        ("Ferritin   500   *H   ng/mL", "high"),
        ("Glucose   155   High   mg/dL   65-99", "high"),
        ("Platelets   140   Low   x10E3/uL", "low"),
        ("Potassium   6.0   HH   mmol/L   3.5 - 5.1", "critical_high"),
        ("Sodium   135   LL   mmol/L   136 - 145", "critical_low"),
    ],
)
def test_printed_markers_decide_the_flag(line: str, flag: str) -> None:
    assert _one(line).flag == flag


def test_critical_limits_upgrade_a_flag_from_published_critical_value_lists() -> None:
    assert _one("Potassium   6.9   mmol/L   3.5 - 5.1").flag == "critical_high"
    assert _one("Glucose   38   mg/dL   70 - 99").flag == "critical_low"
    assert _one("Sodium   118   mmol/L   135 - 145").flag == "critical_low"
    assert _one("Haemoglobin   62   g/L   130 - 180").flag == "critical_low"


def test_critical_limits_convert_units_before_comparing() -> None:
    assert _one("Calcium   14.5   mg/dL   8.6 - 10.2").flag == "critical_high"
    assert _one("Calcium   3.0   mmol/L   2.2 - 2.6").flag == "high"


# --- qualitative results ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "flag"),
    [
        ("Protein   Negative   Negative", "normal"),
        ("Glucose   Positive   Negative", "abnormal"),
        ("Ketones   Trace   Negative", "abnormal"),
        ("Blood   Not detected   Not detected", "normal"),
        ("HBsAg   Non Reactive   Non Reactive", "normal"),
        ("Bacteria   Present   Absent", "abnormal"),
    ],
)
def test_qualitative_results(line: str, flag: str) -> None:
    result = _one(line)
    assert (result.value, result.flag) == (None, flag)


def test_word_results_choose_the_urine_test_and_numbers_the_blood_test() -> None:
    assert _one("Glucose   Negative   Negative").loinc == "25428-4"
    assert _one("Glucose   95   mg/dL   70 - 99").loinc == "2345-7"


def test_section_heading_sets_the_specimen_for_ambiguous_names() -> None:
    results = parse_lines(["URINE ROUTINE EXAMINATION", "Albumin   Nil   Nil", "Sugar   Nil   Nil"])
    assert [r.analyte for r in results] == ["Protein (urine)", "Glucose (urine)"]


def test_microscopy_counts_per_high_power_field() -> None:
    result = _one("Pus cells   8-10   /hpf   0 - 5")
    assert (result.analyte, result.value, result.value_text, result.unit, result.flag) == (
        "White blood cells (urine)",
        None,
        "8-10",
        "/[HPF]",
        "high",
    )


def test_blood_group_is_kept_as_printed_and_never_flagged() -> None:
    result = _one("Blood Group   B Positive")
    assert (result.value_text, result.flag, result.reference_text) == ("B Positive", None, None)


# --- what is not a result ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "line",
    [
        "Name : Mr. RAVI KUMAR   Age : 45 Years   Gender : Male",
        "Collected : 12/03/2024 08:30   Reported : 12/03/2024 14:05",
        "Phone : +91 98765 43210   Lab No. : 412345678",
        "Patient ID: 0012345678   DOB: 07/04/1975",
        "Height 170 cm   Weight 70 kg   BMI 24.2",
        "Blood Pressure 120/80 mmHg",
        "Total Amount: Rs. 1,200",
        "Sample ID : U-24-11873   Page 2 of 3",
        "Ref. Range 13 - 17",
    ],
)
def test_header_and_patient_lines_are_not_results(line: str) -> None:
    assert parse_lines([line]) == []


@pytest.mark.parametrize(
    "line",
    [
        "Haemoglobin   14.0 - 24.0   11.5 - 13.5   g/dL",
        "Haemoglobin   1 - 6 years   11.5 - 13.5 g/dL",
        "Children 6-59 months   Haemoglobin below 11.0 g/dL",
        "Pregnant women   11.0 g/dL",
        "TSH (1st trimester)  0.1 - 2.5 uIU/mL",
        "First trimester   0.1 - 2.5 uIU/mL",
        "Total Cholesterol   Desirable < 200   Borderline High 200 - 239   High >= 240",
        "Triglycerides   Normal < 150   Borderline High 150 - 199",
        "HDL Cholesterol   Low < 40   High >= 60",
        "Interpretation: Desirable <200  Borderline high 200-239  High >=240",
        "HbA1c levels above 6.5 % indicate diabetes",
        "For patients >49 years of age, the reference limit for Creatinine is approximately 13% higher",
        "Deficiency < 20 ng/mL   Insufficiency 20 - 29 ng/mL   Sufficiency 30 - 100 ng/mL",
    ],
)
def test_reference_tables_and_prose_are_not_results(line: str) -> None:
    assert parse_lines([line]) == []


def test_rows_inside_a_reference_block_need_a_complete_result() -> None:
    lines = ["Paediatric reference ranges", "Haemoglobin (Newborn)   18.0   g/dL", "Glucose   92   mg/dL   70 - 99"]
    assert [r.analyte for r in parse_lines(lines)] == ["Glucose"]


# --- fallback ranges ------------------------------------------------------------------------------------------------
def test_fallback_range_is_used_only_when_the_lab_printed_none_and_says_so() -> None:
    result = _one("eGFR   52   mL/min/1.73m2")
    assert (result.range_source, result.reference_low, result.flag) == ("fallback", 60.0, "low")
    assert "not printed on the report" in (result.reference_text or "")
    assert "KDIGO" in (result.fallback_source or "")


def test_printed_range_wins_over_the_fallback() -> None:
    result = _one("TSH   4.8   mIU/L   0.3 - 5.0")
    assert (result.range_source, result.flag) == ("printed", "normal")


def test_fallback_range_is_converted_to_the_printed_unit() -> None:
    result = _one("Total cholesterol   5.8   mmol/L")
    assert result.reference_high == pytest.approx(5.1727, abs=1e-3)
    assert result.flag == "high"


def test_no_fallback_when_the_unit_is_missing_and_the_scale_is_unknown() -> None:
    result = _one("Hemoglobin A1c   6.1   ")
    assert (result.range_source, result.flag) == (None, None)


def test_unknown_test_with_unit_and_range_is_kept_uncoded() -> None:
    result = _one("HbA2   2.5   %   2.2 - 3.2")
    assert (result.analyte, result.loinc, result.flag) == ("HbA2", None, "normal")


# --- dictionary and units --------------------------------------------------------------------------------------------
def test_dictionary_covers_at_least_120_analytes_with_valid_loinc_codes() -> None:
    analytes = load_dictionary().analytes.values()
    assert len(analytes) >= 120
    codes = [a.loinc for a in analytes if a.loinc] + [c for a in analytes for c in a.loinc_by_unit.values()]
    assert all(re.fullmatch(r"\d{1,6}-\d", code) for code in codes)
    assert all(entry.source for a in analytes for entry in a.fallback)


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Hb", "hemoglobin"),
        ("HGB", "hemoglobin"),
        ("Haemoglobin", "hemoglobin"),
        ("TLC", "wbc"),
        ("WBC", "wbc"),
        ("SGPT", "alt"),
        ("ALT (SGPT)", "alt"),
        ("SGOT", "ast"),
        ("eGFR", "egfr"),
        ("Glycosylated Haemoglobin", "hba1c"),
        ("Thyroid Stimulating Hormone", "tsh"),
        ("25-OH Vitamin D", "vitamin_d"),
        ("Vitamin B12", "vitamin_b12"),
        ("Leucocyte Esterase", "urine_leukocyte_esterase"),
        ("Gamma GT", "ggt"),
        ("PSA, Total", "psa_total"),
    ],
)
def test_aliases_in_uk_us_and_indian_spellings(name: str, key: str) -> None:
    assert key in [analyte.key for analyte in load_dictionary().lookup(name)]


@pytest.mark.parametrize(
    ("printed", "ucum"),
    [
        ("gm/dl", "g/dL"),
        ("gm%", "g/dL"),
        ("x10^9/L", "10*9/L"),
        ("10³/µL", "10*3/uL"),
        ("thou/cumm", "10*3/uL"),
        ("lakhs/cumm", "10*5/uL"),
        ("mill/cumm", "10*6/uL"),
        ("/cumm", "/uL"),
        ("µIU/mL", "u[IU]/mL"),
        ("mEq/L", "meq/L"),
        ("mm/1st hr", "mm/h"),
        ("mL/min/1.73m2", "mL/min/{1.73_m2}"),
        ("/hpf", "/[HPF]"),
        ("mlU/L", "m[IU]/L"),
    ],
)
def test_unit_spellings_normalise_to_ucum(printed: str, ucum: str) -> None:
    assert normalize_unit(printed) == ucum


def test_unit_conversion_between_mass_and_substance_uses_molar_mass() -> None:
    assert convert(180.16, "mg/dL", "mmol/L", molar_mass=180.16) == pytest.approx(10.0)
    assert convert(2.1, "10*5/uL", "10*9/L") == pytest.approx(210.0)
    assert convert(1.0, "g/dL", "umol/L") is None


# --- more layouts seen in the wild -----------------------------------------------------------------------------------
def test_ranges_listed_by_test_name_below_the_results_belong_to_those_results() -> None:
    results = parse_lines(
        [
            "TEST NAME   TECHNOLOGY   VALUE   UNITS",
            "TOTAL TRIIODOTHYRONINE (T3)   C.L.I.A   112   ng/dL",
            "THYROID STIMULATING HORMONE (TSH)   C.L.I.A   6.12   µIU/mL",
            "Bio. Ref. Interval. :-",
            "T3   :   60-200 ng/dL",
            "TSH   :   0.3-5.5 µIU/mL",
        ]
    )
    assert [(r.analyte, r.reference_low, r.reference_high, r.flag, r.range_source) for r in results] == [
        ("Total T3", 60.0, 200.0, "normal", "printed"),
        ("TSH", 0.3, 5.5, "high", "printed"),
    ]


def test_reference_column_printed_before_the_result() -> None:
    results = parse_lines(["Test   Normal Range   Result   Unit", "Haemoglobin   13.0 - 17.0   12.1   g/dL"])
    assert [(r.value, r.reference_low, r.reference_high, r.flag) for r in results] == [(12.1, 13.0, 17.0, "low")]


def test_letters_ocr_mistakes_for_digits_are_read_as_digits() -> None:
    result = _one("Haemoglobin   1O.9   g/dL   12.0 - 15.5")
    assert (result.value, result.value_text, result.flag) == (10.9, "10.9", "low")


def test_word_result_followed_by_a_numeric_limit() -> None:
    result = _one("WBC   NONE SEEN   < OR = 5 /HPF")
    assert (result.analyte, result.value_text, result.reference_high, result.flag) == (
        "White blood cells (urine)",
        "NONE SEEN",
        5.0,
        "normal",
    )


def test_egfr_name_with_body_surface_area_is_not_read_as_the_value() -> None:
    result = _one("eGFR using creatinine (CKD-EPI) per 1.73 square metres   >90 mL/min   [>90]")
    assert (result.value_text, result.unit, result.flag) == (">90", "mL/min/{1.73_m2}", "normal")

"""analyze_document end to end and the analyze_report management command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from reports.analysis.errors import UploadRejected
from reports.analysis.service import analyze_document
from reports.tests.fixtures.engines import NoOcr
from reports.tests.fixtures.make_reports import multi_page, us_cmp

RESULT_KEYS = {
    "analyte",
    "loinc",
    "value",
    "value_text",
    "unit",
    "reference_low",
    "reference_high",
    "reference_text",
    "flag",
    "page",
}


def test_analysis_dictionary_has_the_documented_shape() -> None:
    payload = analyze_document(multi_page(), "report.pdf", ocr=NoOcr()).to_dict()
    assert {"report", "lab_results", "summary"} <= set(payload)
    assert payload["report"]["pages"] == 3
    assert payload["report"]["ocr"] is False
    assert payload["report"]["text_chars"] > 1000
    assert all(RESULT_KEYS <= set(item) for item in payload["lab_results"])
    assert json.loads(json.dumps(payload)) == payload


def test_analysis_result_reports_each_result_with_its_page() -> None:
    payload = analyze_document(multi_page(), "report.pdf", ocr=NoOcr()).to_dict()
    assert sorted({item["page"] for item in payload["lab_results"]}) == [1, 2, 3]


def test_rejected_upload_raises_with_a_user_message() -> None:
    with pytest.raises(UploadRejected, match="empty"):
        analyze_document(b"", "report.pdf")


def test_command_prints_the_analysis_as_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "cmp.pdf"
    report.write_bytes(us_cmp())
    call_command("analyze_report", str(report), "--json")
    payload = json.loads(capsys.readouterr().out)
    assert payload["report"] == payload["report"] | {"pages": 1, "ocr": False}
    glucose = payload["lab_results"][0]
    assert {key: glucose[key] for key in ("analyte", "value", "unit", "flag")} == {
        "analyte": "Glucose",
        "value": 155.0,
        "unit": "mg/dL",
        "flag": "high",
    }
    assert payload["summary"]


def test_command_reports_a_rejected_file_as_json_and_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "results.pdf"
    report.write_bytes(b"PK\x03\x04" + bytes(64))
    with pytest.raises(CommandError, match="not a PDF, PNG, JPEG or HEIC"):
        call_command("analyze_report", str(report), "--json")
    assert json.loads(capsys.readouterr().out)["error"]["code"] == "unsupported_type"


def test_command_prints_a_readable_table_without_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "cmp.pdf"
    report.write_bytes(us_cmp())
    call_command("analyze_report", str(report))
    output = capsys.readouterr().out
    assert "Potassium" in output and "critical_high" in output

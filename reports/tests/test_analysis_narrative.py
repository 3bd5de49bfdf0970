"""Narratives: the embedded summary and Bedrock Converse (stubbed with botocore's Stubber)."""

from __future__ import annotations

import re

import botocore.session
import pytest
from botocore.stub import Stubber

from reports.analysis.labs import LabResultData, parse_lines
from reports.analysis.narrative import (
    DISCLAIMER,
    MAX_DOCUMENT_BYTES,
    SYSTEM_PROMPT,
    BedrockNarrator,
    NarrationError,
    strip_dosing,
    summarize,
    values_prompt,
)
from reports.analysis.service import analyze_document
from reports.tests.fixtures.make_reports import uk_inline

MODEL_ID = "anthropic.claude-3-5-sonnet-20240620-v1:0"


@pytest.fixture
def results() -> list[LabResultData]:
    return parse_lines(
        [
            "Haemoglobin   11.2   g/dL   13 - 17",
            "Potassium   6.9   mmol/L   3.5 - 5.1",
            "Sodium   140   mmol/L   135 - 145",
            "eGFR   52   mL/min/1.73m2",
        ]
    )


@pytest.fixture
def bedrock() -> tuple[object, Stubber]:
    client = botocore.session.get_session().create_client(
        "bedrock-runtime", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )
    return client, Stubber(client)


def _converse_response(text: str) -> dict:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 900, "outputTokens": 120, "totalTokens": 1020},
        "metrics": {"latencyMs": 850},
    }


# --- embedded ------------------------------------------------------------------------------------------------------
def test_summary_names_out_of_range_results_with_value_and_range(results: list[LabResultData]) -> None:
    summary = summarize(results)
    assert "Hemoglobin is 11.2 g/dL, below the reference range (reference: 13 - 17)." in summary
    assert "4 results were read from the report: 3 outside the reference range and 1 within it." in summary


def test_summary_explains_in_general_terms_and_asks_questions(results: list[LabResultData]) -> None:
    summary = summarize(results)
    assert "It measures the oxygen-carrying protein in red blood cells" in summary
    assert "Questions you may want to ask your clinician:" in summary
    assert summary.endswith(DISCLAIMER)


def test_summary_asks_for_prompt_contact_on_a_critical_value(results: list[LabResultData]) -> None:
    assert "Important: Potassium is at a level that laboratories treat as urgent." in summarize(results)


def test_summary_says_which_ranges_were_not_printed_by_the_lab(results: list[LabResultData]) -> None:
    assert "did not print a reference range for eGFR" in summarize(results)


def test_summary_never_diagnoses_or_doses(results: list[LabResultData]) -> None:
    summary = summarize(results).lower()
    assert not re.search(r"\byou have\b|\bdiagnos(is|ed) (with|as)\b|\bdose\b|\btake \d", summary)


def test_summary_without_results_says_how_to_get_a_readable_report() -> None:
    assert "No lab results could be read" in summarize([])


# --- Bedrock ------------------------------------------------------------------------------------------------------
def test_bedrock_gets_the_pdf_as_a_neutral_document_block_and_the_values(bedrock, results) -> None:
    client, stubber = bedrock
    pdf = b"%PDF-1.7 fake report"
    expected = {
        "modelId": MODEL_ID,
        "system": [{"text": SYSTEM_PROMPT}],
        "messages": [
            {
                "role": "user",
                "content": [
                    {"document": {"format": "pdf", "name": "lab-report", "source": {"bytes": pdf}}},
                    {"text": values_prompt(results)},
                ],
            }
        ],
        "inferenceConfig": {"maxTokens": 700, "temperature": 0.2},
    }
    stubber.add_response("converse", _converse_response("Your haemoglobin is a little low."), expected)
    with stubber:
        summary = BedrockNarrator(client, MODEL_ID, reply_guard=str.strip).summarize(pdf, results)
    assert summary == "Your haemoglobin is a little low."
    stubber.assert_no_pending_responses()


def test_bedrock_reply_passes_through_the_reply_guard(bedrock, results) -> None:
    client, stubber = bedrock
    stubber.add_response("converse", _converse_response("Raw model text"))
    reviewed: list[str] = []

    def review(text: str) -> str:
        reviewed.append(text)
        return "Reviewed: " + text

    with stubber:
        summary = BedrockNarrator(client, MODEL_ID, reply_guard=review).summarize(None, results)
    assert (reviewed, summary) == (["Raw model text"], "Reviewed: Raw model text")


def test_system_prompt_forbids_diagnosis_and_dosing() -> None:
    assert "Never give a diagnosis" in SYSTEM_PROMPT
    assert "dose any medicine" in SYSTEM_PROMPT


def test_pdf_over_the_bedrock_document_limit_is_not_attached(results) -> None:
    request = BedrockNarrator(object(), MODEL_ID).request(b"%PDF" + bytes(MAX_DOCUMENT_BYTES), results)
    assert [list(block) for block in request["messages"][0]["content"]] == [["text"]]


def test_default_guard_drops_sentences_with_doses() -> None:
    assert strip_dosing("Iron is low. Take 325 mg ferrous sulfate daily. Ask your doctor.") == (
        "Iron is low. Ask your doctor."
    )


def test_empty_reply_after_the_guard_is_an_error(bedrock, results) -> None:
    client, stubber = bedrock
    stubber.add_response("converse", _converse_response("Take 500 mg twice a day."))
    with stubber, pytest.raises(NarrationError):
        BedrockNarrator(client, MODEL_ID).summarize(None, results)


def test_analysis_falls_back_to_the_embedded_summary_when_bedrock_fails(bedrock) -> None:
    client, stubber = bedrock
    stubber.add_client_error("converse", service_error_code="ThrottlingException", http_status_code=429)
    with stubber:
        result = analyze_document(uk_inline(), "report.pdf", narrator=BedrockNarrator(client, MODEL_ID))
    assert result.narrator == "embedded"
    assert "results were read from the report" in result.summary
    assert result.warnings == ["The detailed explanation service was unavailable."]


def test_analysis_uses_the_bedrock_summary_when_it_answers(bedrock) -> None:
    client, stubber = bedrock
    stubber.add_response("converse", _converse_response("Several results are outside their ranges."))
    with stubber:
        result = analyze_document(uk_inline(), "report.pdf", narrator=BedrockNarrator(client, MODEL_ID))
    assert (result.narrator, result.summary) == ("BedrockNarrator", "Several results are outside their ranges.")

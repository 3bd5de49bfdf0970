"""A patient uploads a lab PDF in a real browser, watches progress and sees flagged results."""

from __future__ import annotations

from pathlib import Path

import pytest

from reports.tests.support import lab_pdf
from tests.e2e_support import fake_media_browser, log_in, running_server

pytestmark = pytest.mark.e2e


def test_patient_uploads_a_lab_pdf_and_sees_flagged_results(tmp_path: Path) -> None:
    report = tmp_path / "my blood test.pdf"
    report.write_bytes(lab_pdf())
    with running_server(tmp_path / "server") as server, fake_media_browser() as browser:
        page = browser.new_page()
        log_in(page, server, server.patient_email)
        page.click("text=Upload a report")
        page.set_input_files("#files", str(report))
        page.wait_for_selector("#uploads li.ok", timeout=60_000)
        page.click("#uploads li.ok a")
        results = page.locator("[data-testid=lab-results]")
        results.wait_for(timeout=30_000)
        text = results.inner_text()
        assert "Hemoglobin" in text and "10.2" in text and "Low" in text
        assert "below the reference range" in page.inner_text("[data-testid=report-summary]")

        clinician = browser.new_context().new_page()
        log_in(clinician, server, server.clinician_email)
        clinician.goto(f"{server.url}/clinician/")
        clinician.click("main table a")
        clinician.click("#reports a >> nth=1")
        assert "10.2" in clinician.inner_text("[data-testid=lab-results]")

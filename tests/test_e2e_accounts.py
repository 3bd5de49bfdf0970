"""What a person does in a real browser: sign up and see the portal; a clinician passes MFA and sees the patient."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e_support import fake_media_browser, log_in, running_server

pytestmark = pytest.mark.e2e


def test_patient_signs_up_and_clinician_sees_their_patient(tmp_path: Path) -> None:
    with running_server(tmp_path / "server") as server, fake_media_browser() as browser:
        page = browser.new_page()
        page.goto(f"{server.url}/accounts/signup/")
        page.fill("input[name=email]", "new.patient@example.org")
        page.fill("input[name=full_name]", "Nora New")
        page.fill("input[name=password1]", "a-long-pass-phrase-42")
        page.fill("input[name=password2]", "a-long-pass-phrase-42")
        page.click("main form button[type=submit]")
        page.wait_for_url(f"{server.url}/portal/")
        assert "Hello, Nora New" in page.inner_text("main")
        assert page.locator("#consultations").is_visible() and page.locator("#reports").is_visible()

        page.click("text=Log out")
        log_in(page, server, "new.patient@example.org", "a-long-pass-phrase-42")
        assert page.url == f"{server.url}/portal/"

        clinician = browser.new_context().new_page()
        log_in(clinician, server, server.clinician_email)
        clinician.goto(f"{server.url}/clinician/")
        patients = clinician.inner_text("main")
        assert server.patient_email in patients
        assert server.other_patient_email not in patients and "new.patient@example.org" not in patients
        clinician.click("main table a")
        clinician.wait_for_url("**/clinician/patients/*/")
        assert "Profile" in clinician.inner_text("main") and server.patient_email in clinician.inner_text("main")

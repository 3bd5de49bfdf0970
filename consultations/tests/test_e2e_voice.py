"""A patient talks to the assistant in a real browser: Chromium's fake microphone plays espeak speech."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e_support import fake_media_browser, log_in, running_server

pytestmark = pytest.mark.e2e


def spoken_wav(path: Path, sentence: str) -> Path:
    """The sentence spoken by espeak-ng, then silence, as 16 kHz mono PCM (the fake mic loops it)."""
    if shutil.which("espeak-ng") is None:
        from conftest import require_service

        require_service("espeak-ng", False)
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(raw), sentence], check=True)
    subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(path), "pad", "0.5", "8"], check=True)
    return path


def open_consultation(page, server) -> None:  # type: ignore[no-untyped-def]
    log_in(page, server, server.patient_email)
    page.click("text=Start a consultation")
    page.wait_for_url("**/consultations/*/")
    page.wait_for_function("window.healthHelper && window.healthHelper.events.includes('ready')", timeout=30_000)
    page.click("#start")


def test_spoken_symptoms_get_a_spoken_reply(tmp_path: Path) -> None:
    wav = spoken_wav(tmp_path / "symptom.wav", "I have had a bad headache and a fever for two days")
    with running_server(tmp_path / "server") as server, fake_media_browser(audio_wav=wav) as browser:
        page = browser.new_page()
        open_consultation(page, server)
        page.wait_for_function(
            "[...document.querySelectorAll('#transcript .patient')].some(li => li.textContent.includes('headache'))",
            timeout=60_000,
        )
        # the greeting (interrupted by the patient talking over it), then the reply to what was heard
        page.wait_for_function("document.querySelectorAll('#transcript .assistant').length >= 2", timeout=60_000)
        page.wait_for_function("window.healthHelper.events.includes('audio_start')", timeout=60_000)
        page.wait_for_function("window.healthHelper.audioBytesReceived > 16000", timeout=60_000)


def test_an_emergency_sentence_shows_the_emergency_banner(tmp_path: Path) -> None:
    wav = spoken_wav(tmp_path / "stroke.wav", "my face is drooping on one side and my speech is slurred")
    with running_server(tmp_path / "server") as server, fake_media_browser(audio_wav=wav) as browser:
        page = browser.new_page()
        open_consultation(page, server)
        banner = page.locator("[data-testid=triage-banner]")
        banner.wait_for(state="visible", timeout=60_000)
        page.wait_for_function(
            "document.querySelector('[data-testid=triage-banner]').dataset.level.startsWith('emergency')",
            timeout=60_000,
        )
        assert "999" in banner.inner_text() and "banner-emergency" in (banner.get_attribute("class") or "")

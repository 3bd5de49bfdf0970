"""A person measures their heart rate in a real browser: Chromium's fake camera plays a generated face
whose skin pulses at a known rate, and the page's result must be within 3 bpm of it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e_support import fake_media_browser, log_in, require_browser, running_server
from vitals.rppg.y4m import write_pulsing_face_y4m

pytestmark = pytest.mark.e2e

TRUE_BPM = 72.0
VIDEO_FPS = 30
# The fake camera loops the file: a whole number of beats (12 at 72 bpm) makes the loop seamless.
LOOP_S = 10.0
RESULT_TIMEOUT_S = 75.0
CAMERA_FRAMES_JS = """() => {
  const stats = document.getElementById("camera").srcObject?.getVideoTracks()[0]?.stats;
  return stats ? [performance.now(), stats.totalFrames] : null;
}"""


def _pulse_as_delivered(page: Any) -> tuple[float, float]:
    """Wait for the result while counting the camera's frames; return (pulse rate as delivered, camera fps).

    Chromium's file-backed fake camera shows the file's next frame at every tick and drops the debt when
    a busy machine makes it late, so the video can play a little slower than real time; the pulse the
    page sees is then slower by the same factor. Real cameras do not do this."""
    first = last = page.evaluate(CAMERA_FRAMES_JS)
    deadline = time.monotonic() + RESULT_TIMEOUT_S
    while not page.is_visible("#result") and time.monotonic() < deadline:
        last = page.evaluate(CAMERA_FRAMES_JS) or last
        time.sleep(0.5)
    if not first or not last or last[0] <= first[0]:
        return TRUE_BPM, float(VIDEO_FPS)  # no MediaStreamTrack stats in this browser
    camera_fps = (last[1] - first[1]) / ((last[0] - first[0]) / 1000)
    return TRUE_BPM * camera_fps / VIDEO_FPS, camera_fps


def test_camera_measurement_reads_the_pulse_of_a_synthetic_face(tmp_path: Path) -> None:
    require_browser()
    video = write_pulsing_face_y4m(
        tmp_path / "face.y4m", bpm=TRUE_BPM, seconds=LOOP_S, fps=VIDEO_FPS, width=320, height=240
    )
    with running_server(tmp_path / "server") as server, fake_media_browser(video_y4m=video) as browser:
        page = browser.new_page()
        log_in(page, server, server.patient_email)
        page.goto(f"{server.url}/vitals/measure/")
        page.click("#camera-on")
        page.click("#start")
        delivered_bpm, camera_fps = _pulse_as_delivered(page)
        result = page.wait_for_selector("#result:not([hidden])", timeout=5_000)

        assert result.get_attribute("data-acceptable") == "true", result.inner_text()
        measured_bpm = float(result.get_attribute("data-bpm"))
        print(
            f"e2e camera: truth {TRUE_BPM:.1f} bpm in the file, {delivered_bpm:.1f} bpm as delivered "
            f"at {camera_fps:.1f} fps; measured {measured_bpm:.1f} bpm"
        )
        assert camera_fps >= 0.8 * VIDEO_FPS, "the machine is too busy for the fake camera to keep time"
        assert abs(measured_bpm - delivered_bpm) <= 3
        assert f"{round(measured_bpm)} beats per minute" in result.inner_text()

        page.goto(f"{server.url}/vitals/")
        assert f"{round(measured_bpm)} /min" in page.inner_text("table")

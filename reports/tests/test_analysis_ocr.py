"""The OCR path with the real Tesseract binary: a scanned PNG, a phone-style JPEG, an image-only PDF."""

from __future__ import annotations

import io
import shutil

import pytest
from PIL import Image

from reports.analysis.service import analyze_document
from reports.tests.fixtures.make_reports import OCR_PANEL, image_only_pdf, ocr_panel, render_image

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("tesseract") is None,
        reason="Tesseract is not installed (Debian package tesseract-ocr); CI installs it",
    ),
]


def _rows(data: bytes, filename: str) -> list[tuple]:
    result = analyze_document(data, filename)
    assert result.document.ocr_used is True
    return [
        (
            r.analyte,
            r.loinc,
            r.value,
            r.value_text,
            r.unit,
            r.reference_low,
            r.reference_high,
            r.flag,
            r.page,
            r.range_source,
        )
        for r in result.lab_results
    ]


@pytest.fixture(scope="module")
def panel_png() -> bytes:
    return render_image(ocr_panel(), "PNG", dpi=200)


def test_scanned_png_is_read_by_ocr_into_every_value_unit_range_and_flag(panel_png: bytes) -> None:
    assert _rows(panel_png, "scan.png") == OCR_PANEL


def test_scanned_pdf_without_a_text_layer_is_read_by_ocr(panel_png: bytes) -> None:
    assert _rows(image_only_pdf(panel_png), "scan.pdf") == OCR_PANEL


def test_jpeg_photo_is_read_by_ocr() -> None:
    rows = _rows(render_image(ocr_panel(), "JPEG", dpi=150), "photo.jpg")
    assert [(row[0], row[2], row[7]) for row in rows] == [(row[0], row[2], row[7]) for row in OCR_PANEL]


def test_upside_down_photo_is_turned_upright_before_reading() -> None:
    photo = Image.open(io.BytesIO(render_image(ocr_panel(), "PNG", dpi=200))).convert("RGB").rotate(180)
    out = io.BytesIO()
    photo.save(out, format="JPEG", quality=90)
    rows = _rows(out.getvalue(), "photo.jpg")
    assert [(row[0], row[2], row[7]) for row in rows] == [(row[0], row[2], row[7]) for row in OCR_PANEL]

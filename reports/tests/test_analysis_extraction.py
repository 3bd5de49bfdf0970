"""Text extraction: row order from word positions, page numbers, OCR fallback and its absence."""

from __future__ import annotations

import io

import pypdfium2 as pdfium
import pytest
from reportlab.pdfgen import canvas

from reports.analysis.extraction import extract_text, render_page
from reports.analysis.layout import Word, assemble_lines
from reports.tests.fixtures import hostile_files as hostile
from reports.tests.fixtures.engines import CannedOcr, NoOcr
from reports.tests.fixtures.make_reports import image_only_pdf, multi_page, ocr_panel, render_image, two_column


def _columns_drawn_one_after_another() -> bytes:
    """A table drawn column by column, the way many report generators write their content streams."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.setFont("Helvetica", 10)
    columns = [(50, ["Haemoglobin", "Platelet Count"]), (200, ["14.0", "2.5"]), (260, ["gm/dl", "lakhs/cumm"])]
    columns.append((350, ["13 - 17", "1.5 - 4.1"]))
    for x, cells in columns:
        for row, text in enumerate(cells):
            page.drawString(x, 700 - 18 * row, text)
    page.showPage()
    page.save()
    return buffer.getvalue()


def test_table_row_stays_one_line_even_when_drawn_column_by_column() -> None:
    document = extract_text(_columns_drawn_one_after_another(), "pdf", ocr=NoOcr())
    assert document.pages[0].text.splitlines() == [
        "Haemoglobin   14.0   gm/dl   13 - 17",
        "Platelet Count   2.5   lakhs/cumm   1.5 - 4.1",
    ]


def test_words_on_one_baseline_join_with_single_spaces_and_columns_with_wide_gaps() -> None:
    words = [Word("Glucose:", 0, 40, 0, 10), Word("155", 43, 58, 0, 10), Word("mg/dL", 90, 120, 1, 11)]
    assert assemble_lines(words) == ["Glucose: 155   mg/dL"]


def test_two_result_columns_are_kept_apart_on_the_same_line() -> None:
    text = extract_text(two_column(), "pdf", ocr=NoOcr()).pages[0].text
    assert "Total Cholesterol   212   mg/dL   < 200   TSH   5.8   \u00b5IU/mL   0.4 - 4.5" in text


def test_every_page_keeps_its_number_and_text_layer() -> None:
    document = extract_text(multi_page(), "pdf", ocr=NoOcr())
    assert [page.number for page in document.pages] == [1, 2, 3]
    assert "KIDNEY FUNCTION TEST" in document.pages[1].text
    assert not document.ocr_used
    assert document.text_chars == sum(len(page.text) for page in document.pages)


def test_scanned_page_says_ocr_is_unavailable_instead_of_returning_silently_empty() -> None:
    scan = image_only_pdf(render_image(ocr_panel(), "PNG", dpi=100))
    document = extract_text(scan, "pdf", ocr=NoOcr())
    assert document.ocr_available is False
    assert document.ocr_used is False
    assert document.warnings == [
        "OCR is unavailable (Tesseract is not installed): page 1 has no text layer and could not be read."
    ]


def test_photo_upload_says_ocr_is_unavailable_when_tesseract_is_missing() -> None:
    document = extract_text(hostile._png((300, 200)), "png", ocr=NoOcr())
    assert "OCR is unavailable" in document.warnings[0]
    assert document.pages[0].text == ""


def test_scanned_page_goes_to_ocr_and_is_marked_as_ocr_text() -> None:
    engine = CannedOcr(["Glucose | 182 | mg/dL | 70 - 99"])
    scan = image_only_pdf(render_image(ocr_panel(), "PNG", dpi=100))
    document = extract_text(scan, "pdf", ocr=engine)
    assert document.ocr_used is True
    assert document.pages[0].ocr is True
    assert document.pages[0].text == "Glucose   182   mg/dL   70 - 99"


def test_scanned_page_is_rendered_near_300_dpi_for_ocr() -> None:
    engine = CannedOcr(["x"])
    extract_text(image_only_pdf(render_image(ocr_panel(), "PNG", dpi=100)), "pdf", ocr=engine)
    assert 3400 <= engine.images[0].height <= 3600


def test_pages_with_absurd_sizes_are_rendered_within_the_pixel_limit() -> None:
    document = pdfium.PdfDocument(hostile._raw_pdf(b"", box=b"0 0 14400 14400"))
    try:
        image = render_page(document[0], max_pixels=4_000_000)
    finally:
        document.close()
    assert image.width * image.height <= 4_000_000


def _rotated_report(angle: int) -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.translate(300, 420)
    page.rotate(angle)
    page.setFont("Helvetica", 10)
    for x, text in [(-250, "Haemoglobin"), (-100, "14.0"), (-40, "g/dL"), (30, "13 - 17")]:
        page.drawString(x, 100, text)
    page.showPage()
    page.save()
    return buffer.getvalue()


@pytest.mark.parametrize("angle", [90, 180, 270])
def test_rotated_pages_are_read_upright(angle: int) -> None:
    assert (
        extract_text(_rotated_report(angle), "pdf", ocr=NoOcr()).pages[0].text == "Haemoglobin   14.0   g/dL   13 - 17"
    )

"""Upload validation: type by content, size, pages, encryption, corruption, image bombs, HEIC."""

from __future__ import annotations

import hashlib
import io
import time

import pytest
from PIL import Image

from reports.analysis import validation
from reports.analysis.errors import UploadRejected
from reports.analysis.validation import validate_upload
from reports.tests.fixtures import hostile_files as hostile
from reports.tests.fixtures.make_reports import uk_inline


@pytest.fixture(scope="module")
def report_pdf() -> bytes:
    return uk_inline()


def _rejection(data: bytes, filename: str = "upload.pdf", **limits: int) -> UploadRejected:
    with pytest.raises(UploadRejected) as caught:
        validate_upload(data, filename, **limits)
    return caught.value


def test_pdf_is_accepted_with_its_page_count_and_checksum(report_pdf: bytes) -> None:
    upload = validate_upload(report_pdf, "report.pdf")
    assert (upload.kind, upload.content_type, upload.page_count) == ("pdf", "application/pdf", 1)
    assert upload.sha256 == hashlib.sha256(report_pdf).hexdigest()


def test_type_comes_from_content_not_from_the_file_name(report_pdf: bytes) -> None:
    assert validate_upload(report_pdf, "photo.jpg").kind == "pdf"
    assert validate_upload(hostile._png((200, 100)), "report.pdf").kind == "png"
    assert validate_upload(hostile._jpeg((200, 100)), "scan.png").content_type == "image/jpeg"


def test_zero_byte_upload_is_rejected_as_empty() -> None:
    rejection = _rejection(b"")
    assert rejection.code == "empty"
    assert "empty" in rejection.message


def test_upload_over_the_size_limit_is_rejected(report_pdf: bytes) -> None:
    rejection = _rejection(report_pdf, max_bytes=1024)
    assert rejection.code == "too_large"
    assert "limit" in rejection.message


def test_word_document_named_pdf_is_rejected_and_described() -> None:
    rejection = _rejection(b"PK\x03\x04" + bytes(100), "results.pdf")
    assert rejection.code == "unsupported_type"
    assert '"results.pdf" is named like a PDF file' in rejection.message
    assert "Office document" in rejection.message


def test_password_protected_pdf_is_rejected_with_a_way_forward() -> None:
    rejection = _rejection(hostile._encrypted_pdf("secret"))
    assert rejection.code == "encrypted_pdf"
    assert "password" in rejection.message


def test_pdf_with_only_an_owner_password_is_readable_and_accepted() -> None:
    assert validate_upload(hostile._encrypted_pdf(""), "report.pdf").page_count == 1


def test_pdf_over_the_page_limit_is_rejected() -> None:
    rejection = _rejection(hostile._many_pages(60))
    assert rejection.code == "too_many_pages"
    assert "60 pages" in rejection.message


def test_damaged_pdf_is_rejected_as_corrupt() -> None:
    assert _rejection(b"%PDF-1.7\n" + bytes(range(256)) * 4).code == "corrupt_pdf"


def test_pdf_without_pages_is_rejected() -> None:
    assert _rejection(hostile._raw_pdf(None)).code in ("empty_pdf", "corrupt_pdf")


def test_image_claiming_absurd_dimensions_is_rejected_from_its_header_without_decoding() -> None:
    started = time.perf_counter()
    rejection = _rejection(hostile._png_header_only(20_000, 20_000), "scan.png")
    assert rejection.code == "image_too_large"
    assert time.perf_counter() - started < 5, "the pixels must never be decoded"


def test_image_just_over_our_pixel_limit_names_its_size() -> None:
    rejection = _rejection(hostile._png_header_only(8_000, 6_000), "scan.png")
    assert rejection.code == "image_too_large"
    assert "8000 × 6000" in rejection.message


def test_truncated_jpeg_is_rejected_as_corrupt() -> None:
    photo = io.BytesIO()
    Image.effect_noise((400, 300), 60).convert("RGB").save(photo, format="JPEG")
    assert _rejection(photo.getvalue()[:2000], "photo.jpg").code == "corrupt_image"


def test_tiny_image_is_rejected_as_too_small_to_read() -> None:
    assert _rejection(hostile._png((10, 10)), "scan.png").code == "image_too_small"


def test_heic_photo_is_accepted_when_pillow_heif_is_installed() -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    photo = io.BytesIO()
    Image.new("RGB", (120, 80), "white").save(photo, format="HEIF")
    upload = validate_upload(photo.getvalue(), "IMG_0001.HEIC")
    assert (upload.kind, upload.content_type) == ("heic", "image/heic")


def test_heic_is_rejected_with_a_clear_message_when_support_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validation, "heic_supported", lambda: False)
    rejection = _rejection(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64), "IMG_0001.HEIC")
    assert rejection.code == "heic_unsupported"
    assert "JPEG" in rejection.message

"""Upload checks before anything is stored: type by content, size, pages, encryption, corruption, image bombs.

Each refusal is an `UploadRejected(code, message)` whose message tells the person what is wrong and what to do.
Types come from magic bytes, never from the file name: PDF, PNG, JPEG, and HEIC when pillow-heif is installed.
Image dimensions are read from the header and checked before any pixel is decoded (decompression bombs).
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass
from pathlib import PurePath

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from reports.analysis.errors import UploadRejected
from reports.analysis.images import heic_supported, open_image

__all__ = ["UploadRejected", "ValidatedUpload", "validate_upload"]

MAX_BYTES = 20 * 1024 * 1024
MAX_PAGES = 50
MAX_PIXELS = 40_000_000
MIN_IMAGE_SIDE_PX = 32
CONTENT_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpeg": "image/jpeg", "heic": "image/heic"}
_ACCEPTED = "a PDF, PNG, JPEG or HEIC file"
_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
_PDF_HEADER_WINDOW = 1024
_OTHER_TYPES = (
    (b"PK\x03\x04", "a ZIP archive or an Office document"),
    (b"\xd0\xcf\x11\xe0", "an older Microsoft Office document"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"BM", "a BMP image"),
    (b"{\\rtf", "an RTF document"),
    (b"\x1f\x8b", "a compressed (gzip) file"),
)


@dataclass(frozen=True)
class ValidatedUpload:
    kind: str
    content_type: str
    page_count: int
    sha256: str


def validate_upload(
    data: bytes,
    filename: str,
    *,
    max_bytes: int = MAX_BYTES,
    max_pages: int = MAX_PAGES,
    max_pixels: int = MAX_PIXELS,
) -> ValidatedUpload:
    """The upload's type, page count and checksum, or `UploadRejected` with a message for the user."""
    _check_size(data, max_bytes)
    kind = sniff_kind(data)
    if kind is None:
        raise UploadRejected("unsupported_type", _unsupported_message(data, filename))
    if kind == "pdf":
        page_count = _check_pdf(data, max_pages)
    else:
        page_count = _check_image(data, kind, max_pixels)
    return ValidatedUpload(kind, CONTENT_TYPES[kind], page_count, hashlib.sha256(data).hexdigest())


def _check_size(data: bytes, max_bytes: int) -> None:
    if not data:
        raise UploadRejected("empty", "The file is empty (0 bytes). Please choose the report file again.")
    if len(data) > max_bytes:
        raise UploadRejected(
            "too_large",
            f"The file is {len(data) / 1048576:.1f} MB; the limit is {max_bytes / 1048576:.0f} MB. "
            "Please upload a smaller file (for example, only the pages with results).",
        )


def sniff_kind(data: bytes) -> str | None:
    """'pdf', 'png', 'jpeg' or 'heic' from the file's first bytes, or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if _is_heic(data):
        return "heic"
    if b"%PDF-" in data[:_PDF_HEADER_WINDOW]:
        return "pdf"
    return None


def _is_heic(data: bytes) -> bool:
    if data[4:8] != b"ftyp" or b"avif" in data[8:40]:
        return False
    return data[8:12] in _HEIC_BRANDS


def _unsupported_message(data: bytes, filename: str) -> str:
    looks_like = _describe(data)
    suffix = PurePath(filename or "").suffix.lower().lstrip(".")
    named = f'"{PurePath(filename).name}" is named like a {suffix.upper()} file, but it' if suffix else "This file"
    return f"{named} is {looks_like}, not {_ACCEPTED}. Please upload the lab report as a PDF or a photo."


def _describe(data: bytes) -> str:
    for magic, description in _OTHER_TYPES:
        if data.startswith(magic):
            return description
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "a WebP image"
    if data[4:8] == b"ftyp":
        return "an AVIF or video file" if b"avif" in data[8:40] else "a video or unsupported image file"
    if _looks_like_text(data[:2048]):
        return "a text file"
    return "a file type we cannot read"


def _looks_like_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(char.isprintable() or char.isspace() for char in text)


# --- PDF -----------------------------------------------------------------------------------------------------------
def _check_pdf(data: bytes, max_pages: int) -> int:
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        raise _pdf_open_error(error) from error
    try:
        return _check_pdf_pages(pdf, max_pages)
    finally:
        pdf.close()


def _pdf_open_error(error: pdfium.PdfiumError) -> UploadRejected:
    if error.err_code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
        return UploadRejected(
            "encrypted_pdf",
            "The PDF is password-protected. Please upload a version without a password "
            "(for example, open it and use Print → Save as PDF).",
        )
    return UploadRejected(
        "corrupt_pdf", "The PDF is damaged or incomplete and cannot be opened. Please download it again."
    )


def _check_pdf_pages(pdf: pdfium.PdfDocument, max_pages: int) -> int:
    count = len(pdf)
    if count <= 0:
        raise UploadRejected("empty_pdf", "The PDF has no pages.")
    if count > max_pages:
        raise UploadRejected(
            "too_many_pages",
            f"The PDF has {count} pages; the limit is {max_pages}. Please upload only the pages with results.",
        )
    try:
        pdf[0].close()
    except pdfium.PdfiumError as error:
        raise UploadRejected("corrupt_pdf", "The PDF is damaged: its first page cannot be read.") from error
    return count


# --- images -------------------------------------------------------------------------------------------------------
def _check_image(data: bytes, kind: str, max_pixels: int) -> int:
    if kind == "heic" and not heic_supported():
        raise UploadRejected(
            "heic_unsupported",
            "HEIC photos cannot be read on this server. Please export the photo as JPEG (or share it as 'Most "
            "Compatible' on iPhone) and upload again.",
        )
    image = _open_header(data, kind, max_pixels)
    _check_dimensions(image.size, max_pixels)
    _decode(image)
    return 1


def _open_header(data: bytes, kind: str, max_pixels: int) -> Image.Image:
    """The image with only its header read; Pillow's own bomb guard is turned into a refusal."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return open_image(data, kind)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise _too_large_image(max_pixels) from error
        except Exception as error:  # Pillow's decoders raise many unrelated types on hostile input
            raise _corrupt_image() from error


def _check_dimensions(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width * height > max_pixels:
        raise _too_large_image(max_pixels, f" ({width} × {height} pixels)")
    if min(width, height) < MIN_IMAGE_SIDE_PX:
        raise UploadRejected(
            "image_too_small", f"The image is only {width} × {height} pixels, too small to read a report from."
        )


def _decode(image: Image.Image) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image.load()
        except Exception as error:  # truncated and malformed images fail in many ways inside the decoders
            raise _corrupt_image() from error


def _too_large_image(max_pixels: int, detail: str = "") -> UploadRejected:
    return UploadRejected(
        "image_too_large",
        f"The image is too large{detail}; the limit is {max_pixels / 1_000_000:.0f} megapixels. "
        "Please upload a smaller photo or a PDF.",
    )


def _corrupt_image() -> UploadRejected:
    return UploadRejected(
        "corrupt_image", "The image is damaged or incomplete (it may have been cut off). Please upload it again."
    )

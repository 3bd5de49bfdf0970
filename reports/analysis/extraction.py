"""Text of an uploaded report, page by page: the PDF text layer where there is one, Tesseract OCR where not.

PDF pages are read with pypdfium2 (PDFium) character boxes and rebuilt into lines by `layout.assemble_lines`. Pages
with no usable text layer (scans, photos pasted into PDFs) and uploaded images go to Tesseract; when Tesseract is
not installed the document says so in `warnings` instead of coming back silently empty.
"""

from __future__ import annotations

import math
import os
import shutil
from dataclasses import dataclass, field
from functools import cache
from typing import Protocol

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from reports.analysis.errors import AnalysisError
from reports.analysis.images import deskewed, upright_image
from reports.analysis.layout import Word, assemble_lines

OCR_DPI = 300
OCR_TIMEOUT_S = 60
MIN_TEXT_LAYER_CHARS = 20
_IMAGE_PAGE_TEXT_CHARS = 200
_MIN_OCR_HEIGHT_PX = 1600
_MAX_OCR_PIXELS = 40_000_000
_LEGIBLE_MIN_WORDS = 8
_LEGIBLE_MIN_CONFIDENCE = 60.0


@dataclass(frozen=True)
class PageText:
    number: int
    text: str
    ocr: bool


@dataclass(frozen=True)
class ExtractedDocument:
    pages: list[PageText]
    ocr_used: bool
    ocr_available: bool
    warnings: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(page.text for page in self.pages)

    @property
    def text_chars(self) -> int:
        return sum(len(page.text) for page in self.pages)


class OcrEngine(Protocol):
    @property
    def available(self) -> bool: ...

    def words(self, image: Image.Image) -> list[Word]: ...


class TesseractOcr:
    """OCR with the Tesseract binary (Debian `tesseract-ocr`) through pytesseract."""

    def __init__(self, lang: str = "eng", timeout_s: int = OCR_TIMEOUT_S) -> None:
        self.lang = lang
        self.timeout_s = timeout_s

    @property
    def available(self) -> bool:
        return _tesseract_installed()

    def words(self, image: Image.Image) -> list[Word]:
        """Words of an upright page; a sideways or upside-down photo is turned using Tesseract's orientation
        detection (OSD) when the first reading is not legible."""
        data = self._read(image)
        if _legible(data):
            return _tesseract_words(data)
        upright = self._upright(image)
        if upright is None:
            return _tesseract_words(data)
        retry = self._read(upright)
        return _tesseract_words(retry if _mean_confidence(retry) > _mean_confidence(data) else data)

    def _read(self, image: Image.Image) -> dict[str, list]:
        import pytesseract

        _single_threaded()
        return pytesseract.image_to_data(
            image, lang=self.lang, config="--psm 6", output_type=pytesseract.Output.DICT, timeout=self.timeout_s
        )

    def _upright(self, image: Image.Image) -> Image.Image | None:
        import pytesseract

        _single_threaded()
        try:
            osd = pytesseract.image_to_osd(image, output_type=pytesseract.Output.DICT, timeout=self.timeout_s)
        except pytesseract.TesseractError:
            return None  # too little text to tell the orientation
        rotate = int(osd.get("rotate", 0))
        return image.rotate(-rotate, expand=True, fillcolor=255) if rotate else None


def _single_threaded() -> None:
    """Tesseract 4/5 built with OpenMP spends most of a page's time contending for cores, several times slower than
    one thread, and worse with several workers (tesseract-ocr/tesseract#898, #3109). pytesseract hands `os.environ`
    to the tesseract process, so the limit is set there unless the deployment chose one."""
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")


def _confidences(data: dict[str, list]) -> list[float]:
    return [
        float(conf)
        for text, conf in zip(data["text"], data["conf"], strict=True)
        if str(text).strip() and float(conf) >= 0
    ]


def _mean_confidence(data: dict[str, list]) -> float:
    confidences = _confidences(data)
    return sum(confidences) / len(confidences) if confidences else 0.0


def _legible(data: dict[str, list]) -> bool:
    return len(_confidences(data)) >= _LEGIBLE_MIN_WORDS and _mean_confidence(data) >= _LEGIBLE_MIN_CONFIDENCE


@cache
def _tesseract_installed() -> bool:
    if shutil.which("tesseract") is None:
        return False
    import pytesseract

    try:
        pytesseract.get_tesseract_version()
    except (pytesseract.TesseractNotFoundError, OSError):
        return False
    return True


def _tesseract_words(data: dict[str, list]) -> list[Word]:
    """Word boxes, each placed at the vertical middle of its Tesseract line so a row's words share one baseline."""
    lines: dict[tuple[int, int, int], list[int]] = {}
    for index, text in enumerate(data["text"]):
        if str(text).strip() and float(data["conf"][index]) >= 0:
            key = (data["block_num"][index], data["par_num"][index], data["line_num"][index])
            lines.setdefault(key, []).append(index)
    words: list[Word] = []
    for indexes in lines.values():
        top = min(data["top"][i] for i in indexes)
        bottom = max(data["top"][i] + data["height"][i] for i in indexes)
        for i in indexes:
            left = data["left"][i]
            words.append(Word(str(data["text"][i]).strip(), left, left + data["width"][i], top, bottom))
    return words


DEFAULT_OCR = TesseractOcr()


def extract_text(
    data: bytes, kind: str, *, ocr: OcrEngine | None = None, max_pixels: int = 40_000_000
) -> ExtractedDocument:
    """Pages of text from a validated upload of `kind` ("pdf", "png", "jpeg", "heic")."""
    engine = ocr or DEFAULT_OCR
    if kind == "pdf":
        return _extract_pdf(data, engine, max_pixels)
    return _extract_image(data, kind, engine)


def _extract_image(data: bytes, kind: str, engine: OcrEngine) -> ExtractedDocument:
    if not engine.available:
        return ExtractedDocument([PageText(1, "", False)], False, False, [_ocr_unavailable_warning("the image")])
    try:
        text = _ocr_text(upright_image(data, kind), engine)
    except (OSError, RuntimeError) as error:
        raise AnalysisError(
            "ocr_failed", "The photo could not be read. Please try a clearer photo or a PDF."
        ) from error
    return ExtractedDocument([PageText(1, text, True)], True, True, [])


def _extract_pdf(data: bytes, engine: OcrEngine, max_pixels: int) -> ExtractedDocument:
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        raise AnalysisError("unreadable_pdf", "The PDF could not be opened.") from error
    try:
        reader = _PdfReader(engine, max_pixels)
        pages = [reader.page(pdf, index) for index in range(len(pdf))]
    finally:
        pdf.close()
    if not any(page.text.strip() for page in pages) and not reader.warnings:
        reader.warnings.append("No text was found in this document.")
    return ExtractedDocument(pages, reader.ocr_used, engine.available, reader.warnings)


class _PdfReader:
    def __init__(self, engine: OcrEngine, max_pixels: int) -> None:
        self.engine = engine
        self.max_pixels = max_pixels
        self.ocr_used = False
        self.warnings: list[str] = []

    def page(self, pdf: pdfium.PdfDocument, index: int) -> PageText:
        number = index + 1
        try:
            page = pdf[index]
        except pdfium.PdfiumError:
            self.warnings.append(f"Page {number} could not be read.")
            return PageText(number, "", False)
        try:
            return self._read(page, number)
        finally:
            page.close()

    def _read(self, page: pdfium.PdfPage, number: int) -> PageText:
        text = "\n".join(assemble_lines(pdf_words(page)))
        if not _needs_ocr(page, text):
            return PageText(number, text, False)
        if not self.engine.available:
            if len(text.strip()) < MIN_TEXT_LAYER_CHARS:
                self.warnings.append(_ocr_unavailable_warning(f"page {number}"))
            return PageText(number, text, False)
        return self._ocr_page(page, number, text)

    def _ocr_page(self, page: pdfium.PdfPage, number: int, text_layer: str) -> PageText:
        try:
            ocr_text = _ocr_text(render_page(page, self.max_pixels), self.engine)
        except (OSError, RuntimeError, pdfium.PdfiumError):
            self.warnings.append(f"Page {number} could not be read by OCR.")
            return PageText(number, text_layer, False)
        if len(ocr_text.strip()) <= len(text_layer.strip()):
            return PageText(number, text_layer, False)
        self.ocr_used = True
        return PageText(number, ocr_text, True)


def _ocr_unavailable_warning(subject: str) -> str:
    return f"OCR is unavailable (Tesseract is not installed): {subject} has no text layer and could not be read."


Box = tuple[float, float, float, float]  # left, top, right, bottom in the reading frame (v grows downwards)
_DIRECTIONS = ((1.0, 0.0), (-1.0, 0.0), (0.0, 1.0), (0.0, -1.0))


def pdf_words(page: pdfium.PdfPage) -> list[Word]:
    """Words of the page's text layer from PDFium character boxes, turned upright for rotated pages."""
    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()
        if count <= 0:
            return []
        text = textpage.get_text_range(0, count)
        if len(text) != count:
            text = "".join(textpage.get_text_range(i, 1) or " " for i in range(count))
        boxes = [textpage.get_charbox(i, loose=True) for i in range(count)]
    finally:
        textpage.close()
    direction = _reading_direction(text, boxes)
    return _words_from_chars(text, [_reading_frame(box, direction) for box in boxes])


def _reading_direction(text: str, boxes: list[tuple[float, float, float, float]]) -> tuple[float, float]:
    """The way most neighbouring characters advance: right on upright pages, up or down on rotated ones."""
    votes = dict.fromkeys(_DIRECTIONS, 0)
    for index in range(1, len(text)):
        if text[index].isspace() or text[index - 1].isspace():
            continue
        (l0, b0, r0, t0), (l1, b1, r1, t1) = boxes[index - 1], boxes[index]
        dx, dy = (l1 + r1 - l0 - r0) / 2, (b1 + t1 - b0 - t0) / 2
        if abs(dx) + abs(dy) > 0:
            votes[(math.copysign(1.0, dx), 0.0) if abs(dx) >= abs(dy) else (0.0, math.copysign(1.0, dy))] += 1
    return max(_DIRECTIONS, key=lambda direction: votes[direction])


def _reading_frame(box: tuple[float, float, float, float], direction: tuple[float, float]) -> Box:
    """A PDF char box (left, bottom, right, top) as (left, top, right, bottom) along the reading direction,
    with the next line below: u = p·r, v = p·n where n is r turned clockwise."""
    rx, ry = direction
    nx, ny = ry, -rx
    corners = [(box[0], box[1]), (box[2], box[3]), (box[0], box[3]), (box[2], box[1])]
    us = [x * rx + y * ry for x, y in corners]
    vs = [x * nx + y * ny for x, y in corners]
    return min(us), min(vs), max(us), max(vs)


def _words_from_chars(text: str, boxes: list[Box]) -> list[Word]:
    words: list[Word] = []
    current: list[int] = []
    for index, char in enumerate(text):
        if char.isspace() or not char.isprintable():
            _flush(current, text, boxes, words)
            current = []
            continue
        if current and _breaks_word(boxes[current[-1]], boxes[index]):
            _flush(current, text, boxes, words)
            current = []
        current.append(index)
    _flush(current, text, boxes, words)
    return words


def _breaks_word(previous: Box, box: Box) -> bool:
    left, top, _right, bottom = box
    p_left, p_top, p_right, p_bottom = previous
    height = max(bottom - top, p_bottom - p_top, 1e-6)
    vertical_shift = abs((top + bottom) / 2 - (p_top + p_bottom) / 2)
    return left - p_right > 0.2 * height or left < p_left - 0.5 * height or vertical_shift > 0.6 * height


def _flush(indexes: list[int], text: str, boxes: list[Box], words: list[Word]) -> None:
    if not indexes:
        return
    chosen = [boxes[i] for i in indexes]
    word_text = "".join(text[i] for i in indexes)
    left = min(box[0] for box in chosen)
    top = min(box[1] for box in chosen)
    right = max(box[2] for box in chosen)
    bottom = max(box[3] for box in chosen)
    words.append(Word(word_text, left, right, top, bottom))


def _needs_ocr(page: pdfium.PdfPage, text: str) -> bool:
    """No usable text layer: almost no characters, mostly unprintable ones, or a scan with a thin text overlay."""
    visible = [char for char in text if not char.isspace()]
    if len(visible) < MIN_TEXT_LAYER_CHARS:
        return True
    unreadable = sum(1 for char in visible if not (char.isprintable() and ord(char) < 0xE000))
    if unreadable > 0.3 * len(visible):
        return True
    return len(visible) < _IMAGE_PAGE_TEXT_CHARS and _image_coverage(page) > 0.5


def _image_coverage(page: pdfium.PdfPage) -> float:
    width, height = page.get_size()
    area = 0.0
    for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=2):
        left, bottom, right, top = obj.get_pos()
        area += max(0.0, right - left) * max(0.0, top - bottom)
    return area / max(width * height, 1.0)


def render_page(page: pdfium.PdfPage, max_pixels: int, dpi: int = OCR_DPI) -> Image.Image:
    """The page as a grayscale image at `dpi`, scaled down if that would exceed `max_pixels`."""
    width, height = page.get_size()
    scale = dpi / 72
    if width * height * scale * scale > max_pixels:
        scale = math.sqrt(max_pixels / max(width * height, 1.0))
    return page.render(scale=scale, grayscale=True).to_pil()


def _ocr_text(image: Image.Image, engine: OcrEngine) -> str:
    """OCR text with rebuilt lines from the straightened page; small images are enlarged to the ~300 dpi glyph size
    Tesseract reads best."""
    image = deskewed(image)
    factor = _MIN_OCR_HEIGHT_PX / image.height
    if factor > 1 and image.width * image.height * factor * factor <= _MAX_OCR_PIXELS:
        image = image.resize((round(image.width * factor), _MIN_OCR_HEIGHT_PX), Image.Resampling.LANCZOS)
    return "\n".join(assemble_lines(engine.words(image)))

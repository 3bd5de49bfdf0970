"""Opening uploaded images with only the decoder their magic bytes name, HEIC included when pillow-heif is present;
straightening slightly turned scans and photos before OCR."""

from __future__ import annotations

import io
from functools import cache

import numpy as np
from PIL import Image, ImageOps

_SKEW_SEARCH_DEGREES = 3.0
_SKEW_COARSE_STEP, _SKEW_FINE_STEP = 0.5, 0.1
_MIN_SKEW_DEGREES = 0.3
_SKEW_SAMPLE_PX = 1000
_INK_LEVEL = 128

PILLOW_FORMATS = {"png": "PNG", "jpeg": "JPEG", "heic": "HEIF"}


@cache
def heic_supported() -> bool:
    """Registers the HEIF opener once; False when pillow-heif is not installed."""
    try:
        import pillow_heif
    except ImportError:
        return False
    pillow_heif.register_heif_opener()
    return True


def open_image(data: bytes, kind: str) -> Image.Image:
    """A lazily decoded image (header read, pixels not yet): only the decoder for `kind` is allowed."""
    if kind == "heic" and not heic_supported():
        raise OSError("HEIC support is not installed")
    return Image.open(io.BytesIO(data), formats=[PILLOW_FORMATS[kind]])


def upright_image(data: bytes, kind: str) -> Image.Image:
    """The decoded image turned the way the camera held it (EXIF orientation), in grayscale for OCR."""
    image = open_image(data, kind)
    image.load()
    return ImageOps.exif_transpose(image).convert("L")


def deskewed(image: Image.Image) -> Image.Image:
    """The page turned so its text lines are horizontal, when it is off by more than a fraction of a degree."""
    angle = skew_degrees(image)
    if abs(angle) < _MIN_SKEW_DEGREES:
        return image
    return image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)


def skew_degrees(image: Image.Image) -> float:
    """The rotation that makes text lines horizontal, by the projection-profile method: turned the right way, rows of
    ink and the gaps between them alternate most sharply (Postl 1986; Hull, "Document image skew detection", 1998)."""
    sample = image.convert("L")
    sample.thumbnail((_SKEW_SAMPLE_PX, _SKEW_SAMPLE_PX))

    def sharpness(angle: float) -> float:
        ink = np.asarray(sample.rotate(angle, resample=Image.Resampling.BILINEAR, fillcolor=255)) < _INK_LEVEL
        return float(np.square(np.diff(ink.sum(axis=1, dtype=np.int64))).sum())

    coarse = max(_steps(0.0, _SKEW_SEARCH_DEGREES, _SKEW_COARSE_STEP), key=sharpness)
    return max(_steps(coarse, _SKEW_COARSE_STEP, _SKEW_FINE_STEP), key=sharpness)


def _steps(centre: float, half_width: float, step: float) -> list[float]:
    count = round(half_width / step)
    return [round(centre + step * index, 2) for index in range(-count, count + 1)]

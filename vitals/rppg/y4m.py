"""A synthetic pulsing face as a YUV4MPEG2 video, for Chromium's fake camera in end-to-end tests.

Chromium plays the file with ``--use-fake-device-for-media-stream
--use-file-for-fake-video-capture=<file>.y4m`` and loops it at the end. For a seamless loop choose
``seconds`` so that ``bpm * seconds / 60`` is a whole number of beats (72 bpm and 5 s: 6 beats).

The frame is a skin-coloured oval (with darker eyes and mouth) on a blue-grey background. The skin
colour pulses at ``bpm`` with a PPG-like waveform in the channel ratios of the blood-volume-pulse
signature (de Haan & van Leest 2014; green strongest), about 3 levels peak to peak in green. A fixed
dither pattern before rounding keeps the mean skin colour smooth rather than stepping by whole levels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vitals.rppg.methods import PBV_SIGNATURE

SKIN_RGB = np.array([200.0, 150.0, 120.0])
BACKGROUND_RGB = np.array([70.0, 90.0, 120.0])
FEATURE_RGB = np.array([60.0, 40.0, 40.0])
GREEN_PEAK_TO_PEAK = 3.0
# ITU-R BT.601 limited-range RGB -> Y'CbCr, the matrix Chromium (libyuv) assumes for I420 frames.
BT601 = np.array(
    [
        [0.257, 0.504, 0.098],
        [-0.148, -0.291, 0.439],
        [0.439, -0.368, -0.071],
    ]
)
BT601_OFFSET = np.array([16.0, 128.0, 128.0])


def write_pulsing_face_y4m(
    path: str | Path,
    bpm: float,
    seconds: float,
    fps: int = 30,
    width: int = 640,
    height: int = 480,
) -> Path:
    """Write the video (``C420``: planar Y, then U and V at half resolution) and return its path."""
    if width % 2 or height % 2:
        raise ValueError("width and height must be even for 4:2:0 chroma")
    path = Path(path)
    rgb, skin = _still_frame(width, height)
    planes = _planes(_to_yuv(rgb))
    masks = [skin, *2 * [_half(skin)]]
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420\n".encode("ascii"))
        for delta_rgb in _skin_deltas(bpm, round(seconds * fps), fps):
            delta_yuv = BT601 @ delta_rgb
            out.write(b"FRAME\n")
            out.write(b"".join(_quantise(p + m * d) for p, m, d in zip(planes, masks, delta_yuv, strict=True)))
    return path


def _skin_deltas(bpm: float, frames: int, fps: int) -> np.ndarray:
    """Per-frame RGB change of the skin: a systolic and a smaller reflected wave per beat."""
    phase = (np.arange(frames) / fps * bpm / 60.0) % 1.0
    wave = np.exp(-0.5 * ((phase - 0.2) / 0.08) ** 2) + 0.35 * np.exp(-0.5 * ((phase - 0.5) / 0.1) ** 2)
    wave = (wave - wave.mean()) / (wave.max() - wave.min())
    relative = PBV_SIGNATURE / PBV_SIGNATURE[1] * GREEN_PEAK_TO_PEAK / SKIN_RGB[1]
    # More blood absorbs more light: the skin darkens as the pulse wave arrives.
    return -np.outer(wave, relative * SKIN_RGB)


def _still_frame(width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    face = _ellipse(x, y, 0.5 * width, 0.52 * height, 0.2 * width, 0.36 * height)
    features = (
        _ellipse(x, y, 0.43 * width, 0.45 * height, 0.035 * width, 0.02 * height)
        | _ellipse(x, y, 0.57 * width, 0.45 * height, 0.035 * width, 0.02 * height)
        | _ellipse(x, y, 0.5 * width, 0.7 * height, 0.06 * width, 0.02 * height)
    )
    skin = face & ~features
    shade = 1.0 - 0.15 * y / height
    rgb = BACKGROUND_RGB * shade[..., None]
    rgb = np.where(skin[..., None], SKIN_RGB, rgb)
    rgb = np.where((face & features)[..., None], FEATURE_RGB, rgb)
    return rgb, skin.astype(np.float64)


def _ellipse(x: np.ndarray, y: np.ndarray, cx: float, cy: float, rx: float, ry: float) -> np.ndarray:
    return ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1.0


def _to_yuv(rgb: np.ndarray) -> np.ndarray:
    return rgb @ BT601.T + BT601_OFFSET


def _half(plane: np.ndarray) -> np.ndarray:
    """2x2 average: 4:2:0 chroma resolution."""
    height, width = plane.shape
    return plane.reshape(height // 2, 2, width // 2, 2).mean(axis=(1, 3))


def _planes(yuv: np.ndarray) -> list[np.ndarray]:
    """Y at full and U, V at half resolution, each with its fixed dither pattern added."""
    rng = np.random.default_rng(0)
    planes = [yuv[..., 0], _half(yuv[..., 1]), _half(yuv[..., 2])]
    return [plane + rng.uniform(-0.5, 0.5, plane.shape) for plane in planes]


def _quantise(plane: np.ndarray) -> bytes:
    return np.clip(np.rint(plane), 0, 255).astype(np.uint8).tobytes()

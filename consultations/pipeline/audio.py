"""PCM16 framing and voice activity detection, shared by the pipeline and the embedded STT."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

import webrtcvad

SAMPLE_WIDTH_BYTES = 2


def frame_bytes(sample_rate_hz: int, frame_ms: int) -> int:
    """Size of one mono PCM16 frame of ``frame_ms`` at ``sample_rate_hz``."""
    return sample_rate_hz * frame_ms // 1000 * SAMPLE_WIDTH_BYTES


def duration_ms(pcm16: bytes | int, sample_rate_hz: int) -> float:
    """Playing time of mono PCM16 audio (bytes or a byte count)."""
    size = pcm16 if isinstance(pcm16, int) else len(pcm16)
    return size / SAMPLE_WIDTH_BYTES / sample_rate_hz * 1000


class FrameSplitter:
    """Cuts a byte stream of arbitrary chunk sizes into fixed-size frames."""

    def __init__(self, size_bytes: int) -> None:
        self.size_bytes = size_bytes
        self._buffer = bytearray()

    def push(self, data: bytes) -> Iterator[bytes]:
        self._buffer += data
        while len(self._buffer) >= self.size_bytes:
            frame = bytes(self._buffer[: self.size_bytes])
            del self._buffer[: self.size_bytes]
            yield frame

    def flush(self) -> bytes:
        """Return and forget the trailing partial frame (keeps sample alignment)."""
        rest = bytes(self._buffer[: len(self._buffer) // SAMPLE_WIDTH_BYTES * SAMPLE_WIDTH_BYTES])
        self._buffer.clear()
        return rest

    def clear(self) -> None:
        self._buffer.clear()


class SpeechDetector:
    """webrtcvad over fixed frames, tracking recent voiced time and trailing silence.

    ``voiced_ms`` counts voiced audio inside a sliding ``window_ms`` so an isolated click
    or cough (one or two voiced frames) never looks like the patient starting to talk;
    ``silence_ms`` is the unvoiced time since the last voiced frame (endpointing).
    """

    def __init__(
        self,
        sample_rate_hz: int = 16000,
        *,
        frame_ms: int = 20,
        aggressiveness: int = 2,
        window_ms: int = 300,
    ) -> None:
        self.sample_rate_hz = sample_rate_hz
        self.frame_ms = frame_ms
        self._vad = webrtcvad.Vad(aggressiveness)
        self._splitter = FrameSplitter(frame_bytes(sample_rate_hz, frame_ms))
        self._window: deque[bool] = deque(maxlen=max(1, window_ms // frame_ms))
        self.silence_ms = 0

    @property
    def voiced_ms(self) -> int:
        return sum(self._window) * self.frame_ms

    def frames(self, pcm16: bytes) -> Iterator[bytes]:
        """Complete frames of the incoming audio, in order (partial frames wait for more)."""
        return self._splitter.push(pcm16)

    def classify(self, frame: bytes) -> bool:
        """Is this frame speech? Updates ``voiced_ms`` and ``silence_ms``."""
        voiced = self._vad.is_speech(frame, self.sample_rate_hz)
        self._window.append(voiced)
        self.silence_ms = 0 if voiced else self.silence_ms + self.frame_ms
        return voiced

    def reset(self) -> None:
        self._window.clear()
        self.silence_ms = 0

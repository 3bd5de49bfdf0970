"""Offline speech synthesis with espeak-ng, PCM16 mono at 22,050 Hz.

Preferred backend: the ``espeakng-loader`` wheel's shared library and voice data, driven
through ctypes in synchronous mode (audio arrives through a callback every few tens of
milliseconds, so the first bytes of a sentence come almost at once). espeak-ng keeps global
state, so calls are serialised on one worker thread. Fallback: the Debian ``espeak-ng``
command (``--stdout``), one process per sentence, killed on cancel.
"""

from __future__ import annotations

import asyncio
import ctypes
import itertools
import shutil
import threading
from collections.abc import AsyncIterator, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from consultations.providers.base import ProviderError
from consultations.providers.streams import SentenceTTSStream

SAMPLE_RATE_HZ = 22050
WAV_HEADER_BYTES = 44
READ_CHUNK_BYTES = 4096

# espeak_lib.h constants
AUDIO_OUTPUT_SYNCHRONOUS = 2
POS_CHARACTER = 1
ESPEAK_CHARS_UTF8 = 1
ESPEAK_RATE = 1
CALLBACK_BUFFER_MS = 50


class EspeakVoice(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p), ("languages", ctypes.c_void_p), ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte), ("age", ctypes.c_ubyte), ("variant", ctypes.c_ubyte), ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int), ("spare", ctypes.c_void_p),
    ]  # fmt: skip


SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class EspeakLibrary:
    """The espeak-ng shared library, one synthesis at a time on a dedicated thread."""

    def __init__(self) -> None:
        import espeakng_loader

        self._lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self._lib.espeak_Initialize.restype = ctypes.c_int
        self._lib.espeak_Synth.argtypes = [
            ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
            ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
        ]  # fmt: skip
        data_path = espeakng_loader.get_data_path().encode()
        rate = self._lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, CALLBACK_BUFFER_MS, data_path, 0)
        if rate != SAMPLE_RATE_HZ:
            raise ProviderError(f"espeak-ng initialisation failed ({rate})", code="tts_unavailable")
        self._on_audio: Callable[[bytes], bool] = lambda chunk: True
        self._callback = SynthCallback(self._receive)  # kept referenced: espeak holds the pointer
        self._lib.espeak_SetSynthCallback(self._callback)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="espeak")
        self._identifiers = self._voice_identifiers()

    def _voice_identifiers(self) -> dict[str, str]:
        """Language code -> voice file identifier, so "en-gb+f2" works as on the command line."""
        self._lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(EspeakVoice))
        voices = self._lib.espeak_ListVoices(None)
        identifiers: dict[str, str] = {}
        for index in itertools.count():
            if not voices[index]:
                return identifiers
            voice = voices[index].contents
            for language in _languages(voice.languages):
                identifiers.setdefault(language, voice.identifier.decode())
        return identifiers

    def _voice_name(self, voice: str) -> bytes:
        language, plus, variant = voice.partition("+")
        return (self._identifiers.get(language.lower(), language) + plus + variant).encode()

    def _receive(self, samples: Any, count: int, _events: Any) -> int:
        if count <= 0:
            return 0
        keep_going = self._on_audio(ctypes.string_at(samples, count * 2))
        return 0 if keep_going else 1

    def _synthesize_blocking(self, text: str, voice: str, rate_wpm: int, on_audio: Callable[[bytes], bool]) -> None:
        self._on_audio = on_audio
        if self._lib.espeak_SetVoiceByName(self._voice_name(voice)) != 0:
            raise ProviderError(f"unknown espeak-ng voice {voice!r}", code="tts_voice")
        self._lib.espeak_SetParameter(ESPEAK_RATE, rate_wpm, 0)
        encoded = text.encode()
        self._lib.espeak_Synth(encoded, len(encoded) + 1, 0, POS_CHARACTER, 0, ESPEAK_CHARS_UTF8, None, None)

    async def synthesize(self, text: str, voice: str, rate_wpm: int) -> AsyncIterator[bytes]:
        loop = asyncio.get_running_loop()
        chunks: asyncio.Queue[bytes | None] = asyncio.Queue()
        stop = threading.Event()

        def on_audio(chunk: bytes) -> bool:
            if stop.is_set():
                return False
            loop.call_soon_threadsafe(chunks.put_nowait, chunk)
            return True

        job = loop.run_in_executor(self._executor, self._synthesize_blocking, text, voice, rate_wpm, on_audio)
        job.add_done_callback(lambda _: chunks.put_nowait(None))
        try:
            while (chunk := await chunks.get()) is not None:
                yield chunk
            await job
        finally:
            stop.set()


class EspeakCommand:
    """The ``espeak-ng`` command line program, one process per sentence."""

    def __init__(self, executable: str) -> None:
        self.executable = executable

    async def synthesize(self, text: str, voice: str, rate_wpm: int) -> AsyncIterator[bytes]:
        process = await asyncio.create_subprocess_exec(
            self.executable, "-v", voice, "-s", str(rate_wpm), "--stdout", text,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        assert process.stdout is not None
        try:
            await process.stdout.readexactly(WAV_HEADER_BYTES)
            while chunk := await process.stdout.read(READ_CHUNK_BYTES):
                yield chunk[: len(chunk) // 2 * 2]
            if await process.wait() != 0:
                raise ProviderError(f"espeak-ng exited with {process.returncode}", code="tts_failed")
        except asyncio.IncompleteReadError as error:
            raise ProviderError("espeak-ng produced no audio", code="tts_failed") from error
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()


def _languages(pointer: int | None) -> list[str]:
    """Decode espeak's ``languages`` field: (priority byte, NUL-terminated name) pairs, then 0."""
    names: list[str] = []
    offset = 0
    while pointer and ctypes.string_at(pointer + offset, 1) != b"\0":
        name = ctypes.string_at(pointer + offset + 1).decode()
        names.append(name.lower())
        offset += len(name) + 2
    return names


_library: EspeakLibrary | None = None


def default_backend() -> EspeakLibrary | EspeakCommand:
    """The wheel's library when it loads, else the Debian command."""
    global _library
    try:
        _library = _library or EspeakLibrary()
        return _library
    except (ImportError, OSError):
        executable = shutil.which("espeak-ng")
        if executable is None:
            raise ProviderError("espeak-ng is not installed", code="tts_unavailable") from None
        return EspeakCommand(executable)


class EspeakTTS:
    """``TTSProvider`` speaking with espeak-ng."""

    sample_rate_hz = SAMPLE_RATE_HZ

    def __init__(
        self, *, voice: str = "en-us", rate_wpm: int = 165, backend: EspeakLibrary | EspeakCommand | None = None
    ) -> None:
        self.voice = voice
        self.rate_wpm = rate_wpm
        self.backend = backend or default_backend()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> EspeakTTS:
        return cls(voice=config.get("ESPEAK_VOICE", "en-us"), rate_wpm=int(config.get("ESPEAK_RATE_WPM", 165)))

    async def open_stream(self) -> SentenceTTSStream:
        return SentenceTTSStream(self.synthesize)

    def synthesize(self, text: str) -> AsyncIterator[bytes]:
        """PCM16 chunks of one sentence."""
        return self.backend.synthesize(text, self.voice, self.rate_wpm)

"""Offline speech recognition: pocketsphinx with a domain language model, webrtcvad endpointing.

pocketsphinx's generic en-US model is close to useless on symptom talk (it hears "chest pain"
as anything from broadcast news). A trigram model trained on ``data/stt_corpus.txt`` (patient
intake sentences, see ``stt_corpus.py``) plus the 2,000 commonest English words as unigrams
(``data/stt_common_words.txt``, the most probable unigrams of the generic model) makes it usable
while still letting everyday words through. The ARPA model and a pronunciation dictionary
restricted to its vocabulary are built on first use and cached on disk, keyed by a hash of
their sources, so every process after the first loads them in milliseconds.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import tempfile
import threading
from collections import deque
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pocketsphinx import Decoder, get_model_path

from consultations.pipeline.audio import SpeechDetector, duration_ms
from consultations.providers.base import ProviderError, TranscriptEvent
from consultations.providers.stt_lm import build_arpa

DATA_DIR = Path(__file__).parent / "data"
CORPUS_PATH = DATA_DIR / "stt_corpus.txt"
COMMON_WORDS_PATH = DATA_DIR / "stt_common_words.txt"
EXTRA_DICT_PATH = DATA_DIR / "stt_extra.dict"
SAMPLE_RATE_HZ = 16000
# Wider search beams than pocketsphinx's defaults (1e-48 / 7e-29 / 1e-48): a point less WER on the
# development sentences (bench/data/stt_dev_sentences.txt) for ~15 % more decoding CPU (RTF 0.15).
SEARCH_BEAMS = {"beam": 1e-60, "wbeam": 1e-40, "pbeam": 1e-60}
LM_VERSION = "kneser-ney-trigram-1"  # part of the cache key: a new build method rebuilds the model
_BUILD_LOCK = threading.Lock()


@dataclass(frozen=True)
class ModelFiles:
    lm_path: str
    dict_path: str


def default_cache_dir() -> Path:
    return Path(tempfile.gettempdir()) / "healthhelper-stt"


def domain_model(cache_dir: str | Path | None = None) -> ModelFiles:
    """Paths of the domain ARPA model and dictionary, building them if not cached yet."""
    sources = [CORPUS_PATH, COMMON_WORDS_PATH, EXTRA_DICT_PATH]
    fingerprint = b"".join(path.read_bytes() for path in sources) + LM_VERSION.encode()
    key = hashlib.sha256(fingerprint).hexdigest()[:16]
    folder = Path(cache_dir) if cache_dir else default_cache_dir()
    files = ModelFiles(str(folder / f"domain-{key}.arpa"), str(folder / f"domain-{key}.dict"))
    with _BUILD_LOCK:
        if not (os.path.exists(files.lm_path) and os.path.exists(files.dict_path)):
            folder.mkdir(parents=True, exist_ok=True)
            _build(files)
    return files


def _build(files: ModelFiles) -> None:
    sentences = CORPUS_PATH.read_text(encoding="utf-8").splitlines()
    common_words = COMMON_WORDS_PATH.read_text(encoding="utf-8").split()
    vocabulary: set[str] = set()

    def write(path: str) -> None:
        vocabulary.update(build_arpa(sentences, path, extra_vocabulary=common_words))

    _write_atomically(files.lm_path, write)
    vocabulary -= {"<s>", "</s>"}
    lexicon = _lexicon_lines(vocabulary)
    _write_atomically(files.dict_path, lambda path: Path(path).write_text("".join(lexicon), encoding="utf-8"))


def _lexicon_lines(vocabulary: set[str]) -> list[str]:
    lines = []
    for path in (Path(get_model_path("en-us/cmudict-en-us.dict")), EXTRA_DICT_PATH):
        with open(path, encoding="utf-8") as lexicon:
            lines += [line for line in lexicon if re.sub(r"\(\d+\)$", "", line.split(maxsplit=1)[0]) in vocabulary]
    return lines


def _write_atomically(path: str, write: Any) -> None:
    """Write through a temporary file so a concurrent process never reads half a model."""
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path))
    os.close(handle)
    write(temporary)
    os.replace(temporary, path)


class PocketsphinxSTT:
    """``STTProvider`` running pocketsphinx locally (16 kHz PCM16 only)."""

    def __init__(
        self,
        *,
        language_model: Literal["domain", "generic"] = "domain",
        cache_dir: str | Path | None = None,
        endpoint_silence_ms: int = 700,
        interim_interval_ms: int = 300,
        vad_aggressiveness: int = 2,
        noise_floor_dbfs: float = -50.0,
        decoder_overrides: Mapping[str, Any] | None = None,
    ) -> None:
        self.language_model = language_model
        self.cache_dir = cache_dir
        self.endpoint_silence_ms = endpoint_silence_ms
        self.interim_interval_ms = interim_interval_ms
        self.vad_aggressiveness = vad_aggressiveness
        self.noise_floor_dbfs = noise_floor_dbfs
        self.decoder_overrides = dict(decoder_overrides or {})

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> PocketsphinxSTT:
        return cls(
            cache_dir=config.get("STT_CACHE_DIR"),
            endpoint_silence_ms=int(config.get("STT_ENDPOINT_SILENCE_MS", 700)),
        )

    def decoder_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"samprate": SAMPLE_RATE_HZ, "loglevel": "ERROR"}
        if self.language_model == "domain":
            files = domain_model(self.cache_dir)
            options |= {"lm": files.lm_path, "dict": files.dict_path, **SEARCH_BEAMS}
        return options | self.decoder_overrides

    async def open_stream(self, sample_rate_hz: int = SAMPLE_RATE_HZ) -> PocketsphinxStream:
        if sample_rate_hz != SAMPLE_RATE_HZ:
            raise ProviderError(
                f"pocketsphinx needs {SAMPLE_RATE_HZ} Hz audio, got {sample_rate_hz}", code="stt_format"
            )
        decoder = await asyncio.to_thread(lambda: Decoder(**self.decoder_options()))
        return PocketsphinxStream(self, decoder)


class PocketsphinxStream:
    """One patient's audio: VAD-gated utterances decoded incrementally in a worker thread."""

    PREROLL_MS = 300
    START_VOICED_MS = 100
    MAX_UTTERANCE_MS = 30_000

    def __init__(self, provider: PocketsphinxSTT, decoder: Decoder) -> None:
        self._provider = provider
        self._decoder = decoder
        self._vad = SpeechDetector(SAMPLE_RATE_HZ, aggressiveness=provider.vad_aggressiveness)
        self._preroll: deque[bytes] = deque(maxlen=self.PREROLL_MS // self._vad.frame_ms)
        self._pending: list[bytes] = []
        self._in_utterance = False
        self._utterance_ms = 0.0
        self._since_interim_ms = 0.0
        self._last_interim = ""
        self._noise = np.random.default_rng(0)
        self._first_utterance: list[bytes] | None = []
        self._audio: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._events: asyncio.Queue[TranscriptEvent | BaseException | None] = asyncio.Queue()
        self._closed = False
        self._worker = asyncio.create_task(self._run())

    async def send_audio(self, pcm16: bytes) -> None:
        if self._closed:
            raise ProviderError("speech stream is closed", code="stt_closed")
        self._audio.put_nowait(pcm16)

    async def events(self) -> AsyncIterator[TranscriptEvent]:
        while (item := await self._events.get()) is not None:
            if isinstance(item, BaseException):
                raise ProviderError(f"speech recognition failed: {item}", code="stt_failed") from item
            yield item

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._audio.put_nowait(None)
        await asyncio.shield(self._worker)

    async def _run(self) -> None:
        try:
            while (pcm16 := await self._audio.get()) is not None:
                await self._consume(pcm16)
            if self._in_utterance:
                await self._end_utterance()
        except Exception as error:  # reported to the reader of events(), which raises ProviderError
            self._events.put_nowait(error)
        finally:
            self._events.put_nowait(None)

    async def _consume(self, pcm16: bytes) -> None:
        for frame in self._vad.frames(pcm16):
            voiced = self._vad.classify(frame)
            if not self._in_utterance:
                self._preroll.append(frame)
                if voiced and self._vad.voiced_ms >= self.START_VOICED_MS:
                    await self._start_utterance()
                continue
            self._pending.append(frame)
            if (
                self._vad.silence_ms >= self._provider.endpoint_silence_ms
                or self._utterance_ms >= self.MAX_UTTERANCE_MS
            ):
                await self._end_utterance()
        if self._in_utterance and self._pending:
            await self._decode_pending()

    async def _start_utterance(self) -> None:
        self._in_utterance = True
        self._utterance_ms = self._since_interim_ms = 0.0
        self._last_interim = ""
        self._pending = list(self._preroll)
        self._preroll.clear()
        await asyncio.to_thread(self._decoder.start_utt)
        self._events.put_nowait(TranscriptEvent("speech_started"))

    async def _decode_pending(self) -> None:
        audio = b"".join(self._pending)
        self._pending = []
        elapsed_ms = duration_ms(audio, SAMPLE_RATE_HZ)
        noisy = self._with_noise_floor(audio)
        if self._first_utterance is not None:
            self._first_utterance.append(noisy)
        await asyncio.to_thread(self._decoder.process_raw, noisy, False, False)
        self._utterance_ms += elapsed_ms
        self._since_interim_ms += elapsed_ms
        if self._since_interim_ms >= self._provider.interim_interval_ms:
            self._since_interim_ms = 0.0
            self._emit_interim()

    def _emit_interim(self) -> None:
        text = self._hypothesis()
        if text and text != self._last_interim:
            self._last_interim = text
            self._events.put_nowait(TranscriptEvent("interim", text))

    async def _end_utterance(self) -> None:
        if self._pending:
            await self._decode_pending()
        await asyncio.to_thread(self._decoder.end_utt)
        if self._first_utterance is not None:
            await asyncio.to_thread(self._redecode, b"".join(self._first_utterance))
            self._first_utterance = None
        self._in_utterance = False
        self._vad.reset()
        text = self._hypothesis()
        if text:
            self._events.put_nowait(TranscriptEvent("final", text, self._confidence()))
        self._events.put_nowait(TranscriptEvent("utterance_end", text))

    def _redecode(self, audio: bytes) -> None:
        """Decode the session's first utterance a second time.

        Live cepstral mean normalisation starts from the acoustic model's training average and
        only adapts to this microphone and voice as utterances end, so the very first one (usually
        the chief complaint) decodes worst; after it, the estimate has moved most of the way.
        """
        self._decoder.start_utt()
        self._decoder.process_raw(audio, False, True)
        self._decoder.end_utt()

    def _hypothesis(self) -> str:
        hypothesis = self._decoder.hyp()
        words = hypothesis.hypstr.split() if hypothesis else []
        return " ".join(word for word in words if not word.startswith(("<", "[", "+")))

    def _confidence(self) -> float | None:
        hypothesis = self._decoder.hyp()
        return float(self._decoder.get_logmath().exp(hypothesis.prob)) if hypothesis else None

    def _with_noise_floor(self, audio: bytes) -> bytes:
        """Mix in a faint microphone-like noise floor.

        pocketsphinx's MFCC front end (log filter-bank energies, noise removal) degrades badly
        on digitally silent stretches, which synthetic speech and aggressive browser noise
        suppression both produce; a -50 dBFS floor is what a real microphone would add anyway.
        """
        samples = np.frombuffer(audio, dtype=np.int16).astype(np.float32)
        sigma = 32768 * 10 ** (self._provider.noise_floor_dbfs / 20)
        noisy = samples + self._noise.normal(0.0, sigma, samples.shape)
        return np.clip(noisy, -32768, 32767).astype(np.int16).tobytes()

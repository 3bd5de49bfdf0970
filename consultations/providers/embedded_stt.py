"""Offline speech recognition: pocketsphinx with a domain language model, webrtcvad endpointing.

pocketsphinx's generic en-US model is close to useless on symptom talk (it hears "chest pain"
as anything from broadcast news), and a model of intake sentences alone is deaf to everything
patients say around their symptoms ("can you tell me what i should do", "my back went"). So the
recogniser uses a mixture: a Kneser-Ney trigram model of ``data/stt_corpus.txt`` (patient intake
sentences, see ``stt_corpus.py``) interpolated with the general-English trigram model that ships
in the pocketsphinx wheel, restricted to its commonest words plus the domain's. The mixed model
(binary) and a pronunciation dictionary restricted to its vocabulary are built on first use and
cached on disk, keyed by a hash of their sources, so every process after the first loads them in
milliseconds.
"""

from __future__ import annotations

import asyncio
import functools
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
from pocketsphinx import Config, Decoder, LogMath, NGramModel, get_model_path

from consultations.pipeline.audio import SpeechDetector, duration_ms
from consultations.providers.base import ProviderError, TranscriptEvent
from consultations.providers.sphinx_trie import read_sphinx_trie
from consultations.providers.stt_corpus import dictionary_words
from consultations.providers.stt_lm import START, KneserNeyTrigram, interpolate

DATA_DIR = Path(__file__).parent / "data"
CORPUS_PATH = DATA_DIR / "stt_corpus.txt"
EXTRA_DICT_PATH = DATA_DIR / "stt_extra.dict"
GENERAL_MODEL_PATH = Path(get_model_path("en-us/en-us.lm.bin"))
GENERAL_DICT_PATH = Path(get_model_path("en-us/cmudict-en-us.dict"))
SAMPLE_RATE_HZ = 16000
# The general model's most probable words that join the vocabulary, and the domain model's share
# of the mixture; both chosen on the development sentences (bench/data/stt_dev_sentences.txt).
GENERAL_VOCABULARY_SIZE = 10000
DOMAIN_WEIGHT = 0.8
# Wider search beams than pocketsphinx's defaults (1e-48 / 7e-29 / 1e-48): a point less WER on the
# development sentences for ~15 % more decoding CPU.
SEARCH_OPTIONS = {"beam": 1e-60, "wbeam": 1e-40, "pbeam": 1e-60}
# A one-word grammar: searching it costs almost nothing, so a pass under it only feeds the front
# end (moving the cepstral mean towards this voice) without decoding the audio again. Three passes
# before the first utterance's final decode: development WER of each sentence spoken as the first
# of its session 17.8 % with one pass, 16.8 % with two, 14.9 % with three, 15.1-15.6 % with 5-10.
CALIBRATION_PASSES = 3
CALIBRATION_SEARCH = "_calibrate"
CALIBRATION_GRAMMAR = "#JSGF V1.0; grammar calibrate; public <utterance> = the;"
LM_VERSION = "kneser-ney-trigram-mixed-with-general-1"  # part of the cache key
_BUILD_LOCK = threading.Lock()


@dataclass(frozen=True)
class ModelFiles:
    lm_path: str
    dict_path: str


def default_cache_dir() -> Path:
    return Path(tempfile.gettempdir()) / "healthhelper-stt"


def domain_model(cache_dir: str | Path | None = None) -> ModelFiles:
    """Paths of the domain language model and dictionary, building them if not cached yet."""
    sources = [CORPUS_PATH, EXTRA_DICT_PATH, GENERAL_MODEL_PATH, GENERAL_DICT_PATH]
    fingerprint = b"".join(_content_hash(str(path), *_stamp(path)) for path in sources)
    fingerprint += f"{LM_VERSION} {GENERAL_VOCABULARY_SIZE} {DOMAIN_WEIGHT}".encode()
    key = hashlib.sha256(fingerprint).hexdigest()[:16]
    folder = Path(cache_dir) if cache_dir else default_cache_dir()
    files = ModelFiles(str(folder / f"domain-{key}.lm.bin"), str(folder / f"domain-{key}.dict"))
    with _BUILD_LOCK:
        if not (os.path.exists(files.lm_path) and os.path.exists(files.dict_path)):
            folder.mkdir(parents=True, exist_ok=True)
            _build(files)
    return files


def _stamp(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_size, status.st_mtime_ns


@functools.lru_cache(maxsize=16)
def _content_hash(path: str, size: int, mtime_ns: int) -> bytes:
    """SHA-256 of a source file, remembered while its size and mtime stay (each session asks)."""
    return hashlib.sha256(Path(path).read_bytes()).digest()


def _build(files: ModelFiles) -> None:
    sentences = [line.split() for line in CORPUS_PATH.read_text(encoding="utf-8").splitlines() if line.strip()]
    pronounceable = dictionary_words(GENERAL_DICT_PATH, EXTRA_DICT_PATH)
    general = read_sphinx_trie(GENERAL_MODEL_PATH)
    by_probability = np.argsort(-general.unigram_logp, kind="stable")
    common = [
        word
        for word in (general.words[i] for i in by_probability)
        if word in pronounceable and re.fullmatch(r"[a-z][a-z']*", word)
    ][:GENERAL_VOCABULARY_SIZE]
    domain = KneserNeyTrigram(sentences, extra_vocabulary=common)
    words = sorted(domain.vocabulary | {START})
    mixture = interpolate(
        [domain.to_backoff(words), general.reindexed(words)],
        [DOMAIN_WEIGHT, 1.0 - DOMAIN_WEIGHT],
    )
    with tempfile.TemporaryDirectory(dir=os.path.dirname(files.lm_path)) as scratch:
        arpa_path = os.path.join(scratch, "mixture.arpa")
        mixture.write_arpa(arpa_path)
        # pocketsphinx parses a large ARPA file in seconds but maps its binary form in milliseconds
        binary = NGramModel(Config(loglevel="ERROR"), LogMath(), arpa_path)
        _write_atomically(files.lm_path, lambda path: binary.write(path, NGramModel.str_to_type("bin")))
    vocabulary = domain.vocabulary - {"</s>"}
    lexicon = _lexicon_lines(vocabulary)
    _write_atomically(files.dict_path, lambda path: Path(path).write_text("".join(lexicon), encoding="utf-8"))


def _lexicon_lines(vocabulary: set[str]) -> list[str]:
    lines = []
    for path in (GENERAL_DICT_PATH, EXTRA_DICT_PATH):
        with open(path, encoding="utf-8") as lexicon:
            lines += [line for line in lexicon if re.sub(r"\(\d+\)$", "", line.split(maxsplit=1)[0]) in vocabulary]
    return lines


def _write_atomically(path: str, write: Any) -> None:
    """Write through a temporary file so a concurrent process never reads half a model."""
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path))
    os.close(handle)
    write(temporary)
    os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide a model built by `make run` from another user
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
            options |= {"lm": files.lm_path, "dict": files.dict_path, **SEARCH_OPTIONS}
        return options | self.decoder_overrides

    async def open_stream(self, sample_rate_hz: int = SAMPLE_RATE_HZ) -> PocketsphinxStream:
        if sample_rate_hz != SAMPLE_RATE_HZ:
            raise ProviderError(
                f"pocketsphinx needs {SAMPLE_RATE_HZ} Hz audio, got {sample_rate_hz}", code="stt_format"
            )
        decoder = await asyncio.to_thread(self._new_decoder)
        return PocketsphinxStream(self, decoder)

    def _new_decoder(self) -> Decoder:
        decoder = Decoder(**self.decoder_options())
        decoder.add_jsgf_string(CALIBRATION_SEARCH, CALIBRATION_GRAMMAR)
        return decoder


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
        """Decode the session's first utterance again once the recogniser has adapted to this voice.

        Live cepstral mean normalisation starts from the acoustic model's training average and
        only moves towards this microphone and voice as utterances end, so the very first one
        (usually the chief complaint) decodes worst. Calibration passes under a one-word grammar
        end utterances of this audio (moving the estimate) at almost no cost; the final pass
        decodes it with the language model, and its words are the final transcript: about
        0.26 times the utterance's length, once per session (two full decodes took 0.51).
        """
        language_model_search = self._decoder.current_search()
        self._decoder.activate_search(CALIBRATION_SEARCH)
        for _ in range(CALIBRATION_PASSES):
            self._decoder.start_utt()
            self._decoder.process_raw(audio, True, False)
            self._decoder.end_utt()
        self._decoder.activate_search(language_model_search)
        self._decoder.start_utt()
        self._decoder.process_raw(audio, False, False)
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

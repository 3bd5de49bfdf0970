"""The offline engines: pocketsphinx with the domain language model, and espeak-ng."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings
from scipy.signal import resample_poly

from consultations.providers.base import TranscriptEvent
from consultations.providers.embedded_stt import PocketsphinxSTT, domain_model
from consultations.providers.embedded_tts import SAMPLE_RATE_HZ, EspeakCommand, EspeakTTS

STT_RATE_HZ = 16000


async def spoken(text: str, voice: str = "en-us") -> bytes:
    """``text`` read by espeak-ng, resampled from 22,050 Hz to 16 kHz PCM16."""
    pcm = b"".join([chunk async for chunk in EspeakTTS(voice=voice).synthesize(text)])
    samples = resample_poly(np.frombuffer(pcm, dtype=np.int16).astype(np.float32), 320, 441)
    return np.clip(samples, -32768, 32767).astype(np.int16).tobytes()


async def transcribe(stt: PocketsphinxSTT, audio: bytes) -> list[TranscriptEvent]:
    """Stream ``audio`` in 20 ms frames with a second of silence either side; collect all events."""
    stream = await stt.open_stream(STT_RATE_HZ)
    silence = bytes(STT_RATE_HZ * 2)
    padded = silence + audio + silence
    for start in range(0, len(padded), 640):
        await stream.send_audio(padded[start : start + 640])
    await stream.close()
    return [event async for event in stream.events()]


@pytest.fixture(scope="module")
def stt() -> PocketsphinxSTT:
    # The app's own model cache: building the model takes seconds, so the suite builds it once.
    return PocketsphinxSTT.from_config(settings.VOICE_PROVIDERS)


async def test_pocketsphinx_understands_a_spoken_symptom(stt: PocketsphinxSTT) -> None:
    events = await transcribe(stt, await spoken("I have had chest pain for two days"))
    kinds = [event.kind for event in events]
    assert kinds[0] == "speech_started" and kinds[-2:] == ["final", "utterance_end"]
    assert "chest pain" in events[-1].text


async def test_pocketsphinx_understands_everyday_words_the_intake_corpus_lacks(stt: PocketsphinxSTT) -> None:
    # No corpus sentence has "think it is": the general-English half of the model carries it.
    events = await transcribe(stt, await spoken("what do you think it is"))
    assert events[-1].text == "what do you think it is"


async def test_utterances_after_the_first_are_decoded_with_the_language_model_again(stt: PocketsphinxSTT) -> None:
    # The first utterance's calibration passes run under a one-word grammar; the next must not.
    pause = bytes(STT_RATE_HZ * 2)
    audio = await spoken("what do you think it is") + pause + await spoken("I have had chest pain for two days")
    finals = [event.text for event in await transcribe(stt, audio) if event.kind == "final"]
    assert len(finals) == 2 and "chest pain" in finals[1]


async def test_pocketsphinx_reports_interim_words_while_the_patient_talks(stt: PocketsphinxSTT) -> None:
    events = await transcribe(stt, await spoken("my left knee is swollen and it hurts when I walk"))
    interims = [event.text for event in events if event.kind == "interim"]
    assert interims and all(interim for interim in interims)


async def test_silence_and_a_click_are_not_an_utterance(stt: PocketsphinxSTT) -> None:
    click = (np.hanning(160) * 20000).astype(np.int16).tobytes()
    assert await transcribe(stt, click) == []


async def test_the_domain_model_is_built_once_and_reused(stt: PocketsphinxSTT) -> None:
    first = domain_model(stt.cache_dir)
    built_at = Path(first.lm_path).stat().st_mtime_ns
    assert domain_model(stt.cache_dir) == first and Path(first.lm_path).stat().st_mtime_ns == built_at
    assert "chest" in Path(first.dict_path).read_text().split()


async def test_espeak_speaks_pcm16_of_a_plausible_length() -> None:
    pcm = b"".join([chunk async for chunk in EspeakTTS().synthesize("Hello, how are you feeling today?")])
    seconds = len(pcm) / 2 / SAMPLE_RATE_HZ
    samples = np.frombuffer(pcm, dtype=np.int16)
    assert len(pcm) % 2 == 0 and 1.0 < seconds < 4.0 and np.abs(samples).max() > 3000


async def test_an_espeak_stream_speaks_sentences_in_order_and_stops_on_cancel() -> None:
    tts = EspeakTTS()
    stream = await tts.open_stream()
    await stream.push_text("One.")
    await stream.push_text("Two and three and four and five and six.")
    await stream.finish()
    whole = sum([len(chunk) async for chunk in stream.audio()])

    stream = await tts.open_stream()
    await stream.push_text("This sentence will be cut off after the first chunk of audio arrives. " * 5)
    received = 0
    async for chunk in stream.audio():
        received += len(chunk)
        await stream.cancel()
    assert whole > SAMPLE_RATE_HZ and received < SAMPLE_RATE_HZ  # less than half a second got through


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="Debian espeak-ng is not installed")
async def test_the_espeak_command_is_a_working_fallback() -> None:
    tts = EspeakTTS(backend=EspeakCommand(shutil.which("espeak-ng") or ""))
    chunks = await asyncio.wait_for(_collect(tts, "Please describe your symptoms."), 5)
    assert sum(map(len, chunks)) > SAMPLE_RATE_HZ


async def _collect(tts: EspeakTTS, text: str) -> list[bytes]:
    return [chunk async for chunk in tts.synthesize(text)]

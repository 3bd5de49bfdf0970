"""Word error rate of the embedded recogniser on held-out intake sentences spoken by espeak-ng.

Each voice reads the held-out sentences (written separately from the language-model corpus;
the script checks none appears in it verbatim) into one streaming session, as a patient would,
with pauses between sentences; the VAD endpointing segments them. Audio is synthesised at
22,050 Hz by the embedded TTS and resampled to 16 kHz. WER is computed over the whole session
transcript after normalising case, punctuation and contractions ("can't" == "can not").

    python bench/stt_wer.py                      # domain LM vs generic model, three voices
    python bench/stt_wer.py --skip-generic --extra-voices en-gb --verbose
    python bench/stt_wer.py --skip-generic --first-utterances   # each sentence opens its own session
    python bench/stt_wer.py --skip-generic --sentences bench/data/stt_blind_sentences.txt

Sentence sets: the held-out list below (default); ``bench/data/stt_dev_sentences.txt``, the only
one to tune on; ``stt_blind_sentences.txt``, 80 sentences by a separate AI writer who never saw the
language-model corpus; ``stt_medicine_sentences.txt``, named medicines in free phrasing. A test
keeps every one of them out of the corpus.

Prints a table and, last, one JSON line. espeak-ng's synthesis is random (every call gives
different samples), so figures move by about half a point between runs; compare two recogniser
settings on the same synthesised audio, not across runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Literal

import numpy as np
from scipy.signal import resample_poly

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from consultations.providers.embedded_stt import CORPUS_PATH, PocketsphinxSTT
from consultations.providers.embedded_tts import EspeakTTS

HELD_OUT = [
    "my daughter has had a high temperature since yesterday evening",
    "he keeps coughing at night and can't sleep",
    "i've got a really bad pain under my ribs on the right",
    "the pain comes in waves every few minutes",
    "i've been feeling faint and a bit shaky all morning",
    "my chest feels heavy when i climb the hill to work",
    "i woke up with a stiff neck and a headache",
    "there's blood when i blow my nose",
    "my stomach feels bloated and i keep burping",
    "it hurts at the back of my throat when i swallow food",
    "i keep needing to pee during the night",
    "my left eye is red and sore and it's watering",
    "i've had a dry cough for nearly three weeks",
    "i bumped my knee and now it's swollen and warm",
    "i think i've got food poisoning",
    "my skin has come out in a rash after i started the new tablets",
    "my heart is pounding and i feel sweaty",
    "i'm finding it hard to breathe when i walk",
    "my back went when i bent down to pick something up",
    "i've got pins and needles in my fingers",
    "she's been sick three times today",
    "he's seven years old",
    "i'm forty six",
    "i'm on blood pressure tablets and a statin",
    "i take an inhaler when i need it",
    "i don't have any allergies that i know of",
    "i'm allergic to penicillin and plasters",
    "i'd say the pain is about a five",
    "it's a nine out of ten at its worst",
    "the headache gets worse when i bend forward",
    "it's a bit better when i sit up",
    "it started after i got back from holiday",
    "i've had it on and off for a couple of months",
    "i've had diabetes for about ten years",
    "my dad had a stroke when he was sixty",
    "i smoke about ten a day",
    "i drink maybe two glasses of wine most nights",
    "i've been under a lot of stress at work",
    "i haven't been eating properly",
    "my ankles swell up by the end of the day",
    "i get breathless lying flat",
    "i've been passing a lot of wind",
    "there's a sharp pain when i take a deep breath in",
    "i feel sick and i've got diarrhoea",
    "my temperature was thirty nine this morning",
    "i took two paracetamol an hour ago",
    "it didn't make any difference",
    "yes i've had this before",
    "no it's the first time",
    "i'm not sure how long it's been",
    "the pain is on the left side of my head",
    "it feels tight like a band around my forehead",
    "i can't put any weight on my foot",
    "my wrist clicks when i move it",
    "my throat feels like it's closing",
    "my lips and tongue are swelling up",
    "i think i'm going to faint",
    "the pain is spreading up into my jaw",
    "i'm really worried about this lump",
    "can you tell me what i should do",
]
LanguageModel = Literal["domain", "generic"]
DEFAULT_VOICES = ["en-us", "en-us+f2", "en-us+klatt"]
TARGET_WER = 0.15
STT_RATE_HZ = 16000
FRAME_BYTES = 640
PAUSE_S = 1.2
CONTRACTIONS = {
    "can't": "can not", "cannot": "can not", "don't": "do not", "doesn't": "does not", "didn't": "did not",
    "haven't": "have not", "hasn't": "has not", "isn't": "is not", "aren't": "are not", "wasn't": "was not",
    "won't": "will not", "i'm": "i am", "i've": "i have", "i'd": "i would", "i'll": "i will", "it's": "it is",
    "that's": "that is", "there's": "there is", "he's": "he is", "she's": "she is", "you're": "you are",
}  # fmt: skip
BRITISH_SPELLINGS = {"diarrhoea": "diarrhea", "anaemia": "anemia", "oedema": "edema", "haemorrhoids": "hemorrhoids"}


def normalise(text: str) -> list[str]:
    words = re.sub(r"[^a-z' ]", " ", text.lower()).split()
    words = [BRITISH_SPELLINGS.get(word, word) for word in words]
    return " ".join(CONTRACTIONS.get(word, word) for word in words).split()


def edit_distance(reference: list[str], hypothesis: list[str]) -> int:
    row = list(range(len(hypothesis) + 1))
    for i, ref_word in enumerate(reference, 1):
        previous, row[0] = row[:], i
        for j, hyp_word in enumerate(hypothesis, 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word))
    return row[-1]


async def speak(voice: str, sentences: list[str], rate_wpm: int) -> list[bytes]:
    tts = EspeakTTS(voice=voice, rate_wpm=rate_wpm)
    clips = []
    for sentence in sentences:
        pcm = b"".join([chunk async for chunk in tts.synthesize(sentence)])
        samples = resample_poly(np.frombuffer(pcm, dtype=np.int16).astype(np.float32), 320, 441)
        clips.append(np.clip(samples, -32768, 32767).astype(np.int16).tobytes())
    return clips


async def transcribe(
    clips: list[bytes], language_model: LanguageModel, decoder: dict[str, Any], first_utterances: bool = False
) -> list[str]:
    stt = PocketsphinxSTT(language_model=language_model, decoder_overrides=decoder)
    if first_utterances:  # each sentence is the opening of its own session, before any adaptation
        return [text for clip in clips for text in await _session(stt, [clip])]
    return await _session(stt, clips)


async def _session(stt: PocketsphinxSTT, clips: list[bytes]) -> list[str]:
    stream = await stt.open_stream(STT_RATE_HZ)
    utterances: list[str] = []

    async def collect() -> None:
        async for event in stream.events():
            if event.kind == "utterance_end" and event.text:
                utterances.append(event.text)

    reader = asyncio.create_task(collect())
    pause = bytes(int(STT_RATE_HZ * PAUSE_S) * 2)
    for clip in clips:
        audio = pause + clip
        for offset in range(0, len(audio), FRAME_BYTES):
            await stream.send_audio(audio[offset : offset + FRAME_BYTES])
    await stream.send_audio(pause)
    await stream.close()
    await reader
    return utterances


def score(sentences: list[str], utterances: list[str]) -> tuple[int, int]:
    reference = [word for sentence in sentences for word in normalise(sentence)]
    hypothesis = [word for utterance in utterances for word in normalise(utterance)]
    return edit_distance(reference, hypothesis), len(reference)


def run_voice(
    voice: str,
    models: list[LanguageModel],
    sentences: list[str],
    rate_wpm: int,
    verbose: bool,
    decoder: dict[str, Any],
    first_utterances: bool = False,
) -> dict:
    clips = asyncio.run(speak(voice, sentences, rate_wpm))
    result: dict = {"voice": voice}
    for model in models:
        started = time.perf_counter()
        utterances = asyncio.run(transcribe(clips, model, decoder, first_utterances))
        errors, words = score(sentences, utterances)
        result[model] = {"errors": errors, "words": words, "seconds": round(time.perf_counter() - started, 1)}
        if verbose and len(utterances) == len(sentences):
            for sentence, utterance in zip(sentences, utterances, strict=True):
                if normalise(sentence) != normalise(utterance):
                    print(f"  [{voice} {model}] {sentence!r} -> {utterance!r}", flush=True)
    return result


def corpus_overlap(sentences: list[str]) -> int:
    corpus = set(CORPUS_PATH.read_text(encoding="utf-8").splitlines())
    return sum(sentence in corpus for sentence in sentences)


def _option_value(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return {"yes": True, "no": False}.get(text, text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voices", default=",".join(DEFAULT_VOICES))
    parser.add_argument("--extra-voices", default="", help="reported, but not part of the overall figure")
    parser.add_argument("--skip-generic", action="store_true")
    parser.add_argument("--sentences", type=Path, help="one sentence per line instead of the held-out set")
    parser.add_argument("--rate-wpm", type=int, default=165, help="espeak-ng speaking rate")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument(
        "--first-utterances",
        action="store_true",
        help="speak each sentence as the first utterance of its own session (no adaptation from earlier ones)",
    )
    parser.add_argument(
        "--decoder", action="append", default=[], metavar="KEY=VALUE", help="pocketsphinx option (tuning; repeatable)"
    )
    args = parser.parse_args()
    decoder = {key: _option_value(value) for key, value in (item.split("=", 1) for item in args.decoder)}

    sentences = args.sentences.read_text().split("\n") if args.sentences else HELD_OUT
    sentences = [line.strip() for line in sentences if line.strip()]
    voices = [v for v in args.voices.split(",") if v]
    extra = [v for v in args.extra_voices.split(",") if v]
    models: list[LanguageModel] = ["domain"] if args.skip_generic else ["domain", "generic"]
    with ProcessPoolExecutor(max_workers=2) as pool:
        jobs = [
            pool.submit(
                run_voice, voice, models, sentences, args.rate_wpm, args.verbose, decoder, args.first_utterances
            )
            for voice in voices + extra
        ]
        results = [job.result() for job in jobs]

    report: dict = {
        "sentences": len(sentences),
        "rate_wpm": args.rate_wpm,
        "corpus_overlap": corpus_overlap(sentences),
        "decoder": decoder,
        "first_utterances": args.first_utterances,
        "voices": {},
    }
    print(f"{'voice':<16}" + "".join(f"{model + ' WER':>14}" for model in models))
    for result in results:
        wers = {model: result[model]["errors"] / result[model]["words"] for model in models}
        report["voices"][result["voice"]] = {f"{m}_wer": round(w, 4) for m, w in wers.items()}
        print(f"{result['voice']:<16}" + "".join(f"{wers[m]:>14.1%}" for m in models))
    for model in models:
        counted = [r[model] for r in results if r["voice"] in voices]
        overall = sum(c["errors"] for c in counted) / sum(c["words"] for c in counted)
        report[f"{model}_wer"] = round(overall, 4)
        print(f"{'overall':<16}{model:>8} {overall:.1%}  (voices: {', '.join(voices)})")
    report["target_wer"] = TARGET_WER
    report["meets_target"] = report["domain_wer"] <= TARGET_WER
    print(json.dumps(report))


if __name__ == "__main__":
    main()

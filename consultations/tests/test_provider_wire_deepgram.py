"""DeepgramSTT against a local server speaking Deepgram's live-streaming protocol."""

from __future__ import annotations

import asyncio

import pytest

from consultations.providers.base import ProviderError, TranscriptEvent
from consultations.providers.deepgram import DeepgramStream, DeepgramSTT
from consultations.tests.wire import until
from consultations.tests.wire.deepgram_server import DeepgramServer, silence_pcm, speech_pcm

API_KEY = "dg-test-key"
HEADACHE = "I have had a headache for three days."
SPEECH_THEN_SILENCE = speech_pcm(600) + silence_pcm(1200)
FRAME_BYTES = 640  # 20 ms at 16 kHz


async def open_stream(server: DeepgramServer, **options: float) -> DeepgramStream:
    return await DeepgramSTT(API_KEY, url=server.url, **options).open_stream(16000)


async def send(stream: DeepgramStream, pcm: bytes) -> None:
    for start in range(0, len(pcm), FRAME_BYTES):
        await stream.send_audio(pcm[start : start + FRAME_BYTES])


async def collect(stream: DeepgramStream) -> list[TranscriptEvent]:
    return [event async for event in stream.events()]


async def transcribe(server: DeepgramServer, pcm: bytes) -> list[TranscriptEvent]:
    stream = await open_stream(server)
    events = asyncio.create_task(collect(stream))
    await send(stream, pcm)
    await stream.close()
    return await events


async def test_speech_then_silence_gives_interims_a_final_and_one_utterance_end():
    async with DeepgramServer((HEADACHE,)) as server:
        events = await transcribe(server, SPEECH_THEN_SILENCE)

    assert [event.kind for event in events] == [
        "speech_started",
        "interim",
        "interim",
        "interim",
        "final",
        "utterance_end",
    ]
    assert [event.text for event in events[1:4]] == ["I", "I have", "I have had"]
    assert events[4] == TranscriptEvent("final", HEADACHE, 0.98)
    assert events[5] == TranscriptEvent("utterance_end", HEADACHE)


async def test_utterance_end_message_ends_the_turn_when_speech_final_never_comes():
    async with DeepgramServer((HEADACHE,), speech_final=False) as server:
        events = await transcribe(server, SPEECH_THEN_SILENCE)

    assert [event.kind for event in events][-2:] == ["final", "utterance_end"]
    assert events[-1].text == HEADACHE


async def test_finals_before_utterance_end_are_joined_into_one_utterance():
    pause_longer_than_endpointing = silence_pcm(400)
    audio = speech_pcm(300) + pause_longer_than_endpointing + speech_pcm(300) + silence_pcm(1200)
    async with DeepgramServer(("My chest hurts.", "Since this morning."), speech_final=False) as server:
        events = await transcribe(server, audio)

    assert [event.text for event in events if event.kind == "final"] == ["My chest hurts.", "Since this morning."]
    assert [event for event in events if event.kind == "utterance_end"] == [
        TranscriptEvent("utterance_end", "My chest hurts. Since this morning.")
    ]


async def test_handshake_carries_model_audio_format_endpointing_and_token():
    async with DeepgramServer() as server:
        await transcribe(server, silence_pcm(100))

    session = server.sessions[0]
    assert session.headers["Authorization"] == f"Token {API_KEY}"
    assert session.query == {
        "model": "nova-3-medical",
        "encoding": "linear16",
        "sample_rate": "16000",
        "channels": "1",
        "interim_results": "true",
        "endpointing": "300",
        "utterance_end_ms": "1000",
        "vad_events": "true",
        "smart_format": "true",
    }


async def test_wrong_key_is_refused_with_an_auth_provider_error():
    async with DeepgramServer(api_key="the-real-key") as server:
        with pytest.raises(ProviderError) as refused:
            await open_stream(server)

    assert refused.value.code == "stt_auth"
    assert refused.value.user_message


async def test_keepalive_is_sent_as_a_text_frame_while_no_audio_flows():
    async with DeepgramServer() as server:
        stream = await open_stream(server, keepalive_s=0.05)
        await asyncio.sleep(0.3)
        await stream.close()

    session = server.sessions[0]
    assert len(session.messages_of_type("KeepAlive")) >= 2
    assert session.binary_messages == 0


async def test_close_sends_closestream_and_still_delivers_the_last_final():
    async with DeepgramServer((HEADACHE,)) as server:
        events = await transcribe(server, speech_pcm(400))

    assert server.sessions[0].text_messages[-1] == {"type": "CloseStream"}
    assert events[-1] == TranscriptEvent("final", HEADACHE, 0.98)


async def test_close_1011_mid_stream_reconnects_and_resends_the_unsettled_audio_in_order():
    first_300_ms = 32000 * 300 // 1000
    async with DeepgramServer((HEADACHE,), close_1011_after_ms=200) as server:
        stream = await open_stream(server)
        events_task = asyncio.create_task(collect(stream))
        await send(stream, SPEECH_THEN_SILENCE[:first_300_ms])
        await until(lambda: len(server.sessions) == 2)
        await send(stream, SPEECH_THEN_SILENCE[first_300_ms:])
        await stream.close()
        events = await events_task

    assert len(server.sessions) == 2
    assert bytes(server.sessions[1].audio) == SPEECH_THEN_SILENCE
    assert events[-2:] == [TranscriptEvent("final", HEADACHE, 0.98), TranscriptEvent("utterance_end", HEADACHE)]


async def test_audio_settled_by_a_final_is_not_resent_after_reconnect():
    final_covers_bytes = 32000 * 900 // 1000  # 600 ms speech + 300 ms endpointing, 16-bit 16 kHz
    async with DeepgramServer((HEADACHE,), close_1011_after_ms=1500) as server:
        events = await transcribe(server, SPEECH_THEN_SILENCE)

    assert bytes(server.sessions[1].audio) == SPEECH_THEN_SILENCE[final_covers_bytes:]
    assert [event.kind for event in events].count("utterance_end") == 1


async def test_a_second_1011_before_any_final_raises_a_provider_error():
    async with DeepgramServer(close_1011_after_ms=200, close_1011_connections=2) as server:
        stream = await open_stream(server)
        with pytest.raises(ProviderError) as lost:
            await send(stream, SPEECH_THEN_SILENCE)
            await collect(stream)
        await stream.close()

    assert lost.value.code == "stt_connection_lost"

"""CartesiaTTS against a local server speaking Cartesia's TTS WebSocket protocol."""

from __future__ import annotations

import pytest

from consultations.providers.base import ProviderError
from consultations.providers.cartesia import CARTESIA_VERSION, CartesiaStream, CartesiaTTS
from consultations.tests.wire import until
from consultations.tests.wire.cartesia_server import CartesiaServer, synthesize_pcm

API_KEY = "sk_car_test"
SAMPLE_RATE_HZ = 24000


async def speak(stream: CartesiaStream, *sentences: str) -> bytes:
    for sentence in sentences:
        await stream.push_text(sentence)
    await stream.finish()
    return b"".join([chunk async for chunk in stream.audio()])


@pytest.fixture
async def server():
    async with CartesiaServer(chunk_delay_s=0.002) as running:
        yield running


@pytest.fixture
async def tts(server):
    provider = CartesiaTTS(API_KEY, url=server.url, sample_rate_hz=SAMPLE_RATE_HZ)
    yield provider
    await provider.aclose()


async def test_sentences_of_one_turn_come_back_as_exactly_their_pcm(tts):
    audio = await speak(await tts.open_stream(), "Hello there.", "How are you?")

    assert audio == synthesize_pcm("Hello there. How are you? ", SAMPLE_RATE_HZ)


async def test_a_turn_is_one_context_continued_then_ended_with_an_empty_transcript(tts, server):
    stream = await tts.open_stream()
    await speak(stream, "Hello there.", "How are you?")

    requests = server.connections[0].requests
    assert [(r["transcript"], r["continue"]) for r in requests] == [
        ("Hello there. ", True),
        ("How are you? ", True),
        ("", False),
    ]
    assert {r["context_id"] for r in requests} == {stream.context_id}


async def test_requests_carry_model_voice_raw_pcm_format_and_zero_buffer_delay(tts, server):
    await speak(await tts.open_stream(), "Hello.")

    request = server.connections[0].requests[0]
    assert request["model_id"] == "sonic-2"
    assert request["voice"] == {"mode": "id", "id": "f786b574-daa5-4673-aa0c-cbe3e8534c02"}
    assert request["output_format"] == {"container": "raw", "encoding": "pcm_s16le", "sample_rate": SAMPLE_RATE_HZ}
    assert request["max_buffer_delay_ms"] == 0


async def test_handshake_sends_bearer_key_and_api_version(tts, server):
    await speak(await tts.open_stream(), "Hello.")

    headers = server.connections[0].headers
    assert headers["Authorization"] == f"Bearer {API_KEY}"
    assert headers["Cartesia-Version"] == CARTESIA_VERSION


async def test_turns_reuse_one_socket_with_a_new_context_each(tts, server):
    first, second = await tts.open_stream(), await tts.open_stream()
    await speak(first, "One.")
    await speak(second, "Two.")

    assert len(server.connections) == 1
    assert first.context_id != second.context_id


async def test_cancel_mid_stream_stops_the_chunks_and_tells_the_server(tts, server):
    stream = await tts.open_stream()
    await stream.push_text("A long answer. " * 20)
    received = []
    async for chunk in stream.audio():
        received.append(chunk)
        if len(received) == 2:
            await stream.cancel()

    await until(lambda: server.connections[0].cancels == [stream.context_id])
    full_audio = synthesize_pcm("A long answer. " * 20, SAMPLE_RATE_HZ)
    assert len(b"".join(received)) < len(full_audio)
    assert server.chunks_sent[stream.context_id] < len(full_audio) // (SAMPLE_RATE_HZ * 20 // 1000 * 2)


async def test_the_turn_after_a_cancel_gets_only_its_own_audio(tts):
    interrupted = await tts.open_stream()
    await interrupted.push_text("A long answer. " * 20)
    await interrupted.cancel()

    audio = await speak(await tts.open_stream(), "Okay.")

    assert audio == synthesize_pcm("Okay. ", SAMPLE_RATE_HZ)


async def test_finishing_a_turn_without_text_ends_its_audio_without_a_request(tts, server):
    assert await speak(await tts.open_stream()) == b""
    assert server.connections[0].requests == []


async def test_an_error_message_fails_that_turn_with_a_provider_error(server):
    tts = CartesiaTTS(API_KEY, url=server.url, model_id="no-such-model")
    with pytest.raises(ProviderError) as failed:
        await speak(await tts.open_stream(), "Hello.")
    await tts.aclose()

    assert failed.value.code == "tts_error"
    assert "no-such-model" in str(failed.value)


async def test_wrong_key_is_refused_with_an_auth_provider_error(server):
    with pytest.raises(ProviderError) as refused:
        await CartesiaTTS("sk_car_wrong", url=server.url).open_stream()

    assert refused.value.code == "tts_auth"

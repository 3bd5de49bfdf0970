"""OpenAICompatLLM against a local OpenAI-compatible server streaming server-sent events."""

from __future__ import annotations

import pytest

from consultations.providers.base import ChatMessage, LLMRequest, ProviderError
from consultations.providers.openai_compat import OpenAICompatLLM
from consultations.tests.wire import until
from consultations.tests.wire.openai_server import OpenAIServer

API_KEY = "sk-test"
SOURCE_LINE = "[1] Headaches — Most headaches are not serious."
HEADACHE = LLMRequest(
    history=[ChatMessage("user", "I have a headache.")],
    system_prompt="You are a careful triage nurse.",
    sources=[{"title": "Headaches", "text": "Most headaches are not serious."}],
    max_tokens=200,
)


async def reply(server: OpenAIServer, api_key: str = API_KEY) -> list[str]:
    llm = OpenAICompatLLM(server.base_url, api_key, "llama-3.1-8b-instruct")
    return [delta async for delta in llm.stream_reply(HEADACHE)]


async def test_content_deltas_stream_until_done():
    with OpenAIServer(("Drink ", "some water ", "and rest.")) as server:
        assert await reply(server) == ["Drink ", "some water ", "and rest."]


async def test_request_asks_for_a_stream_with_system_prompt_sources_and_limits():
    with OpenAIServer() as server:
        await reply(server)

    assert server.requests == [
        {
            "model": "llama-3.1-8b-instruct",
            "messages": [
                {"role": "system", "content": "You are a careful triage nurse.\n\nSources:\n" + SOURCE_LINE},
                {"role": "user", "content": "I have a headache."},
            ],
            "stream": True,
            "max_tokens": 200,
            "temperature": 0.2,
        }
    ]


async def test_events_split_across_packets_are_reassembled():
    with OpenAIServer(("Rest ", "well."), split_events=True) as server:
        assert await reply(server) == ["Rest ", "well."]


async def test_wrong_key_is_refused_with_an_access_denied_provider_error():
    with OpenAIServer() as server:
        with pytest.raises(ProviderError) as refused:
            await reply(server, api_key="sk-wrong")

    assert refused.value.code == "llm_access_denied"


async def test_rate_limit_becomes_a_throttled_provider_error():
    with OpenAIServer(status=429) as server:
        with pytest.raises(ProviderError) as throttled:
            await reply(server)

    assert throttled.value.code == "llm_throttled"


async def test_unreachable_server_is_an_unavailable_provider_error():
    with OpenAIServer() as server:
        base_url = server.base_url
    with pytest.raises(ProviderError) as unreachable:
        await anext(OpenAICompatLLM(base_url, API_KEY, "m").stream_reply(HEADACHE))

    assert unreachable.value.code == "llm_unavailable"


async def test_stopping_iteration_closes_the_connection_so_generation_stops():
    with OpenAIServer(tuple(f"word{n} " for n in range(50)), delta_delay_s=0.02) as server:
        deltas = OpenAICompatLLM(server.base_url, API_KEY, "m").stream_reply(HEADACHE)
        assert await anext(deltas) == "word0 "
        await deltas.aclose()
        await until(server.client_disconnected.is_set)

    assert server.deltas_sent < 50

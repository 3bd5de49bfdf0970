"""BedrockLLM (boto3 ``converse_stream``) against a local server speaking AWS event-stream."""

from __future__ import annotations

import os

import pytest

from consultations.providers.base import ChatMessage, LLMRequest, ProviderError
from consultations.providers.bedrock import BedrockLLM
from consultations.tests.wire import until
from consultations.tests.wire.bedrock_server import BedrockServer
from healthhelper.integrations.bedrock import make_bedrock_runtime_client

MODEL_ID = "anthropic.claude-3-5-sonnet-20240620-v1:0"
REGION = "eu-west-2"
HEADACHE = LLMRequest(
    history=[
        ChatMessage("assistant", "Hello, what brings you here today?"),
        ChatMessage("user", "I have a headache."),
        ChatMessage("assistant", "How long has it lasted?"),
        ChatMessage("user", "Three days."),
        ChatMessage("user", "It gets worse in the morning."),
    ],
    system_prompt="You are a careful triage nurse.",
    sources=[
        {
            "title": "Headaches",
            "text": "Most headaches are not serious.",
            "url": "https://www.nhs.uk/conditions/headaches/",
        },
        {"title": "Red flags", "text": "Sudden severe headache needs urgent care."},
    ],
    max_tokens=300,
)


@pytest.fixture(autouse=True)
def dummy_aws_credentials(monkeypatch):
    """boto3 signs with these; the server verifies the signature with the same pair."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)


def llm_for(server: BedrockServer, max_attempts: int = 1) -> BedrockLLM:
    client = make_bedrock_runtime_client(REGION, server.base_url, max_attempts=max_attempts)
    return BedrockLLM(MODEL_ID, REGION, client=client)


async def reply(llm: BedrockLLM, request: LLMRequest = HEADACHE) -> list[str]:
    return [delta async for delta in llm.stream_reply(request)]


async def test_text_deltas_arrive_in_order():
    with BedrockServer(("Three days ", "is a while. ", "Any fever?")) as server:
        assert await reply(BedrockLLM(MODEL_ID, REGION, endpoint_url=server.base_url)) == [
            "Three days ",
            "is a while. ",
            "Any fever?",
        ]


async def test_request_goes_to_the_model_path_with_low_temperature_and_max_tokens():
    with BedrockServer() as server:
        await reply(llm_for(server))

    request = server.requests[0]
    assert request.model_id == MODEL_ID
    assert request.body["inferenceConfig"] == {"maxTokens": 300, "temperature": 0.2}


async def test_system_prompt_lists_the_numbered_sources():
    with BedrockServer() as server:
        await reply(llm_for(server))

    assert server.requests[0].body["system"] == [
        {
            "text": "You are a careful triage nurse.\n\nSources:\n"
            "[1] Headaches — Most headaches are not serious. (https://www.nhs.uk/conditions/headaches/)\n"
            "[2] Red flags — Sudden severe headache needs urgent care."
        }
    ]


async def test_messages_open_with_the_patient_and_alternate_roles():
    with BedrockServer() as server:
        await reply(llm_for(server))

    assert server.requests[0].body["messages"] == [
        {"role": "user", "content": [{"text": "I have a headache."}]},
        {"role": "assistant", "content": [{"text": "How long has it lasted?"}]},
        {"role": "user", "content": [{"text": "Three days.\nIt gets worse in the morning."}]},
    ]


async def test_throttling_becomes_a_provider_error_with_its_code():
    with BedrockServer(throttle=True) as server:
        with pytest.raises(ProviderError) as throttled:
            await reply(llm_for(server))

    assert throttled.value.code == "llm_throttled"
    assert throttled.value.user_message


async def test_an_exception_inside_the_stream_becomes_a_provider_error_after_the_first_deltas():
    received = []
    with BedrockServer(("Let me ", "think."), stream_exception="modelStreamErrorException") as server:
        with pytest.raises(ProviderError) as failed:
            async for delta in llm_for(server).stream_reply(HEADACHE):
                received.append(delta)

    assert received == ["Let me "]
    assert failed.value.code == "llm_error"


async def test_a_request_signed_with_another_secret_is_refused_as_access_denied():
    with BedrockServer(secret_key="the-real-secret") as server:
        with pytest.raises(ProviderError) as refused:
            await reply(llm_for(server))

    assert refused.value.code == "llm_access_denied"


async def test_stopping_iteration_closes_the_stream_so_generation_stops():
    with BedrockServer(tuple(f"word{n} " for n in range(50)), delta_delay_s=0.02) as server:
        deltas = llm_for(server).stream_reply(HEADACHE)
        assert await anext(deltas) == "word0 "
        await deltas.aclose()
        await until(server.client_disconnected.is_set)

    assert server.deltas_sent < 50

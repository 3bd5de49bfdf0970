"""The production retriever: Bedrock Knowledge Base ``retrieve`` through botocore's Stubber."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.stub import Stubber

from knowledge.retrieval import MAX_K, BedrockKnowledgeBaseRetriever, Passage, get_retriever
from knowledge.tests.test_query import HOSTILE

KB_ID = "KBTEST1234"

ASTHMA_RESULT = {
    "content": {"text": "Asthma is a chronic lung disease.", "type": "TEXT"},
    "location": {"type": "WEB", "webLocation": {"url": "https://medlineplus.gov/asthma.html"}},
    "metadata": {"title": "Asthma", "x-amz-bedrock-kb-source-uri": "https://medlineplus.gov/asthma.html"},
    "score": 0.82,
}
S3_RESULT = {
    "content": {"text": "Insomnia is a common sleep disorder."},
    "location": {"type": "S3", "s3Location": {"uri": "s3://kb-bucket/medlineplus/insomnia.txt"}},
    "score": 0.41,
}


@pytest.fixture
def client() -> object:
    return boto3.client(
        "bedrock-agent-runtime", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )


@pytest.fixture
def stubber(client: object) -> Iterator[Stubber]:
    with Stubber(client) as stub:
        yield stub
        stub.assert_no_pending_responses()


def expected(text: str, k: int) -> dict:
    return {
        "knowledgeBaseId": KB_ID,
        "retrievalQuery": {"text": text},
        "retrievalConfiguration": {"vectorSearchConfiguration": {"numberOfResults": k}},
    }


def test_results_map_to_passages(client: object, stubber: Stubber) -> None:
    stubber.add_response("retrieve", {"retrievalResults": [ASTHMA_RESULT, S3_RESULT]}, expected("wheezing", 2))
    passages = BedrockKnowledgeBaseRetriever(KB_ID, client=client).search("  wheezing ", k=2)
    assert passages == [
        Passage("Asthma is a chronic lung disease.", "Asthma", "https://medlineplus.gov/asthma.html", 0.82),
        Passage("Insomnia is a common sleep disorder.", "insomnia", "s3://kb-bucket/medlineplus/insomnia.txt", 0.41),
    ]


def test_long_queries_are_truncated_and_k_clamped(client: object, stubber: Stubber) -> None:
    stubber.add_response("retrieve", {"retrievalResults": []}, expected("x" * 500, MAX_K))
    assert BedrockKnowledgeBaseRetriever(KB_ID, client=client).search("x" * 5000, k=999) == []


def test_empty_query_does_not_call_bedrock(client: object, stubber: Stubber) -> None:
    assert BedrockKnowledgeBaseRetriever(KB_ID, client=client).search("   ") == []


@pytest.mark.parametrize("query", HOSTILE[:4])
def test_hostile_queries_are_sent_as_plain_text(client: object, stubber: Stubber, query: str) -> None:
    stubber.add_response("retrieve", {"retrievalResults": []}, expected(" ".join(query.split()), 5))
    assert BedrockKnowledgeBaseRetriever(KB_ID, client=client).search(query) == []


def test_service_errors_return_no_passages(client: object, stubber: Stubber) -> None:
    stubber.add_client_error("retrieve", service_error_code="ThrottlingException", http_status_code=429)
    assert BedrockKnowledgeBaseRetriever(KB_ID, client=client).search("asthma") == []


def test_a_configured_knowledge_base_id_selects_bedrock(settings) -> None:
    settings.BEDROCK_KNOWLEDGE_BASE_ID = KB_ID
    retriever = get_retriever()
    assert isinstance(retriever, BedrockKnowledgeBaseRetriever)
    assert retriever.knowledge_base_id == KB_ID

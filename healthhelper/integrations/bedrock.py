"""One way to build an Amazon Bedrock Runtime client, shared by the voice LLM and the reports app.

Timeouts are explicit because botocore's defaults (60 s connect and read) would leave a
patient listening to silence for a minute; retries use botocore's ``adaptive`` mode, which
adds client-side rate limiting on top of the ``standard`` exponential backoff when Bedrock
answers ``ThrottlingException`` (botocore "Retries" guide). ``endpoint_url`` points the
client at a VPC endpoint, a FIPS endpoint or a local test server.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config


def make_bedrock_runtime_client(
    region: str,
    endpoint_url: str | None = None,
    *,
    connect_timeout_s: float = 5.0,
    read_timeout_s: float = 30.0,
    max_attempts: int = 3,
    max_pool_connections: int = 50,
) -> Any:
    """A ``bedrock-runtime`` client.

    ``max_attempts`` counts the first try; ``read_timeout_s`` bounds each socket read, not a
    whole streamed reply.
    """
    config = Config(
        region_name=region,
        connect_timeout=connect_timeout_s,
        read_timeout=read_timeout_s,
        retries={"mode": "adaptive", "total_max_attempts": max_attempts},
        max_pool_connections=max_pool_connections,
    )
    # A session of its own: credentials are resolved for this client, not cached process-wide.
    session = boto3.session.Session()
    return session.client("bedrock-runtime", region_name=region, endpoint_url=endpoint_url or None, config=config)

"""Local servers that speak the production providers' real wire protocols, on 127.0.0.1.

They let the production clients (and end-to-end tests) run without network or keys:
``DeepgramServer`` and ``CartesiaServer`` are WebSocket servers on the running event loop
(``async with``); ``BedrockServer`` and ``OpenAIServer`` are HTTP servers in a background
thread (``with``), because boto3 and the HTTP clients may block.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def until(condition: Callable[[], bool], timeout_s: float = 2.0) -> None:
    """Wait (without blocking the loop) for something a server records from another task or thread."""
    async with asyncio.timeout(timeout_s):
        while not condition():
            await asyncio.sleep(0.01)

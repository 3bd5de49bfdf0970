"""The Redis channel layer, with a receive() whose cancellation is never lost.

channels_redis's ``receive`` can swallow a ``cancel()`` that arrives in the instant between a
Redis reply landing and the task resuming (CPython 3.11 sets ``_must_cancel`` on a waiter that
is already done; the cancel then vanishes somewhere in the redis-py read path and the task goes
back to blocking on BZPOPMIN). A consumer whose socket has gone then never ends: the server
leaks it and an event loop shutting down waits for it forever. Here the library's receive runs
as an inner task that is cancelled until it actually stops.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from channels_redis.core import RedisChannelLayer as _LibraryRedisChannelLayer

CANCEL_RETRY_S = 0.05


class RedisChannelLayer(_LibraryRedisChannelLayer):
    async def receive(self, channel: str) -> Any:
        inner = asyncio.ensure_future(super().receive(channel))
        try:
            return await asyncio.shield(inner)
        except asyncio.CancelledError:
            await _cancel_until_done(inner)
            raise


async def _cancel_until_done(task: asyncio.Future[Any]) -> None:
    while not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait({task}, timeout=CANCEL_RETRY_S)
    if not task.cancelled():
        task.exception()  # retrieved, so asyncio does not log it as never retrieved

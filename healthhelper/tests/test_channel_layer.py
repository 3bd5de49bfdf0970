"""The Redis channel layer's receive() always ends when its consumer is cancelled."""

from __future__ import annotations

import asyncio
import random

import pytest
from django.conf import settings

from conftest import require_service
from healthhelper.channel_layer import RedisChannelLayer

pytestmark = pytest.mark.services
ATTEMPTS = 300


async def test_a_cancelled_receive_always_stops() -> None:
    """channels_redis alone loses about one cancel in fifty when it lands as a Redis reply arrives."""
    require_service("REDIS_URL", bool(settings.REDIS_URL))
    layer = RedisChannelLayer(hosts=[{"address": settings.REDIS_URL, "socket_timeout": 15}])
    rng = random.Random(7)
    stuck = 0
    for _ in range(ATTEMPTS):
        channel = await layer.new_channel()
        receiving = asyncio.ensure_future(layer.receive(channel))
        await asyncio.sleep(rng.uniform(0, 0.005))
        receiving.cancel()
        done, _ = await asyncio.wait({receiving}, timeout=2)
        stuck += not done
    await layer.flush()
    assert stuck == 0


async def test_receive_still_delivers_messages() -> None:
    require_service("REDIS_URL", bool(settings.REDIS_URL))
    layer = RedisChannelLayer(hosts=[{"address": settings.REDIS_URL}])
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "hello", "n": 1})
    assert await asyncio.wait_for(layer.receive(channel), 5) == {"type": "hello", "n": 1}
    await layer.flush()

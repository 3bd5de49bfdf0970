"""Where a web process's voice sessions hand over what must be saved: turns and assessments.

Every consultation on this process adds its events to one outbox; each flush, a fifth of a second
after the first event arrives, becomes one ``save_voice_events`` task message for all of them.
Under load that is one broker round trip and one worker task for dozens of patients instead of
one each: publishing a Celery message costs the web process about half a millisecond of
CPU, and the worker spends more on each task's overhead than on the inserts.

Saving stays in order per consultation (one task, processed in order) and off the audio path.
``send`` returns once the events are with the broker (or saved, embedded), so a socket that drains
its saves before closing leaves nothing behind for a reconnect on another node to miss.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import sync_to_async
from django.db import close_old_connections, connections

from consultations import services, tasks

logger = logging.getLogger(__name__)

# Nothing waits on a save but a closing socket; a longer linger means fewer, fuller task messages
# (200 patients: 30 ms gave ~65 tasks a second, and the worker's CPU competed with the audio).
LINGER_S = 0.2
# Its own threads: Channels runs every consumer's other database work (signing the socket in,
# loading the consultation) on one shared thread, and new connections must not wait behind saves.
WRITER_THREAD_COUNT = 2
_WRITER_THREADS = ThreadPoolExecutor(max_workers=WRITER_THREAD_COUNT, thread_name_prefix="consultation-writes")

Batch = list[tuple[int, list[dict[str, Any]]]]


class Outbox:
    def __init__(self, linger_s: float = LINGER_S) -> None:
        self.linger_s = linger_s
        self._batch: Batch = []
        self._delivered: asyncio.Future[None] | None = None

    async def send(self, consultation_id: int, events: list[dict[str, Any]]) -> None:
        """Queue one consultation's events and wait until they are handed over."""
        if not events:
            return
        loop = asyncio.get_running_loop()
        if self._delivered is None or self._delivered.get_loop() is not loop:  # a new loop: a test's
            self._batch, self._delivered = [], loop.create_future()
            loop.call_later(self.linger_s, self._flush)
        self._batch.append((consultation_id, events))
        await asyncio.shield(self._delivered)

    def _flush(self) -> None:
        batch, delivered = self._batch, self._delivered
        self._batch, self._delivered = [], None
        task = asyncio.ensure_future(_hand_over(batch))
        task.add_done_callback(lambda _: delivered.set_result(None) if delivered else None)


async def _hand_over(batch: Batch) -> None:
    try:
        await sync_to_async(publish, thread_sensitive=False, executor=_WRITER_THREADS)(batch)
    except Exception:
        logger.exception("voice saves of %d consultations failed", len(batch))


def publish(batch: Batch) -> None:
    """To the save task (a worker process when a broker is configured); embedded, save right here."""
    close_old_connections()  # as Channels' database_sync_to_async does around each call
    try:
        if tasks.save_voice_events.app.conf.task_always_eager:
            services.save_voice_events(batch)
            return
        try:
            tasks.save_voice_events.delay(batch)
        except Exception:  # the broker is down: save here rather than lose what the patients said
            logger.exception("could not queue the saves of %d consultations; saving them here", len(batch))
            services.save_voice_events(batch)
    finally:
        close_old_connections()


def close_writer_connections(timeout_s: float = 5.0) -> None:
    """Close the writer threads' database connections (test teardown drops the database after this)."""
    close_thread_connections(_WRITER_THREADS, WRITER_THREAD_COUNT, timeout_s)


def close_thread_connections(executor: ThreadPoolExecutor, thread_count: int, timeout_s: float = 5.0) -> None:
    """Close the database connection of each of an executor's threads.

    A barrier makes every thread take one of the calls, so each closes its own connection.
    """
    barrier = threading.Barrier(thread_count, timeout=timeout_s)

    def close() -> None:
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        connections.close_all()

    for future in [executor.submit(close) for _ in range(thread_count)]:
        future.result(timeout=timeout_s * 2)


OUTBOX = Outbox()

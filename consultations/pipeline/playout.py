"""Sends assistant audio to the browser in small frames, paced to playback speed.

Synthesis usually runs far faster than real time. Dumping a whole reply into the socket
would make barge-in useless (the browser would hold seconds of audio we can no longer
take back) and would hide from us what the patient has actually heard. So, like Pipecat's
output transport, frames go out only a little ahead of playback (``lead_ms``, enough to
ride over network jitter), and everything not yet sent can be dropped at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from consultations.pipeline.audio import SAMPLE_WIDTH_BYTES, duration_ms, frame_bytes


class Playout:
    def __init__(
        self,
        send_audio: Callable[[bytes], Awaitable[None]],
        sample_rate_hz: int,
        *,
        clock: Callable[[], float],
        frame_ms: int = 40,
        lead_ms: int = 300,
    ) -> None:
        self._send_audio = send_audio
        self.sample_rate_hz = sample_rate_hz
        self._clock = clock
        self._frame_bytes = frame_bytes(sample_rate_hz, frame_ms)
        self._lead_s = lead_ms / 1000
        self._carry = b""
        self.playing_until = 0.0
        self._epoch = 0  # bumped by reset: a play() still pacing its frames stops there

    async def play(self, pcm16: bytes) -> int:
        """Send ``pcm16`` as frames of at most ``frame_ms``, waiting whenever we are ``lead_ms``
        ahead of the browser's playback. Returns the number of frames sent."""
        epoch = self._epoch
        data = self._carry + pcm16
        usable = len(data) // SAMPLE_WIDTH_BYTES * SAMPLE_WIDTH_BYTES
        self._carry = data[usable:]
        sent = 0
        for start in range(0, usable, self._frame_bytes):
            if not await self._send_frame(data[start : min(start + self._frame_bytes, usable)], epoch):
                break
            sent += 1
        return sent

    async def _send_frame(self, frame: bytes, epoch: int) -> bool:
        ahead_s = self.playing_until - self._clock()
        if ahead_s > self._lead_s:
            await asyncio.sleep(ahead_s - self._lead_s)
        if epoch != self._epoch:
            return False
        await self._send_audio(frame)
        if epoch == self._epoch:  # a reset while it was being sent: the browser flushes it
            self.playing_until = max(self.playing_until, self._clock()) + duration_ms(frame, self.sample_rate_hz) / 1000
        return True

    def is_playing(self) -> bool:
        """Is the browser (by our estimate) still playing audio we sent?"""
        return self.playing_until > self._clock()

    async def wait_until_played(self) -> None:
        remaining_s = self.playing_until - self._clock()
        if remaining_s > 0:
            await asyncio.sleep(remaining_s)

    def reset(self) -> None:
        """Barge-in: forget unsent audio; the browser flushes what it holds on ``interrupted``."""
        self._carry = b""
        self.playing_until = 0.0
        self._epoch += 1

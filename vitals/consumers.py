"""``/ws/vitals/<scan id>/``: the patient's browser streams a measurement and gets live estimates back.

Protocol (issue 6). Client: ``{"type": "samples", "samples": [[t_seconds, r, g, b], ...]}`` and
``{"type": "end"}``. Server: ``{"type": "estimate", "heart_rate_bpm", "snr_db", "progress", "quality",
"guidance", "waveform"}`` about once a second; then one ``{"type": "result", "heart_rate_bpm",
"acceptable", "reason", "snr_db", "duration_s", "method", "reading"}`` (stored first, then the socket
closes); and ``{"type": "error", "code", "message"}`` for malformed input, after which the socket stays
open and what was received so far is kept.

When CAIRE is configured (``settings.CAIRE_API_KEY``) the browser sends ``{"type": "frame", "t":
seconds, "jpeg": base64}`` (or binary JPEG messages) instead; they are relayed to CAIRE by
``vitals.caire`` and its estimates come back the same way.

Only the scan's patient may connect (``accounts.access``). Anyone else, signed in or not, is accepted and
at once closed with 4404, so that a browser can tell why, and learns nothing about the scan.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import math
import time
from collections.abc import Awaitable, Callable
from numbers import Real
from typing import Any

import numpy as np
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.http import Http404

from accounts import access
from vitals import services
from vitals.caire import CaireClient, CaireConfig, CaireError, CaireInference
from vitals.models import VitalsScan
from vitals.rppg import HeartRateResult, LiveEstimate, LiveEstimator, SampleError, validate_samples
from vitals.rppg.engine import waveform_snr_db
from vitals.rppg.quality import MIN_SNR_DB

CLOSE_NOT_FOUND = 4404
CLOSE_ALREADY_MEASURED = 4409
CLOSE_UPSTREAM_FAILED = 1011
MEASUREMENT_S = 30.0
ESTIMATE_EVERY_S = 1.0
# A browser that never says "end" still gets a result (and the server's work stays bounded) by then.
MAX_TRACE_S = 3 * MEASUREMENT_S
MAX_MESSAGE_CHARS = 1_000_000
MAX_JPEG_BYTES = 512 * 1024
JPEG_START = b"\xff\xd8"
WAVEFORM_POINTS = 300
# The live signal-quality dot: "fair" from the engine's acceptance threshold, "good" clearly above it.
GOOD_MARGIN_DB = 3.0

Emit = Callable[[dict[str, Any]], Awaitable[None]]


class ProtocolError(Exception):
    """Malformed client input: answered with an ``error`` event, the socket stays open."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


# --- messages ------------------------------------------------------------------------------------


def _parse(text: str) -> dict[str, Any]:
    if len(text) > MAX_MESSAGE_CHARS:
        raise ProtocolError("too_large", f"messages are limited to {MAX_MESSAGE_CHARS} characters")
    try:
        message = json.loads(text)
    except (ValueError, RecursionError):
        raise ProtocolError("bad_json", "the message is not valid JSON") from None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise ProtocolError("bad_message", 'a message is a JSON object with a "type"')
    return message


def _jpeg(data: bytes) -> bytes:
    if len(data) > MAX_JPEG_BYTES or not data.startswith(JPEG_START):
        raise ProtocolError("bad_frame", f"a frame is one JPEG image of at most {MAX_JPEG_BYTES // 1024} KB")
    return data


def _frame_fields(message: dict[str, Any]) -> tuple[bytes, float]:
    """The JPEG and the time (seconds) of a ``{"type": "frame", "t", "jpeg"}`` message."""
    t = message.get("t")
    if isinstance(t, bool) or not isinstance(t, Real) or not math.isfinite(t) or t < 0:
        raise ProtocolError("bad_frame", '"t" must be a non-negative number of seconds')
    try:
        data = base64.b64decode(str(message.get("jpeg", "")), validate=True)
    except (binascii.Error, ValueError):
        raise ProtocolError("bad_frame", '"jpeg" must be base64') from None
    return _jpeg(data), float(t)


def _rounded(value: float | None, digits: int = 2) -> float | None:
    """JSON has no NaN or infinity: a value that could not be computed goes out as null."""
    return None if value is None or not math.isfinite(value) else round(float(value), digits)


def signal_quality(snr_db: float | None) -> str | None:
    if snr_db is None or not math.isfinite(snr_db):
        return None
    if snr_db >= MIN_SNR_DB + GOOD_MARGIN_DB:
        return "good"
    return "fair" if snr_db >= MIN_SNR_DB else "poor"


def estimate_message(estimate: LiveEstimate) -> dict[str, Any]:
    return {
        "type": "estimate",
        "heart_rate_bpm": _rounded(estimate.heart_rate_bpm, 1),
        "snr_db": _rounded(estimate.snr_db),
        "progress": round(min(1.0, max(0.0, float(estimate.progress))), 3),
        "quality": signal_quality(estimate.snr_db),
        "guidance": estimate.guidance or "",
        "waveform": [round(float(v), 3) for v in estimate.waveform[-WAVEFORM_POINTS:]],
    }


def result_message(result: HeartRateResult, reading_id: int, acceptable: bool) -> dict[str, Any]:
    return {
        "type": "result",
        "heart_rate_bpm": _rounded(result.heart_rate_bpm, 1) if acceptable else None,
        "acceptable": acceptable,
        "reason": result.reason,
        "snr_db": _rounded(result.snr_db),
        "duration_s": _rounded(result.duration_s, 1),
        "method": result.method,
        "reading": reading_id,
    }


# --- the two kinds of measurement ------------------------------------------------------------------


class Throttle:
    """Lets an estimate through once per ``ESTIMATE_EVERY_S`` of measurement time."""

    def __init__(self) -> None:
        self.last_s = 0.0

    def due(self, elapsed_s: float) -> bool:
        if elapsed_s < self.last_s + ESTIMATE_EVERY_S:
            return False
        self.last_s = elapsed_s
        return True


class EmbeddedMeasurement:
    """The browser's colour samples, checked batch by batch, fed to the embedded rPPG engine."""

    takes = "samples"

    def __init__(self, emit: Emit) -> None:
        self.emit = emit
        self.estimator = LiveEstimator(target_duration_s=MEASUREMENT_S)
        self.throttle = Throttle()

    @property
    def duration_s(self) -> float:
        return self.estimator.duration_s

    async def start(self) -> None:
        return None

    async def add_samples(self, raw: object) -> None:
        try:
            self.estimator.add(validate_samples(raw))
        except SampleError as error:
            raise ProtocolError("bad_samples", str(error)) from None
        if self.throttle.due(self.duration_s) and self.duration_s < MAX_TRACE_S:
            await self.emit(estimate_message(await asyncio.to_thread(self.estimator.estimate)))

    async def add_frame(self, jpeg: bytes, t: float | None) -> None:
        raise ProtocolError("frames_not_expected", "this measurement takes colour samples, not camera frames")

    async def finish(self) -> HeartRateResult:
        return await asyncio.to_thread(self.estimator.finish)

    async def stop(self) -> None:
        return None


class CaireMeasurement:
    """JPEG frames relayed to CAIRE; its replies come back as estimates (``vitals.caire``)."""

    takes = "frames"

    def __init__(self, emit: Emit) -> None:
        self.emit = emit
        self.client = CaireClient(CaireConfig(url=settings.CAIRE_WS_URL, api_key=settings.CAIRE_API_KEY), self._reply)
        self.throttle = Throttle()
        self.first_t: float | None = None
        self.last_t: float | None = None
        self.unix_offset_s = 0.0
        self.last_jpeg: bytes | None = None

    @property
    def duration_s(self) -> float:
        return 0.0 if self.first_t is None or self.last_t is None else self.last_t - self.first_t

    async def start(self) -> None:
        await self.client.connect()

    async def add_samples(self, raw: object) -> None:
        raise ProtocolError("samples_not_expected", "this measurement takes camera frames, not colour samples")

    async def add_frame(self, jpeg: bytes, t: float | None) -> None:
        """``t`` in seconds on the browser's clock; binary frames (no ``t``) are timed on arrival."""
        t = time.monotonic() if t is None else t
        if self.last_t is not None and t <= self.last_t:
            raise ProtocolError("bad_frame", "frame times must increase")
        if self.first_t is None:
            self.first_t, self.unix_offset_s = t, time.time() - t
        self.last_t, self.last_jpeg = t, jpeg
        await self.client.send_frame(jpeg, self.unix_offset_s + t)

    async def finish(self) -> HeartRateResult:
        """CAIRE's final reading; if CAIRE has gone away, the result of what it sent until then."""
        if self.last_jpeg is not None and self.last_t is not None:
            with contextlib.suppress(CaireError):
                await self.client.finish(self.last_jpeg, self.unix_offset_s + self.last_t)
        await self.client.close()
        return await asyncio.to_thread(self.client.result)

    async def stop(self) -> None:
        await self.client.close()

    async def _reply(self, inference: CaireInference) -> None:
        if not self.throttle.due(self.duration_s):
            return
        bpm = inference.heart_rate_bpm
        times, values = self.client.waveform
        snr = None if bpm is None else await asyncio.to_thread(waveform_snr_db, np.array(times), np.array(values), bpm)
        estimate = LiveEstimate(bpm, snr, min(1.0, self.duration_s / MEASUREMENT_S), None, values[-WAVEFORM_POINTS:])
        await self.emit(estimate_message(estimate))


Measurement = EmbeddedMeasurement | CaireMeasurement


# --- the consumer ------------------------------------------------------------------------------------


@database_sync_to_async
def _scan_for(user: Any, scan_id: str) -> VitalsScan | None:
    try:
        return access.get_own_record_or_404(user, VitalsScan.objects.select_related("patient"), pk=scan_id)
    except Http404:
        return None


class VitalsConsumer(AsyncWebsocketConsumer):
    scan: VitalsScan | None = None
    measurement: Measurement | None = None
    finished = False

    async def connect(self) -> None:
        self.scan = await _scan_for(self.scope.get("user"), self.scope["url_route"]["kwargs"]["scan_id"])
        await self.accept()
        if self.scan is None:
            await self.close(code=CLOSE_NOT_FOUND)
        elif self.scan.status in (VitalsScan.Status.DONE, VitalsScan.Status.FAILED):
            await self.close(code=CLOSE_ALREADY_MEASURED)
        else:
            await self.start_measurement()

    async def start_measurement(self) -> None:
        kind = CaireMeasurement if settings.CAIRE_API_KEY else EmbeddedMeasurement
        measurement = kind(self.send_estimate)
        try:
            await measurement.start()
        except CaireError:
            await self.send_error("caire_unavailable", "the measurement service is not reachable: try again later")
            await self.close(code=CLOSE_UPSTREAM_FAILED)
            return
        self.measurement = measurement

    async def disconnect(self, code: int) -> None:
        if self.measurement is not None:
            await self.measurement.stop()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        measurement = self.measurement
        if measurement is None or self.finished:
            return
        try:
            if bytes_data is not None:
                await self.take_binary(measurement, bytes_data)
            else:
                await self.handle(measurement, _parse(text_data or ""))
        except ProtocolError as error:
            await self.send_error(error.code, str(error))
        except CaireError:
            await self.send_error("caire_unavailable", "the connection to the measurement service was lost")
            await self.finish(measurement)

    async def handle(self, measurement: Measurement, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "samples":
            await measurement.add_samples(message.get("samples"))
        elif kind == "frame":
            await measurement.add_frame(*_frame_fields(message))
        elif kind == "end":
            await self.finish(measurement)
            return
        else:
            raise ProtocolError("unknown_type", f'unknown message type "{kind[:40]}"')
        if measurement.duration_s >= MAX_TRACE_S:
            await self.finish(measurement)

    async def take_binary(self, measurement: Measurement, data: bytes) -> None:
        if measurement.takes != "frames":
            raise ProtocolError("binary_not_expected", "send samples as JSON text messages")
        await measurement.add_frame(_jpeg(data), None)

    async def finish(self, measurement: Measurement) -> None:
        self.finished = True
        result = await measurement.finish()
        reading = await database_sync_to_async(services.record_heart_rate)(self.scan, result)
        await self.send_json(result_message(result, reading.pk, reading.acceptable))
        await self.close(code=1000)

    async def send_estimate(self, content: dict[str, Any]) -> None:
        if not self.finished:
            await self.send_json(content)

    async def send_error(self, code: str, message: str) -> None:
        await self.send_json({"type": "error", "code": code, "message": message})

    async def send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content, allow_nan=False))

"""Async client for the CAIRE rPPG WebSocket API: relay JPEG frames, receive heart rate and waveform.

No official protocol documentation is public. This client follows the unofficial descriptions that
are (a Python/JS demo client's README, "Caire Python WS Client - Payload & WebSocket Guide", and
third-party integration notes), and everything it assumes is a field of :class:`CaireConfig`:

- **Connection**: ``ws(s)://HOST:PORT/ws/?api_key=<key>&client=<name>``; the key goes in the query
  parameter ``api_key`` (``api_key_param``). Set ``api_key_header`` (e.g. ``"X-API-Key"``, or
  ``"Authorization"`` with ``api_key_header_format="Bearer {key}"``) to send it as a header instead.
- **Client -> server**, one JSON text message per frame::

      {"datapt_id": "<uuid4, one per measurement>", "state": "stream",
       "frame_data": "<base64 JPEG, no data: prefix>", "timestamp": "<unix seconds, as a string>",
       "advanced": true}

  The last message repeats the last frame with ``"state": "end"``. ``advanced: true`` asks for the
  rPPG waveform in replies.
- **Server -> client**, JSON: ``{"state": "ok" | "finished", "inference": {"hr": <bpm>},
  "advanced": {"rppg": [...], "rppg_timestamps": [...]} | null, ...}``. An ``hr`` that is missing or
  not positive means "no estimate yet". ``"finished"`` is the last message of a measurement.

The final reading is checked with the embedded engine's SNR on CAIRE's own waveform when there is one
(:meth:`CaireClient.result`), so a CAIRE value is held to the same quality bar as the embedded engine.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import numpy as np
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from vitals.rppg import HeartRateResult
from vitals.rppg.engine import waveform_snr_db
from vitals.rppg.quality import MIN_SNR_DB, REASON_OK, REASON_WEAK
from vitals.rppg.spectrum import HR_RANGE_BPM

METHOD = "caire"
REASON_NO_READING = "no heart rate from CAIRE"
REASON_UNCHECKED = "ok (CAIRE sent no waveform to check quality)"


@dataclass(frozen=True)
class CaireConfig:
    """Where and how to talk to CAIRE. Defaults follow the unofficial protocol description."""

    url: str
    api_key: str
    api_key_param: str | None = "api_key"
    api_key_header: str | None = None
    api_key_header_format: str = "{key}"
    extra_params: Mapping[str, str] = field(default_factory=lambda: {"client": "healthhelper"})
    datapt_id_field: str = "datapt_id"
    state_field: str = "state"
    frame_field: str = "frame_data"
    timestamp_field: str = "timestamp"
    advanced_field: str | None = "advanced"
    stream_state: str = "stream"
    end_state: str = "end"
    timestamp_as_string: bool = True
    heart_rate_path: tuple[str, ...] = ("inference", "hr")
    waveform_path: tuple[str, ...] = ("advanced", "rppg")
    waveform_times_path: tuple[str, ...] = ("advanced", "rppg_timestamps")
    response_state_path: tuple[str, ...] = ("state",)
    finished_states: tuple[str, ...] = ("finished",)
    open_timeout_s: float = 10.0
    finish_timeout_s: float = 20.0
    max_message_bytes: int = 4 * 2**20
    use_system_proxy: bool = False


@dataclass(frozen=True)
class CaireInference:
    """One reply from CAIRE."""

    heart_rate_bpm: float | None
    waveform: list[float]
    waveform_times_s: list[float]
    finished: bool
    raw: dict[str, Any]


class CaireError(Exception):
    """CAIRE could not be reached, refused the key, or closed the connection."""


InferenceCallback = Callable[[CaireInference], Awaitable[None]]


class CaireClient:
    """One measurement over one WebSocket connection. Use as ``async with CaireClient(config) as c:``."""

    def __init__(self, config: CaireConfig, on_inference: InferenceCallback | None = None) -> None:
        self.config = config
        self.datapt_id = str(uuid.uuid4())
        self.latest: CaireInference | None = None
        self.heart_rate_bpm: float | None = None
        self._on_inference = on_inference
        self._waveform: dict[float, float] = {}
        self._finished = asyncio.Event()
        self._connection: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._first_s: float | None = None
        self._last_s: float | None = None

    async def __aenter__(self) -> CaireClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def connect(self) -> None:
        try:
            self._connection = await connect(
                connection_url(self.config),
                additional_headers=_auth_headers(self.config),
                open_timeout=self.config.open_timeout_s,
                max_size=self.config.max_message_bytes,
                proxy=True if self.config.use_system_proxy else None,
            )
        except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as error:
            raise CaireError(f"cannot connect to CAIRE: {error}") from error
        self._reader = asyncio.create_task(self._read())

    async def send_frame(self, jpeg: bytes, timestamp_s: float) -> None:
        """Relay one JPEG frame taken at ``timestamp_s`` (Unix seconds)."""
        await self._send(jpeg, timestamp_s, self.config.stream_state)

    async def finish(self, jpeg: bytes, timestamp_s: float) -> CaireInference | None:
        """Send the last frame with the end state; wait (bounded) for CAIRE's final reply and return it."""
        await self._send(jpeg, timestamp_s, self.config.end_state)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._finished.wait(), self.config.finish_timeout_s)
        return self.latest

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    @property
    def waveform(self) -> tuple[list[float], list[float]]:
        """All waveform samples received so far as ``(times_s, values)``, de-duplicated by time."""
        times = sorted(self._waveform)
        return times, [self._waveform[t] for t in times]

    def result(self) -> HeartRateResult:
        """The measurement as a :class:`HeartRateResult`, quality-checked on CAIRE's waveform."""
        duration_s = 0.0 if self._first_s is None else round(float(self._last_s or 0.0) - self._first_s, 2)
        bpm = self.heart_rate_bpm
        if bpm is None:
            return HeartRateResult(None, None, False, REASON_NO_READING, duration_s, METHOD)
        times, values = self.waveform
        snr = waveform_snr_db(np.array(times), np.array(values), bpm)
        acceptable, reason = _verdict(bpm, snr)
        rounded = None if snr is None else round(snr, 1)
        return HeartRateResult(round(bpm, 1), rounded, acceptable, reason, duration_s, METHOD, values[-150:])

    async def _send(self, jpeg: bytes, timestamp_s: float, state: str) -> None:
        if self._connection is None:
            raise CaireError("not connected")
        self._first_s = timestamp_s if self._first_s is None else self._first_s
        self._last_s = timestamp_s
        try:
            await self._connection.send(
                json.dumps(frame_message(self.config, self.datapt_id, jpeg, timestamp_s, state))
            )
        except ConnectionClosed as error:
            raise CaireError(f"CAIRE closed the connection: {error}") from error

    async def _read(self) -> None:
        assert self._connection is not None
        with contextlib.suppress(ConnectionClosed):
            async for message in self._connection:
                inference = parse_reply(self.config, message)
                if inference is not None:
                    await self._accept(inference)
        self._finished.set()

    async def _accept(self, inference: CaireInference) -> None:
        self.latest = inference
        if inference.heart_rate_bpm is not None:
            self.heart_rate_bpm = inference.heart_rate_bpm
        # Without timestamps the waveform cannot be placed in time; such chunks are not kept.
        self._waveform.update(zip(inference.waveform_times_s, inference.waveform, strict=False))
        if inference.finished:
            self._finished.set()
        if self._on_inference is not None:
            await self._on_inference(inference)


def connection_url(config: CaireConfig) -> str:
    """``config.url`` with the extra parameters (and the key, unless it goes in a header) appended."""
    params = dict(config.extra_params)
    if config.api_key_param:
        params[config.api_key_param] = config.api_key
    parts = urlsplit(config.url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def frame_message(config: CaireConfig, datapt_id: str, jpeg: bytes, timestamp_s: float, state: str) -> dict[str, Any]:
    message: dict[str, Any] = {
        config.datapt_id_field: datapt_id,
        config.state_field: state,
        config.frame_field: base64.b64encode(jpeg).decode("ascii"),
        config.timestamp_field: f"{timestamp_s:.6f}" if config.timestamp_as_string else timestamp_s,
    }
    if config.advanced_field:
        message[config.advanced_field] = True
    return message


def parse_reply(config: CaireConfig, message: str | bytes) -> CaireInference | None:
    """A reply as :class:`CaireInference`; None for anything that is not a JSON object."""
    try:
        raw = json.loads(message)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(raw, dict):
        return None
    state = _path(raw, config.response_state_path)
    return CaireInference(
        heart_rate_bpm=_positive(_path(raw, config.heart_rate_path)),
        waveform=_numbers(_path(raw, config.waveform_path)),
        waveform_times_s=_numbers(_path(raw, config.waveform_times_path)),
        finished=state in config.finished_states,
        raw=raw,
    )


def _auth_headers(config: CaireConfig) -> dict[str, str]:
    if not config.api_key_header:
        return {}
    return {config.api_key_header: config.api_key_header_format.format(key=config.api_key)}


def _verdict(bpm: float, snr: float | None) -> tuple[bool, str]:
    if not HR_RANGE_BPM[0] <= bpm <= HR_RANGE_BPM[1]:
        return False, REASON_NO_READING
    if snr is None:
        return True, REASON_UNCHECKED
    return (True, REASON_OK) if snr >= MIN_SNR_DB else (False, REASON_WEAK)


def _path(raw: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        if not isinstance(raw, dict):
            return None
        raw = raw.get(key)
    return raw


def _positive(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value) or value <= 0:
        return None
    return float(value)


def _numbers(value: Any) -> list[float]:
    if not isinstance(value, list):
        return []
    numbers = [float(v) for v in value if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return [v for v in numbers if np.isfinite(v)]

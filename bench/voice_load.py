"""Voice consultations under load: N patients streaming audio in real time against Daphne + Redis.

The server runs the real consumer and pipeline with the *simulated* providers (published latencies:
STT final 300 ms after end of speech, LLM first token 600 ms then 60 tokens/s, TTS first byte 90 ms),
so what is left of voice-to-voice after the providers' share is what our server adds.

    .venv/bin/python bench/voice_load.py --sessions 200 [--turns 2] [--redis-url redis://127.0.0.1:6379/8]

Per session: connect, wait for ``ready``; each turn streams ~1 s of voiced audio in 20 ms frames at
real-time pace, then silence (still real time) until the reply's ``audio_end``. The last turn barges in
300 ms after the reply's audio starts. Patients' frames are spread over the 20 ms period, as
independent browsers' are (``--phases 1``: all at the same instant, the worst case). Prints a
table and, last, one line of JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import re
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from consultations.providers.simulated import audio_ms_for  # noqa: E402

FRAME_MS = 20  # what the browser page sends; --frame-ms changes it
FRAME_BYTES = 16000 * 2 * FRAME_MS // 1000
OUT_FRAME_BYTES_40MS = 16000 * 2 * 40 // 1000
STT_FINAL_MS, LLM_FIRST_TOKEN_MS, TOKENS_PER_S, TTS_FIRST_BYTE_MS = 300.0, 600.0, 60.0, 90.0
SETUP = """
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.auth import SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY
from accounts.services import register_patient
from consultations.models import Consultation
patient = register_patient("load@example.org", "load-test-password-1")
ids = [Consultation.objects.create(patient=patient).pk for _ in range({n})]
session = SessionStore()
session[SESSION_KEY] = str(patient.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = patient.get_session_auth_hash()
session.create()
print("SETUP", session.session_key, ",".join(map(str, ids)))
"""


COUNT_TURNS = "from consultations.models import Turn; print(Turn.objects.count())"
BROKER_DB = 10


def procfile_command(name: str) -> list[str]:
    """A process of deploy's Procfile, run with this Python (so it finds the project's packages)."""
    lines = (ROOT / "Procfile").read_text().splitlines()
    command = shlex.split(next(line.split(":", 1)[1] for line in lines if line.startswith(f"{name}:")))
    at = command.index("celery")
    return [*command[:at], sys.executable, "-m", "celery", *command[at + 1 :]]


def voiced_pcm(seconds: float) -> bytes:
    t = np.arange(int(16000 * seconds)) / 16000
    wave = 6000 * np.sin(2 * np.pi * 150 * t) * (1 + 0.5 * np.sin(2 * np.pi * 4 * t))
    wave += 2000 * np.sin(2 * np.pi * 450 * t) + 1000 * np.sin(2 * np.pi * 900 * t)
    return wave.astype("<i2").tobytes()


SPEECH = voiced_pcm(1.0)
MASKED: dict[bytes, bytes] = {}


def masked_frame(payload: bytes) -> bytes:
    """A client-to-server binary WebSocket frame (RFC 6455: FIN, opcode 2, masked), built once per payload.

    The load generator writes these straight to each socket so that its own CPU, which shares the
    machine with the server, goes on pacing rather than on re-encoding identical frames.
    """
    wire = MASKED.get(payload)
    if wire is None:
        mask = os.urandom(4)
        size = len(payload)
        header = bytes([0x82]) + (bytes([0x80 | size]) if size < 126 else bytes([0x80 | 126]) + size.to_bytes(2, "big"))
        key = np.frombuffer((mask * (size // 4 + 1))[:size], dtype=np.uint8)
        body = (np.frombuffer(payload, dtype=np.uint8) ^ key).tobytes()
        wire = MASKED[payload] = header + mask + body
    return wire


SILENCE_WIRE = masked_frame(b"\x00" * FRAME_BYTES)


def set_frame_ms(frame_ms: int) -> None:
    global FRAME_MS, FRAME_BYTES, SILENCE_WIRE
    FRAME_MS, FRAME_BYTES = frame_ms, 16000 * 2 * frame_ms // 1000
    SILENCE_WIRE = masked_frame(b"\x00" * FRAME_BYTES)


class Pacer:
    """One clock for every simulated patient: each tick writes the next frame of the patients due then.

    A browser sends one frame per 20 ms per patient; one ticker for all of them (instead of a
    sleeping task per patient) keeps the load generator's cost and its timing jitter low. Real
    patients' microphones are not in step with each other, so each patient gets one of ``phases``
    evenly spaced offsets within the frame period, in turn. ``phases=1`` sends every patient's frame
    at the same instant: a synchronised burst every 20 ms, a worst case no population of browsers
    produces (each web process then takes its whole share of frames at once).
    """

    def __init__(self, phases: int = 10) -> None:
        self.phases: list[set[Patient]] = [set() for _ in range(max(1, phases))]
        self._joined = 0
        self.max_lag_ms = 0.0

    def add(self, patient: Patient) -> None:
        self.phases[self._joined % len(self.phases)].add(patient)
        self._joined += 1

    def discard(self, patient: Patient) -> None:
        for phase in self.phases:
            phase.discard(patient)

    async def run(self) -> None:
        step = FRAME_MS / 1000 / len(self.phases)
        next_at, tick = time.monotonic(), 0
        while True:
            for patient in list(self.phases[tick % len(self.phases)]):
                if patient.transport is not None and not patient.transport.is_closing():
                    patient.transport.write(patient.next_frame())
            self.max_lag_ms = max(self.max_lag_ms, (time.monotonic() - next_at) * 1000)  # this tick's lateness
            tick += 1
            next_at += step
            now = time.monotonic()
            if next_at < now - 1.0:  # hopelessly behind: skip ahead instead of bursting
                next_at = now
            await asyncio.sleep(max(0.0, next_at - now))


PACER = Pacer()


@dataclass
class TurnResult:
    voice_to_voice_ms: float
    provider_ms: float
    expected_audio_bytes: int = 0
    received_audio_bytes: int = 0


@dataclass
class SessionResult:
    turns: list[TurnResult] = field(default_factory=list)
    barge_in_ms: list[float] = field(default_factory=list)
    audio_after_interrupt_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    client_send_lag_ms: float = 0.0
    server_metrics: list[dict] = field(default_factory=list)


class Patient:
    """One simulated patient: a real WebSocket client streaming PCM in real time."""

    def __init__(self, url: str, cookie: str) -> None:
        self.url, self.cookie = url, cookie
        self.queue: collections.deque[bytes] = collections.deque()
        self.transport: asyncio.WriteTransport | None = None
        self.events: asyncio.Queue[tuple[float, object]] = asyncio.Queue()
        self.barge_at: float | None = None
        self.speech_sent = asyncio.Event()
        self.speech_sent_at = 0.0

    async def run(self, turns: int) -> SessionResult:
        try:
            return await self._run(turns)
        except (OSError, TimeoutError, websockets.InvalidHandshake, websockets.InvalidMessage) as error:
            return SessionResult(errors=[f"connect: {error!r}"])

    async def _run(self, turns: int) -> SessionResult:
        result = SessionResult()
        headers = {
            "Cookie": f"sessionid={self.cookie}",
            "Origin": self.url.replace("ws://", "http://").split("/ws/")[0],
        }
        async with websockets.connect(self.url, additional_headers=headers, max_size=2**22, open_timeout=60) as ws:
            reader = asyncio.create_task(self._read(ws))
            self.transport = ws.transport
            PACER.add(self)
            phase = "ready"
            try:
                await self._wait_for(lambda e: e.get("type") == "ready", 60)
                await self._drain_greeting()
                for number in range(1, turns + 1):
                    phase = f"turn {number}"
                    await self._turn(result, number, barge_in=number == turns)
            except (TimeoutError, websockets.ConnectionClosed) as error:
                result.errors.append(f"{phase}: {error!r}")
            finally:
                PACER.discard(self)
                reader.cancel()
        result.client_send_lag_ms = PACER.max_lag_ms
        return result

    def next_frame(self) -> bytes:
        """The wire bytes of this session's next 20 ms: queued speech, else silence."""
        if not self.queue:
            return SILENCE_WIRE
        frame = self.queue.popleft()
        if not self.queue:
            self.speech_sent_at = time.monotonic()
            self.speech_sent.set()
        return frame

    async def _read(self, ws: websockets.ClientConnection) -> None:
        async for message in ws:
            now = time.monotonic()
            self.events.put_nowait((now, message if isinstance(message, bytes) else json.loads(message)))

    async def _wait_for(self, predicate, timeout_s: float):  # type: ignore[no-untyped-def]
        async with asyncio.timeout(timeout_s):
            while True:
                at, event = await self.events.get()
                if isinstance(event, dict) and predicate(event):
                    return at, event

    async def _drain_greeting(self) -> None:
        await asyncio.sleep(0.2)
        while not self.events.empty():
            self.events.get_nowait()

    def _barge_in(self) -> None:
        """The patient talks over the reply 300 ms into its playback."""
        self.barge_at = time.monotonic()
        self._speak(0.6)

    def _speak(self, seconds: float = 1.0) -> float:
        """Queue speech; returns when (in client time) the last voiced frame will have been sent."""
        self.speech_sent.clear()
        pcm = SPEECH[: int(16000 * 2 * seconds)]
        frames = [pcm[i : i + FRAME_BYTES] for i in range(0, len(pcm), FRAME_BYTES)]
        self.queue.extend(masked_frame(frame) for frame in frames)
        return time.monotonic() + len(frames) * FRAME_MS / 1000

    async def _turn(self, result: SessionResult, number: int, *, barge_in: bool) -> None:
        end_of_speech = self._speak()
        first_audio_at = None
        audio_bytes, sentences, first_sentence = 0, [], None
        interrupted_at = barge_at = None
        self.barge_at = None
        async with asyncio.timeout(30):
            while True:
                at, event = await self.events.get()
                if isinstance(event, bytes):
                    if at >= end_of_speech:
                        if first_audio_at is None and barge_in:
                            asyncio.get_running_loop().call_later(0.3, self._barge_in)
                        first_audio_at = first_audio_at or at
                        audio_bytes += len(event)
                    continue
                kind = event.get("type")
                if kind == "assistant_text" and not event["final"]:
                    sentences.append(event["text"].strip())
                    first_sentence = first_sentence or event["text"]
                elif kind == "interrupted" and self.barge_at is not None:
                    interrupted_at, barge_at = at, self.barge_at
                elif kind == "error":
                    result.errors.append(event.get("code", "error"))
                elif kind == "metrics" and event.get("turn", 0) >= number:
                    result.server_metrics.append(event)
                    break
                elif kind == "audio_end" and interrupted_at is not None:
                    break
        if first_audio_at is None or first_sentence is None:
            result.errors.append(f"turn {number}: no audio")
            return
        end_of_speech = self.speech_sent_at if barge_at is None else end_of_speech  # when it really went out
        tokens = len(first_sentence.split())
        provider_ms = STT_FINAL_MS + LLM_FIRST_TOKEN_MS + (tokens - 1) / TOKENS_PER_S * 1000 + TTS_FIRST_BYTE_MS
        turn = TurnResult((first_audio_at - end_of_speech) * 1000, provider_ms)
        if barge_at is None:
            turn.expected_audio_bytes = int(sum(audio_ms_for(s) for s in sentences) * 32)
            turn.received_audio_bytes = audio_bytes
        elif interrupted_at is not None and barge_at is not None:
            result.barge_in_ms.append((interrupted_at - barge_at) * 1000)
            await asyncio.sleep(0.3)
            late = [at for at, e in self._pending() if isinstance(e, bytes) and at > interrupted_at]
            result.audio_after_interrupt_ms.append(((max(late) - interrupted_at) if late else 0.0) * 1000)
        result.turns.append(turn)

    def _pending(self) -> list[tuple[float, object]]:
        items = []
        while not self.events.empty():
            items.append(self.events.get_nowait())
        return items


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def scratch_database(server_url: str) -> str:
    """A fresh database on the given PostgreSQL server, named for this run."""
    import psycopg

    name = f"voice_load_{os.getpid()}"
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name}")
        connection.execute(f"CREATE DATABASE {name}")
    return server_url.rsplit("/", 1)[0] + f"/{name}"


def drop_scratch_database(server_url: str, database_url: str) -> None:
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {database_url.rsplit('/', 1)[1]} WITH (FORCE)")


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process and its live children (a Celery worker's pool processes)."""
    total = cpu_seconds(pid)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                total += cpu_seconds(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    return total


def broker_for(redis_url: str) -> str:
    """A Redis database of its own for the task queue, emptied for this run."""
    import redis

    url = redis_url.rsplit("/", 1)[0] + f"/{BROKER_DB}"
    redis.Redis.from_url(url).flushdb()
    return url


def start_servers(
    data: Path,
    redis_url: str,
    sessions: int,
    database_url: str | None = None,
    workers: int = 1,
    knowledge: bool = True,
) -> tuple[list[subprocess.Popen[bytes]], subprocess.Popen[bytes], str, str, list[int], dict[str, str]]:
    """Migrate, load the health library, create the patient and consultations, then start ``workers``
    Daphne processes and the Procfile's ``voice_writes`` Celery worker, which saves the turns as in production.

    Several Daphne processes share one listening socket (``daphne --fd``), as a process manager would
    run them: the kernel hands each new connection to one of them, and the Redis channel layer lets a
    consultation continue on any of them.
    """
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")},
        "DATA_DIR": str(data),
        "DATABASE_URL": database_url or f"sqlite:///{data / 'db.sqlite3'}",
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": broker_for(redis_url),
        "STT_PROVIDER": "simulated",
        "LLM_PROVIDER": "simulated",
        "TTS_PROVIDER": "simulated",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    if knowledge:  # retrieval for the LLM prompt is on each turn's critical path, as in production
        subprocess.run([*manage, "load_knowledge"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    out = subprocess.run(
        [*manage, "shell", "-c", SETUP.format(n=sessions)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    _, cookie, ids = re.search(r"SETUP (\S+) (\S+)", out).group(0).split()  # type: ignore[union-attr]
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(2048)
    listener.set_inheritable(True)
    port = listener.getsockname()[1]
    servers = [
        subprocess.Popen(
            [sys.executable, "-m", "daphne", "--fd", str(listener.fileno()), "healthhelper.asgi:application"],
            cwd=ROOT,
            env=env,
            pass_fds=(listener.fileno(),),
            stdout=subprocess.DEVNULL,
            stderr=(data / f"daphne-{number}.log").open("wb"),
        )
        for number in range(workers)
    ]
    listener.close()  # the workers hold their own copies
    celery = subprocess.Popen(
        [*procfile_command("voice_writes"), "--loglevel=WARNING", "--without-gossip", "--without-mingle"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(data / "celery.log").open("wb"),
    )
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    time.sleep(0.5 * (workers - 1))  # let every worker finish importing before the load starts
    return servers, celery, f"ws://127.0.0.1:{port}", cookie, [int(i) for i in ids.split(",")], env


def saved_turns(env: dict[str, str], settle_s: float = 10.0) -> int:
    """Turn rows in the database once the worker has caught up (the count stops changing)."""
    count, deadline = -1, time.monotonic() + settle_s
    while time.monotonic() < deadline:
        out = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", COUNT_TURNS],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        now = int(out.split()[-1])
        if now == count:
            return now
        count = now
        time.sleep(0.5)
    return count


async def run_load(base: str, cookie: str, ids: list[int], turns: int, ramp_s: float) -> list[SessionResult]:
    async def one(index: int, consultation: int) -> SessionResult:
        await asyncio.sleep(ramp_s * index / len(ids))
        return await Patient(f"{base}/ws/consultations/{consultation}/", cookie).run(turns)

    pacer = asyncio.create_task(PACER.run())
    try:
        return await asyncio.gather(*(one(i, c) for i, c in enumerate(ids)))
    finally:
        pacer.cancel()


# Consecutive stages of a turn, as the server timed them: where the time between them goes.
STAGE_GAPS = {
    "end_of_speech_to_transcript": (None, "stt_ms"),
    "transcript_to_llm_request": ("stt_ms", "llm_request_ms"),  # triage + knowledge retrieval
    "llm_request_to_first_token": ("llm_request_ms", "llm_first_token_ms"),
    "first_token_to_first_sentence": ("llm_first_token_ms", "first_sentence_ms"),
    "first_sentence_to_tts_first_byte": ("first_sentence_ms", "tts_first_byte_ms"),
    "tts_first_byte_to_audio_sent": ("tts_first_byte_ms", "voice_to_voice_ms"),
}


def stage_gaps(metrics: list[dict]) -> dict[str, dict[str, float]]:
    """p50/p95 of each gap between consecutive server stages (with the server's own overhead figure)."""
    gaps: dict[str, list[float]] = {name: [] for name in [*STAGE_GAPS, "server_overhead_ms"]}
    for m in metrics:
        for name, (start, end) in STAGE_GAPS.items():
            if end in m and (start is None or start in m):
                gaps[name].append(m[end] - (m[start] if start else 0.0))
        if "server_overhead_ms" in m:
            gaps["server_overhead_ms"].append(m["server_overhead_ms"])
    return {
        name: {"p50": round(percentile(values, 50), 1), "p95": round(percentile(values, 95), 1)}
        for name, values in gaps.items()
        if values
    }


def summarise(results: list[SessionResult], sessions: int, cpu_percent: float, workers: int) -> dict[str, object]:
    turns = [t for r in results for t in r.turns]
    v2v = [t.voice_to_voice_ms for t in turns]
    overhead = [t.voice_to_voice_ms - t.provider_ms for t in turns]
    complete = [t for t in turns if t.expected_audio_bytes]
    lost_bytes = sum(max(0, t.expected_audio_bytes - t.received_audio_bytes) for t in complete)
    barge = [b for r in results for b in r.barge_in_ms]
    tail = [b for r in results for b in r.audio_after_interrupt_ms]
    return {
        "sessions": sessions,
        "server_workers": workers,
        "frame_ms": FRAME_MS,
        "send_phases": len(PACER.phases),
        "turns_measured": len(turns),
        "voice_to_voice_ms": {"p50": percentile(v2v, 50), "p95": percentile(v2v, 95), "p99": percentile(v2v, 99)},
        "provider_critical_path_ms": statistics.mean(t.provider_ms for t in turns) if turns else None,
        "server_overhead_ms": {
            "p50": percentile(overhead, 50),
            "p95": percentile(overhead, 95),
            "p99": percentile(overhead, 99),
        },
        "audio_frames_lost": lost_bytes // OUT_FRAME_BYTES_40MS,
        "audio_frames_expected": sum(t.expected_audio_bytes for t in complete) // OUT_FRAME_BYTES_40MS,
        "barge_in_to_interrupted_ms": {"p50": percentile(barge, 50), "p95": percentile(barge, 95)},
        "audio_after_interrupted_ms_p95": percentile(tail, 95),
        "server_stage_ms_p95": {
            stage: round(percentile([m[stage] for r in results for m in r.server_metrics if stage in m], 95), 1)
            for stage in ("stt_ms", "llm_first_token_ms", "first_sentence_ms", "tts_first_byte_ms", "voice_to_voice_ms")
        },
        "server_stage_gap_ms": stage_gaps([m for r in results for m in r.server_metrics]),
        "server_cpu_percent_of_one_core": round(cpu_percent, 1),  # all workers together
        "client_max_send_lag_ms": round(max((r.client_send_lag_ms for r in results), default=0.0), 1),
        "errors": sum(len(r.errors) for r in results),
        "error_samples": sorted({e for r in results for e in r.errors})[:5],
    }


def run(main: Any) -> Any:
    """uvloop when installed (requirements-dev): the load generator shares the server's two cores."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--turns", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1, help="Daphne processes sharing the listening socket")
    parser.add_argument("--frame-ms", type=int, default=20, help="audio per WebSocket message (the page sends 20)")
    parser.add_argument(
        "--phases",
        type=int,
        default=10,
        help="offsets within the frame period that patients' frames are spread over (1: all in step)",
    )
    parser.add_argument("--ramp-s", type=float, default=5.0, help="spread connection start over this many seconds")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/8"))
    parser.add_argument(
        "--database-url",
        default=None,
        help="PostgreSQL URL of a scratch database (created and dropped); default: a temporary SQLite file",
    )
    parser.add_argument(
        "--no-knowledge", action="store_true", help="leave the health library empty (no retrieval cost per turn)"
    )
    args = parser.parse_args()
    set_frame_ms(args.frame_ms)
    global PACER
    PACER = Pacer(args.phases)
    with tempfile.TemporaryDirectory() as tmp:
        database_url = scratch_database(args.database_url) if args.database_url else None
        servers, celery, base, cookie, ids, env = start_servers(
            Path(tmp), args.redis_url, args.sessions, database_url, args.workers, knowledge=not args.no_knowledge
        )
        try:
            cpu_before, wall_before = sum(cpu_seconds(s.pid) for s in servers), time.monotonic()
            client_before, worker_before = cpu_seconds(os.getpid()), tree_cpu_seconds(celery.pid)
            results = run(run_load(base, cookie, ids, args.turns, args.ramp_s))
            cpu_after = sum(cpu_seconds(s.pid) for s in servers)
            wall = time.monotonic() - wall_before
            cpu = (cpu_after - cpu_before) / wall * 100
            client_cpu = (cpu_seconds(os.getpid()) - client_before) / wall * 100
            worker_cpu = (tree_cpu_seconds(celery.pid) - worker_before) / wall * 100
            turns_saved = saved_turns(env)
        finally:
            for process in [*servers, celery]:
                process.terminate()
            for process in [*servers, celery]:
                process.wait(timeout=30)
            for log in sorted(Path(tmp).glob("*.log")):
                if log.stat().st_size:
                    print(f"--- {log.name} (last lines)", file=sys.stderr)
                    print("\n".join(log.read_text(errors="replace").splitlines()[-15:]), file=sys.stderr)
            if database_url and not os.environ.get("KEEPDB"):
                drop_scratch_database(args.database_url, database_url)
    report = summarise(results, args.sessions, cpu, args.workers)
    report["client_cpu_percent_of_one_core"] = round(client_cpu, 1)
    report["worker_cpu_percent_of_one_core"] = round(worker_cpu, 1)
    # At least the greeting and both sides of every measured exchange (a barge-in adds its own).
    report["turn_rows_saved"] = turns_saved
    report["turn_rows_minimum"] = sum(2 * len(r.turns) for r in results) + args.sessions
    if os.environ.get("VOICE_LOAD_DEBUG"):
        print([[round(t.voice_to_voice_ms - t.provider_ms) for t in r.turns] for r in results])
    for key, value in report.items():
        print(f"{key:32} {value}")
    print(json.dumps(report))


if __name__ == "__main__":
    main()

"""The load generator's hand-built WebSocket frames are what RFC 6455 says a client must send."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

BENCH = Path(__file__).resolve().parents[1] / "bench" / "voice_load.py"


@pytest.fixture(scope="module")
def voice_load():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("voice_load_bench", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


@pytest.mark.parametrize("size", [0, 2, 125, 126, 640, 65535])
def test_masked_frame_parses_as_a_masked_binary_frame_with_the_same_payload(voice_load, size: int) -> None:  # type: ignore[no-untyped-def]
    payload = bytes(range(256)) * (size // 256 + 1)
    payload = payload[:size]
    reader = StreamReader()
    reader.feed_data(voice_load.masked_frame(payload))
    parser = Frame.parse(reader.read_exact, mask=True)  # a server only accepts masked frames
    try:
        next(parser)
        raise AssertionError("frame incomplete")
    except StopIteration as done:
        frame = done.value
    assert frame.opcode is Opcode.BINARY
    assert frame.fin
    assert frame.data == payload


def test_patients_are_spread_evenly_over_the_frame_period(voice_load) -> None:  # type: ignore[no-untyped-def]
    pacer = voice_load.Pacer(phases=10)
    for patient in range(25):
        pacer.add(patient)
    assert sorted(len(phase) for phase in pacer.phases) == [2] * 5 + [3] * 5


def test_one_phase_sends_every_patients_frame_at_once(voice_load) -> None:  # type: ignore[no-untyped-def]
    pacer = voice_load.Pacer(phases=1)
    for patient in range(25):
        pacer.add(patient)
    pacer.discard(3)
    assert [len(phase) for phase in pacer.phases] == [24]

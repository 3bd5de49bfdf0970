"""Synthetic webcam colour traces with a known heart rate, for tests and the accuracy benchmark.

Signal model (Wang et al., "Algorithmic principles of remote PPG", IEEE TBME 2017, eq. 1-4): the mean
skin colour seen by the camera is

    C(t) = I(t) * (u_skin * (1 + a * u_pulse * p(t)) + s(t) * u_light) + leak(t) + n(t)

- ``I(t)``: light intensity seen by the skin (slow illumination drift, an auto-exposure random walk,
  motion-induced shading);
- ``u_skin``: skin colour (skin tone x light level); ``u_pulse``: relative pulsatile strength per
  channel, the normalised blood-volume-pulse signature of de Haan & van Leest, "Improved motion
  robustness of remote-PPG by using the blood volume pulse signature", Physiol. Meas. 35, 2014
  (about [0.33, 0.77, 0.53] for R, G, B: green strongest), perturbed per subject; ``a``: pulsatility
  (about 0.1-0.4 % of the DC in green, lower for darker skin, whose melanin absorbs more light);
- ``p(t)``: the pulse waveform, either a real finger PPG time-warped to the target rate or a
  parametric two-wave beat shape with respiratory sinus arrhythmia;
- ``s(t) * u_light``: specular reflection of the light source (motion bursts);
- ``leak(t)``: background pixels entering the face box during motion; ``n(t)``: sensor noise
  (shot-noise-like), then quantisation and 0-255 clipping.

Frames are then sampled at 15/24/30 fps at the camera's capture times and reported with timestamp
jitter, random drops and short gaps. Each :class:`Condition` sets the ranges the parameters are drawn
from; :func:`suite` draws rates uniformly from 45-180 bpm.

Real pulse shapes come from the PPG recordings in ``/work/shared/data/ppg`` (read in place, never copied;
set ``RPPG_PPG_DIR`` to read them elsewhere). Attribution, as their licences require:

- Contains information from the BIDMC PPG and Respiration Dataset (v1.0.0), which is made available
  under the Open Data Commons Attribution License v1.0
  (https://physionet.org/content/bidmc/view-license/1.0.0/). Pimentel et al., IEEE TBME 64(8), 2017;
  doi:10.13026/C2208R.
- Contains information from the PhysioNet/Computing in Cardiology Challenge 2015 database (v1.0.0),
  which is made available under the Open Data Commons Attribution License v1.0
  (https://physionet.org/content/challenge-2015/view-license/1.0.0/). Clifford et al., CinC 42, 2015.
- Goldberger et al., "PhysioBank, PhysioToolkit, and PhysioNet", Circulation 101(23), 2000.
"""

from __future__ import annotations

import csv
import functools
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import signal

FINE_FS_HZ = 120.0
PPG_DIR_ENV = "RPPG_PPG_DIR"
DEFAULT_PPG_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "ppg"
PPG_RECORDS = ("bidmc_07", "bidmc_13", "bidmc_52", "a103l")
# a103l's PPG has artefact from about 150 s on (see the data README); use the clean start only.
USABLE_SECONDS = {"a103l": 150.0}
BVP_SIGNATURE = np.array([0.33, 0.77, 0.53])
MIN_WARP, MAX_WARP = 0.6, 1.7


@dataclass(frozen=True)
class SkinTone:
    """Mean ROI colour under the reference light and relative pulsatility (1.0 for light skin)."""

    name: str
    rgb: tuple[float, float, float]
    pulse_scale: float


SKIN_TONES = (
    SkinTone("light", (225.0, 172.0, 150.0), 1.0),
    SkinTone("medium", (196.0, 142.0, 112.0), 0.85),
    SkinTone("dark", (138.0, 92.0, 72.0), 0.6),
    SkinTone("very-dark", (98.0, 64.0, 52.0), 0.45),
)


@dataclass(frozen=True)
class Condition:
    """Recording condition; ranges are (low, high) drawn uniformly per trace."""

    name: str
    noise: tuple[float, float] = (0.08, 0.2)
    light: tuple[float, float] = (0.85, 1.0)
    pulsatility: tuple[float, float] = (0.0018, 0.004)
    drift: tuple[float, float] = (0.0, 0.01)
    wander: tuple[float, float] = (0.0, 0.0)
    motion_bursts: tuple[int, int] = (0, 0)
    motion: tuple[float, float] = (0.02, 0.08)
    quantum: float = 0.0
    jitter_ms: tuple[float, float] = (0.5, 2.0)
    drop_fraction: tuple[float, float] = (0.0, 0.01)
    gaps: tuple[int, int] = (0, 0)
    fps: tuple[float, ...] = (30.0,)
    skin: tuple[str, ...] = ("light", "medium")
    has_pulse: bool = True


CONDITIONS: dict[str, Condition] = {
    c.name: c
    for c in (
        Condition("clean"),
        Condition("mild-noise", noise=(0.3, 0.6), drift=(0.01, 0.03), skin=("light", "medium", "dark")),
        Condition("dark-skin", noise=(0.15, 0.35), skin=("dark", "very-dark")),
        Condition("drift", noise=(0.15, 0.3), drift=(0.04, 0.12), wander=(0.002, 0.01)),
        Condition("irregular-timing", jitter_ms=(4.0, 12.0), drop_fraction=(0.03, 0.1), gaps=(1, 3)),
        Condition("fps-15-24", noise=(0.15, 0.35), fps=(15.0, 24.0)),
        Condition(
            "motion", noise=(0.15, 0.35), motion_bursts=(4, 8), motion=(0.04, 0.15), skin=("light", "medium", "dark")
        ),
        Condition(
            "low-light",
            noise=(0.5, 0.9),
            light=(0.25, 0.4),
            quantum=1.0,
            skin=("light", "medium", "dark"),
        ),
        Condition(
            "no-pulse",
            noise=(0.1, 0.6),
            wander=(0.0, 0.01),
            has_pulse=False,
            skin=tuple(t.name for t in SKIN_TONES),
        ),
        Condition("no-pulse-motion", noise=(0.15, 0.35), motion_bursts=(4, 8), motion=(0.04, 0.15), has_pulse=False),
        Condition("no-pulse-low-light", noise=(0.5, 0.9), light=(0.25, 0.4), quantum=1.0, has_pulse=False),
    )
}


@dataclass(frozen=True)
class TraceSpec:
    """One trace to synthesise. ``source`` is a PPG record name or ``"parametric"``."""

    condition: str
    bpm: float
    seed: int
    seconds: float = 30.0
    source: str = "parametric"


@dataclass(frozen=True)
class SyntheticTrace:
    spec: TraceSpec
    samples: np.ndarray
    true_bpm: float | None


@dataclass(frozen=True)
class PpgRecord:
    name: str
    fs_hz: float
    pleth: np.ndarray
    beat_times_s: np.ndarray


def make_trace(spec: TraceSpec, data_dir: Path | None = None) -> SyntheticTrace:
    """Synthesise the ``(N, 4)`` ``t, r, g, b`` trace for ``spec`` (deterministic in ``spec.seed``)."""
    condition = CONDITIONS[spec.condition]
    rng = np.random.default_rng(spec.seed)
    t = np.arange(round(spec.seconds * FINE_FS_HZ)) / FINE_FS_HZ
    pulse, bpm = _pulse(spec, t, rng, data_dir)
    if not condition.has_pulse:
        pulse = np.zeros_like(t)
    rgb = _camera_colour(condition, t, pulse, rng)
    capture, reported = _frame_times(condition, spec.seconds, rng)
    samples = _sample_frames(condition, t, rgb, capture, reported, rng)
    return SyntheticTrace(spec, samples, bpm if condition.has_pulse else None)


def load_ppg_record(name: str, data_dir: Path | None = None) -> PpgRecord:
    """Read one PPG recording (PLETH) and its beat times; cached per process."""
    return _load_ppg_record(name, str(data_dir or ppg_data_dir()))


def ppg_data_dir() -> Path:
    return Path(os.environ.get(PPG_DIR_ENV, DEFAULT_PPG_DIR))


def ppg_data_available(data_dir: Path | None = None) -> bool:
    base = data_dir or ppg_data_dir()
    return all(_signals_path(base, name).exists() for name in PPG_RECORDS)


def pick_record(bpm: float, names: tuple[str, ...], rng: np.random.Generator, data_dir: Path | None) -> str:
    """A record whose own rate is within a moderate time-warp of ``bpm`` (nearest if none is)."""
    rates = {name: _record_bpm(load_ppg_record(name, data_dir)) for name in names}
    close = [name for name, rate in rates.items() if MIN_WARP <= bpm / rate <= MAX_WARP]
    if close:
        return str(rng.choice(close))
    return min(rates, key=lambda name: abs(np.log(bpm / rates[name])))


def suite(
    conditions: tuple[str, ...],
    per_condition: int,
    records: tuple[str, ...],
    seed: int,
    data_dir: Path | None = None,
) -> list[SyntheticTrace]:
    """Traces for each condition: rates 45-180 bpm, pulse shapes alternating real records and parametric."""
    rng = np.random.default_rng(seed)
    traces = []
    for condition in conditions:
        for index in range(per_condition):
            bpm = float(rng.uniform(45.0, 180.0))
            use_real = bool(records) and index % 3 != 2
            source = pick_record(bpm, records, rng, data_dir) if use_real else "parametric"
            spec = TraceSpec(condition, bpm, int(rng.integers(2**31)), source=source)
            traces.append(make_trace(spec, data_dir))
    return traces


# --- pulse waveforms -------------------------------------------------------------------------


def _pulse(spec: TraceSpec, t: np.ndarray, rng: np.random.Generator, data_dir: Path | None) -> tuple[np.ndarray, float]:
    if spec.source == "parametric":
        return parametric_pulse(spec.bpm, t, rng)
    return real_pulse(load_ppg_record(spec.source, data_dir), spec.bpm, t, rng)


def parametric_pulse(bpm: float, t: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """Two-wave beat (systolic + reflected wave) with respiratory sinus arrhythmia and slow HRV."""
    fs_hz = 1.0 / (t[1] - t[0])
    resp_hz = rng.uniform(0.15, 0.35)
    rate_hz = bpm / 60.0 * (1.0 + rng.uniform(0.0, 0.04) * np.sin(2 * np.pi * resp_hz * t + rng.uniform(0, 6)))
    rate_hz *= 1.0 + _smooth_noise(len(t), fs_hz, 0.05, rng) * rng.uniform(0.0, 0.03)
    rate_hz *= bpm / 60.0 / rate_hz.mean()
    phase = np.cumsum(rate_hz) / fs_hz % 1.0
    wave = _beat_shape(phase, rng)
    wave *= 1.0 + 0.1 * np.sin(2 * np.pi * resp_hz * t)
    return -_unit_pulse(wave, fs_hz), bpm


def _beat_shape(phase: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    systolic = np.exp(-0.5 * ((phase - 0.2) / rng.uniform(0.06, 0.1)) ** 2)
    diastolic_at = rng.uniform(0.42, 0.55)
    diastolic = rng.uniform(0.2, 0.6) * np.exp(-0.5 * ((phase - diastolic_at) / rng.uniform(0.08, 0.14)) ** 2)
    return systolic + diastolic


def real_pulse(record: PpgRecord, bpm: float, t: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """A segment of a real PPG time-warped so its mean beat rate is ``bpm``.

    Camera reflectance falls as blood volume rises, so the finger PPG is inverted.
    """
    duration = t[-1] - t[0]
    start, local_bpm = _regular_segment(record, duration * bpm / _record_bpm(record), rng)
    warp = bpm / local_bpm
    record_t = np.arange(len(record.pleth)) / record.fs_hz
    wave = np.interp(start + warp * (t - t[0]), record_t, record.pleth)
    return -_unit_pulse(wave, 1.0 / (t[1] - t[0])), bpm


def _regular_segment(record: PpgRecord, span_s: float, rng: np.random.Generator) -> tuple[float, float]:
    """Start time of a segment with regular beats (no missed beats) and its mean beat rate."""
    beats = record.beat_times_s
    latest = beats[-1] - span_s * 1.1
    for _ in range(50):
        start = float(rng.uniform(beats[0], max(beats[0], latest)))
        inside = beats[(beats >= start) & (beats <= start + span_s * 1.1)]
        intervals = np.diff(inside)
        if len(intervals) >= 3 and intervals.max() < 1.5 * np.median(intervals):
            return start, 60.0 / float(np.mean(intervals))
    return float(beats[0]), _record_bpm(record)


def _unit_pulse(wave: np.ndarray, fs_hz: float) -> np.ndarray:
    """Zero-mean pulse scaled so its pulsatile band (0.5-8 Hz) has unit standard deviation."""
    sos = signal.butter(2, (0.5, 8.0), btype="bandpass", fs=fs_hz, output="sos")
    scale = np.std(signal.sosfiltfilt(sos, wave))
    return (wave - wave.mean()) / max(scale, 1e-12)


def _record_bpm(record: PpgRecord) -> float:
    return 60.0 / float(np.median(np.diff(record.beat_times_s)))


@functools.lru_cache(maxsize=8)
def _load_ppg_record(name: str, data_dir: str) -> PpgRecord:
    base = Path(data_dir)
    fs_hz, pleth = _read_pleth(_signals_path(base, name))
    usable = USABLE_SECONDS.get(name)
    if usable is not None:
        pleth = pleth[: round(usable * fs_hz)]
    return PpgRecord(name, fs_hz, pleth, _beat_times(pleth, fs_hz))


def _signals_path(base: Path, name: str) -> Path:
    return base / (f"{name}_Signals.csv" if name.startswith("bidmc") else f"{name}_signals.csv")


def _read_pleth(path: Path) -> tuple[float, np.ndarray]:
    with path.open(newline="") as handle:
        header = [column.strip() for column in next(csv.reader(handle))]
    column = next(i for i, name in enumerate(header) if name.startswith("PLETH"))
    pleth = np.loadtxt(path, delimiter=",", skiprows=1, usecols=column)
    fs_hz = 125.0 if path.name.startswith("bidmc") else 250.0
    return fs_hz, pleth


def _beat_times(pleth: np.ndarray, fs_hz: float) -> np.ndarray:
    sos = signal.butter(2, (0.5, 5.0), btype="bandpass", fs=fs_hz, output="sos")
    filtered = signal.sosfiltfilt(sos, pleth)
    peaks, _ = signal.find_peaks(filtered, distance=round(0.3 * fs_hz), prominence=0.3 * np.std(filtered))
    return peaks / fs_hz


# --- camera model ----------------------------------------------------------------------------


def _camera_colour(condition: Condition, t: np.ndarray, pulse: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    tone_name = str(rng.choice(condition.skin))
    tone = next(s for s in SKIN_TONES if s.name == tone_name)
    light = rng.uniform(*condition.light)
    skin = np.array(tone.rgb) * light
    signature = np.clip(BVP_SIGNATURE + rng.normal(0.0, 0.07, 3), 0.05, None)
    pulsatility = rng.uniform(*condition.pulsatility) * tone.pulse_scale
    relative_pulse = pulsatility * np.outer(pulse, signature / signature[1])
    intensity = _illumination(condition, t, rng)
    rgb = intensity[:, None] * skin * (1.0 + relative_pulse) * _colour_drift(condition, t, rng)
    if condition.motion_bursts[1] > 0:
        rgb = _add_motion(condition, t, rgb, skin, light, rng)
    return rgb


def _illumination(condition: Condition, t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    fs_hz = 1.0 / (t[1] - t[0])
    drift = rng.uniform(*condition.drift)
    slow = _smooth_noise(len(t), fs_hz, 0.08, rng)
    ramp = np.linspace(-1.0, 1.0, len(t)) * rng.uniform(-1, 1)
    # Auto-exposure hunting and flicker: a random walk, whose 1/f^2 spectrum reaches into the pulse band.
    steps = rng.normal(0.0, rng.uniform(*condition.wander) / np.sqrt(fs_hz), len(t))
    return 1.0 + drift * (0.6 * slow + 0.4 * ramp) + np.cumsum(steps)


def _colour_drift(condition: Condition, t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    fs_hz = 1.0 / (t[1] - t[0])
    drift = rng.uniform(*condition.drift) * 0.2
    return 1.0 + drift * np.column_stack([_smooth_noise(len(t), fs_hz, 0.05, rng) for _ in range(3)])


def _add_motion(
    condition: Condition,
    t: np.ndarray,
    rgb: np.ndarray,
    skin: np.ndarray,
    light: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Motion bursts: shading change, specular glints in the light's colour, background leaking in."""
    fs_hz = 1.0 / (t[1] - t[0])
    envelope = np.zeros(len(t))
    shading = np.zeros(len(t))
    specular = np.zeros(len(t))
    for _ in range(int(rng.integers(condition.motion_bursts[0], condition.motion_bursts[1] + 1))):
        burst = _burst_envelope(t, rng)
        envelope = np.maximum(envelope, burst)
        amplitude = rng.uniform(*condition.motion)
        shading += burst * amplitude * _motion_wave(t, fs_hz, rng)
        specular += burst * amplitude * 0.6 * np.abs(_motion_wave(t, fs_hz, rng))
    light_rgb = 255.0 * light * np.array([1.0, rng.uniform(0.9, 1.0), rng.uniform(0.75, 0.95)])
    background = rng.uniform(20.0, 200.0, 3) * light
    leak = envelope * rng.uniform(0.0, 0.05) * np.abs(_motion_wave(t, fs_hz, rng))
    moved = rgb * (1.0 + shading)[:, None] + np.outer(specular, light_rgb)
    return moved + np.outer(leak, background - skin)


def _burst_envelope(t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    length = rng.uniform(1.0, 4.0)
    start = rng.uniform(t[0], t[-1] - length)
    inside = (t >= start) & (t <= start + length)
    envelope = np.zeros(len(t))
    envelope[inside] = np.hanning(int(inside.sum()))
    return np.sqrt(envelope)


def _motion_wave(t: np.ndarray, fs_hz: float, rng: np.random.Generator) -> np.ndarray:
    """Head motion: a random in-band oscillation plus wide-band jerks."""
    oscillation = np.sin(2 * np.pi * rng.uniform(0.5, 3.0) * t + rng.uniform(0, 6))
    jerks = _smooth_noise(len(t), fs_hz, 4.0, rng)
    return 0.5 * oscillation + 0.5 * jerks


def _smooth_noise(n: int, fs_hz: float, cutoff_hz: float, rng: np.random.Generator) -> np.ndarray:
    """Unit-variance Gaussian noise low-passed at ``cutoff_hz``."""
    sos = signal.butter(2, cutoff_hz, fs=fs_hz, output="sos")
    noise = signal.sosfiltfilt(sos, rng.normal(size=n + round(4 * fs_hz / cutoff_hz)))[-n:]
    return noise / max(np.std(noise), 1e-12)


# --- frame sampling --------------------------------------------------------------------------


def _frame_times(condition: Condition, seconds: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Capture times on the camera's clock and the (jittered) timestamps the browser reports."""
    fps = float(rng.choice(condition.fps))
    nominal = np.arange(0.0, seconds - 0.05, 1.0 / fps)
    keep = rng.uniform(size=len(nominal)) >= rng.uniform(*condition.drop_fraction)
    for _ in range(int(rng.integers(condition.gaps[0], condition.gaps[1] + 1))):
        start = rng.uniform(1.0, seconds - 1.0)
        keep &= (nominal < start) | (nominal > start + rng.uniform(0.15, 0.6))
    capture = nominal[keep]
    reported = capture + rng.normal(0.0, rng.uniform(*condition.jitter_ms) / 1000.0, len(capture))
    order = np.argsort(reported)
    capture, reported = capture[order], reported[order]
    distinct = np.concatenate([[True], np.diff(reported) > 1e-4])
    return capture[distinct], reported[distinct] - reported[0] + rng.uniform(0.0, 5.0)


def _sample_frames(
    condition: Condition,
    t: np.ndarray,
    rgb: np.ndarray,
    capture: np.ndarray,
    reported: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    frames = np.column_stack([np.interp(capture, t, rgb[:, k]) for k in range(3)])
    noise_level = rng.uniform(*condition.noise)
    shot = np.sqrt(np.clip(frames, 1.0, None) / 128.0)
    common = rng.normal(size=(len(frames), 1))
    noise = noise_level * shot * (0.8 * rng.normal(size=frames.shape) + 0.6 * common)
    frames = frames + noise
    if condition.quantum > 0:
        frames = np.round(frames / condition.quantum) * condition.quantum
    return np.column_stack([reported, np.clip(frames, 0.0, 255.0)])

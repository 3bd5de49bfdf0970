"""Heart-rate accuracy of the embedded rPPG engine against a plain POS baseline, on synthetic webcam traces.

Traces come from :mod:`vitals.rppg.synthetic`: pulse waveforms from real finger PPG recordings (BIDMC
records 07, 13, 52 and PhysioNet/CinC 2015 record a103l, time-warped to 45-180 bpm; two traces in three)
or a parametric beat shape, under one recording condition each - clean, mild noise, dark skin, drift
(with auto-exposure wander), irregular timing (jitter, drops, gaps), 15/24 fps, motion bursts, low light
(quantised) - plus traces with no pulse at all, where the right answer is "not acceptable".

Splits (the engine never saw the held-out one during development):

- ``dev``: PPG records bidmc_07 and bidmc_52, seed 1000. The engine was developed and its verdict
  thresholds calibrated on this split.
- ``heldout``: PPG records bidmc_13 and a103l, seed 2000, reported only.

Baselines, on the same traces resampled to the same uniform clock: plain POS (Wang et al. 2017,
Algorithm 1, 1.6 s windows, overlap-add) or plain CHROM (de Haan & Jeanne 2013), then smoothness-priors
detrending, 0.7-3 Hz band-pass and the highest periodogram peak - the usual rPPG-Toolbox-style pipeline.
The targets are stated against plain POS.

Per condition: MAE, RMSE, % within 3 and 5 bpm over all traces (the engine's value is counted even when
it flags the measurement as not acceptable), the share the engine accepts and the MAE of those; for the
no-pulse conditions, the share the engine rightly calls not acceptable.

    python bench/rppg_accuracy.py                         # held-out split, 40 traces per condition
    python bench/rppg_accuracy.py --split dev --per-condition 100

Needs the PPG recordings in /work/shared/data/ppg (or RPPG_PPG_DIR). The last line printed is JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from multiprocessing import Pool
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vitals.rppg import estimate_heart_rate  # noqa: E402
from vitals.rppg.filters import bandpass, detrend  # noqa: E402
from vitals.rppg.methods import chrom, pos  # noqa: E402
from vitals.rppg.resample import resample_uniform, sort_and_merge  # noqa: E402
from vitals.rppg.synthetic import CONDITIONS, SyntheticTrace, ppg_data_available, suite  # noqa: E402

SPLITS = {
    "dev": (("bidmc_07", "bidmc_52"), 1000),
    "heldout": (("bidmc_13", "a103l"), 2000),
}
BASELINE_BAND_HZ = (0.7, 3.0)
TARGET_CLEAN_MAE = 2.0
TARGET_RATIO = 0.5


def baseline_bpm(samples: np.ndarray, method: Callable[[np.ndarray, float], np.ndarray]) -> float:
    """A baseline: POS or CHROM -> detrend -> band-pass -> highest periodogram peak."""
    trace = resample_uniform(sort_and_merge(samples))
    pulse = bandpass(detrend(method(trace.rgb, trace.fs_hz)), trace.fs_hz, BASELINE_BAND_HZ)
    nfft = 1 << int(np.ceil(np.log2(8 * len(pulse))))
    freqs = np.fft.rfftfreq(nfft, 1.0 / trace.fs_hz)
    power = np.abs(np.fft.rfft(pulse, nfft)) ** 2
    band = (freqs >= BASELINE_BAND_HZ[0]) & (freqs <= BASELINE_BAND_HZ[1])
    return float(60.0 * freqs[band][np.argmax(power[band])])


def score(trace: SyntheticTrace) -> dict[str, Any]:
    result = estimate_heart_rate(trace.samples)
    return {
        "condition": trace.spec.condition,
        "source": "parametric" if trace.spec.source == "parametric" else "real-ppg",
        "true_bpm": trace.true_bpm,
        "engine_bpm": result.heart_rate_bpm,
        "acceptable": result.acceptable,
        "pos_bpm": baseline_bpm(trace.samples, pos),
        "chrom_bpm": baseline_bpm(trace.samples, chrom),
    }


def build(split: str, per_condition: int) -> list[SyntheticTrace]:
    records, seed = SPLITS[split]
    return suite(tuple(CONDITIONS), per_condition, records, seed)


def errors(rows: list[dict[str, Any]], key: str) -> np.ndarray:
    # A missing estimate counts as the worst plausible error rather than being left out.
    return np.array([abs((row[key] if row[key] is not None else 0.0) - row["true_bpm"]) for row in rows])


def accuracy(err: np.ndarray) -> dict[str, float]:
    return {
        "mae": round(float(err.mean()), 2),
        "rmse": round(float(np.sqrt((err**2).mean())), 2),
        "within_3": round(float((err <= 3).mean() * 100), 1),
        "within_5": round(float((err <= 5).mean() * 100), 1),
    }


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    if rows[0]["true_bpm"] is None:
        rejected = np.mean([not row["acceptable"] for row in rows])
        return {"n": len(rows), "rightly_unacceptable": round(float(rejected * 100), 1)}
    engine_err = errors(rows, "engine_bpm")
    accepted = np.array([row["acceptable"] for row in rows])
    bad = engine_err > 5
    return {
        "n": len(rows),
        "engine": accuracy(engine_err),
        "plain_pos": accuracy(errors(rows, "pos_bpm")),
        "plain_chrom": accuracy(errors(rows, "chrom_bpm")),
        "accepted": round(float(accepted.mean() * 100), 1),
        "accepted_mae": round(float(engine_err[accepted].mean()), 2) if accepted.any() else None,
        "off_by_5_flagged": round(float((~accepted[bad]).mean() * 100), 1) if bad.any() else None,
    }


def targets(summary: dict[str, dict[str, Any]]) -> dict[str, bool]:
    checks = {f"{c}_mae_le_2": summary[c]["engine"]["mae"] <= TARGET_CLEAN_MAE for c in ("clean", "mild-noise")}
    for name in ("motion", "low-light"):
        engine, baseline = summary[name]["engine"]["mae"], summary[name]["plain_pos"]["mae"]
        checks[f"{name}_le_half_pos"] = engine <= TARGET_RATIO * baseline
    return checks


def print_table(split: str, summary: dict[str, dict[str, Any]]) -> None:
    print(f"\nsplit {split}: engine vs plain POS and CHROM (MAE / RMSE bpm, % within 3 / 5 bpm)")
    for condition, figures in summary.items():
        if "engine" not in figures:
            rejected = figures["rightly_unacceptable"]
            print(f"  {condition:20s} n={figures['n']:3d}  rightly unacceptable {rejected:5.1f}%")
            continue
        e, p, c = figures["engine"], figures["plain_pos"], figures["plain_chrom"]
        print(
            f"  {condition:20s} n={figures['n']:3d}  engine {_figures(e)}   POS {_figures(p)}   "
            f"CHROM MAE {c['mae']:6.2f}   accepted {figures['accepted']:5.1f}% (MAE {figures['accepted_mae']})"
        )


def _figures(scores: dict[str, float]) -> str:
    return f"{scores['mae']:6.2f} / {scores['rmse']:6.2f}  {scores['within_3']:5.1f}% / {scores['within_5']:5.1f}%"


def run_split(split: str, per_condition: int, workers: int) -> dict[str, Any]:
    traces = build(split, per_condition)
    with Pool(workers) as pool:
        rows = pool.map(score, traces, chunksize=8)
    by_condition = {c: [r for r in rows if r["condition"] == c] for c in CONDITIONS}
    summary = {c: summarise(group) for c, group in by_condition.items() if group}
    pulse_rows = [r for r in rows if r["true_bpm"] is not None]
    by_source = {
        source: summarise([r for r in pulse_rows if r["source"] == source]) for source in ("real-ppg", "parametric")
    }
    print_table(split, summary)
    print("  by pulse source: " + "; ".join(f"{s} engine MAE {v['engine']['mae']}" for s, v in by_source.items()))
    return {"conditions": summary, "by_source": by_source, "targets": targets(summary)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=[*SPLITS, "all"], default="heldout")
    parser.add_argument("--per-condition", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if not ppg_data_available():
        sys.exit("PPG recordings not found: set RPPG_PPG_DIR to the folder with the BIDMC / a103l files")
    started = time.perf_counter()
    splits = list(SPLITS) if args.split == "all" else [args.split]
    report: dict[str, Any] = {split: run_split(split, args.per_condition, args.workers) for split in splits}
    report["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(report))


if __name__ == "__main__":
    main()

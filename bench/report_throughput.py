"""Report analysis throughput, single process, embedded (no network): ms per text page, ms per OCR page, reports/min.

    .venv/bin/python bench/report_throughput.py [--rounds 5] [--ocr-rounds 2]

Text PDFs are the generated fixture layouts (CBC, CMP, inline, markers, urinalysis, two-column, three pages, decimal
commas) and the real-world layouts (reports/tests/fixtures/real_layouts.py: previous-result and cumulative columns,
method columns, LIS printouts, bordered tables, 16 pages), analysed end to end (validate → extract → parse → embedded
summary). "cold" clears the tokenizer and unit
caches before every document, as for the first report a worker sees; "warm" keeps them. OCR pages are a scanned PNG
and an image-only PDF read by Tesseract. Target: <= 50 ms per text page. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reports.analysis import tokens, units
from reports.analysis.service import analyze_document
from reports.tests.fixtures.make_reports import REPORTS, image_only_pdf, ocr_panel, render_image
from reports.tests.fixtures.real_layouts import REAL_LAYOUTS

TARGET_MS_PER_TEXT_PAGE = 50.0


def _clear_caches() -> None:
    tokens._tokenize.cache_clear()
    units.normalize_unit.cache_clear()


def _time_document(data: bytes, filename: str, *, cold: bool) -> tuple[float, int]:
    if cold:
        _clear_caches()
    started = time.perf_counter()
    result = analyze_document(data, filename)
    return (time.perf_counter() - started) * 1000, len(result.document.pages)


def _text_pages(rounds: int, *, cold: bool) -> tuple[list[float], list[float]]:
    documents = [(report.name + ".pdf", report.build()) for report in [*REPORTS, *REAL_LAYOUTS]]
    per_page: list[float] = []
    per_document: list[float] = []
    for _ in range(rounds):
        for filename, data in documents:
            elapsed_ms, pages = _time_document(data, filename, cold=cold)
            per_document.append(elapsed_ms)
            per_page.extend([elapsed_ms / pages] * pages)
    return per_page, per_document


def _ocr_pages(rounds: int) -> list[float]:
    png = render_image(ocr_panel(), "PNG", dpi=200)
    samples = [("scan.png", png), ("scan.pdf", image_only_pdf(png))]
    return [_time_document(data, name, cold=False)[0] for _ in range(rounds) for name, data in samples]


def _summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "mean": round(statistics.fmean(ordered), 2),
        "p50": round(ordered[len(ordered) // 2], 2),
        "p95": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--ocr-rounds", type=int, default=2)
    args = parser.parse_args()

    analyze_document(REPORTS[0].build(), "warmup.pdf")
    cold_pages, cold_documents = _text_pages(args.rounds, cold=True)
    warm_pages, warm_documents = _text_pages(args.rounds, cold=False)
    figures: dict[str, object] = {
        "text_ms_per_page_cold": _summary(cold_pages),
        "text_ms_per_page_warm": _summary(warm_pages),
        "text_reports_per_minute_cold": round(60_000 / statistics.fmean(cold_documents), 1),
        "text_reports_per_minute_warm": round(60_000 / statistics.fmean(warm_documents), 1),
        "text_pages_measured": len(cold_pages) + len(warm_pages),
        "target_ms_per_text_page": TARGET_MS_PER_TEXT_PAGE,
        "meets_target": statistics.fmean(cold_pages) <= TARGET_MS_PER_TEXT_PAGE,
    }
    if shutil.which("tesseract") and args.ocr_rounds > 0:
        ocr = _ocr_pages(args.ocr_rounds)
        figures["ocr_ms_per_page"] = _summary(ocr)
        figures["ocr_reports_per_minute"] = round(60_000 / statistics.fmean(ocr), 1)
    else:
        figures["ocr_ms_per_page"] = None
    print(f"text page  cold {figures['text_ms_per_page_cold']}  warm {figures['text_ms_per_page_warm']} ms")
    print(f"OCR page   {figures['ocr_ms_per_page']} ms")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

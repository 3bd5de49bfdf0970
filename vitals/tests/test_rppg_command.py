"""Reading CSV traces and the ``estimate_heart_rate`` management command."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from vitals.rppg import SampleError
from vitals.rppg.io import read_trace_csv
from vitals.rppg.synthetic import TraceSpec, make_trace


def _write_csv(path: Path, samples: np.ndarray, header: str = "t,r,g,b") -> Path:
    lines = [header] + [",".join(f"{v:.6f}" for v in row) for row in samples]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_reader_takes_columns_by_header_name(tmp_path: Path) -> None:
    path = tmp_path / "trace.csv"
    path.write_text(" B ,t,G,R,note\n3,0.0,2,1,x\n6,0.1,5,4,y\n", encoding="utf-8")
    assert read_trace_csv(path).tolist() == [[0.0, 1.0, 2.0, 3.0], [0.1, 4.0, 5.0, 6.0]]


def test_reader_skips_rows_with_missing_values(tmp_path: Path) -> None:
    path = tmp_path / "trace.csv"
    path.write_text("t,r,g,b\n0,1,2,3\n0.1,,2,3\n0.2,nan,2,3\n0.3,1,2,3\n", encoding="utf-8")
    assert read_trace_csv(path)[:, 0].tolist() == [0.0, 0.3]


@pytest.mark.parametrize(
    ("content", "message"),
    [("x,y\n1,2\n", "missing"), ("t,r,g,b\n0,a,2,3\n", "numbers"), ("t,r,g,b\n", "no usable"), ("", "empty")],
)
def test_reader_rejects_malformed_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SampleError, match=message):
        read_trace_csv(path)


def test_command_prints_the_result_as_json(tmp_path: Path) -> None:
    samples = make_trace(TraceSpec("irregular-timing", 92.0, 4)).samples
    out = io.StringIO()
    call_command("estimate_heart_rate", str(_write_csv(tmp_path / "trace.csv", samples)), "--json", stdout=out)
    payload = json.loads(out.getvalue())
    assert payload["heart_rate_bpm"] == pytest.approx(92.0, abs=2.0)
    assert payload["quality"]["acceptable"] is True
    assert payload["quality"]["reason"] == "ok"
    assert isinstance(payload["quality"]["snr_db"], float)
    assert payload["duration_s"] == pytest.approx(30.0, abs=0.5)
    assert payload["method"]


def test_command_reports_an_unacceptable_trace_as_such(tmp_path: Path) -> None:
    samples = make_trace(TraceSpec("no-pulse", 70.0, 4)).samples
    out = io.StringIO()
    call_command("estimate_heart_rate", str(_write_csv(tmp_path / "noise.csv", samples)), "--json", stdout=out)
    assert json.loads(out.getvalue())["quality"]["acceptable"] is False


def test_command_without_json_prints_a_sentence(tmp_path: Path) -> None:
    samples = make_trace(TraceSpec("clean", 70.0, 4)).samples
    out = io.StringIO()
    call_command("estimate_heart_rate", str(_write_csv(tmp_path / "trace.csv", samples)), stdout=out)
    assert "/min" in out.getvalue()
    assert "acceptable" in out.getvalue()


def test_command_fails_cleanly_on_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="cannot read"):
        call_command("estimate_heart_rate", str(tmp_path / "absent.csv"), "--json")


def test_command_fails_cleanly_on_a_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("time,red\n1,2\n", encoding="utf-8")
    with pytest.raises(CommandError, match="t,r,g,b"):
        call_command("estimate_heart_rate", str(path), "--json")

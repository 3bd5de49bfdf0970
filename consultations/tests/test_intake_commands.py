"""manage.py triage, intake_chat and build_speech_model: no database needed, JSON shape as agreed."""

import io
import json
from pathlib import Path
from typing import Any

from django.conf import settings as django_settings
from django.core.management import call_command

from consultations.intake.chat import run_chat


def test_triage_json_prints_the_assessment():
    out = io.StringIO()
    call_command("triage", "--json", "A 45-year-old man with crushing chest pain and sweating", stdout=out)
    data = json.loads(out.getvalue())
    assert data["triage_level"] == "emergency_ambulance"
    assert {"triage_level", "red_flags", "symptoms", "advice", "summary"} <= set(data)
    assert data["red_flags"][0].keys() == {"code", "label", "evidence"}


def test_triage_without_json_prints_readable_text():
    out = io.StringIO()
    call_command("triage", "I have a runny nose", stdout=out)
    assert "Triage level: self_care" in out.getvalue() and "S:" in out.getvalue()


def test_intake_chat_command_runs_an_interview_and_ends_with_json(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("I have a sore throat\nquit\n"))
    out = io.StringIO()
    call_command("intake_chat", "--json", stdout=out)
    text = out.getvalue()
    assert "Nurse:" in text
    assert json.loads(text.strip().splitlines()[-1])["triage_level"]


def test_run_chat_escalates_and_stops_on_an_emergency():
    out = io.StringIO()
    code = run_chat(io.StringIO("I can't breathe and my lips are blue\nthis line is never read\n"), out, as_json=True)
    assert code == 0
    last = json.loads(out.getvalue().strip().splitlines()[-1])
    assert last["triage_level"] == "emergency_ambulance" and "999" in out.getvalue()


def test_build_speech_model_prepares_the_embedded_recogniser_s_model(settings: Any) -> None:
    settings.VOICE_PROVIDERS = {**settings.VOICE_PROVIDERS, "STT_PROVIDER": "embedded"}
    out = io.StringIO()
    call_command("build_speech_model", stdout=out)
    path = out.getvalue().split("Speech model ready: ")[1].split(" (")[0]
    assert Path(path).is_file() and path.startswith(django_settings.VOICE_PROVIDERS["STT_CACHE_DIR"])


def test_build_speech_model_has_nothing_to_do_for_a_hosted_recogniser(settings: Any) -> None:
    settings.VOICE_PROVIDERS = {**settings.VOICE_PROVIDERS, "STT_PROVIDER": "simulated"}
    out = io.StringIO()
    call_command("build_speech_model", stdout=out)
    assert "no embedded model to build" in out.getvalue()

"""Settings come from the environment only: each case loads them in a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "healthhelper.settings")
django.setup()
from django.conf import settings
print(json.dumps({
    "db": settings.DATABASES["default"]["ENGINE"],
    "channels": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "storage": settings.STORAGES["default"]["BACKEND"],
    "email": settings.EMAIL_BACKEND,
    "secret_key": settings.SECRET_KEY,
    "stt": settings.VOICE_PROVIDERS["STT_PROVIDER"],
    "llm": settings.VOICE_PROVIDERS["LLM_PROVIDER"],
    "tts": settings.VOICE_PROVIDERS["TTS_PROVIDER"],
}))
"""
SERVICE_VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "AWS_STORAGE_BUCKET_NAME",
    "AWS_SECRETS_MANAGER_SECRET_ID",
    "DJANGO_ENV",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DEEPGRAM_API_KEY",
    "CARTESIA_API_KEY",
    "BEDROCK_MODEL_ID",
    "OPENAI_BASE_URL",
    "STT_PROVIDER",
    "LLM_PROVIDER",
    "TTS_PROVIDER",
)


def _clean_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    env.update(overrides)
    return env


def _run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=_clean_env(**env), capture_output=True, text=True, timeout=60
    )


def load_settings(**env: str) -> dict[str, object]:
    result = _run(PROBE, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_no_variables_means_everything_embedded() -> None:
    loaded = load_settings()
    assert loaded["db"] == "django.db.backends.sqlite3"
    assert loaded["channels"] == "channels.layers.InMemoryChannelLayer"
    assert loaded["eager"] is True
    assert loaded["storage"] == "django.core.files.storage.FileSystemStorage"
    assert loaded["email"] == "django.core.mail.backends.console.EmailBackend"
    assert (loaded["stt"], loaded["llm"], loaded["tts"]) == ("embedded", "embedded", "embedded")


def test_service_variables_switch_on_postgres_redis_celery_and_s3() -> None:
    loaded = load_settings(
        DATABASE_URL="postgres://u@127.0.0.1:5432/x",
        REDIS_URL="redis://127.0.0.1:6379/0",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/1",
        AWS_STORAGE_BUCKET_NAME="reports-bucket",
    )
    assert loaded["db"] == "django.db.backends.postgresql"
    assert loaded["channels"] == "healthhelper.channel_layer.RedisChannelLayer"
    assert loaded["eager"] is False
    assert loaded["storage"] == "storages.backends.s3.S3Storage"


def test_provider_keys_switch_on_production_voice_providers() -> None:
    loaded = load_settings(DEEPGRAM_API_KEY="k", CARTESIA_API_KEY="k", BEDROCK_MODEL_ID="anthropic.claude")
    assert (loaded["stt"], loaded["llm"], loaded["tts"]) == ("deepgram", "bedrock", "cartesia")


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"])
def test_production_refuses_to_start_without_required_settings(missing: str) -> None:
    env = {
        "DJANGO_ENV": "production",
        "SECRET_KEY": "x" * 60,
        "ALLOWED_HOSTS": "hh.example.org",
        "DATABASE_URL": "postgres://u@127.0.0.1:5432/x",
    }
    env.pop(missing)
    result = _run(PROBE, **env)
    assert result.returncode != 0 and missing in result.stderr


def test_production_passes_check_deploy() -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_clean_env(
            DJANGO_ENV="production",
            SECRET_KEY="k3y-" + "a1B2c3D4e5" * 6,
            ALLOWED_HOSTS="hh.example.org",
            DATABASE_URL="postgres://u@127.0.0.1:5432/x",
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_secrets_manager_values_become_settings(tmp_path: Path) -> None:
    """Against moto's real HTTP server: the secret's JSON keys feed settings; the environment wins."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        aws = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "eu-west-2"}
        import boto3

        boto3.client(
            "secretsmanager",
            endpoint_url=endpoint,
            region_name="eu-west-2",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        ).create_secret(
            Name="healthhelper/app",
            SecretString=json.dumps(
                {
                    "SECRET_KEY": "from-secrets-manager",
                    "REDIS_URL": "redis://127.0.0.1:6379/3",
                    "DEEPGRAM_API_KEY": "dg",
                }
            ),
        )
        loaded = load_settings(
            AWS_SECRETS_MANAGER_SECRET_ID="healthhelper/app",
            AWS_SECRETS_MANAGER_ENDPOINT_URL=endpoint,
            TTS_PROVIDER="embedded",
            **aws,
        )
        assert loaded["secret_key"] == "from-secrets-manager"
        assert loaded["channels"] == "healthhelper.channel_layer.RedisChannelLayer"
        assert loaded["stt"] == "deepgram" and loaded["tts"] == "embedded"
        broken = _run(PROBE, AWS_SECRETS_MANAGER_SECRET_ID="missing", AWS_SECRETS_MANAGER_ENDPOINT_URL=endpoint, **aws)
        assert broken.returncode != 0 and "cannot read secret" in broken.stderr
    finally:
        server.stop()

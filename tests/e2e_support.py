"""Real-browser end-to-end tests: a Daphne server on a throw-away database with the demo accounts, and
Debian Chromium with a fake camera and microphone fed from files.

    with running_server(tmp_path) as server, fake_media_browser(video_y4m=path) as browser:
        page = browser.new_page()
        log_in(page, server, server.patient_email)

The server is ``manage.py runserver`` from Daphne (``daphne`` is first in INSTALLED_APPS): the same ASGI
application as production, plus the static files, which plain ``daphne`` does not serve. It always gets
its own SQLite file and the in-memory channel layer, whatever DATABASE_URL / REDIS_URL the test run
has, unless ``env`` says otherwise.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conftest import require_service

PROJECT_DIR = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
DEMO_PASSWORD = "e2e-demo-password-1234"
# Production services a developer's shell may point at; an e2e server uses none of them unless asked.
SERVICE_VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "AWS_STORAGE_BUCKET_NAME",
    "DEEPGRAM_API_KEY",
    "CARTESIA_API_KEY",
    "BEDROCK_MODEL_ID",
    "OPENAI_BASE_URL",
    "CAIRE_API_KEY",
    "AWS_SECRETS_MANAGER_SECRET_ID",
)
CHROMIUM_ARGS = (
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
)


@dataclass
class LiveServer:
    url: str
    env: dict[str, str]
    log_path: Path
    password: str = DEMO_PASSWORD
    patient_email: str = "patient@example.com"
    other_patient_email: str = "patient2@example.com"
    clinician_email: str = "clinician@example.com"
    admin_email: str = "admin@example.com"

    @property
    def ws_url(self) -> str:
        return "ws" + self.url.removeprefix("http")

    def manage(self, *args: str, timeout_s: float = 120) -> str:
        """Run a management command against this server's database; returns its standard output."""
        return manage(self.env, *args, timeout_s=timeout_s)

    def totp_code(self, email: str) -> str:
        return self.manage("totp_code", email).split()[0]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_environment(data_dir: Path, env: Mapping[str, str] | None = None) -> dict[str, str]:
    base = {key: value for key, value in os.environ.items() if key not in SERVICE_VARIABLES}
    base.update(
        {
            "DJANGO_SETTINGS_MODULE": "healthhelper.settings",
            "DJANGO_ENV": "development",
            "DEBUG": "1",
            "DATA_DIR": str(data_dir),
            "DATABASE_URL": f"sqlite:///{data_dir / 'db.sqlite3'}",
            "MEDIA_ROOT": str(data_dir / "media"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    base.update(env or {})
    return base


def manage(env: Mapping[str, str], *args: str, timeout_s: float = 120) -> str:
    completed = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_DIR,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{completed.stdout}\n{completed.stderr}")
    return completed.stdout


@contextmanager
def running_server(
    data_dir: Path,
    *,
    env: Mapping[str, str] | None = None,
    seed_commands: Sequence[Sequence[str]] = (),
    startup_timeout_s: float = 60,
) -> Iterator[LiveServer]:
    """Migrate a fresh database in ``data_dir``, create the demo accounts (``seed_demo``) and any
    ``seed_commands`` (management commands), start the server on a free port, and stop it afterwards."""
    data_dir.mkdir(parents=True, exist_ok=True)
    server_env = server_environment(data_dir, env)
    manage(server_env, "migrate", "--noinput")
    manage(server_env, "seed_demo", "--password", DEMO_PASSWORD)
    for command in seed_commands:
        manage(server_env, *command)
    port = free_port()
    log_path = data_dir / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--insecure"],
            cwd=PROJECT_DIR,
            env=server_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(url=f"http://127.0.0.1:{port}", env=server_env, log_path=log_path)
    try:
        _wait_until_up(server, process, startup_timeout_s)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _wait_until_up(server: LiveServer, process: subprocess.Popen[Any], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{server.log()}")
        try:
            with urllib.request.urlopen(f"{server.url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server did not answer within {timeout_s:.0f} s:\n{server.log()}")


def chromium_args(
    *, video_y4m: Path | None = None, audio_wav: Path | None = None, extra: Sequence[str] = ()
) -> list[str]:
    """Chromium switches for a fake camera (a looping .y4m) and microphone (a looping .wav)."""
    args = list(CHROMIUM_ARGS)
    if video_y4m is not None:
        args.append(f"--use-file-for-fake-video-capture={video_y4m}")
    if audio_wav is not None:
        args.append(f"--use-file-for-fake-audio-capture={audio_wav}")
    return [*args, *extra]


def require_browser() -> None:
    """Skip without Chromium and Playwright on a laptop; fail in CI (HEALTHHELPER_REQUIRE_SERVICES=1)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        require_service("Playwright", False)
    require_service(f"Chromium at {CHROMIUM}", CHROMIUM.exists())


@contextmanager
def fake_media_browser(
    *, video_y4m: Path | None = None, audio_wav: Path | None = None, extra_args: Sequence[str] = ()
) -> Iterator[Any]:
    """A headless Playwright ``Browser`` on Debian Chromium whose camera and microphone are the files."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=chromium_args(video_y4m=video_y4m, audio_wav=audio_wav, extra=extra_args),
        )
        try:
            yield browser
        finally:
            browser.close()


def log_in(page: Any, server: LiveServer, email: str, password: str | None = None) -> None:
    """Log in through the login form; staff pass the TOTP step with their seeded authenticator."""
    page.goto(f"{server.url}/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password or server.password)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    if "/accounts/mfa/verify/" in page.url:
        page.fill("input[name=token]", server.totp_code(email))
        page.click("main form button[type=submit]")
        page.wait_for_load_state()
    if "/accounts/login/" in page.url or "/accounts/mfa/" in page.url:
        raise AssertionError(f"could not log in as {email}: still on {page.url}")

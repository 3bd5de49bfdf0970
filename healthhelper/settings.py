"""Health Helper settings: one module, driven by the environment only.

With no variables set everything runs embedded (SQLite, in-memory channel layer,
eager Celery, local media files, console e-mail, embedded STT/LLM/TTS/rPPG).
Each production service switches on by its own variable; see the README table.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import environ

from healthhelper.integrations.secrets import load_secrets_into_environment

BASE_DIR = Path(__file__).resolve().parent.parent

# Secrets Manager first, so its values feed every setting below (env wins over the secret).
SECRETS_LOADED_FROM_AWS = load_secrets_into_environment(os.environ)

env = environ.Env()
DJANGO_ENV = env("DJANGO_ENV", default="development")
IS_PRODUCTION = DJANGO_ENV == "production"


class ImproperlyConfiguredForProduction(Exception):
    pass


def _require_in_production(name: str) -> None:
    if IS_PRODUCTION and not env.str(name, default=""):
        raise ImproperlyConfiguredForProduction(f"DJANGO_ENV=production needs {name} to be set")


for _required in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"):
    _require_in_production(_required)

# --------------------------------------------------------------------------- core
SECRET_KEY = env("SECRET_KEY", default="dev-insecure-key-only-for-local-use-never-in-production-0123456789")
DEBUG = env.bool("DEBUG", default=not IS_PRODUCTION)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "healthhelper.admin_site.HealthHelperAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "accounts",
    "consultations",
    "reports",
    "vitals",
    "knowledge",
]

MIDDLEWARE = [
    "healthhelper.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.IdleTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it inspects the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "healthhelper.urls"
WSGI_APPLICATION = "healthhelper.wsgi.application"
ASGI_APPLICATION = "healthhelper.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --------------------------------------------------------------------------- database
# Embedded: a SQLite file. Production: DATABASE_URL (PostgreSQL on RDS).
DATA_DIR = Path(env("DATA_DIR", default=str(BASE_DIR / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'db.sqlite3'}")}
# Persistent connections: every WebSocket consumer's database call would otherwise open a new one.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (Daphne + a worker) may share the file: wait instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --------------------------------------------------------------------------- redis: channels + cache
# Embedded: in-memory channel layer and local-memory cache. Production: REDIS_URL (ElastiCache).
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "healthhelper.channel_layer.RedisChannelLayer",
            # redis-py's 5 s read timeout races channels_redis's 5 s blocking receive; give reads room.
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": 15}],
                "prefix": env("CHANNEL_LAYER_PREFIX", default="healthhelper"),
            },
        }
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --------------------------------------------------------------------------- celery
# Embedded: tasks run eagerly in the calling process (no broker, no second process to
# start on a laptop; results land before the page reloads). Production: CELERY_BROKER_URL
# (Redis) and a real `celery -A healthhelper worker` process.
CELERY_BROKER_CONFIGURED = bool(env("CELERY_BROKER_URL", default=""))
# memory:// keeps an eager app from ever dialling a default broker on localhost.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="memory://")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_CONFIGURED
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's Django fixup otherwise closes every database connection after every task: a fresh
# PostgreSQL connection (a backend fork and authentication) per voice save cost the save worker
# more CPU than the saving itself. It now reuses a connection for this many tasks.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=100)
# Voice consultations' turns and assessments are saved by their own worker (Procfile ``voice_writes``:
# one process, lower CPU priority than the web process, never stuck behind a report's OCR).
VOICE_WRITES_QUEUE = "voice_writes"
CELERY_TASK_ROUTES = {
    "consultations.tasks.save_voice_events": {"queue": VOICE_WRITES_QUEUE},
    "consultations.tasks.save_session_events": {"queue": VOICE_WRITES_QUEUE},
}
# Redelivery of an unacked task after a worker dies; long enough for the slowest OCR job.
# The sweep that redelivers them runs every CELERY_UNACKED_RESTORE_INTERVAL_S seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT_S", default=900),
    "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL_S", default=10),
    "unacked_restore_throttle": 1,
}

# --------------------------------------------------------------------------- files
# Embedded: local media folder. Production: S3 when AWS_STORAGE_BUCKET_NAME is set.
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")
AWS_REGION = env("AWS_REGION", default=env("AWS_DEFAULT_REGION", default="us-east-1"))
if AWS_STORAGE_BUCKET_NAME:
    _media_backend = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "region_name": env("AWS_S3_REGION_NAME", default=AWS_REGION),
            "endpoint_url": env("AWS_S3_ENDPOINT_URL", default=None),
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": env.int("AWS_S3_PRESIGNED_EXPIRY_S", default=300),
            "file_overwrite": False,
            "object_parameters": {"ServerSideEncryption": env("AWS_S3_SSE", default="AES256")},
            "signature_version": "s3v4",
        },
    }
else:
    _media_backend = {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": MEDIA_ROOT}}
STORAGES = {
    "default": _media_backend,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
REPORT_MAX_UPLOAD_BYTES = env.int("REPORT_MAX_UPLOAD_BYTES", default=20 * 1024 * 1024)
REPORT_MAX_PAGES = env.int("REPORT_MAX_PAGES", default=50)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --------------------------------------------------------------------------- e-mail
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Health Helper <no-reply@healthhelper.local>")

# --------------------------------------------------------------------------- accounts and security
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "landing"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Lockout: 5 failures for the same account from the same address lock it for a cool-off,
# never for ever (a permanent lock would be a denial-of-service lever against patients).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=1 if IS_PRODUCTION else 0)
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

# Idle log-off: the session expires after this much inactivity (every request renews it).
IDLE_TIMEOUT_MINUTES = env.int("IDLE_TIMEOUT_MINUTES", default=15)
SESSION_COOKIE_AGE = IDLE_TIMEOUT_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
OTP_TOTP_ISSUER = "Health Helper"

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if IS_PRODUCTION:
    # TLS ends at the load balancer, which tells us the original scheme.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --------------------------------------------------------------------------- voice providers
# Each kind is a short name ("embedded", "deepgram", "bedrock", "openai", "cartesia",
# "simulated") or a dotted path to a factory. Production keys switch providers on by themselves.
DEEPGRAM_API_KEY = env("DEEPGRAM_API_KEY", default="")
CARTESIA_API_KEY = env("CARTESIA_API_KEY", default="")
BEDROCK_MODEL_ID = env("BEDROCK_MODEL_ID", default="")
OPENAI_BASE_URL = env("OPENAI_BASE_URL", default="")
VOICE_PROVIDERS = {
    "STT_PROVIDER": env("STT_PROVIDER", default="deepgram" if DEEPGRAM_API_KEY else "embedded"),
    "LLM_PROVIDER": env(
        "LLM_PROVIDER", default="bedrock" if BEDROCK_MODEL_ID else ("openai" if OPENAI_BASE_URL else "embedded")
    ),
    "TTS_PROVIDER": env("TTS_PROVIDER", default="cartesia" if CARTESIA_API_KEY else "embedded"),
    "DEEPGRAM_API_KEY": DEEPGRAM_API_KEY,
    "DEEPGRAM_URL": env("DEEPGRAM_URL", default="wss://api.deepgram.com/v1/listen"),
    "DEEPGRAM_MODEL": env("DEEPGRAM_MODEL", default="nova-3-medical"),
    "CARTESIA_API_KEY": CARTESIA_API_KEY,
    "CARTESIA_URL": env("CARTESIA_URL", default="wss://api.cartesia.ai/tts/websocket"),
    "CARTESIA_VOICE_ID": env("CARTESIA_VOICE_ID", default=""),
    "CARTESIA_MODEL_ID": env("CARTESIA_MODEL_ID", default="sonic-2"),
    "BEDROCK_MODEL_ID": BEDROCK_MODEL_ID,
    "BEDROCK_ENDPOINT_URL": env("BEDROCK_ENDPOINT_URL", default=""),
    "AWS_REGION": AWS_REGION,
    "OPENAI_BASE_URL": OPENAI_BASE_URL,
    "OPENAI_API_KEY": env("OPENAI_API_KEY", default=""),
    "OPENAI_MODEL": env("OPENAI_MODEL", default=""),
    "SIMULATED_STT_FINAL_MS": env.float("SIMULATED_STT_FINAL_MS", default=300.0),
    "SIMULATED_LLM_FIRST_TOKEN_MS": env.float("SIMULATED_LLM_FIRST_TOKEN_MS", default=600.0),
    "SIMULATED_LLM_TOKENS_PER_S": env.float("SIMULATED_LLM_TOKENS_PER_S", default=60.0),
    "SIMULATED_TTS_FIRST_BYTE_MS": env.float("SIMULATED_TTS_FIRST_BYTE_MS", default=90.0),
    "STT_CACHE_DIR": str(DATA_DIR / "cache" / "stt"),
}

# --------------------------------------------------------------------------- vitals, reports, knowledge
CAIRE_API_KEY = env("CAIRE_API_KEY", default="")
CAIRE_WS_URL = env("CAIRE_WS_URL", default="wss://api.caire.ai/v1/rppg/stream")
REPORTS_BEDROCK_MODEL_ID = env("REPORTS_BEDROCK_MODEL_ID", default=BEDROCK_MODEL_ID)
BEDROCK_KNOWLEDGE_BASE_ID = env("BEDROCK_KNOWLEDGE_BASE_ID", default="")
KNOWLEDGE_CORPUS_PATH = env(
    "KNOWLEDGE_CORPUS_PATH",
    default=str(BASE_DIR.parent / "shared" / "data" / "medlineplus" / "medlineplus_health_topics_en_2025-10-01.json"),
)

# --------------------------------------------------------------------------- i18n, logging
LANGUAGE_CODE = "en-gb"
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}, "daphne": {"level": "WARNING"}},
}

SILENCED_SYSTEM_CHECKS: list[str] = []

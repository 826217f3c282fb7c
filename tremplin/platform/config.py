"""Configuration read from the environment (and `.env`), with safe defaults.

Never put a secret here: SECRET_KEY is generated into instance/ on first run when unset.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from dotenv import load_dotenv

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def jobs_embedded() -> bool:
    """Whether the web server runs the job runner itself (`make run`: gunicorn starts it as
    a child process): on unless REDIS_URL is set (scale-out runs `flask jobs run`)."""
    load_dotenv(PROJECT_ROOT / ".env", override=False)
    return _bool("JOBS_EMBEDDED", not os.environ.get("REDIS_URL"))


def _secret_key(instance_path: Path) -> str:
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def load_config(instance_path: Path) -> dict:
    """Every setting the app reads, from the environment, as a plain dict."""
    load_dotenv(PROJECT_ROOT / ".env", override=False)
    base_url = os.environ.get("TREMPLIN_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    database_url = os.environ.get("DATABASE_URL", f"sqlite:///{instance_path / 'tremplin.sqlite3'}")
    if database_url.startswith("postgres://"):  # Heroku-style URLs
        database_url = "postgresql://" + database_url[len("postgres://") :]
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]
    redis_url = os.environ.get("REDIS_URL") or None
    https = base_url.startswith("https://")
    return {
        "SECRET_KEY": _secret_key(instance_path),
        "TREMPLIN_BASE_URL": base_url,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # gunicorn's threads per process (gunicorn.conf.py reads the same variable); the
        # database pool is sized from it (platform/database.py), or set DATABASE_POOL_SIZE.
        "SERVER_THREADS": int(os.environ.get("TREMPLIN_THREADS", 250)),
        "DATABASE_POOL_SIZE": int(os.environ.get("DATABASE_POOL_SIZE", 0)) or None,
        # Requests at work at once in a process, the others queue (platform/admission.py);
        # 0: no limit. And how many reverse proxies stand in front (X-Forwarded-For hops).
        "MAX_ACTIVE_REQUESTS": int(os.environ.get("TREMPLIN_MAX_ACTIVE_REQUESTS", 6)),
        "ADMISSION_TIMEOUT": float(os.environ.get("TREMPLIN_ADMISSION_TIMEOUT", 30)),
        # Password hashes (scrypt: a core and 32 MB each) computed at once, outside the
        # requests' slots.
        "MAX_PASSWORD_HASHES": int(
            os.environ.get("TREMPLIN_MAX_PASSWORD_HASHES", min(os.cpu_count() or 1, 4))
        ),
        "PROXY_COUNT": int(os.environ.get("TREMPLIN_PROXY_COUNT", 0)),
        "REDIS_URL": redis_url,
        # Cookies: always HttpOnly and SameSite=Lax; Secure whenever the site is served over
        # HTTPS (and on demand), since browsers drop Secure cookies on plain-HTTP hosts.
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", https),
        "REMEMBER_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", https),
        "SESSION_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_DURATION": timedelta(days=30),
        "PERMANENT_SESSION_LIFETIME": timedelta(days=14),
        "PREFERRED_URL_SCHEME": "https" if https else "http",
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", 8 * 1024 * 1024)),
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "BABEL_DEFAULT_LOCALE": "fr",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Paris",
        "BABEL_TRANSLATION_DIRECTORIES": str(PROJECT_ROOT / "translations"),
        "LANGUAGES": ["fr", "en"],
        # Rate limits (Flask-Limiter syntax). Shared through Redis when REDIS_URL is set.
        # Keyed on what is attacked (the e-mail a login tries, the member's account); the
        # `_IP` ceilings count one address, shared by a whole room behind one NAT.
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_LOGIN": os.environ.get("RATELIMIT_LOGIN", "10 per minute; 50 per hour"),
        "RATELIMIT_LOGIN_IP": os.environ.get("RATELIMIT_LOGIN_IP", "300 per minute; 3000 per hour"),
        "RATELIMIT_REGISTER": os.environ.get("RATELIMIT_REGISTER", "30 per minute; 300 per hour"),
        "RATELIMIT_RESET": os.environ.get("RATELIMIT_RESET", "5 per minute; 20 per hour"),
        "RATELIMIT_RESET_IP": os.environ.get("RATELIMIT_RESET_IP", "60 per minute; 600 per hour"),
        "RATELIMIT_POST_IP": os.environ.get("RATELIMIT_POST_IP", "1200 per minute"),
        "RATELIMIT_SEARCH_IP": os.environ.get("RATELIMIT_SEARCH_IP", "3000 per minute"),
        # offers of help on needs (a spammer's favourite form: it e-mails a team)
        "RATELIMIT_OFFER": os.environ.get("RATELIMIT_OFFER", "10 per minute; 30 per hour"),
        "ACCOUNT_LOCK_THRESHOLD": int(os.environ.get("ACCOUNT_LOCK_THRESHOLD", 8)),
        "ACCOUNT_LOCK_MINUTES": int(os.environ.get("ACCOUNT_LOCK_MINUTES", 15)),
        "CONFIRM_TOKEN_MAX_AGE": int(os.environ.get("CONFIRM_TOKEN_MAX_AGE", 3 * 24 * 3600)),
        "RESET_TOKEN_MAX_AGE": int(os.environ.get("RESET_TOKEN_MAX_AGE", 3600)),
        # E-mail: SMTP when MAIL_SERVER is set, otherwise files in instance/outbox/.
        "MAIL_SERVER": os.environ.get("MAIL_SERVER") or None,
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", 587)),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", True),
        "MAIL_USE_SSL": _bool("MAIL_USE_SSL", False),
        "MAIL_DEFAULT_SENDER": os.environ.get(
            "MAIL_DEFAULT_SENDER", "Tremplin <ne-pas-repondre@tremplin.example.org>"
        ),
        "MAIL_OUTBOX_DIR": str(instance_path / "outbox"),
        "MAIL_CLAIM_TIMEOUT": int(os.environ.get("MAIL_CLAIM_TIMEOUT", 600)),
        # The job runner (platform/jobs.py): SQLite queue under instance/, Redis with REDIS_URL.
        "JOBS_WORKERS": int(os.environ.get("JOBS_WORKERS", 2)),
        "JOBS_EMBEDDED": jobs_embedded(),
        "SEARCH_QUEUE_BATCH": int(os.environ.get("SEARCH_QUEUE_BATCH", 500)),
        "UPLOAD_DIR": os.environ.get("UPLOAD_DIR", str(instance_path / "uploads")),
        "SEARCH_INDEX_DIR": os.environ.get("SEARCH_INDEX_DIR", str(instance_path / "search-index")),
        "SEARCH_INDEX_IN_RAM": False,
        # `flask search reindex`: processes building the Whoosh index (default: one per core).
        "SEARCH_REINDEX_PROCESSES": int(os.environ.get("SEARCH_REINDEX_PROCESSES", 0)) or None,
        # Backups (`flask backup …` and the daily job): where, how many kept, when too old.
        "BACKUP_DIR": os.environ.get("BACKUP_DIR", str(instance_path / "backups")),
        "BACKUP_DAILY": _bool("BACKUP_DAILY", True),  # the job runner's 03:17 UTC backup
        "BACKUP_KEEP_DAILY": int(os.environ.get("BACKUP_KEEP_DAILY", 7)),
        "BACKUP_KEEP_WEEKLY": int(os.environ.get("BACKUP_KEEP_WEEKLY", 4)),
        "BACKUP_MAX_AGE_HOURS": int(os.environ.get("BACKUP_MAX_AGE_HOURS", 26)),
        # Readiness (/healthz/ready): free disk space under which the instance is not ready.
        "HEALTH_MIN_FREE_MB": int(os.environ.get("HEALTH_MIN_FREE_MB", 200)),
        # …and the age of the job runner's last heartbeat beyond which it counts as stopped.
        "HEALTH_HEARTBEAT_MAX_AGE": int(os.environ.get("HEALTH_HEARTBEAT_MAX_AGE", 180)),
        # "whoosh" or "postgresql"; unset: PostgreSQL full text when DATABASE_URL is PostgreSQL
        "SEARCH_BACKEND": os.environ.get("SEARCH_BACKEND") or None,
        # Uploaded files on S3-compatible object storage when a bucket is named (else UPLOAD_DIR)
        "STORAGE_S3_BUCKET": os.environ.get("STORAGE_S3_BUCKET") or None,
        "STORAGE_S3_ENDPOINT_URL": os.environ.get("STORAGE_S3_ENDPOINT_URL") or None,
        "STORAGE_S3_REGION": os.environ.get("STORAGE_S3_REGION") or None,
        "STORAGE_S3_PREFIX": os.environ.get("STORAGE_S3_PREFIX", ""),
        # Files sent by redirecting to a link signed for this many seconds (after the access
        # check) instead of streamed through the application; 0: streamed
        "STORAGE_S3_PRESIGNED_SECONDS": int(os.environ.get("STORAGE_S3_PRESIGNED_SECONDS") or 0),
        "STORAGE_S3_ACCESS_KEY_ID": os.environ.get("STORAGE_S3_ACCESS_KEY_ID") or None,
        "STORAGE_S3_SECRET_ACCESS_KEY": os.environ.get("STORAGE_S3_SECRET_ACCESS_KEY") or None,
        "STRIPE_SECRET_KEY": os.environ.get("STRIPE_SECRET_KEY") or None,
        "STRIPE_PUBLISHABLE_KEY": os.environ.get("STRIPE_PUBLISHABLE_KEY") or None,
        "STRIPE_WEBHOOK_SECRET": os.environ.get("STRIPE_WEBHOOK_SECRET") or None,
        "STRIPE_API_BASE": os.environ.get("STRIPE_API_BASE") or None,
        "STRIPE_JS_URL": os.environ.get("STRIPE_JS_URL", "https://js.stripe.com/v3/"),
        # Error reporting to a Sentry-compatible service (personal data scrubbed).
        "SENTRY_DSN": os.environ.get("SENTRY_DSN") or None,
        "SENTRY_ENVIRONMENT": os.environ.get("SENTRY_ENVIRONMENT") or None,
        # Origins allowed to open a Socket.IO connection (comma-separated); empty: the site's own.
        "SOCKETIO_CORS_ORIGINS": [
            o.strip().rstrip("/")
            for o in os.environ.get("SOCKETIO_CORS_ORIGINS", "").split(",")
            if o.strip()
        ],
        # Only a deployment that is itself a registered payment intermediary may take card
        # payments for a project without its own Stripe Connect account (README, Payments).
        "FUNDING_PLATFORM_IS_INTERMEDIARY": _bool("FUNDING_PLATFORM_IS_INTERMEDIARY", False),
    }

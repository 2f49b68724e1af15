"""Configuration from the environment (see INTERFACES in the documentation)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from panel.themes import ThemeError, choose_theme

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE_PATH = PROJECT_ROOT / "instance"
MIN_SECRET_KEY_LENGTH = 32


class ConfigurationError(RuntimeError):
    """The settings are not safe or not complete for the chosen environment."""


def _bool(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _development_secret_key(instance_path: Path, name: str = "secret_key",
                            make: Callable[[], str] = lambda: secrets.token_urlsafe(48)) -> str:
    """A random key generated once and kept in ``instance/`` so sessions (and, with
    ``name="encryption_key"``, encrypted secrets) survive restarts."""
    key_file = instance_path / name
    if key_file.exists():
        return key_file.read_text(encoding="utf-8").strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = make()
    key_file.write_text(key, encoding="utf-8")
    key_file.chmod(0o600)
    return key


def encryption_keys(value: str) -> tuple[str, ...]:
    """The Fernet keys in ``PANEL_ENCRYPTION_KEY`` (comma-separated; the first encrypts,
    every one decrypts). Raises ConfigurationError naming the position of a key that is
    not a Fernet key, never the key itself."""
    keys = tuple(key.strip() for key in value.split(",") if key.strip())
    if not keys:
        raise ConfigurationError("PANEL_ENCRYPTION_KEY holds no key")
    for number, key in enumerate(keys, 1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise ConfigurationError(
                f"PANEL_ENCRYPTION_KEY: key {number} of {len(keys)} is not a Fernet key "
                "(32 random bytes in url-safe base64, 44 characters)") from None
    return keys


def load_settings(instance_path: Path, environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Build the Flask configuration from environment variables.

    Raises ConfigurationError when ``PANEL_ENV=production`` and a setting is unsafe.
    """
    env = dict(os.environ if environ is None else environ)
    panel_env = env.get("PANEL_ENV", "development").strip().lower()
    if panel_env not in {"development", "production"}:
        raise ConfigurationError("PANEL_ENV must be 'development' or 'production'")
    production = panel_env == "production"

    secret_key = env.get("PANEL_SECRET_KEY", "").strip()
    encryption_key = env.get("PANEL_ENCRYPTION_KEY", "").strip()
    if production:
        if len(secret_key) < MIN_SECRET_KEY_LENGTH:
            raise ConfigurationError(
                f"PANEL_SECRET_KEY must be set to at least {MIN_SECRET_KEY_LENGTH} random "
                "characters in production"
            )
        if _bool(env.get("FLASK_DEBUG")):
            raise ConfigurationError("debug mode must be off in production")
        if not env.get("PANEL_SMTP_HOST", "").strip():
            raise ConfigurationError("PANEL_SMTP_HOST must be set in production: residents "
                                     "need their confirmation and invitation emails")
        if not encryption_key:
            raise ConfigurationError("PANEL_ENCRYPTION_KEY must be set in production: it "
                                     "encrypts the two-step login secrets")
    else:
        if not secret_key:
            secret_key = _development_secret_key(instance_path)
        if not encryption_key:
            encryption_key = _development_secret_key(
                instance_path, "encryption_key", lambda: Fernet.generate_key().decode())

    database_url = env.get("PANEL_DATABASE_URL") or f"sqlite:///{instance_path / 'wijkpanel.db'}"
    smtp_host = env.get("PANEL_SMTP_HOST", "").strip()
    try:
        theme = choose_theme(env.get("PANEL_THEME"), instance_path)
    except ThemeError as error:
        raise ConfigurationError(str(error)) from None

    return {
        "PANEL_ENV": panel_env,
        "SECRET_KEY": secret_key,
        # Fernet keys for secrets kept encrypted at rest (panel.auth.secret_box).
        "PANEL_ENCRYPTION_KEYS": encryption_keys(encryption_key),
        "SQLALCHEMY_DATABASE_URI": database_url,
        # hide_parameters: statement values (names, addresses) never reach logs or error
        # messages.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        "PANEL_BASE_URL": env.get("PANEL_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "PANEL_MAIL_FROM": env.get("PANEL_MAIL_FROM", "wijkpanel@example.org"),
        "PANEL_SMTP_HOST": smtp_host,
        "PANEL_SMTP_PORT": int(env.get("PANEL_SMTP_PORT", "587")),
        "PANEL_SMTP_USER": env.get("PANEL_SMTP_USER", ""),
        "PANEL_SMTP_PASSWORD": env.get("PANEL_SMTP_PASSWORD", ""),
        "PANEL_SMTP_STARTTLS": _bool(env.get("PANEL_SMTP_STARTTLS", "true")),
        "PANEL_OUTBOX_PATH": str(instance_path / "outbox"),
        "PANEL_MUNICIPALITY_PHONE": env.get("PANEL_MUNICIPALITY_PHONE", ""),
        # The NL Design System theme (panel.themes.Theme): its class and stylesheets.
        "PANEL_THEME": theme,
        "PANEL_PASSWORD_LINK_HOURS": 48,
        # Staff sessions end after this long without a request, and after this long at most.
        "PANEL_SESSION_IDLE_MINUTES": int(env.get("PANEL_SESSION_IDLE_MINUTES", "30")),
        "PANEL_SESSION_MAX_HOURS": int(env.get("PANEL_SESSION_MAX_HOURS", "12")),
        # Sensitive actions ask for the password again when it was typed longer ago than this.
        "PANEL_FRESH_LOGIN_MINUTES": int(env.get("PANEL_FRESH_LOGIN_MINUTES", "10")),
        "PANEL_REMINDER_HOURS": int(env.get("PANEL_REMINDER_HOURS", "48")),
        "PANEL_MIN_RESPONDENTS": int(env.get("PANEL_MIN_RESPONDENTS", "30")),
        "PANEL_REPORT_MIN_COUNT": int(env.get("PANEL_REPORT_MIN_COUNT", "5")),
        # Public pages: how long a worker trusts a page's ETag without asking the database
        # again, and how much memory it may use to keep built pages (panel.conditional).
        "PANEL_ETAG_SECONDS": float(env.get("PANEL_ETAG_SECONDS", "1")),
        "PANEL_PAGE_CACHE_MB": float(env.get("PANEL_PAGE_CACHE_MB", "32")),
        "PANEL_RETENTION_UNCONFIRMED_DAYS": int(env.get("PANEL_RETENTION_UNCONFIRMED_DAYS",
                                                        "60")),
        "PANEL_RETENTION_MAIL_DAYS": int(env.get("PANEL_RETENTION_MAIL_DAYS", "30")),
        "PANEL_RETENTION_UPLOAD_DAYS": int(env.get("PANEL_RETENTION_UPLOAD_DAYS", "7")),
        "PANEL_RETENTION_AUDIT_DAYS": int(env.get("PANEL_RETENTION_AUDIT_DAYS", "365")),
        # Shown on /privacy and in the processing register; when unset the texts name the
        # municipality's privacy officer and data protection officer instead.
        "PANEL_PRIVACY_CONTACT": env.get("PANEL_PRIVACY_CONTACT", "").strip(),
        "PANEL_DPO_CONTACT": env.get("PANEL_DPO_CONTACT", "").strip(),
        "PANEL_ACCESSIBILITY_CONTACT": env.get("PANEL_ACCESSIBILITY_CONTACT", "").strip(),
        "PANEL_LOG_LEVEL": env.get("PANEL_LOG_LEVEL", "INFO").strip().upper() or "INFO",
        "PANEL_LOG_FORMAT": "text" if env.get("PANEL_LOG_FORMAT", "").strip().lower() == "text"
        else "json",
        "RATELIMIT_STORAGE_URI": env.get("PANEL_RATELIMIT_STORAGE_URL", "memory://"),
        # The 429 page sets Retry-After itself (the wait it states, panel.limits); the
        # X-RateLimit-* headers would tell anyone how many tries a key has left.
        "RATELIMIT_HEADERS_ENABLED": False,
        "BABEL_DEFAULT_LOCALE": "nl",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Amsterdam",
        "BABEL_TRANSLATION_DIRECTORIES": str(PROJECT_ROOT / "translations"),
        "LANGUAGES": ("nl", "en"),
        "SESSION_COOKIE_NAME": "__Host-session" if production else "session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": 12 * 3600,
        # Send the session cookie only when it changed: a staff session's last use is kept
        # in the database (panel.auth.staff_sessions.SEEN_EVERY), not in the cookie.
        "SESSION_REFRESH_EACH_REQUEST": False,
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
        # The most lines (after the column names) a file uploaded to an import page may
        # have; reading stops at the next one (panel.tabular). Commands take any number.
        "PANEL_IMPORT_MAX_ROWS": int(env.get("PANEL_IMPORT_MAX_ROWS", "20000")),
    }

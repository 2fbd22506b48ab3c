"""Configuration from the environment, in one place."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

DEFAULT_DATABASE_URL = "sqlite://data/linli.sqlite3"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
SHANGHAI = ZoneInfo("Asia/Shanghai")
PROJECT_ROOT = Path(__file__).resolve().parent.parent


# --- Accounts: verified phones (SMS one-time codes), the SMS gateway, sessions -------------


@dataclass(frozen=True)
class AccountSettings:
    # LINLI_PHONE_VERIFICATION=off: register without an SMS code (closed deployments, load tests).
    phone_verification: bool = True
    # LINLI_SMS_GATEWAY: "file" (JSON lines in $LINLI_DATA_DIR/sms.jsonl) or "webhook".
    sms_gateway: str = "file"
    sms_webhook_url: str = ""  # LINLI_SMS_WEBHOOK_URL
    sms_webhook_secret: str = ""  # LINLI_SMS_WEBHOOK_SECRET (required for "webhook")
    code_ttl_seconds: int = 5 * 60
    code_max_tries: int = 5
    code_resend_seconds: int = 60  # LINLI_SMS_RESEND_SECONDS
    codes_per_phone_per_day: int = 10  # LINLI_SMS_CODES_PER_PHONE
    codes_per_address_per_day: int = 30  # LINLI_SMS_CODES_PER_ADDRESS
    session_idle_days: int = 30  # LINLI_SESSION_IDLE_DAYS: sliding expiry
    password_min_length: int = 8


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    return value not in ("off", "0", "false", "no")


def _int(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, "") or default))
    except ValueError:
        return default


def _account_settings() -> AccountSettings:
    return AccountSettings(
        phone_verification=_flag("LINLI_PHONE_VERIFICATION", True),
        sms_gateway=os.environ.get("LINLI_SMS_GATEWAY", "file").strip().lower() or "file",
        sms_webhook_url=os.environ.get("LINLI_SMS_WEBHOOK_URL", "").strip(),
        sms_webhook_secret=os.environ.get("LINLI_SMS_WEBHOOK_SECRET", "").strip(),
        code_resend_seconds=_int("LINLI_SMS_RESEND_SECONDS", 60),
        codes_per_phone_per_day=_int("LINLI_SMS_CODES_PER_PHONE", 10),
        codes_per_address_per_day=_int("LINLI_SMS_CODES_PER_ADDRESS", 30),
        session_idle_days=_int("LINLI_SESSION_IDLE_DAYS", 30),
    )


# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    public_url: str
    data_dir: Path
    max_body_size: int = 256 * 1024
    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 4000
    max_page_size: int = 100
    login_failures_per_phone: int = 5
    login_failures_per_address: int = 20
    login_failure_window_seconds: int = 15 * 60
    accounts: AccountSettings = field(default_factory=lambda: AccountSettings())

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")


def _secret_key(data_dir: Path) -> str:
    configured = os.environ.get("LINLI_SECRET_KEY")
    if configured:
        return configured
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Several workers may start at once: create exclusively, and read the winner's key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    data_dir = Path(os.environ.get("LINLI_DATA_DIR", "data"))
    return Settings(
        database_url=os.environ.get("LINLI_DATABASE_URL", DEFAULT_DATABASE_URL),
        secret_key=_secret_key(data_dir),
        public_url=os.environ.get("LINLI_PUBLIC_URL", DEFAULT_PUBLIC_URL).rstrip("/"),
        data_dir=data_dir,
        accounts=_account_settings(),
    )

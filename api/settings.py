"""Configuration from the environment, in one place."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

DEFAULT_DATABASE_URL = "sqlite://data/linli.sqlite3"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
SHANGHAI = ZoneInfo("Asia/Shanghai")
PROJECT_ROOT = Path(__file__).resolve().parent.parent


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

    # --- operations: deadlines, health, logs (LINLI_* variables read in `_operations()`) ---
    #: a request that has not started answering after this many seconds answers 503
    request_deadline_seconds: float = 30.0
    #: PostgreSQL: the server cancels a statement after this long (`statement_timeout`)
    db_statement_timeout_seconds: float = 10.0
    #: PostgreSQL: the client gives up on a command (and a connection attempt) after this long
    db_command_timeout_seconds: float = 15.0
    #: /readyz: each probe's deadline, and the free disk space below which it says not ready
    ready_timeout_seconds: float = 2.0
    min_free_disk_bytes: int = 100 * 1024 * 1024
    #: one JSON line per request (the access log); `LINLI_ACCESS_LOG=off` silences it
    access_log: bool = True
    log_format: str = "json"

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
        **_operations(),
    )


def _float_env(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value > 0 else default


def _operations() -> dict[str, Any]:
    """The operations block of `Settings`, from LINLI_* variables (see the README)."""
    return {
        "request_deadline_seconds": _float_env("LINLI_REQUEST_DEADLINE", 30.0),
        "db_statement_timeout_seconds": _float_env("LINLI_DB_STATEMENT_TIMEOUT", 10.0),
        "db_command_timeout_seconds": _float_env("LINLI_DB_COMMAND_TIMEOUT", 15.0),
        "ready_timeout_seconds": _float_env("LINLI_READY_TIMEOUT", 2.0),
        "min_free_disk_bytes": int(_float_env("LINLI_MIN_FREE_DISK_MB", 100.0) * 1024 * 1024),
        "access_log": os.environ.get("LINLI_ACCESS_LOG", "on").strip().lower()
        not in ("off", "0", "false", "no"),
        "log_format": "text"
        if os.environ.get("LINLI_LOG_FORMAT", "json").strip().lower() == "text"
        else "json",
    }

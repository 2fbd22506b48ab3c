"""Configuration from the environment, in one place."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
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
    max_query_cost: int = 25_000
    # The sockets (`linli serve`): seconds to send a request's headers, then its body; seconds
    # an idle keep-alive connection stays open; connections served at once (more get 503).
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    keep_alive_timeout: int = 5
    max_connections: int = 1000
    login_failures_per_phone: int = 5
    login_failures_per_address: int = 20
    login_failure_window_seconds: int = 15 * 60

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
        max_query_cost=int(os.environ.get("LINLI_MAX_QUERY_COST", "25000")),
        header_timeout=float(os.environ.get("LINLI_HEADER_TIMEOUT", "10")),
        body_timeout=float(os.environ.get("LINLI_BODY_TIMEOUT", "30")),
        keep_alive_timeout=int(os.environ.get("LINLI_KEEP_ALIVE_TIMEOUT", "5")),
        max_connections=int(os.environ.get("LINLI_MAX_CONNECTIONS", "1000")),
    )

"""Configuration: every ``LINLI_*`` variable is read here and nowhere else.

`load_settings()` turns an environment (``os.environ`` by default) into a `Settings`;
`get_settings()` is the process's one copy, made on first use. Importing this module (or any
module of the package) reads and writes nothing: the secret key is generated and stored under
``data/`` only when something first signs or checks a value with it.

The README's "Configuration" table lists every variable; keep the two in step.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

log = logging.getLogger("linli.settings")

SHANGHAI = ZoneInfo("Asia/Shanghai")
PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_DATABASE_URL = "sqlite://data/linli.sqlite3"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
DEFAULT_DATA_DIR = "data"
DEFAULT_SCHEDULER_INTERVAL = 30.0
DEFAULT_REMINDER_HOURS = (24, 2)
MAX_REMINDER_HOURS = 24 * 14
DEFAULT_WEBHOOK_RETRIES = 4
DEFAULT_WEBHOOK_TIMEOUT = 10.0
DEFAULT_MAX_QUERY_COST = 25_000
DEFAULT_HEADER_TIMEOUT = 10.0
DEFAULT_BODY_TIMEOUT = 30.0
DEFAULT_KEEP_ALIVE_TIMEOUT = 5
DEFAULT_MAX_CONNECTIONS = 1000
DEFAULT_CHANGE_RETENTION_DAYS = 35
MIN_CHANGE_RETENTION_DAYS = 30
DEFAULT_RATE_LIMIT_POINTS = 5000
DEFAULT_RATE_LIMIT_ANONYMOUS_POINTS = 2000
DEFAULT_SUBSCRIPTIONS_PER_CONNECTION = 20
DEFAULT_WEBSOCKETS_PER_ADDRESS = 50


# Accounts: verified phones (SMS one-time codes), the SMS gateway, sessions ---------------


@dataclass(frozen=True)
class AccountSettings:
    #: ``LINLI_PHONE_VERIFICATION=off``: register without an SMS code (closed deployments,
    #: load tests).
    phone_verification: bool = True
    #: ``LINLI_SMS_GATEWAY``: "file" (JSON lines in ``$LINLI_DATA_DIR/sms.jsonl``) or "webhook".
    sms_gateway: str = "file"
    sms_webhook_url: str = ""  # LINLI_SMS_WEBHOOK_URL
    #: ``LINLI_SMS_WEBHOOK_SECRET``: the gateway's own key (required for "webhook").
    sms_webhook_secret: str = field(default="", repr=False)
    code_ttl_seconds: int = 5 * 60
    code_max_tries: int = 5
    code_resend_seconds: int = 60  # LINLI_SMS_RESEND_SECONDS
    codes_per_phone_per_day: int = 10  # LINLI_SMS_CODES_PER_PHONE
    codes_per_address_per_day: int = 30  # LINLI_SMS_CODES_PER_ADDRESS
    session_idle_days: int = 30  # LINLI_SESSION_IDLE_DAYS: sliding expiry
    password_min_length: int = 8


def load_account_settings(env: Mapping[str, str]) -> AccountSettings:
    def whole(name: str, default: int) -> int:
        return int(_number(env, name, default, 1))

    return AccountSettings(
        phone_verification=_flag(env.get("LINLI_PHONE_VERIFICATION"), True),
        sms_gateway=(env.get("LINLI_SMS_GATEWAY") or "file").strip().lower(),
        sms_webhook_url=env.get("LINLI_SMS_WEBHOOK_URL", "").strip(),
        sms_webhook_secret=env.get("LINLI_SMS_WEBHOOK_SECRET", "").strip(),
        code_resend_seconds=whole("LINLI_SMS_RESEND_SECONDS", 60),
        codes_per_phone_per_day=whole("LINLI_SMS_CODES_PER_PHONE", 10),
        codes_per_address_per_day=whole("LINLI_SMS_CODES_PER_ADDRESS", 30),
        session_idle_days=whole("LINLI_SESSION_IDLE_DAYS", 30),
    )


# -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    # Site ------------------------------------------------------------------------------
    database_url: str = DEFAULT_DATABASE_URL
    public_url: str = DEFAULT_PUBLIC_URL
    data_dir: Path = Path(DEFAULT_DATA_DIR)
    #: ``LINLI_SECRET_KEY`` as configured; `secret_key` falls back to ``data_dir/secret_key``.
    configured_secret_key: str | None = field(default=None, repr=False)

    # Request limits (not configurable from the environment) -----------------------------
    max_body_size: int = 256 * 1024
    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 4000
    max_page_size: int = 100
    login_failures_per_phone: int = 5
    login_failures_per_address: int = 20
    login_failure_window_seconds: int = 15 * 60
    # Sign-up journeys: a volunteer's own cancellation closes this many minutes before the
    # start; within `late_cancel_hours` it is recorded as late; events close themselves
    # `close_events_after_hours` after they end.
    cancel_cutoff_minutes: int = 0
    late_cancel_hours: int = 24
    close_events_after_hours: int = 6

    # Query cost and sockets ----------------------------------------------------------------
    #: The most objects one GraphQL operation may be able to return (`api.graphql.cost`).
    max_query_cost: int = DEFAULT_MAX_QUERY_COST
    #: ``LINLI_COMPILED_EXECUTION=off``: every query through graphql-core's own executor
    #: instead of the compiled plans (`api.graphql.compiled`); the answers are the same.
    compiled_execution: bool = True
    #: `linli serve`: seconds to send a request's headers, then its body; seconds an idle
    #: keep-alive connection stays open; connections served at once per worker (more: 503).
    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    body_timeout: float = DEFAULT_BODY_TIMEOUT
    keep_alive_timeout: int = DEFAULT_KEEP_ALIVE_TIMEOUT
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    #: Live subscriptions (`WS /graphql`): subscriptions open at once on one WebSocket, and
    #: WebSockets open at once from one client address (per worker).
    subscriptions_per_connection: int = DEFAULT_SUBSCRIPTIONS_PER_CONNECTION
    websockets_per_address: int = DEFAULT_WEBSOCKETS_PER_ADDRESS

    # Background work ---------------------------------------------------------------------
    scheduler_enabled: bool = True
    scheduler_interval: float = DEFAULT_SCHEDULER_INTERVAL
    #: Offsets before a confirmed shift at which reminders are made, largest first.
    reminder_hours: tuple[int, ...] = DEFAULT_REMINDER_HOURS

    # Outbound channels -------------------------------------------------------------------
    notify_channels: frozenset[str] = frozenset({"log"})
    webhook_url: str = ""
    #: ``LINLI_WEBHOOK_SECRET``; unset, `api.infra.keys.webhook_secret` generates one into the
    #: data directory. Never the secret key (the gateway's operator could forge sessions).
    configured_webhook_secret: str | None = field(default=None, repr=False)
    webhook_retries: int = DEFAULT_WEBHOOK_RETRIES
    webhook_timeout: float = DEFAULT_WEBHOOK_TIMEOUT

    # Throttles and proxies ---------------------------------------------------------------
    #: `login_failures_per_phone` counts one phone *from one address*; beyond this many
    #: failures for one phone from all addresses together (more than one address can reach),
    #: a password alone no longer logs in: CODE_REQUIRED, an SMS code is needed as well.
    login_failures_per_phone_before_code: int = 10
    #: ``LINLI_TRUSTED_PROXIES``: addresses/networks whose X-Forwarded-For/-Proto uvicorn
    #: believes (its ``forwarded_allow_ips``; "*" for any). Empty: none, not even uvicorn's
    #: default 127.0.0.1: the socket's peer is the client.
    trusted_proxies: str = ""

    # Operations: deadlines, health, logs (read in `_operations()`) ------------------------
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
    #: seconds for all attempts of one message on the webhook (well below the delivery lease)
    webhook_budget: float = 30.0

    # The third-party platform ----------------------------------------------------------------
    #: ``LINLI_TRUSTED_DOCUMENTS_ONLY``: ``off`` (any document), ``anonymous`` (anonymous
    #: callers only run the app's own documents or persisted ones), ``all``.
    trusted_documents_only: str = "off"
    #: ``LINLI_WEBHOOK_ALLOW_PRIVATE=1``: third-party webhooks may point at private, loopback
    #: or link-local addresses, and use plain http (an operator's own network, tests).
    webhook_allow_private: bool = False
    #: ``LINLI_CHANGE_RETENTION_DAYS``: how long the change feed keeps its entries (tombstones
    #: included) before the scheduler prunes them; at least 30, the API's promise.
    change_retention_days: int = DEFAULT_CHANGE_RETENTION_DAYS
    #: ``LINLI_RATE_LIMIT_POINTS``: points per hour for each API token, and for each account's
    #: browser sessions together (`api.domain.rate_limits`); 0: no limit.
    rate_limit_points: int = DEFAULT_RATE_LIMIT_POINTS
    #: ``LINLI_RATE_LIMIT_ANONYMOUS_POINTS``: points per hour for each anonymous client
    #: address; 0: no limit.
    rate_limit_anonymous_points: int = DEFAULT_RATE_LIMIT_ANONYMOUS_POINTS

    # Accounts (see `AccountSettings`) ------------------------------------------------------
    accounts: AccountSettings = field(default_factory=AccountSettings)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")

    @cached_property
    def secret_key(self) -> str:
        """The configured key, else the one stored under the data directory (generated and
        written there the first time it is needed, never on import)."""
        return self.configured_secret_key or _stored_secret_key(self.data_dir)


def _stored_secret_key(data_dir: Path) -> str:
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # private, like the key
    key = secrets.token_urlsafe(48)
    # Several workers may start at once: create exclusively, and read the winner's key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


# Parsing ---------------------------------------------------------------------------------


def _flag(raw: str | None, default: bool) -> bool:
    if raw is None or not raw.strip():
        return default
    return raw.strip().lower() not in ("off", "0", "false", "no")


def _number(env: Mapping[str, str], name: str, default: float, minimum: float) -> float:
    raw = env.get(name, "")
    if not raw.strip():
        return default
    try:
        return max(minimum, float(raw))
    except ValueError:
        log.warning("%s=%r is not a number; using %s", name, raw, default)
        return default


def _reminder_hours(raw: str) -> tuple[int, ...]:
    if not raw.strip():
        return DEFAULT_REMINDER_HOURS
    try:
        hours = {int(part) for part in raw.split(",") if part.strip()}
    except ValueError:
        log.warning("LINLI_REMINDER_HOURS=%r is not a list of hours; using 24,2", raw)
        return DEFAULT_REMINDER_HOURS
    hours = {h for h in hours if 0 < h <= MAX_REMINDER_HOURS}
    return tuple(sorted(hours, reverse=True)) or DEFAULT_REMINDER_HOURS


def _notify_channels(env: Mapping[str, str], webhook_url: str) -> frozenset[str]:
    raw = env.get("LINLI_NOTIFY_CHANNELS")
    if raw is None:  # unset: the log, and the webhook when it has a URL
        return frozenset({"log", "webhook"} if webhook_url else {"log"})
    return frozenset(n.strip().lower() for n in raw.split(",") if n.strip())


def _choice(env: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in allowed:
        log.warning("%s=%r is not one of %s; using %s", name, raw, ", ".join(allowed), default)
        return default
    return raw


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """The settings an environment describes (``os.environ`` when none is given)."""
    env = os.environ if env is None else env
    webhook_url = env.get("LINLI_WEBHOOK_URL", "").strip()
    return Settings(
        database_url=env.get("LINLI_DATABASE_URL") or DEFAULT_DATABASE_URL,
        public_url=(env.get("LINLI_PUBLIC_URL") or DEFAULT_PUBLIC_URL).rstrip("/"),
        data_dir=Path(env.get("LINLI_DATA_DIR") or DEFAULT_DATA_DIR),
        configured_secret_key=env.get("LINLI_SECRET_KEY") or None,
        scheduler_enabled=_flag(env.get("LINLI_SCHEDULER"), True),
        scheduler_interval=_number(
            env, "LINLI_SCHEDULER_INTERVAL", DEFAULT_SCHEDULER_INTERVAL, 1.0
        ),
        reminder_hours=_reminder_hours(env.get("LINLI_REMINDER_HOURS", "")),
        notify_channels=_notify_channels(env, webhook_url),
        webhook_url=webhook_url,
        configured_webhook_secret=env.get("LINLI_WEBHOOK_SECRET") or None,
        webhook_retries=int(_number(env, "LINLI_WEBHOOK_RETRIES", DEFAULT_WEBHOOK_RETRIES, 0)),
        webhook_timeout=_number(env, "LINLI_WEBHOOK_TIMEOUT", DEFAULT_WEBHOOK_TIMEOUT, 0.1),
        cancel_cutoff_minutes=int(_number(env, "LINLI_CANCEL_CUTOFF_MINUTES", 0, 0)),
        late_cancel_hours=int(_number(env, "LINLI_LATE_CANCEL_HOURS", 24, 0)),
        close_events_after_hours=int(_number(env, "LINLI_CLOSE_EVENTS_AFTER_HOURS", 6, 0)),
        trusted_proxies=env.get("LINLI_TRUSTED_PROXIES", "").strip(),
        trusted_documents_only=_choice(
            env, "LINLI_TRUSTED_DOCUMENTS_ONLY", ("off", "anonymous", "all"), "off"
        ),
        webhook_allow_private=_flag(env.get("LINLI_WEBHOOK_ALLOW_PRIVATE"), False),
        max_query_cost=int(_number(env, "LINLI_MAX_QUERY_COST", DEFAULT_MAX_QUERY_COST, 1)),
        change_retention_days=int(
            _number(
                env,
                "LINLI_CHANGE_RETENTION_DAYS",
                DEFAULT_CHANGE_RETENTION_DAYS,
                MIN_CHANGE_RETENTION_DAYS,
            )
        ),
        rate_limit_points=int(
            _number(env, "LINLI_RATE_LIMIT_POINTS", DEFAULT_RATE_LIMIT_POINTS, 0)
        ),
        rate_limit_anonymous_points=int(
            _number(
                env, "LINLI_RATE_LIMIT_ANONYMOUS_POINTS", DEFAULT_RATE_LIMIT_ANONYMOUS_POINTS, 0
            )
        ),
        compiled_execution=_flag(env.get("LINLI_COMPILED_EXECUTION"), True),
        header_timeout=_number(env, "LINLI_HEADER_TIMEOUT", DEFAULT_HEADER_TIMEOUT, 0.1),
        body_timeout=_number(env, "LINLI_BODY_TIMEOUT", DEFAULT_BODY_TIMEOUT, 0.1),
        keep_alive_timeout=int(
            _number(env, "LINLI_KEEP_ALIVE_TIMEOUT", DEFAULT_KEEP_ALIVE_TIMEOUT, 1)
        ),
        max_connections=int(_number(env, "LINLI_MAX_CONNECTIONS", DEFAULT_MAX_CONNECTIONS, 1)),
        subscriptions_per_connection=int(
            _number(
                env,
                "LINLI_SUBSCRIPTIONS_PER_CONNECTION",
                DEFAULT_SUBSCRIPTIONS_PER_CONNECTION,
                1,
            )
        ),
        websockets_per_address=int(
            _number(env, "LINLI_WEBSOCKETS_PER_ADDRESS", DEFAULT_WEBSOCKETS_PER_ADDRESS, 1)
        ),
        **_operations(env),
        accounts=load_account_settings(env),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read from the environment once."""
    return load_settings()


def _operations(env: Mapping[str, str]) -> dict[str, Any]:
    """The operations block of `Settings` (deadlines, health, logs), from its variables."""
    log_format = env.get("LINLI_LOG_FORMAT", "json").strip().lower()
    return {
        "request_deadline_seconds": _number(env, "LINLI_REQUEST_DEADLINE", 30.0, 0.1),
        "db_statement_timeout_seconds": _number(env, "LINLI_DB_STATEMENT_TIMEOUT", 10.0, 0.1),
        "db_command_timeout_seconds": _number(env, "LINLI_DB_COMMAND_TIMEOUT", 15.0, 0.1),
        "ready_timeout_seconds": _number(env, "LINLI_READY_TIMEOUT", 2.0, 0.1),
        "min_free_disk_bytes": int(_number(env, "LINLI_MIN_FREE_DISK_MB", 100.0, 0) * 1024**2),
        "access_log": _flag(env.get("LINLI_ACCESS_LOG"), True),
        "log_format": "text" if log_format == "text" else "json",
        "webhook_budget": _number(env, "LINLI_WEBHOOK_BUDGET", 30.0, 0.1),
    }


# prometheus-client's multi-process mode -------------------------------------------------
#: the library's own variable: where every worker writes its samples
METRICS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def metrics_dir() -> str | None:
    """The directory workers share their metrics through, when several workers run."""
    return os.environ.get(METRICS_DIR_VARIABLE) or None


def share_metrics_between_workers(workers: int, settings: Settings) -> str | None:
    """Before several workers start: names an emptied directory in the environment they
    inherit (``data/metrics`` unless ``PROMETHEUS_MULTIPROC_DIR`` is already set). One
    worker needs none: its metrics stay in memory."""
    import shutil

    if workers <= 1 and METRICS_DIR_VARIABLE not in os.environ:
        return None
    directory = os.environ.get(METRICS_DIR_VARIABLE) or str(settings.data_dir / "metrics")
    shutil.rmtree(directory, ignore_errors=True)  # counters start again with the server
    os.makedirs(directory, exist_ok=True)
    os.environ[METRICS_DIR_VARIABLE] = directory
    return directory

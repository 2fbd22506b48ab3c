"""One key per purpose, never the master key itself.

`LINLI_SECRET_KEY` (the master key) is only ever used as input to HKDF-SHA256 (RFC 5869): each
purpose below gets its own 32-byte key, derived with its own ``info`` label. A token signed for
one purpose (a session cookie) is therefore worthless for another (a check-in code, a calendar
link), and knowing one derived key reveals neither the master key nor the others.

Secrets shared with someone outside Linli (the webhook gateway's HMAC secret) are not derived
at all: they are configured (``LINLI_WEBHOOK_SECRET``) or generated once into the data
directory (mode 0600), and ``linli secrets show`` prints them for the operator. They may never
equal the master key: whoever runs the gateway could otherwise forge sessions.
"""

from __future__ import annotations

import logging
import os
import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from api.settings import Settings, get_settings

log = logging.getLogger("linli.keys")

KEY_BYTES = 32
_SALT = b"linli.keys.v1"


class Purpose(StrEnum):
    SESSIONS = "sessions"
    CHECK_IN_CODES = "check-in-codes"
    CALENDAR_TOKENS = "calendar-tokens"
    TOKENS = "tokens"  # any other signed or keyed-hash token (API tokens, one-time codes…)
    WEBHOOK_SECRETS = "webhook-secrets"  # seals third parties' webhook secrets at rest


@lru_cache(maxsize=32)
def _derive(master: str, purpose: str) -> bytes:
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=KEY_BYTES,
        salt=_SALT,
        info=f"linli/{purpose}".encode(),
    )
    return hkdf.derive(master.encode())


def key_for(purpose: Purpose) -> bytes:
    """The key for `purpose`, derived from the master key (the same in every worker)."""
    return _derive(get_settings().secret_key, str(purpose))


def session_key() -> bytes:
    return key_for(Purpose.SESSIONS)


def check_in_code_key() -> bytes:
    return key_for(Purpose.CHECK_IN_CODES)


def calendar_token_key() -> bytes:
    return key_for(Purpose.CALENDAR_TOKENS)


def token_key() -> bytes:
    return key_for(Purpose.TOKENS)


# --- secrets shared with the outside ---------------------------------------------------------


class SecretConfigError(RuntimeError):
    """A shared secret is configured in a way that would weaken every other key."""


def _generated(data_dir: Path, name: str) -> tuple[str, bool]:
    """The secret stored in `data_dir/name` (0600), created on first use; True when created."""
    path = data_dir / name
    if path.exists():
        return path.read_text().strip(), False
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    # Several workers may start at once: create exclusively, and read the winner's secret.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip(), False
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value, True


def shared_secret(
    env_var: str, configured: str | None, file_name: str, settings: Settings | None = None
) -> str:
    """A secret shared with an outside party: `configured` (from `env_var`, read in
    `api.settings`) when set, else generated once into the data directory as `file_name`.
    Never the master key."""
    settings = settings or get_settings()
    if configured and configured.strip():
        value = configured.strip()
    else:
        value, created = _generated(settings.data_dir, file_name)
        if created:
            log.warning(
                "%s is not set: generated one into %s (see `linli secrets show`)",
                env_var,
                settings.data_dir / file_name,
            )
    if secrets.compare_digest(value.encode(), settings.secret_key.encode()):
        raise SecretConfigError(
            f"{env_var} must not be LINLI_SECRET_KEY: whoever holds it could forge sessions."
        )
    return value


WEBHOOK_SECRET_ENV = "LINLI_WEBHOOK_SECRET"
WEBHOOK_SECRET_FILE = "webhook_secret"


def webhook_secret(settings: Settings | None = None) -> str:
    """The HMAC secret of the webhook channel (`X-Linli-Signature`)."""
    settings = settings or get_settings()
    return shared_secret(
        WEBHOOK_SECRET_ENV, settings.configured_webhook_secret, WEBHOOK_SECRET_FILE, settings
    )


#: What `linli secrets show` prints: name → how to get it (other gateways add theirs here).
SHARED_SECRETS = {WEBHOOK_SECRET_ENV: webhook_secret}

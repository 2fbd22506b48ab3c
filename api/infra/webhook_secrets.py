"""Third parties' webhook signing secrets, sealed at rest.

A Standard Webhooks secret (``whsec_`` + base64 of 32 random bytes) must be kept to sign, so
it cannot be hashed like a token. It is stored sealed with AES-256-GCM under a key derived from
``LINLI_SECRET_KEY`` for this purpose alone (`keys.Purpose.WEBHOOK_SECRETS`): a copy of the
database (a backup, a dump) does not let anyone sign messages in Linli's name. Changing
``LINLI_SECRET_KEY`` makes the sealed secrets unreadable: those webhooks fail until their
owners make new ones (as sessions end).
"""

from __future__ import annotations

import base64
import binascii
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from api.infra.keys import Purpose, key_for

PREFIX = "whsec_"
SEALED = "v1:"
_CONTEXT = b"linli/webhook-secret"


class UnreadableSecret(Exception):
    """The sealed secret does not open (the master key changed, or the value is damaged)."""


def new_secret() -> str:
    """A fresh secret as the owner sees it once: ``whsec_`` and 32 random bytes in base64."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def seal(secret: str) -> str:
    """What the database keeps of a secret."""
    raw = base64.b64decode(secret.removeprefix(PREFIX))
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(key_for(Purpose.WEBHOOK_SECRETS)).encrypt(nonce, raw, _CONTEXT)
    return SEALED + base64.b64encode(nonce + sealed).decode()


def reveal(stored: str) -> str:
    """The secret again, to sign with."""
    if not stored.startswith(SEALED):
        raise UnreadableSecret("not sealed")
    try:
        blob = base64.b64decode(stored.removeprefix(SEALED), validate=True)
        raw = AESGCM(key_for(Purpose.WEBHOOK_SECRETS)).decrypt(blob[:12], blob[12:], _CONTEXT)
    except (InvalidTag, ValueError, binascii.Error):
        raise UnreadableSecret("does not open with this LINLI_SECRET_KEY") from None
    return PREFIX + base64.b64encode(raw).decode()

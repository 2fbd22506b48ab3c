"""The SMS gateway: how a text message leaves Linli.

One small interface (`SmsGateway.send`) with two implementations, chosen by
``LINLI_SMS_GATEWAY``:

* ``file`` (the default, for development and tests): each message is appended as one JSON line
  to ``$LINLI_DATA_DIR/sms.jsonl`` and logged on ``linli.sms``;
* ``webhook``: a JSON POST to ``LINLI_SMS_WEBHOOK_URL`` with the body
  ``{"id": 17, "phone": "13800138000", "purpose": "LOG_IN", "text": "【邻里】验证码 …"}``, signed
  with HMAC-SHA256 under ``LINLI_SMS_WEBHOOK_SECRET`` (its own secret, never the site's key):
  ``X-Linli-Signature: sha256=<hex of HMAC(secret, "<X-Linli-Timestamp>.<body>")>``, with
  ``Idempotency-Key: sms-<id>``. Any 2xx means taken; anything else (or no answer) is tried
  again by the delivery job (`api.jobs.delivery`) with backoff, like notifications.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import httpx

from api.infra.channels import sign
from api.settings import get_settings

log = logging.getLogger("linli.sms")


@dataclass(frozen=True)
class Sms:
    id: int
    phone: str
    purpose: str
    text: str


class SmsGateway(Protocol):
    name: str

    async def send(self, sms: Sms) -> bool:
        """Hands the message to the operator's gateway; False when it was not taken."""
        ...


def masked(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "****"


class FileGateway:
    name = "file"
    _lock = threading.Lock()

    def __init__(self, path: Path) -> None:
        self.path = path

    async def send(self, sms: Sms) -> bool:
        record = {**asdict(sms), "sentAt": datetime.now(UTC).isoformat()}
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        with self._lock:  # one write per line (O_APPEND): lines from several workers never mix
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line.encode())
            finally:
                os.close(fd)
        log.info("sms %s → %s: %s", sms.id, masked(sms.phone), sms.text)
        return True


class WebhookGateway:
    name = "webhook"

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if not url or not secret:
            raise ValueError(
                "LINLI_SMS_GATEWAY=webhook needs LINLI_SMS_WEBHOOK_URL and LINLI_SMS_WEBHOOK_SECRET"
            )
        self.url = url
        self.secret = secret
        self.timeout = timeout
        self.transport = transport

    async def send(self, sms: Sms) -> bool:
        body = json.dumps(asdict(sms), ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Linli-Timestamp": timestamp,
            "X-Linli-Signature": sign(self.secret, timestamp, body),
            "Idempotency-Key": f"sms-{sms.id}",
        }
        try:
            async with httpx.AsyncClient(timeout=self.timeout, transport=self.transport) as http:
                response = await http.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            log.warning("sms gateway: message %s not sent: %s", sms.id, exc)
            return False
        if response.status_code >= 300:
            log.warning("sms gateway refused message %s: %s", sms.id, response.status_code)
            return False
        return True


def configured_gateway() -> SmsGateway:
    cfg = get_settings().accounts
    if cfg.sms_gateway == "webhook":
        if cfg.sms_webhook_secret == get_settings().secret_key:
            raise ValueError("LINLI_SMS_WEBHOOK_SECRET must not be LINLI_SECRET_KEY")
        return WebhookGateway(cfg.sms_webhook_url, cfg.sms_webhook_secret)
    if cfg.sms_gateway != "file":
        raise ValueError(f"LINLI_SMS_GATEWAY={cfg.sms_gateway!r}: use 'file' or 'webhook'")
    return FileGateway(get_settings().data_dir / "sms.jsonl")


_override: SmsGateway | None = None


def gateway() -> SmsGateway:
    return _override if _override is not None else configured_gateway()


def set_gateway(replacement: SmsGateway | None) -> None:
    """Replace the configured gateway (tests); `None` restores the environment's."""
    global _override
    _override = replacement

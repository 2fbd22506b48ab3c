"""Outbound channels: how a notification leaves Linli besides the in-app list.

One small interface (`Channel.send`) with two implementations:

* ``log``: writes the message to the ``linli.notify`` logger (development);
* ``webhook``: a JSON POST to ``LINLI_WEBHOOK_URL``, signed with HMAC-SHA256 in the
  ``X-Linli-Signature: sha256=<hex>`` header over ``<timestamp>.<body>`` (timestamp in
  ``X-Linli-Timestamp``), retried with exponential backoff on network errors and 5xx/429
  answers. The operator's SMS or WeChat gateway receives it.

Configuration (environment, read in `api.settings`):

* ``LINLI_NOTIFY_CHANNELS``: comma-separated channel names, default ``log``
  (``webhook`` is added automatically when ``LINLI_WEBHOOK_URL`` is set);
* ``LINLI_WEBHOOK_URL``, ``LINLI_WEBHOOK_SECRET`` (default: generated once into the data
  directory, shown by ``linli secrets show``; never the site's secret key),
  ``LINLI_WEBHOOK_RETRIES`` (default 4), ``LINLI_WEBHOOK_TIMEOUT`` seconds (default 10),
  ``LINLI_WEBHOOK_BUDGET`` seconds for all attempts of one message together (default 30,
  well below the delivery lease of 5 minutes, so no other worker re-sends meanwhile).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Protocol

import httpx

from api.infra.keys import webhook_secret
from api.settings import Settings, get_settings

log = logging.getLogger("linli.notify")


@dataclass(frozen=True)
class OutboundMessage:
    notification_id: int
    kind: str
    volunteer_id: int
    phone: str
    message: str
    event_id: int | None
    url: str | None
    #: unique to this notification, even across a restore from a backup (ids are reused)
    idempotency_key: str = ""


class Channel(Protocol):
    name: str

    async def send(self, message: OutboundMessage) -> bool:
        """Delivers the message; False when it could not be delivered (after retries)."""
        ...


class LogChannel:
    name = "log"

    async def send(self, message: OutboundMessage) -> bool:
        log.info(
            "notify %s → volunteer %s: %s", message.kind, message.volunteer_id, message.message
        )
        return True


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


class WebhookChannel:
    name = "webhook"

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        retries: int = 4,
        timeout: float = 10.0,
        backoff: float = 0.5,
        budget: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.url = url
        self.secret = secret
        self.retries = retries
        self.timeout = timeout
        self.backoff = backoff
        self.budget = budget
        self.transport = transport
        self.sleep = sleep

    async def send(self, message: OutboundMessage) -> bool:
        try:
            async with asyncio.timeout(self.budget):
                return await self._send(message)
        except TimeoutError:
            log.error(
                "webhook gave up on notification %s after %.0f s",
                message.notification_id,
                self.budget,
            )
            return False

    async def _send(self, message: OutboundMessage) -> bool:
        body = json.dumps(asdict(message), ensure_ascii=False, separators=(",", ":")).encode()
        async with httpx.AsyncClient(timeout=self.timeout, transport=self.transport) as http:
            for attempt in range(self.retries + 1):
                timestamp = str(int(time.time()))
                headers = {
                    "Content-Type": "application/json; charset=utf-8",
                    "X-Linli-Timestamp": timestamp,
                    "X-Linli-Signature": sign(self.secret, timestamp, body),
                    "Idempotency-Key": message.idempotency_key
                    or f"notification-{message.notification_id}",
                }
                try:
                    response = await http.post(self.url, content=body, headers=headers)
                    if response.status_code < 300:
                        return True
                    if response.status_code < 500 and response.status_code != 429:
                        log.warning(
                            "webhook refused notification %s: %s",
                            message.notification_id,
                            response.status_code,
                        )
                        return False
                except httpx.HTTPError as exc:
                    log.warning("webhook attempt %d failed: %s", attempt + 1, exc)
                if attempt < self.retries:
                    await self.sleep(self.backoff * 2**attempt)
        log.error("webhook gave up on notification %s", message.notification_id)
        return False


def configured_channels(settings: Settings | None = None) -> list[Channel]:
    settings = settings or get_settings()
    channels: list[Channel] = []
    if "log" in settings.notify_channels:
        channels.append(LogChannel())
    if settings.webhook_url and "webhook" in settings.notify_channels:
        channels.append(
            WebhookChannel(
                settings.webhook_url,
                webhook_secret(settings),
                retries=settings.webhook_retries,
                timeout=settings.webhook_timeout,
                budget=settings.webhook_budget,
            )
        )
    return channels


_override: list[Channel] | None = None


def active_channels() -> list[Channel]:
    return _override if _override is not None else configured_channels()


def set_channels(channels: list[Channel] | None) -> None:
    """Replace the configured channels (tests); `None` restores the environment's."""
    global _override
    _override = channels


async def deliver(message: OutboundMessage) -> bool:
    """Sends the message on every active channel; True when every one of them took it."""
    delivered = True
    for channel in active_channels():
        try:
            delivered = bool(await channel.send(message)) and delivered
        except Exception:  # a broken channel must not stop the others or the scheduler
            log.exception("channel %s failed", channel.name)
            delivered = False
    return delivered

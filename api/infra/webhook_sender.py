"""Sending one webhook message: signed per Standard Webhooks, to a checked address only.

* Signature (the `standardwebhooks` package): ``webhook-id`` (the message's id, the same on
  every attempt), ``webhook-timestamp`` (seconds since the epoch, the real clock's: receivers
  compare it with theirs), ``webhook-signature: v1,<base64 HMAC-SHA256 of
  "<id>.<timestamp>.<body>">`` with the webhook's ``whsec_`` secret.
* Destination: resolved and checked before each attempt (`api.infra.destinations`), then the
  connection goes to that very address (the URL's host is kept in ``Host`` and, for https, in
  TLS's SNI and certificate check), so DNS rebinding cannot turn a public name into an inside
  address between the check and the connection.
* Limits: one deadline for the whole attempt (connect, send, answer), redirects never
  followed (a 3xx is a failure), at most `MAX_RESPONSE_BYTES` of the answer read (then the
  connection is dropped), no proxy from the environment.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from standardwebhooks.webhooks import Webhook as Signer

from api.infra import destinations

MAX_RESPONSE_BYTES = 64 * 1024
DEFAULT_TIMEOUT = 10.0
USER_AGENT = "Linli-Webhooks/1.0"


@dataclass(frozen=True)
class Outcome:
    #: The receiver's HTTP status; None when it never answered (refused, timeout, network).
    status_code: int | None
    #: A few words on what went wrong (None on success).
    error: str | None
    duration_ms: int

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def signed_headers(
    secret: str, message_id: str, body: str, at: datetime | None = None
) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt."""
    moment = (at or datetime.now(UTC)).astimezone(UTC)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": Signer(secret).sign(message_id, moment, body),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


def _pinned_url(destination: destinations.Destination, address: destinations.IPAddress) -> str:
    host = f"[{address}]" if isinstance(address, ipaddress.IPv6Address) else str(address)
    return f"{destination.scheme}://{host}:{destination.port}{destination.target}"


async def post(
    url: str,
    body: str,
    headers: dict[str, str],
    *,
    allow_private: bool,
    seconds: float = DEFAULT_TIMEOUT,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Outcome:
    """One attempt: POSTs `body` to `url` if its addresses are allowed; never raises for
    the receiver's or the network's failures."""
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        destination = destinations.parse(url, allow_private=allow_private)
        addresses = await destinations.addresses_of(destination, allow_private=allow_private)
    except destinations.DestinationRefused as refused:
        return Outcome(None, f"refused: {refused.reason}", elapsed())
    request_headers = {**headers, "host": destination.netloc}
    extensions = {"sni_hostname": destination.host} if destination.scheme == "https" else {}
    try:
        async with asyncio.timeout(seconds):
            async with httpx.AsyncClient(
                timeout=httpx.Timeout(seconds),
                follow_redirects=False,
                trust_env=False,
                transport=transport,
            ) as client:
                request = client.build_request(
                    "POST",
                    _pinned_url(destination, addresses[0]),
                    content=body.encode(),
                    headers=request_headers,
                    extensions=extensions,
                )
                response = await client.send(request, stream=True)
                try:
                    read = 0
                    async for chunk in response.aiter_raw():
                        read += len(chunk)
                        if read > MAX_RESPONSE_BYTES:
                            break  # enough: the status is what counts
                except httpx.StreamError:
                    pass  # the answer was read already (a transport that buffers it)
                finally:
                    await response.aclose()
    except TimeoutError:
        return Outcome(None, "timeout", elapsed())
    except httpx.TimeoutException:
        return Outcome(None, "timeout", elapsed())
    except httpx.HTTPError as exc:
        return Outcome(None, f"network error: {type(exc).__name__}", elapsed())
    status = response.status_code
    error = None if 200 <= status < 300 else f"HTTP {status}"
    return Outcome(status, error, elapsed())

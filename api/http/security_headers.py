"""Security headers on every response: a strict Content-Security-Policy, no MIME sniffing, no
framing, a short referrer, no powerful browser features, and HSTS behind https.

The pages load scripts and styles only from our own origin; the JSON data blocks in the
templates (`<script type="application/json">`) are not scripts and need no hash. A response
that sets its own `Content-Security-Policy` (GraphiQL, see `graphiql_policy`) keeps it."""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.settings import get_settings

PAGE_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        # 'self' covers this site's ws:/wss: in CSP 3; older browsers need them named.
        "connect-src 'self' {websocket}",
        "font-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def page_policy(public_url: str) -> str:
    """The pages' policy; the live seat counts open a WebSocket to this site only."""
    scheme, _, rest = public_url.partition("://")
    host = rest.split("/", 1)[0]
    websocket = f"{'wss' if scheme == 'https' else 'ws'}://{host}" if host else ""
    return PAGE_POLICY.replace("{websocket}", websocket).replace(" ;", ";")


PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
    "accelerometer=(), gyroscope=(), magnetometer=(), interest-cohort=()"
)
HSTS = "max-age=31536000; includeSubDomains"

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def graphiql_policy(html: str) -> str:
    """The policy that lets the GraphiQL page work: its assets from this origin only (vendored,
    no CDN, no web fonts), any inline script by hash, inline styles (React sets them)."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in _INLINE_SCRIPT.findall(html)
    )
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {hashes}".strip(),
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self' ws: wss:",
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class SecurityHeaders:
    """Pure ASGI middleware (no body buffering): adds the headers to every HTTP response (the
    list made once; a header the response sets itself is kept)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.hsts = get_settings().public_url.startswith("https://")
        self.policy = page_policy(get_settings().public_url)
        added = [
            ("content-security-policy", self.policy),
            ("x-content-type-options", "nosniff"),
            ("x-frame-options", "DENY"),
            ("referrer-policy", "strict-origin-when-cross-origin"),
            ("permissions-policy", PERMISSIONS_POLICY),
            ("cross-origin-opener-policy", "same-origin"),
        ]
        if self.hsts:
            added.append(("strict-transport-security", HSTS))
        self.added = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in added]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        added = self.added

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                names = {k.lower() for k, _ in headers}
                headers.extend(h for h in added if h[0] not in names)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)

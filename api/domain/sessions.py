"""Sessions you can end: one server-side record per logged-in browser.

The cookie carries a random token; the database keeps only its HMAC under the sessions key
(`api.infra.keys`), so neither a copy of the database nor another purpose's key makes a session. A session
lives while it is used: every use (noted at most every few minutes) moves its expiry
`session_idle_days` ahead. Logging out deletes the record, so a copied cookie stops working.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from datetime import timedelta

from api.domain.actors import Actor
from api.infra import clock, keys, rows
from api.models import UserSession, Volunteer
from api.settings import get_settings

# Last-seen times are written at most this often per session (a page view is not a write).
TOUCH_EVERY = timedelta(minutes=5)
USER_AGENT_MAX = 300


def digest(token: str) -> str:
    return hmac.new(keys.session_key(), token.encode(), hashlib.sha256).hexdigest()


def idle_limit() -> timedelta:
    return timedelta(days=get_settings().accounts.session_idle_days)


async def open_session(
    volunteer_id: int, user_agent: str = "", *, token: str | None = None
) -> tuple[str, UserSession]:
    """Starts a session; returns the token for the cookie (shown once) and the record."""
    token = token or secrets.token_urlsafe(32)
    now = clock.now()
    row = await UserSession.create(
        volunteer_id=volunteer_id,
        token_digest=digest(token),
        user_agent=(user_agent or "")[:USER_AGENT_MAX],
        created_at=now,
        last_seen_at=now,
        expires_at=now + idle_limit(),
    )
    return token, row


_SESSION = rows.reader_of(UserSession)
_VOLUNTEER = rows.reader_of(Volunteer)
_resume_sql: list[str] = []


async def _by_digest(token_digest: str) -> UserSession | None:
    """The session with this digest (unique), its volunteer attached. Every request with a
    cookie asks this: its statement is written once."""
    if not _resume_sql:
        _resume_sql.append(
            f'SELECT {_SESSION.columns("s")},{_VOLUNTEER.columns("v")} FROM "user_session" "s"'
            ' JOIN "volunteer" "v" ON "v"."id" = "s"."volunteer_id" WHERE "s"."token_digest" = ?'
        )
    found = await rows.fetch(_resume_sql[0], [token_digest])
    if not found:
        return None
    row = _SESSION.converter()(found[0])
    row.__dict__["_volunteer"] = _VOLUNTEER.converter()(found[0], len(_SESSION.names))
    return row


async def resume(token: str) -> UserSession | None:
    """The live session for a cookie's token (with its volunteer), its expiry slid ahead."""
    if not token or len(token) > 200:
        return None
    row = await _by_digest(digest(token))
    if row is None:
        return None
    now = clock.now()
    if row.expires_at <= now:
        await UserSession.filter(id=row.id).delete()
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        await UserSession.filter(id=row.id).update(last_seen_at=now, expires_at=now + idle_limit())
        row.last_seen_at, row.expires_at = now, now + idle_limit()
    return row


async def end(session_id: int) -> bool:
    return await UserSession.filter(id=session_id).delete() > 0


async def end_all(volunteer_id: int, *, keep: int | None = None) -> int:
    """Ends every session of the volunteer (but `keep`, the one asking); returns how many."""
    query = UserSession.filter(volunteer_id=volunteer_id)
    if keep is not None:
        query = query.exclude(id=keep)
    return await query.delete()


async def active(volunteer_id: int) -> list[UserSession]:
    """The volunteer's live sessions, most recently used first."""
    return (
        await UserSession.filter(volunteer_id=volunteer_id, expires_at__gt=clock.now())
        .order_by("-last_seen_at", "-id")
        .limit(50)
    )


async def sessions_seen_by(actor: Actor, volunteer_id: int) -> list[UserSession]:
    """A volunteer's sessions, to the volunteer alone (not even admins see where one is
    logged in)."""
    if actor.id != volunteer_id:
        return []
    return await active(volunteer_id)


async def delete_expired() -> int:
    return await UserSession.filter(expires_at__lte=clock.now()).delete()


_BROWSERS: Iterable[tuple[str, str]] = (
    ("MicroMessenger", "微信 WeChat"),
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
    ("python-httpx", "httpx"),
)
_SYSTEMS: Iterable[tuple[str, str]] = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("HarmonyOS", "HarmonyOS"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "Mac"),
    ("Macintosh", "Mac"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def device(user_agent: str) -> str:
    """A short description of the browser and system from a User-Agent, e.g. "Chrome, Android"."""
    ua = user_agent or ""
    browser = next((name for key, name in _BROWSERS if key in ua), "")
    system = next((name for key, name in _SYSTEMS if key in ua), "")
    if not browser and not system:
        words = re.findall(r"[A-Za-z][\w.-]*", ua)
        return words[0][:40] if words else "?"
    return ", ".join(part for part in (browser, system) if part)

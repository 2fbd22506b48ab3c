"""The session cookie: a random token (HttpOnly) naming a server-side session record
(`api.domain.sessions`), which logging out deletes."""

from __future__ import annotations

from starlette.responses import Response

from api.settings import get_settings

SESSION_COOKIE = "linli_session"


def set_session_cookie(response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=get_settings().accounts.session_idle_days * 24 * 3600,
        httponly=True,
        samesite="lax",
        secure=get_settings().secure_cookies,
        path="/",
    )


def end_session(response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax", secure=get_settings().secure_cookies
    )

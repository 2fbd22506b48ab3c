"""Session tokens: signed, time-limited, carried in an HttpOnly cookie."""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.responses import Response

from api.infra.keys import session_key
from api.settings import get_settings

SESSION_COOKIE = "linli_session"
SESSION_MAX_AGE = 60 * 60 * 24 * 30  # a month: volunteers should not have to log in often


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(session_key(), salt="linli.session")


def session_token(volunteer_id: int) -> str:
    return _serializer().dumps({"v": volunteer_id})


def volunteer_id_from(token: str | None) -> int | None:
    if not token:
        return None
    try:
        data = _serializer().loads(token, max_age=SESSION_MAX_AGE)
    except BadSignature:
        return None
    value = data.get("v") if isinstance(data, dict) else None
    return value if isinstance(value, int) else None


def start_session(response: Response, volunteer_id: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        session_token(volunteer_id),
        max_age=SESSION_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=get_settings().secure_cookies,
        path="/",
    )


def end_session(response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax", secure=get_settings().secure_cookies
    )

"""The language a request is answered in.

* Pages: the language chosen with the switch (`linli_lang` cookie, set by `/lang/{tag}`),
  else zh-CN. A logged-in person's choice is also stored as `Volunteer.language`, the language
  of their notices, reminders, SMS and calendar feed.
* The API: `Accept-Language` (zh-CN or en, by quality); a client that sends none gets
  English, as it always has (`asked_language` answers None then).
"""

from __future__ import annotations

from starlette.requests import HTTPConnection

from api.infra.i18n import DEFAULT_LANGUAGE, LANGUAGES, SOURCE_LANGUAGE, supported

LANG_COOKIE = "linli_lang"


def page_language(request: HTTPConnection) -> str:
    """The chosen language (cookie), else the default, zh-CN."""
    chosen = request.cookies.get(LANG_COOKIE, "")
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def asked_language(request: HTTPConnection | None) -> str | None:
    """The best language of `Accept-Language` that we speak, or None when it names none."""
    header = request.headers.get("accept-language", "") if request is not None else ""
    best: tuple[float, int, str] | None = None
    for position, part in enumerate(header.split(",")):
        tag, _, rest = part.strip().partition(";")
        quality = 1.0
        if rest.strip().startswith("q="):
            try:
                quality = float(rest.strip()[2:])
            except ValueError:
                continue
        found = supported(tag, default="")
        if not found or quality <= 0:
            continue
        if best is None or (quality, -position) > (best[0], best[1]):
            best = (quality, -position, found)
    return best[2] if best else None


def api_language(request: HTTPConnection | None) -> str:
    """`Accept-Language`, else English (the API's language before it spoke others)."""
    return asked_language(request) or SOURCE_LANGUAGE

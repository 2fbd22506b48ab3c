"""Languages of the web app: zh-CN first, English second, all strings from Babel catalogs.

The catalogs and formatting live in `api.infra.i18n` (the domain and the jobs render with them
too); the request's language is negotiated in `api.http.language`. This module is what pages
and templates use of both.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection

from api.http.actor import actor_for
from api.http.language import LANG_COOKIE, page_language
from api.infra.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    Text,
    babel_locale,
    current_language,
    fmt_date,
    fmt_datetime,
    fmt_number,
    fmt_time,
    gettext,
    ngettext,
    render,
    supported,
    translations,
    use_language,
)

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LANG_COOKIE",
    "Text",
    "babel_locale",
    "current_language",
    "fmt_date",
    "fmt_datetime",
    "fmt_number",
    "fmt_time",
    "gettext",
    "language_for",
    "ngettext",
    "person_language_for",
    "render",
    "translations",
    "use_language",
]


def language_for(request: HTTPConnection) -> str:
    """The page's language (the switch's cookie, else the logged-in person's language once
    `person_language_for` found it, else zh-CN); also made current."""
    language = getattr(request.state, "linli_language", None) or page_language(request)
    use_language(language)
    return language


async def person_language_for(request: HTTPConnection) -> str:
    """`language_for`, knowing who is asking: without a choice on this browser, a logged-in
    person reads the pages in their own language (`Volunteer.language`, chosen elsewhere)."""
    if request.cookies.get(LANG_COOKIE) not in LANGUAGES:
        volunteer = (await actor_for(request)).volunteer
        if volunteer is not None:
            request.state.linli_language = supported(volunteer.language)
    return language_for(request)

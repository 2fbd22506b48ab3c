"""Languages of the web app: zh-CN first, English second, all strings from Babel catalogs.

The catalogs and formatting live in `api.infra.i18n` (the domain and the jobs render with them
too); the request's language is negotiated in `api.http.language`. This module is what pages
and templates use of both.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection

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
    "render",
    "translations",
    "use_language",
]


def language_for(request: HTTPConnection) -> str:
    """The page's language (the switch's cookie, else zh-CN); also made current."""
    language = page_language(request)
    use_language(language)
    return language

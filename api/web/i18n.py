"""Languages of the web app: zh-CN first, English second, all strings from Babel catalogs.

The catalogs are `pwa/locale/<locale>/LC_MESSAGES/messages.po`. They are compiled in memory
when first used (a fresh clone needs no `pybabel compile` step); a committed or compiled
`messages.mo` next to the `.po` is used instead when it is at least as new.
"""

from __future__ import annotations

import io
from contextvars import ContextVar
from datetime import datetime
from functools import lru_cache

from babel import Locale
from babel.dates import format_date, format_datetime, format_skeleton, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations
from starlette.requests import HTTPConnection

from api.settings import PROJECT_ROOT, SHANGHAI

LOCALE_DIR = PROJECT_ROOT / "pwa" / "locale"
LANG_COOKIE = "linli_lang"
DEFAULT_LANGUAGE = "zh-CN"
#: The languages offered, in the order of the switch: tag → (Babel locale, own name).
LANGUAGES: dict[str, tuple[str, str]] = {"zh-CN": ("zh_CN", "中文"), "en": ("en", "English")}

_current: ContextVar[str] = ContextVar("linli_language", default=DEFAULT_LANGUAGE)


def language_for(request: HTTPConnection) -> str:
    """The chosen language (cookie), else the default, zh-CN."""
    chosen = request.cookies.get(LANG_COOKIE, "")
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def use_language(language: str) -> None:
    _current.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)


def current_language() -> str:
    return _current.get()


def babel_locale(language: str | None = None) -> Locale:
    return Locale.parse(LANGUAGES[language or current_language()][0])


@lru_cache(maxsize=8)
def translations(language: str) -> NullTranslations:
    folder = LOCALE_DIR / LANGUAGES[language][0] / "LC_MESSAGES"
    po, mo = folder / "messages.po", folder / "messages.mo"
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as handle:
            return Translations(handle)
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=LANGUAGES[language][0])
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def gettext(message: str) -> str:
    """The message in the current language (templates interpolate `%(name)s` themselves)."""
    return translations(current_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_language()).ngettext(singular, plural, n)


# Formatting per locale, always in Asia/Shanghai wall-clock time.


def _parse(value: datetime | str | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    return value


def fmt_datetime(value: datetime | str | None, format: str = "medium") -> str:
    moment = _parse(value)
    if moment is None:
        return ""
    if format == "event":  # "11月28日周六 09:00" / "Sat, Nov 28 09:00"
        local = moment.astimezone(SHANGHAI)
        day = format_skeleton("MMMEd", local, locale=babel_locale())
        return f"{day} {format_skeleton('Hm', local, locale=babel_locale())}"
    return format_datetime(moment, format, tzinfo=SHANGHAI, locale=babel_locale())


def fmt_date(value: datetime | str | None, format: str = "medium") -> str:
    moment = _parse(value)
    if moment is None:
        return ""
    return format_date(moment.astimezone(SHANGHAI).date(), format, locale=babel_locale())


def fmt_time(value: datetime | str | None, format: str = "short") -> str:
    moment = _parse(value)
    if moment is None:
        return ""
    return format_time(moment, format, tzinfo=SHANGHAI, locale=babel_locale())


def fmt_number(value: float | int | None) -> str:
    return format_decimal(value or 0, locale=babel_locale(), format="#,##0.#")

"""One message model for everything a person reads: pages, `userErrors`, notifications,
reminders, SMS/webhook texts, calendar feeds, CSV files and error pages.

A text is a message id (the English sentence, with ``%(name)s`` placeholders) and its
parameters (`Text`); it becomes words only when rendered in a language, from the Babel
catalogs `pwa/locale/<locale>/LC_MESSAGES/messages.po`. Parameters may be plain values,
moments (`datetime`, shown in Asia/Shanghai in the language's own way, 24-hour clock) or other
texts (rendered in the same language). A `Text` can be stored (`dumps`/`loads`) and rendered
later in the reader's language.

Mark a string for extraction with `N_("…", name=value)` (a `Text`) or `NP_("one", "many", n,
…)` (a plural `Text`); `gettext`/`ngettext` translate in the current language (set per request
or per recipient with `use_language`). Nothing here imports the web stack, so the domain and
the jobs use it as the pages do.

The catalogs are compiled in memory when first used (a fresh clone needs no `pybabel compile`
step); a compiled `messages.mo` next to the `.po` is used instead when it is at least as new.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Union

from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

from api.settings import PROJECT_ROOT, SHANGHAI

LOCALE_DIR = PROJECT_ROOT / "pwa" / "locale"
DEFAULT_LANGUAGE = "zh-CN"
#: The language of message ids, and of API answers to clients that ask for none.
SOURCE_LANGUAGE = "en"
#: The languages offered, in the order of the switch: tag → (Babel locale, own name).
LANGUAGES: dict[str, tuple[str, str]] = {"zh-CN": ("zh_CN", "中文"), "en": ("en", "English")}

_current: ContextVar[str] = ContextVar("linli_language", default=DEFAULT_LANGUAGE)


def supported(tag: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """A language we speak for a tag (`zh`, `zh-Hans-CN`, `en-GB` …), else `default`."""
    if not tag:
        return default
    tag = tag.strip().replace("_", "-")
    if tag in LANGUAGES:
        return tag
    primary = tag.split("-", 1)[0].lower()
    if primary == "zh":
        return "zh-CN"
    if primary == "en":
        return "en"
    return default


def use_language(language: str) -> None:
    """Sets the language `gettext` and the formatters use in this context."""
    _current.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)


def current_language() -> str:
    return _current.get()


@contextmanager
def language(tag: str) -> Iterator[None]:
    """Within the block, render in `tag` (a recipient's language, say)."""
    token = _current.set(tag if tag in LANGUAGES else DEFAULT_LANGUAGE)
    try:
        yield
    finally:
        _current.reset(token)


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


def gettext(message: str, language: str | None = None) -> str:
    """The message in the current language (templates interpolate `%(name)s` themselves)."""
    return translations(language or current_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int, language: str | None = None) -> str:
    return translations(language or current_language()).ngettext(singular, plural, n)


# Texts: message ids with parameters ---------------------------------------------------

Param = Union[str, int, float, datetime, "Text"]


@dataclass(frozen=True)
class Text:
    """A message id and its parameters, rendered in a language only when shown."""

    msgid: str
    params: Mapping[str, Param] = field(default_factory=dict)
    #: The plural message id; the parameter `n` chooses between the two.
    plural: str | None = None

    def render(self, language: str | None = None) -> str:
        tag = language if language in LANGUAGES else current_language()
        if self.plural is not None:
            n = self.params.get("n", 1)
            template = ngettext(self.msgid, self.plural, n if isinstance(n, int) else 1, tag)
        else:
            template = gettext(self.msgid, tag)
        if not self.params:
            return template
        values = {name: _render_param(value, tag) for name, value in self.params.items()}
        for pattern in (template, self.msgid):  # a broken translation: the id still reads
            try:
                return pattern % values
            except (KeyError, ValueError, TypeError):
                continue
        return template

    def __str__(self) -> str:
        return self.render(SOURCE_LANGUAGE)

    def as_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.msgid}
        if self.params:
            data["p"] = {name: _param_data(value) for name, value in self.params.items()}
        if self.plural is not None:
            data["pl"] = self.plural
        return data

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Text:
        params = {name: _param_from(value) for name, value in (data.get("p") or {}).items()}
        return cls(str(data["id"]), params, data.get("pl"))

    def dumps(self, max_length: int | None = None) -> str:
        """JSON for a text column; long string parameters are shortened to fit `max_length`."""
        text = self
        encoded = json.dumps(text.as_data(), ensure_ascii=False, separators=(",", ":"))
        while max_length is not None and len(encoded) > max_length:
            longest = max(
                (k for k, v in text.params.items() if isinstance(v, str)),
                key=lambda k: len(str(text.params[k])),
                default=None,
            )
            if longest is None or len(str(text.params[longest])) <= 1:
                break
            value = str(text.params[longest])
            cut = max(1, len(value) - (len(encoded) - max_length) - 1)
            text = Text(text.msgid, {**text.params, longest: value[:cut] + "…"}, text.plural)
            encoded = json.dumps(text.as_data(), ensure_ascii=False, separators=(",", ":"))
        if max_length is not None and len(encoded) > max_length:  # never more than the column
            return self.render(SOURCE_LANGUAGE)[:max_length]
        return encoded


def loads(stored: str) -> Text | None:
    """The `Text` a column holds (None for plain text written before texts were stored)."""
    if not stored.startswith('{"id":'):
        return None
    try:
        data = json.loads(stored)
    except ValueError:
        return None
    return Text.from_data(data) if isinstance(data, dict) and "id" in data else None


def render_stored(stored: str, language: str | None = None) -> str:
    """A stored text in a language; plain old text as it is."""
    text = loads(stored)
    return stored if text is None else text.render(language)


def N_(msgid: str, /, **params: Param) -> Text:  # noqa: N802 (the extraction keyword)
    """A text to render later; `pybabel extract` finds the message id."""
    return Text(msgid, params)


def NP_(singular: str, plural: str, n: int, /, **params: Param) -> Text:  # noqa: N802
    """A plural text: `n` (also a parameter, `%(n)s`) chooses the form."""
    return Text(singular, {"n": n, **params}, plural)


def render(message: str | Text, language: str | None = None) -> str:
    """A text, or a message id without parameters, in a language."""
    if isinstance(message, Text):
        return message.render(language)
    return gettext(message, language)


def _render_param(value: Param, language: str) -> str | int | float:
    if isinstance(value, Text):
        return value.render(language)
    if isinstance(value, datetime):
        return fmt_datetime(value, "event", language)
    return value


def _param_data(value: Param) -> Any:
    if isinstance(value, Text):
        return {"t": value.as_data()}
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    return value


def _param_from(value: Any) -> Param:
    if isinstance(value, dict):
        if "t" in value:
            return Text.from_data(value["t"])
        if "dt" in value:
            return datetime.fromisoformat(value["dt"])
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, str | int | float):
        return value
    return str(value)


# Formatting per language, in Asia/Shanghai wall-clock time, 24-hour clock everywhere --------


def _parse(value: datetime | str | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    return value


def fmt_datetime(
    value: datetime | str | None, format: str = "medium", language: str | None = None
) -> str:
    """`event`: "11月28日周六 09:00" / "Sat, Nov 28 09:00"; else a Babel date format and the
    time as 09:00 (never AM/PM)."""
    moment = _parse(value)
    if moment is None:
        return ""
    local = moment.astimezone(SHANGHAI)
    locale = babel_locale(language)
    clock = format_skeleton("Hm", local, locale=locale)
    if format == "event":
        return f"{format_skeleton('MMMEd', local, locale=locale)} {clock}"
    return f"{format_date(local.date(), format, locale=locale)} {clock}"


def fmt_date(
    value: datetime | str | None, format: str = "medium", language: str | None = None
) -> str:
    moment = _parse(value)
    if moment is None:
        return ""
    return format_date(moment.astimezone(SHANGHAI).date(), format, locale=babel_locale(language))


def fmt_time(
    value: datetime | str | None, format: str = "short", language: str | None = None
) -> str:
    """09:00 in every language (the 24-hour clock of the zh-CN UI)."""
    moment = _parse(value)
    if moment is None:
        return ""
    return format_skeleton("Hm", moment.astimezone(SHANGHAI), locale=babel_locale(language))


def fmt_number(value: float | int | None, language: str | None = None) -> str:
    return format_decimal(value or 0, locale=babel_locale(language), format="#,##0.#")

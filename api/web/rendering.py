"""Pages get their data through the same GraphQL operations third parties use:
`schema/operations/<Name>.graphql`, executed in-process with the caller's identity.

`render()` turns a template into a page in the caller's language, with the helpers every
template may use: `_()` / `ngettext()` (Babel catalogs), `asset()` (fingerprinted URLs) and the
date/number filters (`|datetime`, `|date`, `|time`, `|number`, Asia/Shanghai).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import quote

import jinja2
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from api.graphql.operations import execute_operation, operation
from api.http.actor import actor_for
from api.settings import PROJECT_ROOT
from api.web import i18n
from api.web.assets import asset

TEMPLATES_DIR = PROJECT_ROOT / "pwa" / "templates"

templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
)
templates.env.install_gettext_callables(  # type: ignore[attr-defined]
    i18n.gettext, i18n.ngettext, newstyle=True
)
templates.env.globals.update(asset=asset, languages=i18n.LANGUAGES)
templates.env.filters.update(
    datetime=i18n.fmt_datetime, date=i18n.fmt_date, time=i18n.fmt_time, number=i18n.fmt_number
)


def _(message: str) -> str:
    """Marks a string for extraction; translated when the page is rendered."""
    return message


#: Strings the page scripts need (outbox notices, results), sent with every page.
SCRIPT_STRINGS = {
    "pending": _("Saved on this phone; it will be sent when you are back online."),
    "sending": _("Sending…"),
    "confirmed": _("Signed up: %(role)s."),
    "waitlisted": _("On the waitlist for %(role)s: number %(position)s."),
    "cancelled": _("Sign-up cancelled: %(role)s."),
    "attended": _("Checked in: %(role)s."),
    "marked_attended": _("%(name)s: marked as attended."),
    "marked_no_show": _("%(name)s: marked as did not come."),
    "refused": _("Not done: %(reason)s"),
    "offline": _("You are offline. Pages you have opened before still work."),
    "network": _("No connection. Please try again."),
    "confirm_cancel": _("Cancel this sign-up?"),
    "yes_cancel": _("Yes, cancel it"),
    "keep": _("No, keep it"),
    "UNAUTHENTICATED": _("Please log in first."),
    "FORBIDDEN": _("You may not do that."),
    "NOT_FOUND": _("It no longer exists."),
    "ALREADY_SIGNED_UP": _("You have already signed up for this shift."),
    "EVENT_NOT_OPEN": _("This event is not open for sign-ups."),
    "IDEMPOTENCY_MISMATCH": _("This request was already used for something else."),
    "PHONE_TAKEN": _("An account with this phone number already exists."),
    "BAD_CREDENTIALS": _("Wrong phone number or password."),
    "RATE_LIMITED": _("Too many attempts. Please wait a few minutes."),
    "CODE_REQUIRED": _("Too many wrong passwords for this number: log in with an SMS code."),
    "SCHEDULE_CONFLICT": _("You already have a shift at this time."),
    "BAD_CODE": _("That code is not right. Ask the organizer."),
    "CHECK_IN_CLOSED": _("Check-in opens one hour before the shift and closes when it ends."),
    "NOT_SIGNED_UP": _("You have no confirmed sign-up for this shift."),
    "INVALID_STATE": _("Attendance has been recorded; it cannot be changed."),
    "INVALID_INPUT": _("Please check what you entered."),
    "BAD_PHONE_CODE": _("That code is not right. Check the SMS and try again."),
    "PHONE_CODE_EXPIRED": _("This code has expired or was tried too often. Ask for a new code."),
    "PASSWORD_CHANGED": _("Password changed. Your other devices have been logged out."),
    "WEAK_PASSWORD": _("This password is too easy to guess. Please choose another."),
    "code_sent": _(
        "If %(phone)s can use it, a code is on its way by SMS. It is valid for 5 minutes."
    ),
    "send_again_in": _("Send again in %(seconds)s s"),
    "SLOT_FULL": _("This time is fully booked. Please choose another."),
    "ALREADY_BOOKED": _("You already have an appointment at this event."),
    "HOME_VISIT_NOT_OFFERED": _("This service is not offered as a home visit."),
}


#: The mutations the page scripts send (and queue offline), from schema/operations/.
SCRIPT_OPERATIONS = (
    "SignUp",
    "CancelSignup",
    "CheckIn",
    "LogIn",
    "Register",
    "LogOut",
    "LogInWithCode",
    "ResetPassword",
    "RequestPhoneCode",
    "ChangePassword",
    "LogOutEverywhere",
    "JoinTeam",
    "MarkNotificationsRead",
)


@lru_cache(maxsize=1)
def script_operations() -> dict[str, str]:
    return {name: " ".join(operation(name).split()) for name in SCRIPT_OPERATIONS}


def script_strings() -> dict[str, str]:
    return {key: i18n.gettext(message) for key, message in SCRIPT_STRINGS.items()}


# Days a page accepts in its URL or forms: beyond them, conversions overflow (9999-12-31 + 1 day)
# or meet Shanghai's pre-1901 local mean time (+08:05:43), which no DateTime carries.
FIRST_DAY = date(1950, 1, 1)
LAST_DAY = date(2999, 12, 31)


def parse_day(text: str) -> date | None:
    """`2026-12-05` → that date; anything else, or a day outside FIRST_DAY..LAST_DAY → None."""
    try:
        day = datetime.strptime(text.strip(), "%Y-%m-%d").date()
    except ValueError:
        return None
    return day if FIRST_DAY <= day <= LAST_DAY else None


def error_message(code: str, fallback: str) -> str:
    """A user error in the page's language (the API's own messages are English)."""
    return i18n.gettext(SCRIPT_STRINGS[code]) if code in SCRIPT_STRINGS else fallback


def _notice(code: str | None) -> str | None:
    if not code or not code.isupper() or len(code) > 40:
        return None
    return error_message(code, code.replace("_", " ").capitalize())


async def run_operation(
    request: Request,
    name: str,
    variables: dict[str, Any] | None = None,
    response: Response | None = None,
) -> dict[str, Any]:
    actor = await actor_for(request)
    return await execute_operation(name, variables, actor=actor, request=request, response=response)


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    """A page in the caller's language. Pages are personal: never stored by shared caches.

    The unread-notifications badge comes from the page's own operation: every page query asks
    for `viewer { unreadNotificationCount }`, so no page needs a query of its own for it."""
    language = i18n.language_for(request)
    i18n.use_language(language)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    values: dict[str, Any] = {
        "lang": language,
        "here": here,
        "here_quoted": quote(here, safe=""),
        "fetched_at": datetime.now(UTC),
        "strings": script_strings(),
        "operations": script_operations(),
        "viewer": None,
        "unread_count": None,  # the notifications badge; taken from the viewer when not given
        # the answer to a form posted without scripts (`?notice=CODE`, see pages.my_actions)
        "notice": _notice(request.query_params.get("notice")),
    }
    values.update(context or {})
    if values["unread_count"] is None and isinstance(values["viewer"], dict):
        values["unread_count"] = values["viewer"].get("unreadNotificationCount")
    response = templates.TemplateResponse(request, template, values, status_code=status_code)
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["Vary"] = "Cookie"
    response.headers["Content-Language"] = language
    return response

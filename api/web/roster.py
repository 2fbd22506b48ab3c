"""`/events/{id}/roster.csv`: the event's sign-ups for its team's leaders and admins."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from api.domain import roster as domain_roster
from api.domain.errors import DomainError
from api.domain.labels import status_label
from api.http.actor import actor_for
from api.settings import SHANGHAI
from api.web import i18n
from api.web.exports import csv_response, error_response, not_found, path_id


def _(message: str) -> str:
    """Marks a string for extraction; translated when the file is made."""
    return message


#: The columns, in the page's language (zh-CN unless the switch says otherwise): the sheet is
#: opened by the community's staff.
HEADER = [_("Volunteer name"), _("Phone"), _("Role"), _("Status"), _("Checked in at"), _("Hours")]


async def roster_csv(request: Request) -> Response:
    event_id = path_id(request, "Event")
    if event_id is None:
        return not_found(request)
    try:
        event, lines = await domain_roster.roster(await actor_for(request), event_id)
    except DomainError as exc:
        return error_response(request, exc)
    language = await i18n.person_language_for(request)
    rows: list[list[object]] = [[i18n.gettext(column) for column in HEADER]]
    for line in lines:
        checked_in = (
            line.checked_in_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
            if line.checked_in_at
            else ""
        )
        hours = "" if line.hours is None else f"{line.hours:g}"
        status = status_label(line.status, language)
        rows.append([line.name, line.phone, line.role, status, checked_in, hours])
    day = event.starts_at.astimezone(SHANGHAI).strftime("%Y%m%d")
    return csv_response(rows, f"roster-{event.id}-{day}.csv")


def roster_routes() -> list[BaseRoute]:
    return [Route("/events/{id}/roster.csv", roster_csv)]

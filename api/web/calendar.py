"""iCalendar feeds: `/calendar/{token}.ics` (a volunteer's, private) and
`/teams/{id}/calendar.ics` (a team's, public)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from api.domain import calendar_feed
from api.http.language import LANG_COOKIE, asked_language
from api.web.exports import not_found, path_id

ICS = "text/calendar; charset=utf-8"


async def volunteer_calendar(request: Request) -> Response:
    body = await calendar_feed.volunteer_feed(request.path_params["token"])
    if body is None:
        return not_found(request)
    return Response(
        body,
        media_type=ICS,
        headers={"Cache-Control": "private, no-cache", "X-Robots-Tag": "noindex"},
    )


async def team_calendar(request: Request) -> Response:
    team_id = path_id(request, "Team")
    # A public feed: `?lang=` (the pages' links carry it), else the switch's cookie, else
    # `Accept-Language` (a calendar app), else zh-CN.
    language = (
        request.query_params.get("lang")
        or request.cookies.get(LANG_COOKIE)
        or asked_language(request)
        or "zh-CN"
    )
    body = await calendar_feed.team_feed(team_id, language) if team_id else None
    if body is None:
        return not_found(request)
    return Response(
        body,
        media_type=ICS,
        headers={"Cache-Control": "public, max-age=300", "Vary": "Accept-Language, Cookie"},
    )


def calendar_routes() -> list[BaseRoute]:
    return [
        Route("/calendar/{token}.ics", volunteer_calendar),
        Route("/teams/{id}/calendar.ics", team_calendar),
    ]

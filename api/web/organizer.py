"""The organizer's pages: an event's attendance page (`/events/{id}/organize`) and the
dashboards (`/teams/{id}/dashboard`, `/communities/{id}/dashboard`, with `.csv` exports),
plus the feeds and the roster. `organizer_routes()` is what `api/app.py` mounts."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode

import segno
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from api.domain import stats as domain_stats
from api.domain.actors import Actor
from api.domain.errors import DomainError
from api.http.actor import actor_for
from api.http.cross_site import refuse_cross_site
from api.settings import SHANGHAI, get_settings
from api.web import appointment_forms, charts, event_editing, event_forms, i18n, on_site
from api.web.admin_console import admin_console_routes
from api.web.calendar import calendar_routes
from api.web.developer import developer_routes
from api.web.exports import csv_response, error_response, not_found, path_id
from api.web.hours_report import hours_report_routes
from api.web.rendering import error_message, operation, parse_day, render, run_operation
from api.web.roster import roster_routes
from api.web.team_people import team_people_routes

ATTENDANCE_STATUSES = ("ATTENDED", "NO_SHOW")


def checkin_url(shift_id: str, code: str) -> str:
    """The link in the QR code: opens the volunteer's check-in with the code filled in."""
    return f"{get_settings().public_url}/checkin?{urlencode({'shift': shift_id, 'code': code})}"


def qr_svg(url: str) -> Markup:
    qr = segno.make(url, error="m")
    return Markup(qr.svg_inline(scale=5, border=2, title="QR", dark="#000", light="#fff"))


_login_redirect = event_forms.login_redirect


def _group(signups: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = {
        "CONFIRMED": [],
        "ATTENDED": [],
        "NO_SHOW": [],
        "WAITLISTED": [],
    }
    for s in signups:
        if s["status"] in groups:
            groups[s["status"]].append(s)
    groups["WAITLISTED"].sort(key=lambda s: s["waitlistPosition"] or 0)
    return groups


async def organize_page(request: Request) -> Response:
    actor = await actor_for(request)
    if actor.volunteer is None:
        return _login_redirect(request)
    if path_id(request, "Event") is None:
        return not_found(request)
    message = None
    form: dict[str, str] = {}
    form_errors: dict[str, list[str]] = {}
    if request.method == "POST":
        if refused := refuse_cross_site(request):
            return refused
        form = dict(await event_forms.url_encoded_form(request))
        action = form.get("action", "")
        if action == "duplicate":
            done = await event_forms.duplicate_from_form(request, _event_gid(request), form)
            if isinstance(done, Response):
                return done
            form_errors = done
        elif action == "publish":
            form_errors, count = await event_editing.publish_from_form(
                request, _event_gid(request), form
            )
            if not form_errors:
                return RedirectResponse(
                    f"{request.url.path}?done=published&n={count}", status_code=303
                )
        elif action in on_site.ACTIONS:
            form_errors, query = await on_site.handle(request, _event_gid(request), action, form)
            if not form_errors:
                return RedirectResponse(f"{request.url.path}?{query}", status_code=303)
        elif action in appointment_forms.ACTIONS:
            message = await appointment_forms.handle(request, _event_gid(request), form)
        else:
            message = await _mark_from_form(request)
        if message is None and not form_errors:
            return RedirectResponse(request.url.path, status_code=303)
    data = await run_operation(request, "OrganizeEvent", {"id": _event_gid(request)})
    event = data.get("node")
    if not event or event.get("__typename") != "Event":
        return render(request, "not_found.html", {"viewer": data["viewer"]}, status_code=404)
    if not event["viewerCanOrganize"]:
        return render(
            request,
            "organizer/forbidden.html",
            {"viewer": data["viewer"]},  # the badge comes from the viewer (render())
            status_code=403,
        )
    for shift in event["shifts"]:
        shift["groups"] = _group((shift["signups"] or {}).get("nodes", []))
        code = shift["checkInCode"] or ""
        shift["codeDisplay"] = f"{code[:3]} {code[3:]}"
        shift["qr"] = qr_svg(checkin_url(shift["id"], code))
    return render(
        request,
        "organizer/organize.html",
        {
            "viewer": data["viewer"],
            "event": event,
            "message": message,
            "form_errors": form_errors,
            "duplicate": _duplicate_values(event, form),
            "failed": form.get("action", "") if form_errors else "",
            "form": form,
            "done": on_site.done_notice(request),
            "later_drafts": on_site.later_drafts(event),
            "appointments": await appointment_forms.section(request, event["id"], event),
            "organizer_ops": {"MarkAttendance": " ".join(operation("MarkAttendance").split())},
        },
    )


def _duplicate_values(event: dict[str, Any], form: dict[str, str]) -> dict[str, Any]:
    """The duplicate form: as sent, or a week after the event at the same time."""
    if form.get("action") == "duplicate":
        return {
            "date": form.get("date", ""),
            "start": form.get("start", ""),
            "publish": form.get("publish") == "on",
        }
    starts = datetime.fromisoformat(event["startsAt"]).astimezone(SHANGHAI)
    later = max(starts.date(), event_forms.local_today()) + timedelta(days=7)
    return {"date": later.isoformat(), "start": starts.strftime("%H:%M"), "publish": True}


def _event_gid(request: Request) -> str:
    from api.http.ids import encode_id

    pk = path_id(request, "Event")
    return encode_id("Event", pk or 0)


async def _mark_from_form(request: Request) -> str | None:
    """The page without scripts: a plain form post marks attendance. Returns an error text
    (in the page's language)."""
    i18n.language_for(request)
    # A urlencoded form, read without python-multipart.
    form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
    status = str(form.get("status", ""))
    if status not in ATTENDANCE_STATUSES:
        return error_message("INVALID_INPUT", "")
    variables: dict[str, Any] = {"signupId": str(form.get("signupId", "")), "status": status}
    hours = str(form.get("hours", "")).strip()
    if hours:
        try:
            variables["hours"] = float(hours)
        except ValueError:
            return error_message("INVALID_INPUT", "")
    try:
        data = await run_operation(request, "MarkAttendance", variables)
    except RuntimeError:  # an id that is not one of ours
        return error_message("NOT_FOUND", "")
    errors = data["markAttendance"]["userErrors"]
    return errors[0]["message"] if errors else None


# Dashboards ---------------------------------------------------------------------------


def _period(request: Request) -> tuple[datetime | None, datetime | None]:
    bounds: list[datetime | None] = []
    for name in ("since", "until"):
        day = parse_day(request.query_params.get(name, ""))
        bounds.append(datetime.combine(day, time(), SHANGHAI) if day else None)
    return bounds[0], bounds[1]


async def _figures(request: Request, kind: str) -> tuple[Actor, Any, domain_stats.Stats] | Response:
    actor = await actor_for(request)
    pk = path_id(request, kind)
    if pk is None:
        return not_found(request)
    since, until = _period(request)
    try:
        if kind == "Team":
            owner: Any
            owner, figures = await domain_stats.team_with_stats(actor, pk, since, until)
        else:
            owner, figures = await domain_stats.community_with_stats(actor, pk, since, until)
    except DomainError as exc:
        if actor.volunteer is None and request.url.path.endswith("/dashboard"):
            return _login_redirect(request)
        return error_response(request, exc)
    return actor, owner, figures


def _(message: str) -> str:
    """Marks a string for extraction; translated when the page is rendered."""
    return message


#: The charts' titles and legends (translated per request).
CHART_STRINGS = {
    "by_month": _("Events by month"),
    "by_kind": _("Events by kind"),
    "attendance": _("Attendance"),
    "busiest": _("Busiest volunteers"),
    "attended": _("Attended"),
    "no_show": _("Did not come"),
    "not_recorded": _("Not recorded"),
    "hours": _("hours"),
}


def _charts(figures: domain_stats.Stats) -> dict[str, Markup]:
    from api.web.pages import kind_label

    t = {key: i18n.gettext(message) for key, message in CHART_STRINGS.items()}
    attendance = [
        (t["attended"], figures.attendance_rate or 0.0, "#0b6e4f"),
        (t["no_show"], figures.no_show_rate or 0.0, "#b4232a"),
        (
            t["not_recorded"],
            max(0.0, 1 - (figures.attendance_rate or 0) - (figures.no_show_rate or 0))
            if figures.seats_taken
            else 0.0,
            "#8a8a8a",
        ),
    ]
    return {
        "by_month": charts.bar_chart(
            t["by_month"], [(m.month, m.count) for m in figures.events_by_month]
        ),
        "by_kind": charts.bar_chart(
            t["by_kind"], [(kind_label(str(k.kind)), k.count) for k in figures.events_by_kind]
        ),
        "attendance": charts.rate_bar(t["attendance"], attendance),
        "busiest": charts.bar_chart(
            t["busiest"],
            [(b.display_name, b.hours) for b in figures.busiest_volunteers],
            unit=" " + t["hours"],
        ),
    }


async def dashboard_page(request: Request) -> Response:
    kind = "Team" if request.url.path.startswith("/teams/") else "Community"
    found = await _figures(request, kind)
    if isinstance(found, Response):
        return found
    _, owner, figures = found
    query = f"?{request.url.query}" if request.url.query else ""
    viewer = (await run_operation(request, "Viewer"))["viewer"]  # with the unread badge
    i18n.use_language(i18n.language_for(request))  # the charts' labels are made before render()
    return render(
        request,
        "organizer/dashboard.html",
        {
            "viewer": viewer,
            "owner": owner,
            "kind": kind,
            "figures": figures,
            "charts": _charts(figures),
            "csv_url": request.url.path + ".csv" + query,
        },
    )


async def dashboard_csv(request: Request) -> Response:
    kind = "Team" if request.url.path.startswith("/teams/") else "Community"
    found = await _figures(request, kind)
    if isinstance(found, Response):
        return found
    _, owner, figures = found
    rows = domain_stats.as_rows(figures, await i18n.person_language_for(request))
    return csv_response(rows, f"{kind.lower()}-{owner.id}-stats.csv")


def organizer_routes() -> list[BaseRoute]:
    return [
        Route("/events/{id}/organize", organize_page, methods=["GET", "POST"]),
        Route("/teams/{id}/dashboard", dashboard_page),
        Route("/teams/{id}/dashboard.csv", dashboard_csv),
        Route("/communities/{id}/dashboard", dashboard_page),
        Route("/communities/{id}/dashboard.csv", dashboard_csv),
        *event_forms.event_form_routes(),
        *event_editing.event_editing_routes(),
        *calendar_routes(),
        *developer_routes(),
        *roster_routes(),
        *hours_report_routes(),
        *team_people_routes(),
        *admin_console_routes(),
    ]

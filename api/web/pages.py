"""The PWA's pages: server-rendered first paint, enhanced by plain ES modules.

Every page gets its data through `schema/operations/*.graphql` (see `rendering.run_operation`).
Actions (sign up, cancel, check in, log in) are GraphQL mutations sent by `pwa/static/js/app.js`;
log in and log out also work as plain form posts, so the site works without scripts.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from api.domain import signups, teams
from api.http.actor import actor_for
from api.http.cross_site import refuse_cross_site
from api.http.ids import decode_id
from api.infra import clock
from api.settings import SHANGHAI
from api.web import i18n
from api.web.assets import asset_routes
from api.web.rendering import error_message, parse_day, render, run_operation, templates

PAGE_SIZE = 20
MY_SHIFTS_LIMIT = 100
MY_NOTIFICATIONS_LIMIT = 20


def _(message: str) -> str:
    """Marks a string for extraction; translated when rendered."""
    return message


KIND_LABELS: dict[str, str] = {
    "HAIRCUT": _("Free haircuts"),
    "CLINIC": _("Health clinic"),
    "FIRE_DRILL": _("Fire drill"),
    "LEGAL_AID": _("Legal aid"),
    "ANTI_FRAUD": _("Anti-fraud talk"),
    "TUTORING": _("Tutoring"),
    "REPAIR": _("Repairs"),
    "CLEANUP": _("Clean-up"),
    "PATROL": _("Patrol"),
    "MEETING": _("Meeting"),
    "OTHER": _("Other"),
}
STATUS_LABELS: dict[str, str] = {
    "CONFIRMED": _("Signed up"),
    "WAITLISTED": _("On the waitlist"),
    "CANCELLED": _("Cancelled"),
    "ATTENDED": _("Attended"),
    "NO_SHOW": _("Did not come"),
    "DRAFT": _("Draft"),
    "PUBLISHED": _("Open"),
    "COMPLETED": _("Finished"),
}


def kind_label(kind: str) -> str:
    return i18n.gettext(KIND_LABELS.get(kind, KIND_LABELS["OTHER"]))


def status_label(status: str) -> str:
    return i18n.gettext(STATUS_LABELS.get(status, status))


templates.env.globals.update(
    kind_label=kind_label, status_label=status_label, kinds=list(KIND_LABELS)
)


def safe_next(value: str | None, default: str = "/") -> str:
    """Only a path on this site (never `//elsewhere` or a full URL)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


def _day_bounds(day: str) -> tuple[str, str] | None:
    chosen = parse_day(day)
    if chosen is None:
        return None
    start = datetime.combine(chosen, time(), SHANGHAI)
    return start.isoformat(), (start + timedelta(days=1)).isoformat()


async def start_page(request: Request) -> Response:
    params = request.query_params
    chosen = {
        "kind": params.get("kind", ""),
        "community": params.get("community", ""),
        "date": params.get("date", ""),
        "q": params.get("q", "").strip()[:100],
    }
    event_filter: dict[str, Any] = {}
    if chosen["kind"] in KIND_LABELS:
        event_filter["kinds"] = [chosen["kind"]]
    if chosen["community"]:
        event_filter["communityId"] = chosen["community"]
    if chosen["date"] and (bounds := _day_bounds(chosen["date"])):
        event_filter["startsAfter"], event_filter["startsBefore"] = bounds
    if chosen["q"]:
        event_filter["search"] = chosen["q"]
    variables: dict[str, Any] = {"first": PAGE_SIZE, "filter": event_filter or None}
    if params.get("after"):
        variables["after"] = params["after"]
    try:
        data = await run_operation(request, "UpcomingEvents", variables)
    except RuntimeError:  # a stale cursor or a bad community id: show the unfiltered list
        chosen = dict.fromkeys(chosen, "")
        data = await run_operation(request, "UpcomingEvents", {"first": PAGE_SIZE})
    next_query = None
    if data["events"]["pageInfo"]["hasNextPage"]:
        kept = "&".join(f"{k}={quote(v)}" for k, v in chosen.items() if v)
        next_query = (
            f"?{kept + '&' if kept else ''}after={quote(data['events']['pageInfo']['endCursor'])}"
        )
    return render(
        request,
        "index.html",
        {
            "nav": "events",
            "viewer": data["viewer"],
            "events": data["events"],
            "communities": data["communities"]["nodes"],
            "chosen": chosen,
            "filtered": bool(event_filter),
            "today": clock.now().astimezone(SHANGHAI).date().isoformat(),
            "next_query": next_query,
        },
    )


async def _node_page(
    request: Request, operation: str, typename: str, **variables: Any
) -> tuple[dict[str, Any], Any]:
    try:
        data = await run_operation(
            request, operation, {"id": request.path_params["id"], **variables}
        )
    except RuntimeError:  # an id that is not one of ours
        data = await run_operation(request, "Viewer")
        return data, None
    node = data.get("node")
    return data, node if node and node.get("__typename") == typename else None


def not_found(request: Request, viewer: Any) -> Response:
    return render(request, "not_found.html", {"viewer": viewer}, status_code=404)


async def event_page(request: Request) -> Response:
    data, event = await _node_page(request, "EventPage", "Event")
    if event is None:
        return not_found(request, data.get("viewer"))
    # The booking form carries its idempotency key: a double tap makes one appointment.
    return render(
        request,
        "event.html",
        {
            "viewer": data["viewer"],
            "event": event,
            "nav": "events",
            "booking_key": f"form-{uuid.uuid4()}",
        },
    )


async def team_page(request: Request) -> Response:
    data, team = await _node_page(request, "TeamPage", "Team", first=PAGE_SIZE)
    if team is None:
        return not_found(request, data.get("viewer"))
    _, team_pk = decode_id(team["id"])
    is_member = await teams.is_member(await actor_for(request), team_pk)
    return render(
        request, "team.html", {"viewer": data["viewer"], "team": team, "is_member": is_member}
    )


async def my_page(request: Request) -> Response:
    data = await run_operation(
        request, "MyShifts", {"first": MY_SHIFTS_LIMIT, "notifications": MY_NOTIFICATIONS_LIMIT}
    )
    viewer = data["viewer"]
    if viewer is None:
        # The QR code's link (`/me?shift=…&code=…`) survives the log-in: back here after it.
        here = "/me" + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(here, safe='/')}", status_code=303)
    my_sessions = (await run_operation(request, "MySessions"))["viewer"]["sessions"]
    now = clock.now()
    upcoming: list[dict[str, Any]] = []
    past: list[dict[str, Any]] = []
    for signup in viewer["signups"]["nodes"]:
        ends = datetime.fromisoformat(signup["shift"]["endsAt"])
        (upcoming if signups.is_upcoming(signup["status"], ends, now) else past).append(signup)
    upcoming.sort(key=lambda s: s["shift"]["startsAt"])
    my_appointments = [
        a
        for a in viewer["appointments"]["nodes"]
        if a["status"] == "BOOKED" and datetime.fromisoformat(a["endsAt"]) >= now
    ]
    past.sort(key=lambda s: s["shift"]["startsAt"], reverse=True)
    return render(
        request,
        "me.html",
        {
            "viewer": viewer,
            "nav": "me",
            "upcoming": upcoming,
            "past": past,
            "checkin": _checkin_link(request),
            "appointments": my_appointments,
            "notifications": viewer["notifications"]["nodes"],
            "sessions": my_sessions,
        },
    )


async def mark_notifications_read(request: Request) -> Response:
    """The "mark all read" button without scripts: a plain form post, then back to `/me`."""
    if refused := refuse_cross_site(request):
        return refused
    await run_operation(request, "MarkNotificationsRead")
    return RedirectResponse("/me#notifications", status_code=303)


def _checkin_link(request: Request) -> dict[str, str] | None:
    """`/me?shift=…&code=…` (the link in the organizer's QR code) pre-fills the check-in form."""
    shift, code = request.query_params.get("shift"), request.query_params.get("code")
    return {"shift": shift, "code": code[:20]} if shift and code else None


async def my_actions(request: Request) -> Response:
    """Sign-up, cancel and check-in forms posted without scripts (or before the page's
    script has loaded): the same operations the scripts send, then back to the page."""
    if refused := refuse_cross_site(request):
        return refused
    form = await _url_encoded_form(request)
    referer = urlsplit(request.headers.get("referer", ""))
    back = safe_next(referer.path if referer.netloc == request.url.netloc else "", "/me")
    if form.get("signupId"):
        name, variables = "CancelSignup", {"signupId": form["signupId"]}
    elif form.get("shiftId") and "code" in form:
        name, variables = "CheckIn", {"shiftId": form["shiftId"], "code": form["code"]}
    elif form.get("shiftId"):
        key = form.get("idempotencyKey") or f"form-{uuid.uuid4()}"
        name, variables = "SignUp", {"shiftId": form["shiftId"], "idempotencyKey": key}
    elif form.get("slotId"):  # booking an appointment (no script needed)
        key = form.get("idempotencyKey") or f"form-{uuid.uuid4()}"
        name, variables = (
            "BookAppointment",
            {"slotId": form["slotId"], "idempotencyKey": key, "note": form.get("note", "")},
        )
    elif form.get("appointmentId"):
        name, variables = "CancelAppointment", {"appointmentId": form["appointmentId"]}
    elif form.get("teamId"):  # "加入团队" without scripts
        name, variables = "JoinTeam", {"teamId": form["teamId"]}
    else:
        return Response("Nothing to do", status_code=400, media_type="text/plain")
    data = await run_operation(request, name, variables)
    errors = next(iter(data.values()))["userErrors"]
    if errors:
        back += ("&" if "?" in back else "?") + urlencode({"notice": errors[0]["code"]})
    return RedirectResponse(back, status_code=303)


async def checkin_link(request: Request) -> Response:
    """`/checkin?shift=<Shift id>&code=<code>`: the QR code's link opens "my shifts" ready to confirm."""
    query = request.url.query
    return RedirectResponse(f"/me?{query}" if query else "/me", status_code=303)


async def _url_encoded_form(request: Request) -> dict[str, str]:
    """The page's own forms are URL-encoded (no multipart parser needed)."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return dict(parse_qsl(body, keep_blank_values=True))


#: The log-in page's forms: which operation each runs, and the SMS code purpose it asks for.
LOGIN_FORMS: dict[str, tuple[str, str | None]] = {
    "login": ("LogIn", None),
    "code": ("LogInWithCode", "LOG_IN"),
    "register": ("Register", "REGISTER"),
    "reset": ("ResetPassword", "RESET_PASSWORD"),
}
LOGIN_FIELDS: dict[str, tuple[str, ...]] = {
    "login": ("phone", "password"),
    "code": ("phone", "code"),
    "register": ("displayName", "phone", "code", "password"),
    "reset": ("phone", "code", "newPassword"),
}


def _field_errors(errors: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [
        {"field": (e["field"] or [""])[-1], "message": error_message(e["code"], e["message"])}
        for e in errors
    ]


async def login_page(request: Request) -> Response:
    """Log in (password or SMS code), register, reset a password: each a plain form that works
    without scripts ("send code" is a second submit button of the same form)."""
    next_url = safe_next(request.query_params.get("next"), "/me")
    errors: dict[str, Any] = {key: [] for key in LOGIN_FORMS}
    sent: dict[str, str] = {}
    values: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        if refused := refuse_cross_site(request):
            return refused
        form = await _url_encoded_form(request)
        action = form.get("action", "login")
        action = action if action in LOGIN_FORMS else "login"
        values = {k: v for k, v in form.items() if k not in ("password", "newPassword")}
        next_url = safe_next(form.get("next") or "", "/me")
        operation, purpose = LOGIN_FORMS[action]
        if form.get("step") == "send_code" and purpose:
            data = await run_operation(
                request, "RequestPhoneCode", {"phone": form.get("phone", ""), "purpose": purpose}
            )
            payload = data["requestPhoneCode"]
            wait = payload["retryAfterSeconds"]
            if payload["userErrors"]:
                errors[action] = _field_errors(payload["userErrors"])
                if payload["userErrors"][0]["code"] == "RATE_LIMITED" and 0 < wait <= 120:
                    message = error_message("send_again_in", "") % {"seconds": wait}
                    errors[action] = [{"field": "", "message": message}]
                status = 400
            else:
                sent[action] = error_message("code_sent", "") % {"phone": form.get("phone", "")}
        else:
            redirect = RedirectResponse(next_url, status_code=303)
            variables = {name: form.get(name, "") for name in LOGIN_FIELDS[action]}
            data = await run_operation(request, operation, variables, response=redirect)
            payload = next(iter(data.values()))
            if not payload["userErrors"]:
                return redirect
            errors[action] = _field_errors(payload["userErrors"])
            status = 400
    viewer = (await run_operation(request, "Viewer"))["viewer"]
    return render(
        request,
        "login.html",
        {
            "viewer": viewer,
            "nav": "login",
            "next": next_url,
            "errors": errors,
            "values": values,
            "sent": sent,
            "tab": values.get("action") or request.query_params.get("tab") or "login",
        },
        status_code=status,
    )


async def logout(request: Request) -> Response:
    """Logging out ends the session on the server (a copied cookie stops working too)."""
    if refused := refuse_cross_site(request):
        return refused
    response = RedirectResponse("/", status_code=303)
    await run_operation(request, "LogOut", response=response)  # also deletes the cookie
    return response


async def my_account_actions(request: Request) -> Response:
    """Change password and "log out everywhere" as plain form posts from `/me`."""
    if refused := refuse_cross_site(request):
        return refused
    form = await _url_encoded_form(request)
    if form.get("action") == "logout_everywhere":
        response = RedirectResponse("/login", status_code=303)
        await run_operation(request, "LogOutEverywhere", response=response)
        return response
    variables = {
        "currentPassword": form.get("currentPassword", ""),
        "newPassword": form.get("newPassword", ""),
    }
    data = await run_operation(request, "ChangePassword", variables)
    errors = data["changePassword"]["userErrors"]
    notice = errors[0]["code"] if errors else "PASSWORD_CHANGED"
    if errors and errors[0]["code"] == "INVALID_INPUT" and errors[0]["field"] == ["newPassword"]:
        notice = "WEAK_PASSWORD"
    return RedirectResponse(f"/me?notice={notice}#account", status_code=303)


async def choose_language(request: Request) -> Response:
    tag = request.path_params["tag"]
    response = RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    if tag in i18n.LANGUAGES:
        response.set_cookie(
            i18n.LANG_COOKIE, tag, max_age=365 * 24 * 3600, samesite="lax", path="/"
        )
    return response


async def offline_page(request: Request) -> Response:
    return render(request, "offline.html", {})


def page_routes() -> list[BaseRoute]:
    return [
        Route("/", start_page),
        Route("/events/{id}", event_page),
        Route("/teams/{id}", team_page),
        Route("/me", my_page),
        Route("/me", my_actions, methods=["POST"]),
        Route("/me/notifications/read", mark_notifications_read, methods=["POST"]),
        Route("/checkin", checkin_link),
        Route("/login", login_page, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/me/account", my_account_actions, methods=["POST"]),
        Route("/lang/{tag}", choose_language),
        Route("/offline", offline_page),
        *asset_routes(),
    ]

"""The organizer's forms: a new event or weekly series (`/teams/{id}/events/new`), and the
"duplicate" and "publish" forms of the organize page.

The forms work without scripts: a plain URL-encoded POST runs the same GraphQL mutation the
API offers (`schema/operations/CreateEvent.graphql`, `DuplicateEvent`, `PublishEvent`). Who
may do what is decided by the domain: the page asks `Team.viewerIsLeader` to choose between the
form and the 403 page, and shows the mutation's `userErrors` next to their fields.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qsl, quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from api.domain.events import MAX_SHIFTS
from api.http.actor import actor_for
from api.http.cross_site import refuse_cross_site
from api.http.ids import encode_id
from api.infra import clock
from api.settings import SHANGHAI
from api.web import i18n
from api.web.exports import path_id
from api.web.pages import KIND_LABELS
from api.web.rendering import error_message, parse_day, render, run_operation

DEFAULT_START, DEFAULT_END = "09:00", "11:00"
DEFAULT_CAPACITY = "10"


def _(message: str) -> str:
    """Marks a string for extraction; translated when the page is rendered."""
    return message


#: The page's own input errors (what cannot even be sent as GraphQL variables).
FORM_STRINGS = {
    "date": _("Please choose a date."),
    "time": _("Please enter a time like 09:00."),
    "number": _("Please enter a whole number."),
    "kind": _("Please choose what kind of event this is."),
}

#: The domain's messages for these forms, so that they are shown in the page's language
#: (the API answers in English; a message not listed here is shown as it is).
DOMAIN_MESSAGES = (
    _("The title is required."),
    _("The title must be at most 200 characters."),
    _("The description must be at most 5000 characters."),
    _("The place must be at most 200 characters."),
    _("The address must be at most 300 characters."),
    _("The role is required."),
    _("The role must be at most 100 characters."),
    _("The end must be after the start."),
    _("An event or shift may last at most 14 days."),
    _("Add at least one shift."),
    _("At most 50 shifts."),
    _("Capacity must be between 1 and 10000."),
    _("A shift must lie within its event's times."),
    _("A series has at most 100 events."),
    _("This rule gives no dates after the event's start."),
    _("A series needs COUNT or UNTIL (at most 100 events)."),
    _("No such community."),
    _("This event is already over."),
    _("Only a draft can be published."),
)


def login_redirect(request: Request) -> Response:
    return RedirectResponse(f"/login?next={quote(request.url.path, safe='')}", status_code=303)


def local_today() -> date:
    return clock.now().astimezone(SHANGHAI).date()


async def url_encoded_form(request: Request) -> list[tuple[str, str]]:
    """The forms are URL-encoded (no multipart parser); repeated names keep their order."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return parse_qsl(body, keep_blank_values=True)


def shanghai_iso(day: str, at: str) -> str | None:
    """`2026-12-05` + `09:00` → `2026-12-05T09:00:00+08:00` (Asia/Shanghai), or None."""
    chosen = parse_day(day)
    if chosen is None:
        return None
    try:
        moment = datetime.combine(chosen, time.fromisoformat(at.strip()), SHANGHAI)
    except ValueError:
        return None
    return moment.isoformat()


def _whole_number(text: str) -> int | None:
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        return None


def user_errors_by_field(user_errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    """`userErrors` keyed by their field path joined with dots (`shifts.0.capacity`), in the
    page's language; errors without a field are under `""`."""
    found: dict[str, list[str]] = {}
    for error in user_errors:
        key = ".".join(error.get("field") or [])
        message = error["message"]
        if message in DOMAIN_MESSAGES:
            message = i18n.gettext(message)
        else:
            message = error_message(error["code"], message)
        found.setdefault(key, []).append(message)
    return found


# The new-event form ------------------------------------------------------------------


def _team_gid(request: Request) -> str | None:
    pk = path_id(request, "Team")
    return encode_id("Team", pk) if pk is not None else None


def _initial_values(team: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": "",
        "kind": "OTHER",
        "date": (local_today() + timedelta(days=7)).isoformat(),
        "start": DEFAULT_START,
        "end": DEFAULT_END,
        "placeName": "",
        "placeAddress": "",
        "communityId": (team.get("community") or {}).get("id", ""),
        "description": "",
        "weeks": "1",
        "publish": True,
        "shifts": [{"role": "", "capacity": DEFAULT_CAPACITY, "start": "", "end": ""}],
    }


def _values_from(form: list[tuple[str, str]]) -> dict[str, Any]:
    single = dict(form)
    rows = [
        [value for name, value in form if name == f"shift_{part}"]
        for part in ("role", "capacity", "start", "end")
    ]
    shifts = [
        {"role": role, "capacity": capacity, "start": start, "end": end}
        for role, capacity, start, end in zip(*rows, strict=False)
    ][: MAX_SHIFTS + 1]  # one more than allowed, so the domain says so
    # Rows left without a role are dropped (one row always stays).
    shifts = [s for s in shifts if s["role"].strip()] or shifts[:1]
    values: dict[str, Any] = {
        key: single.get(key, "")
        for key in (
            "title",
            "kind",
            "date",
            "start",
            "end",
            "placeName",
            "placeAddress",
            "communityId",
            "description",
            "weeks",
        )
    }
    values["publish"] = single.get("publish") == "on"
    values["shifts"] = shifts or [{"role": "", "capacity": "", "start": "", "end": ""}]
    return values


def _input_from(
    team_id: str, values: dict[str, Any]
) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    """The `CreateEventInput` of the form, or the fields that cannot be sent as they are."""
    errors: dict[str, list[str]] = {}

    def bad(field: str, key: str) -> None:
        errors.setdefault(field, []).append(i18n.gettext(FORM_STRINGS[key]))

    if not values["date"].strip():
        bad("startsAt", "date")
    starts_at = shanghai_iso(values["date"], values["start"])
    ends_at = shanghai_iso(values["date"], values["end"])
    if values["date"].strip() and starts_at is None:
        bad("startsAt", "time" if shanghai_iso(values["date"], "00:00") else "date")
    if values["date"].strip() and shanghai_iso(values["date"], "00:00") and ends_at is None:
        bad("endsAt", "time")
    if values["kind"] not in KIND_LABELS:
        bad("kind", "kind")
    weeks = _whole_number(values["weeks"] or "1")
    if weeks is None:
        bad("recurrence", "number")
    shifts: list[dict[str, Any]] = []
    for i, row in enumerate(values["shifts"]):
        capacity = _whole_number(row["capacity"])
        if capacity is None:
            bad(f"shifts.{i}.capacity", "number")
        shift_start = shanghai_iso(values["date"], row["start"]) if row["start"].strip() else None
        shift_end = shanghai_iso(values["date"], row["end"]) if row["end"].strip() else None
        if row["start"].strip() and shift_start is None:
            bad(f"shifts.{i}.startsAt", "time")
        if row["end"].strip() and shift_end is None:
            bad(f"shifts.{i}.endsAt", "time")
        shifts.append(
            {
                "role": row["role"],
                "capacity": capacity,
                "startsAt": shift_start or starts_at,
                "endsAt": shift_end or ends_at,
            }
        )
    if errors:
        return None, errors
    place = {"name": values["placeName"], "address": values["placeAddress"] or None}
    return {
        "teamId": team_id,
        "title": values["title"],
        "kind": values["kind"],
        "startsAt": starts_at,
        "endsAt": ends_at,
        "description": values["description"],
        "location": place if values["placeName"].strip() else None,
        "communityId": values["communityId"] or None,
        "shifts": shifts,
        "publish": values["publish"],
        "recurrence": f"FREQ=WEEKLY;COUNT={weeks}" if weeks != 1 else None,
    }, {}


def _forbidden(request: Request, viewer: Any) -> Response:
    return render(request, "organizer/forbidden.html", {"viewer": viewer}, status_code=403)


async def new_event_page(request: Request) -> Response:
    actor = await actor_for(request)
    if actor.volunteer is None:
        return login_redirect(request)
    team_id = _team_gid(request)
    if team_id is None:
        return render(request, "not_found.html", {}, status_code=404)
    data = await run_operation(request, "NewEventPage", {"id": team_id})
    team = data.get("node")
    if not team or team.get("__typename") != "Team":
        return render(request, "not_found.html", {"viewer": data["viewer"]}, status_code=404)
    if not team["viewerIsLeader"]:
        return _forbidden(request, data["viewer"])
    values = _initial_values(team)
    errors: dict[str, list[str]] = {}
    status_code = 200
    if request.method == "POST":
        if refused := refuse_cross_site(request):
            return refused
        form = await url_encoded_form(request)
        values = _values_from(form)
        if any(name == "add_shift" for name, _value in form):
            values["shifts"].append({"role": "", "capacity": "", "start": "", "end": ""})
        else:
            variables, errors = _input_from(team_id, values)
            if variables is not None:
                payload = (await run_operation(request, "CreateEvent", {"input": variables}))[
                    "createEvent"
                ]
                if not payload["userErrors"]:
                    return RedirectResponse(
                        f"/events/{payload['event']['id']}/organize", status_code=303
                    )
                if any(e["code"] == "FORBIDDEN" for e in payload["userErrors"]):
                    return _forbidden(request, data["viewer"])
                errors = user_errors_by_field(payload["userErrors"])
            status_code = 400
    shift_fields = {f"shifts.{i}.{f}" for i in range(len(values["shifts"])) for f in _SHIFT_FIELDS}
    return render(
        request,
        "organizer/new_event.html",
        {
            "viewer": data["viewer"],
            "team": team,
            "communities": data["communities"]["nodes"],
            "values": values,
            "errors": errors,
            "other_errors": [
                message
                for key, messages in errors.items()
                if key not in _EVENT_FIELDS and key not in shift_fields
                for message in messages
            ],
        },
        status_code=status_code,
    )


_EVENT_FIELDS = {
    "title",
    "kind",
    "startsAt",
    "endsAt",
    "location.name",
    "location.address",
    "communityId",
    "description",
    "recurrence",
    "shifts",
}
_SHIFT_FIELDS = ("role", "capacity", "startsAt", "endsAt")


# The organize page's "duplicate" and "publish" forms -----------------------------------


async def duplicate_from_form(
    request: Request, event_id: str, form: dict[str, str]
) -> Response | dict[str, list[str]]:
    """Runs `duplicateEvent`; the copy's organize page on success, else the errors by field."""
    starts_at = shanghai_iso(form.get("date", ""), form.get("start", ""))
    if starts_at is None:
        key = "date" if shanghai_iso(form.get("date", ""), "00:00") is None else "time"
        return {"startsAt": [i18n.gettext(FORM_STRINGS[key])]}
    payload = (
        await run_operation(
            request,
            "DuplicateEvent",
            {"eventId": event_id, "startsAt": starts_at, "publish": form.get("publish") == "on"},
        )
    )["duplicateEvent"]
    if payload["userErrors"]:
        return user_errors_by_field(payload["userErrors"])
    return RedirectResponse(f"/events/{payload['event']['id']}/organize", status_code=303)


async def publish_from_form(request: Request, event_id: str) -> dict[str, list[str]]:
    payload = (await run_operation(request, "PublishEvent", {"eventId": event_id}))["publishEvent"]
    return user_errors_by_field(payload["userErrors"])


def event_form_routes() -> list[BaseRoute]:
    return [Route("/teams/{id}/events/new", new_event_page, methods=["GET", "POST"])]

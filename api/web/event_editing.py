"""Editing an event on a phone (`/events/{id}/edit`), for its team's leaders and admins:
the event's text, time and place (this one or all following of a series), its shifts (edit,
add, remove) and cancelling with a reason (this one or all following). Also the organize
page's "publish" form (this event, or the whole series).

Plain URL-encoded forms, each naming its `action`; a good post redirects (Post/Redirect/Get),
a refused one re-renders the page with the mutation's `userErrors` next to their fields, in the
page's language. Every change runs a named GraphQL operation (`UpdateEvent`, `UpdateShift`,
`AddShift`, `RemoveShift`, `CancelEvent`, `CancelSeriesFrom`, `PublishSeries`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from api.http.actor import actor_for
from api.http.cross_site import refuse_cross_site
from api.http.ids import encode_id
from api.settings import SHANGHAI
from api.web import i18n
from api.web.event_forms import FORM_STRINGS, login_redirect, shanghai_iso, url_encoded_form
from api.web.exports import path_id
from api.web.rendering import render, run_operation


def _(message: str) -> str:
    """Marks a string for extraction; translated when the page is rendered."""
    return message


#: What a good post says on the page it redirects to (`?done=…`).
DONE_MESSAGES = {
    "saved": _("Saved. Those signed up are told about a new time or place."),
    "shift_added": _("Shift added."),
    "shift_removed": _("Shift removed; those signed up for it are told."),
}


def errors_by_field(user_errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    """`userErrors` by field; their messages are in the page's language already (pages run
    operations in it)."""
    found: dict[str, list[str]] = {}
    for error in user_errors:
        found.setdefault(".".join(error.get("field") or []), []).append(error["message"])
    return found


def _bad(key: str) -> list[str]:
    return [i18n.gettext(FORM_STRINGS[key])]


def local_parts(iso: str) -> tuple[str, str]:
    """`2026-12-05T01:00:00+00:00` → (`2026-12-05`, `09:00`) in Asia/Shanghai."""
    moment = datetime.fromisoformat(iso).astimezone(SHANGHAI)
    return moment.date().isoformat(), moment.strftime("%H:%M")


def _event_gid(request: Request) -> str:
    return encode_id("Event", path_id(request, "Event") or 0)


def _times(
    day: str, start: str, end: str, start_key: str = "startsAt", end_key: str = "endsAt"
) -> tuple[str | None, str | None, dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    if shanghai_iso(day, "00:00") is None:
        return None, None, {start_key: _bad("date")}
    starts_at, ends_at = shanghai_iso(day, start), shanghai_iso(day, end)
    if starts_at is None:
        errors[start_key] = _bad("time")
    if ends_at is None:
        errors[end_key] = _bad("time")
    return starts_at, ends_at, errors


def _whole_number(text: str) -> int | None:
    try:
        return int(text.strip())
    except ValueError:
        return None


# The actions ----------------------------------------------------------------------------


async def _update_event(request: Request, event_id: str, form: dict[str, str]) -> Any:
    starts_at, ends_at, errors = _times(
        form.get("date", ""), form.get("start", ""), form.get("end", "")
    )
    if errors:
        return errors
    changes: dict[str, Any] = {
        "eventId": event_id,
        "scope": "FOLLOWING" if form.get("scope") == "FOLLOWING" else "THIS",
        "title": form.get("title", ""),
        "description": form.get("description", ""),
        "startsAt": starts_at,
        "endsAt": ends_at,
    }
    if form.get("placeName", "").strip():
        changes["location"] = {
            "name": form["placeName"],
            "address": form.get("placeAddress") or None,
        }
    payload = (await run_operation(request, "UpdateEvent", {"input": changes}))["updateEvent"]
    return errors_by_field(payload["userErrors"]) or "saved"


async def _update_shift(request: Request, form: dict[str, str]) -> Any:
    starts_at, ends_at, errors = _times(
        form.get("date", ""), form.get("start", ""), form.get("end", "")
    )
    capacity = _whole_number(form.get("capacity", ""))
    if capacity is None:
        errors["capacity"] = _bad("number")
    if errors:
        return errors
    variables = {
        "shiftId": form.get("shiftId", ""),
        "role": form.get("role", ""),
        "capacity": capacity,
        "startsAt": starts_at,
        "endsAt": ends_at,
    }
    payload = (await run_operation(request, "UpdateShift", {"input": variables}))["updateShift"]
    return errors_by_field(payload["userErrors"]) or "saved"


async def _add_shift(request: Request, event_id: str, form: dict[str, str]) -> Any:
    starts_at, ends_at, errors = _times(
        form.get("date", ""), form.get("start", ""), form.get("end", "")
    )
    capacity = _whole_number(form.get("capacity", ""))
    if capacity is None:
        errors["capacity"] = _bad("number")
    if errors:
        return errors
    variables = {
        "eventId": event_id,
        "role": form.get("role", ""),
        "capacity": capacity,
        "startsAt": starts_at,
        "endsAt": ends_at,
    }
    payload = (await run_operation(request, "AddShift", {"input": variables}))["addShift"]
    return errors_by_field(payload["userErrors"]) or "shift_added"


async def _remove_shift(request: Request, form: dict[str, str]) -> Any:
    payload = (await run_operation(request, "RemoveShift", {"shiftId": form.get("shiftId", "")}))[
        "removeShift"
    ]
    return errors_by_field(payload["userErrors"]) or "shift_removed"


async def _cancel(request: Request, event_id: str, form: dict[str, str]) -> Any:
    variables = {"eventId": event_id, "reason": form.get("reason", "")}
    if form.get("scope") == "FOLLOWING":
        payload = (await run_operation(request, "CancelSeriesFrom", variables))["cancelSeriesFrom"]
    else:
        payload = (await run_operation(request, "CancelEvent", variables))["cancelEvent"]
    return errors_by_field(payload["userErrors"]) or "cancelled"


async def publish_from_form(
    request: Request, event_id: str, form: dict[str, str]
) -> tuple[dict[str, list[str]], int]:
    """The organize page's publish form: this event, or (`scope`) its whole series. Answers
    the errors by field and how many events were published."""
    scope = form.get("scope", "THIS")
    if scope not in ("THIS", "FOLLOWING", "ALL"):
        scope = "THIS"
    payload = (
        await run_operation(request, "PublishSeries", {"eventId": event_id, "scope": scope})
    )["publishSeries"]
    return errors_by_field(payload["userErrors"]), len(payload["events"])


# The page --------------------------------------------------------------------------------


async def edit_event_page(request: Request) -> Response:
    actor = await actor_for(request)
    if actor.volunteer is None:
        return login_redirect(request)
    if path_id(request, "Event") is None:
        return render(request, "not_found.html", {}, status_code=404)
    event_id = _event_gid(request)
    form: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    failed = ""
    if request.method == "POST":
        if refused := refuse_cross_site(request):
            return refused
        form = dict(await url_encoded_form(request))
        action = form.get("action", "")
        done: Any
        if action == "event":
            done = await _update_event(request, event_id, form)
        elif action == "shift":
            done = await _update_shift(request, form)
        elif action == "add_shift":
            done = await _add_shift(request, event_id, form)
        elif action == "remove_shift":
            done = await _remove_shift(request, form)
        elif action == "cancel":
            done = await _cancel(request, event_id, form)
        else:
            done = {"": [i18n.gettext(FORM_STRINGS_UNKNOWN)]}
        if isinstance(done, str):
            if done == "cancelled":
                return RedirectResponse(f"/events/{event_id}/organize", status_code=303)
            return RedirectResponse(f"{request.url.path}?done={done}", status_code=303)
        errors = done
        failed = action if action != "shift" else f"shift:{form.get('shiftId', '')}"
    data = await run_operation(request, "EditEventPage", {"id": event_id})
    event = data.get("node")
    if not event or event.get("__typename") != "Event":
        return render(request, "not_found.html", {"viewer": data["viewer"]}, status_code=404)
    if not event["viewerCanOrganize"]:
        return render(
            request, "organizer/forbidden.html", {"viewer": data["viewer"]}, status_code=403
        )
    day, start = local_parts(event["startsAt"])
    end = local_parts(event["endsAt"])[1]
    values = {
        "title": event["title"],
        "description": event["description"] or "",
        "date": day,
        "start": start,
        "end": end,
        "placeName": (event["location"] or {}).get("name", ""),
        "placeAddress": (event["location"] or {}).get("address") or "",
        "scope": "THIS",
    }
    for shift in event["shifts"]:
        shift["date"], shift["start"] = local_parts(shift["startsAt"])
        shift["end"] = local_parts(shift["endsAt"])[1]
        if failed == f"shift:{shift['id']}":
            shift.update({k: form.get(k, "") for k in ("role", "capacity", "start", "end")})
    new_shift = {"role": "", "capacity": "1", "start": start, "end": end}
    reason = ""
    if failed == "event":
        values.update({k: form.get(k, "") for k in values})
    elif failed == "add_shift":
        new_shift.update({k: form.get(k, "") for k in new_shift})
    elif failed == "cancel":
        reason = form.get("reason", "")
        values["scope"] = form.get("scope", "THIS")
    done_key = request.query_params.get("done", "")
    return render(
        request,
        "organizer/edit_event.html",
        {
            "viewer": data["viewer"],
            "event": event,
            "values": values,
            "new_shift": new_shift,
            "event_date": day,
            "reason": reason,
            "errors": errors,
            "failed": failed,
            "editable": event["status"] in ("DRAFT", "PUBLISHED") and not event["cancelReason"],
            "done": i18n.gettext(DONE_MESSAGES[done_key]) if done_key in DONE_MESSAGES else None,
        },
        status_code=400 if errors else 200,
    )


FORM_STRINGS_UNKNOWN = _("Please check what you entered.")


def event_editing_routes() -> list[BaseRoute]:
    return [Route("/events/{id}/edit", edit_event_page, methods=["GET", "POST"])]

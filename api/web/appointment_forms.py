"""The appointments part of the organizer's page (`/events/{id}/organize`): define the slots,
book for a neighbour without a phone (perhaps a home visit), and on site a tap marks a resident
served. Plain form posts through the same GraphQL operations as any client."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from starlette.requests import Request

from api.settings import SHANGHAI
from api.web.event_forms import shanghai_iso
from api.web.rendering import error_message, run_operation

ACTIONS = ("served", "set_slots", "book_for")


def _(message: str) -> str:
    return message


def _first_error(payload: dict[str, Any]) -> str | None:
    errors = payload["userErrors"]
    if not errors:
        return None
    return error_message(errors[0]["code"], errors[0]["message"])


async def handle(request: Request, event_id: str, form: dict[str, str]) -> str | None:
    """Runs the posted action; answers an error text for the page, or None when done."""
    action = form.get("action", "")
    try:
        if action == "served":
            data = await run_operation(
                request, "MarkAppointmentServed", {"appointmentId": form.get("appointmentId", "")}
            )
            return _first_error(data["markAppointmentServed"])
        day = form.get("day", "")
        if action == "set_slots":
            starts = shanghai_iso(day, form.get("from", ""))
            ends = shanghai_iso(day, form.get("to", ""))
            try:
                minutes, places = int(form.get("minutes", "")), int(form.get("places", ""))
            except ValueError:
                minutes = places = 0
            if starts is None or ends is None or not minutes or not places:
                return error_message("INVALID_INPUT", "Please check what you entered.")
            variables = {
                "eventId": event_id,
                "startsAt": starts,
                "endsAt": ends,
                "minutesEach": minutes,
                "places": places,
            }
            data = await run_operation(request, "SetAppointmentSlots", variables)
            return _first_error(data["setAppointmentSlots"])
        if action == "book_for":
            neighbour: dict[str, Any] = {
                "slotId": form.get("slotId", ""),
                "idempotencyKey": form.get("idempotencyKey") or f"form-{uuid.uuid4()}",
                "name": form.get("name", ""),
                "compoundId": form.get("compoundId") or None,
                "building": form.get("building") or None,
                "phone": form.get("phone") or None,
                "homeVisit": form.get("homeVisit") == "on",
                "address": form.get("address") or None,
                "note": form.get("note") or None,
            }
            data = await run_operation(request, "BookAppointmentForResident", {"input": neighbour})
            return _first_error(data["bookAppointmentForResident"])
    except RuntimeError:  # an id that is not one of ours
        return error_message("INVALID_INPUT", "Please check what you entered.")
    return error_message("INVALID_INPUT", "Please check what you entered.")


async def section(request: Request, event_id: str, event: dict[str, Any]) -> dict[str, Any]:
    """What the page shows: the slots, the bookings in time order, the compounds to choose."""
    data = await run_operation(request, "OrganizeAppointments", {"id": event_id})
    node = data.get("node") or {}
    starts = datetime.fromisoformat(event["startsAt"]).astimezone(SHANGHAI)
    ends = datetime.fromisoformat(event["endsAt"]).astimezone(SHANGHAI)
    bookings = (node.get("appointments") or {}).get("nodes", [])
    return {
        "slots": node.get("appointmentSlots", []),
        "bookings": bookings,
        "waiting": sum(1 for b in bookings if b["status"] == "BOOKED"),
        "served": sum(1 for b in bookings if b["status"] == "SERVED"),
        "offers_home_visits": node.get("offersHomeVisits", False),
        "compounds": [c for c in data["communities"]["nodes"] if c["level"] == "COMPOUND"],
        "plan": {
            "day": starts.date().isoformat(),
            "from": starts.strftime("%H:%M"),
            "to": ends.strftime("%H:%M"),
        },
    }

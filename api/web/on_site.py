"""The organize page's on-site forms (plain posts, no scripts needed): add a walk-in
neighbour by phone and name, mark everyone present, message everyone on the event, close the
event. Each runs a named GraphQL operation (`AddWalkIn`, `MarkAllPresent`,
`MessageParticipants`, `CompleteEvent`); a good post redirects to the organize page with
`?done=<what>&n=<how many>`, a refused one re-renders it with the errors by field."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request

from api.infra import clock
from api.web import i18n
from api.web.event_editing import errors_by_field
from api.web.rendering import run_operation

ACTIONS = ("walk_in", "all_present", "message", "complete")


def _(message: str) -> str:
    """Marks a string for extraction; translated when the page is rendered."""
    return message


DONE_MESSAGES = {
    "walk_in": _("Added and marked as confirmed. Mark attendance below."),
    "all_present": _("Marked as attended: %(n)s."),
    "message": _("Message sent to %(n)s people."),
    "published": _("Published: %(n)s open for sign-ups."),
    "complete": _("The event is closed. Those not marked are recorded as did not come."),
}


def done_notice(request: Request) -> str | None:
    """The notice after a good post (`?done=…&n=…`), in the page's language."""
    key = request.query_params.get("done", "")
    if key not in DONE_MESSAGES:
        return None
    count = request.query_params.get("n", "")
    return i18n.gettext(DONE_MESSAGES[key]) % {"n": count if count.isdigit() else "?"}


async def handle(
    request: Request, event_id: str, action: str, form: dict[str, str]
) -> tuple[dict[str, list[str]], str]:
    """Runs one on-site form: (errors by field, the `?done=` query of the redirect)."""
    data: dict[str, Any]
    if action == "walk_in":
        data = (
            await run_operation(
                request,
                "AddWalkIn",
                {
                    "shiftId": form.get("shiftId", ""),
                    "phone": form.get("phone", ""),
                    "name": form.get("name", ""),
                },
            )
        )["addWalkIn"]
        return errors_by_field(data["userErrors"]), "done=walk_in"
    if action == "all_present":
        data = (await run_operation(request, "MarkAllPresent", {"eventId": event_id}))[
            "markAllPresent"
        ]
        return errors_by_field(data["userErrors"]), f"done=all_present&n={data['markedCount']}"
    if action == "message":
        data = (
            await run_operation(
                request,
                "MessageParticipants",
                {
                    "eventId": event_id,
                    "text": form.get("text", ""),
                    "includeWaitlisted": form.get("waitlisted") == "on",
                },
            )
        )["messageParticipants"]
        return errors_by_field(data["userErrors"]), f"done=message&n={data['recipientCount']}"
    data = (await run_operation(request, "CompleteEvent", {"eventId": event_id}))["completeEvent"]
    return errors_by_field(data["userErrors"]), "done=complete"


def later_drafts(event: dict[str, Any]) -> list[dict[str, Any]]:
    """The drafts of the event's series that are not over (publishing the series opens them)."""
    nodes = ((event.get("series") or {}).get("events") or {}).get("nodes") or []
    now = clock.now()
    return [
        e for e in nodes if e["status"] == "DRAFT" and datetime.fromisoformat(e["endsAt"]) > now
    ]

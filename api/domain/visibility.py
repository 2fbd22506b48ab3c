"""Who may see which object (for `node(id:)` and every other lookup by id)."""

from __future__ import annotations

from typing import Any

from api.domain import certificates, webhooks
from api.domain.actors import Actor
from api.models import (
    Appointment,
    AppointmentSlot,
    Certificate,
    Event,
    Notification,
    Shift,
    Signup,
    Volunteer,
    Webhook,
    WebhookDelivery,
)


async def may_see(actor: Actor, obj: Any) -> bool:
    """Whether the actor may see `obj`, a row just read. The event or shift it belongs to
    may have been removed since (with it, by another request): then nobody sees it."""
    if isinstance(obj, Event):
        return await actor.may_see_event(obj)
    if isinstance(obj, Shift | AppointmentSlot):
        event = await Event.get_or_none(id=obj.event_id)
        return event is not None and await actor.may_see_event(event)
    if isinstance(obj, Signup):
        if await actor.may_see_personal_data_of(obj.volunteer_id):
            return True
        shift = await Shift.get_or_none(id=obj.shift_id).select_related("event")
        return shift is not None and await actor.leads(shift.event.team_id)
    if isinstance(obj, Volunteer):
        return await actor.may_see_personal_data_of(obj.id)
    if isinstance(obj, Appointment):
        team_id = await Event.filter(id=obj.event_id).values_list("team_id", flat=True)
        return bool(team_id) and (
            actor.volunteer is not None
            and (obj.resident_id == actor.id or await actor.leads(int(str(team_id[0]))))
        )  # its personal fields ask appointments.may_see_details (scopes included)
    if isinstance(obj, Notification):
        return actor.id is not None and actor.id == obj.volunteer_id
    if isinstance(obj, Certificate):
        return await certificates.may_see(actor, obj)
    if isinstance(obj, Webhook):
        return webhooks.may_read(actor, obj.volunteer_id)
    if isinstance(obj, WebhookDelivery):
        owner = await Webhook.filter(id=obj.webhook_id).values_list("volunteer_id", flat=True)
        return bool(owner) and webhooks.may_read(actor, int(str(owner[0])))
    return True  # communities, teams, series: public


def admin_flag_of(actor: Actor, volunteer: Volunteer) -> bool | None:
    """Whether an account administers Linli: told to the account itself and to admins only."""
    return volunteer.is_admin if actor.id == volunteer.id or actor.is_admin else None

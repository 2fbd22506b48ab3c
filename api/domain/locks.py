"""Row locks, in the one order every transaction takes them: an event's row, then its shifts
(or appointment slots), then sign-up or appointment rows, then the volunteer's row. Taken in
this order everywhere, concurrent changes queue instead of deadlocking on PostgreSQL; on SQLite
write transactions are serial already and these are plain reads.

Each is called inside a transaction and holds its lock until commit; whatever changed the row
meanwhile has committed once it returns, so what is read after it is current."""

from __future__ import annotations

from api.models import AppointmentSlot, Event, Shift, Volunteer


async def lock_event(event_id: int) -> bool:
    """The event's row; False when there is no such event. The lock is the one an update of
    the event's status takes (FOR NO KEY UPDATE): rows that merely refer to the event are
    written meanwhile."""
    row = await Event.filter(id=event_id).select_for_update(no_key=True).only("id").first()
    return row is not None


async def lock_shift(shift_id: int) -> Shift | None:
    """The shift's row (after its event's, before sign-up rows), or None when it was removed."""
    return await Shift.filter(id=shift_id).select_for_update().first()


async def lock_slot(slot_id: int) -> None:
    """An appointment slot's row (after its event's, before appointment rows)."""
    await AppointmentSlot.filter(id=slot_id).select_for_update().only("id").first()


async def lock_slots_of_event(event_id: int) -> None:
    """Every slot of the event, in id order (one order: no two cancellations deadlock)."""
    await AppointmentSlot.filter(event_id=event_id).order_by("id").select_for_update().only("id")


async def lock_volunteer(volunteer_id: int) -> None:
    """The volunteer's row: serialises one person's seat-taking, bookings and webhook
    creations. Always the last lock."""
    await Volunteer.filter(id=volunteer_id).select_for_update().only("id").first()


async def lock_volunteers(volunteer_ids: list[int]) -> None:
    """`lock_volunteer` for several, in one order (their ids)."""
    if volunteer_ids:
        await Volunteer.filter(id__in=volunteer_ids).order_by("id").select_for_update().only("id")

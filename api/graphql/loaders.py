"""Per-request DataLoaders: one query per relation or count, whatever the page size."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader
from tortoise.functions import Count, Sum
from tortoise.models import Model

from api.domain import appointments, roster, signups, waitlist
from api.domain.actors import Actor
from api.domain.waitlist import waitlist_positions
from api.graphql.pagination import TOTAL
from api.infra import rows
from api.models import (
    Appointment,
    AppointmentSlot,
    Certificate,
    Community,
    Event,
    EventSeries,
    HoursEntry,
    Notification,
    Shift,
    Signup,
    SignupStatus,
    Team,
    TeamMembership,
    TeamRole,
    Volunteer,
    Webhook,
    WebhookDelivery,
)

M = TypeVar("M", bound=Model)


def _by_id(model: type[M]) -> Callable[[Sequence[int]], Awaitable[list[M | None]]]:
    reader = rows.reader_of(model)
    table = model._meta.db_table

    async def load(ids: Sequence[int]) -> list[M | None]:
        found = await rows.by_ids(reader, table, ids)
        return [found.get(i) for i in ids]

    return load


_SHIFT = rows.reader_of(Shift)


async def shifts_of_events(event_ids: Iterable[int]) -> dict[int, list[Shift]]:
    """The shifts of each event, earliest first, in one query."""
    grouped: dict[int, list[Shift]] = {i: [] for i in event_ids}
    if not grouped:
        return grouped
    found = await rows.fetch(
        f'SELECT {_SHIFT.columns("shift")} FROM "shift" WHERE "event_id" IN'
        f' ({rows.marks(len(grouped))}) ORDER BY "starts_at" ASC,"id" ASC',
        list(grouped),
    )
    build = _SHIFT.converter()
    for row in found:
        shift = build(row)
        grouped[shift.event_id].append(shift)
    return grouped


async def _shifts_by_event(event_ids: Sequence[int]) -> list[list[Shift]]:
    grouped = await shifts_of_events(event_ids)
    return [grouped[i] for i in event_ids]


async def _slots_by_event(event_ids: Sequence[int]) -> list[list[AppointmentSlot]]:
    grouped = await appointments.slots_of_events(list(set(event_ids)))
    return [grouped[i] for i in event_ids]


async def _viewer_appointments(keys: Sequence[tuple[int, int]]) -> list[Appointment | None]:
    """(resident, event) → the resident's appointment there; one query per resident."""
    found: dict[tuple[int, int], Appointment] = {}
    for resident_id in {r for r, _ in keys}:
        events = [e for r, e in keys if r == resident_id]
        mine = await appointments.appointments_at(resident_id, events)
        found.update(((resident_id, e), a) for e, a in mine.items())
    return [found.get(key) for key in keys]


async def _member_counts(team_ids: Sequence[int]) -> list[int]:
    rows = (
        await TeamMembership.filter(
            team_id__in=set(team_ids), role__in=(TeamRole.LEADER, TeamRole.MEMBER)
        )
        .annotate(n=Count("id"))
        .group_by("team_id")
        .values_list("team_id", "n")
    )
    counts = {int(t): int(n) for t, n in rows}
    return [counts.get(i, 0) for i in team_ids]


async def _signup_hours(signup_ids: Sequence[int]) -> list[float | None]:
    rows = (
        await HoursEntry.filter(signup_id__in=set(signup_ids))
        .annotate(total=Sum("centihours"))
        .group_by("signup_id")
        .values_list("signup_id", "total")
    )
    totals = {int(s): int(t or 0) / 100 for s, t in rows}
    return [totals.get(i) for i in signup_ids]


async def _volunteer_hours(volunteer_ids: Sequence[int]) -> list[float]:
    rows = (
        await HoursEntry.filter(volunteer_id__in=set(volunteer_ids))
        .annotate(total=Sum("centihours"))
        .group_by("volunteer_id")
        .values_list("volunteer_id", "total")
    )
    totals = {int(v): int(t or 0) / 100 for v, t in rows}
    return [totals.get(i, 0.0) for i in volunteer_ids]


# A volunteer's figures, each a scalar subquery, so that those asked at once (a page shows the
# viewer's hours and unread notifications together) come in one statement.
VOLUNTEER_FACTS = {
    "hours": '(SELECT COALESCE(SUM("centihours"), 0) FROM "hours_entry"'
    ' WHERE "hours_entry"."volunteer_id" = "volunteer"."id")',
    "unread": '(SELECT COUNT(*) FROM "notification" WHERE "notification"."volunteer_id" ='
    ' "volunteer"."id" AND "notification"."read_at" IS NULL)',
    # how many there are: a list found empty here needs no statement of its own
    "certificates": '(SELECT COUNT(*) FROM "certificate"'
    ' WHERE "certificate"."volunteer_id" = "volunteer"."id")',
    "appointments": '(SELECT COUNT(*) FROM "appointment"'
    ' WHERE "appointment"."resident_id" = "volunteer"."id")',
}


async def _volunteer_facts(keys: Sequence[tuple[int, str]]) -> list[int]:
    """(volunteer, fact) → the figure ("hours": centihours in the ledger, "unread": unread
    notifications); one statement for all of them."""
    facts = sorted({fact for _, fact in keys})
    ids = list({v for v, _ in keys})
    found_rows = await rows.fetch(
        f'SELECT "volunteer"."id",{",".join(VOLUNTEER_FACTS[f] for f in facts)} FROM "volunteer"'
        f' WHERE "volunteer"."id" IN ({rows.marks(len(ids))})',
        ids,
    )
    found = {
        (int(row[0]), f): int(row[i] or 0) for row in found_rows for i, f in enumerate(facts, 1)
    }
    return [found.get(key, 0) for key in keys]


async def _waitlist_positions(signup_ids: Sequence[int]) -> list[int | None]:
    positions = await waitlist_positions(list(set(signup_ids)))
    return [positions.get(i) for i in signup_ids]


async def _signups_by_volunteer_and_shift(
    keys: Sequence[tuple[int, int]],
) -> list[Signup | None]:
    rows = await Signup.filter(
        volunteer_id__in={v for v, _ in keys}, shift_id__in={s for _, s in keys}
    )
    found = {(row.volunteer_id, row.shift_id): row for row in rows}
    return [found.get(key) for key in keys]


async def _clashes(keys: Sequence[tuple[int, Shift]]) -> list[bool]:
    """(viewer, shift) → whether the shift clashes with one the viewer holds; one query per
    viewer (in practice one per request)."""
    clashing: set[tuple[int, int]] = set()
    for volunteer_id in {v for v, _ in keys}:
        shifts = [shift for v, shift in keys if v == volunteer_id]
        found = await signups.clashing_shift_ids(volunteer_id, shifts)
        clashing |= {(volunteer_id, shift_id) for shift_id in found}
    return [(v, shift.id) in clashing for v, shift in keys]


SIGNUP_HOURS = "linli_hours"
PLACE = "linli_place"
# The sign-up's credited centihours (NULL without ledger entries), as `_signup_hours`.
SIGNUP_HOURS_SQL = (
    '(SELECT SUM("centihours") FROM "hours_entry" WHERE "hours_entry"."signup_id" = "signup"."id")'
)

# (shift, page size, statuses, with total) → the first page of the shift's sign-ups.
RosterKey = tuple[int, int, tuple[SignupStatus, ...] | None]


_SIGNUP = rows.reader_of(Signup)
_VOLUNTEER = rows.reader_of(Volunteer)


async def _roster_pages(keys: Sequence[RosterKey]) -> list[list[Signup]]:
    """The first page (plus one, to tell whether there is more) of each shift's sign-ups in
    one statement per (size, statuses), each row with its shift's total (`linli_total`).

    The statement reads every sign-up of those shifts (a roster: bounded by seats and
    waitlist) and the pages are cut here: a window's row number cannot be filtered in the
    same SELECT. Each row comes with its volunteer, its hours (`linli_hours`, centihours) and
    its place in the waitlist (`linli_place`): what a roster shows."""
    pages: dict[RosterKey, list[Signup]] = {}
    groups: dict[tuple[int, tuple[SignupStatus, ...] | None], list[int]] = {}
    for shift_id, size, statuses in keys:
        groups.setdefault((size, statuses), []).append(shift_id)
    for (size, statuses), shift_ids in groups.items():
        condition, values = roster.signups_of_shifts(shift_ids, statuses)
        place = waitlist.position_sql('"signup"')
        found = await rows.fetch(
            f"SELECT {_SIGNUP.columns('signup')},"
            ' COUNT(*) OVER (PARTITION BY "signup"."shift_id"),'
            f" {SIGNUP_HOURS_SQL}, {place},"
            f' {_VOLUNTEER.columns("signup__volunteer")} FROM "signup"'
            ' LEFT OUTER JOIN "volunteer" "signup__volunteer"'
            ' ON "signup__volunteer"."id" = "signup"."volunteer_id"'
            f' WHERE {condition} ORDER BY "signup"."shift_id" ASC,"signup"."id" ASC',
            values,
        )
        signup, volunteer = _SIGNUP.converter(), _VOLUNTEER.converter()
        extra = len(_SIGNUP.names)
        joined = extra + 3 + _VOLUNTEER.names.index("id")  # NULL: no volunteer row
        by_shift: dict[int, list[Signup]] = {i: [] for i in shift_ids}
        for row in found:
            each = signup(row)
            page = by_shift[each.shift_id]
            if len(page) <= size:
                attached = each.__dict__
                attached[TOTAL], attached[SIGNUP_HOURS], attached[PLACE] = row[extra : extra + 3]
                attached["_volunteer"] = None if row[joined] is None else volunteer(row, extra + 3)
                page.append(each)
        pages.update(((i, size, statuses), page) for i, page in by_shift.items())
    return [pages[key] for key in keys]


async def _personal_visibility(keys: Sequence[tuple[Actor, int]]) -> list[bool]:
    """(actor, volunteer) → whether the actor may see the volunteer's personal data; decided
    for all of them at once (`Actor.preload_personal_visibility`). One actor per request."""
    if not keys:
        return []
    actor = keys[0][0]
    await actor.preload_personal_visibility(v for _, v in keys)
    return [await a.may_see_personal_data_of(v) for a, v in keys]


class Loaders:
    def prime_signup(self, signup: Signup) -> None:
        """What a page read with its sign-ups (`SIGNUP_HOURS`, `PLACE`, the volunteer when
        joined) needs no statement of its own."""
        if SIGNUP_HOURS in signup.__dict__:
            centihours = signup.__dict__[SIGNUP_HOURS]
            self.signup_hours.prime(signup.id, None if centihours is None else centihours / 100)
        place = signup.__dict__.get(PLACE)
        if place is not None:
            self.waitlist_position.prime(signup.id, int(place))
        volunteer = signup.__dict__.get("_volunteer")
        if isinstance(volunteer, Volunteer):
            self.volunteer.prime(volunteer.id, volunteer)

    async def unread_count(self, volunteer_id: int) -> int:
        return await self.volunteer_facts.load((volunteer_id, "unread"))

    async def has_any(self, volunteer_id: int, rows: str) -> bool:
        """Whether the volunteer has any `rows` ("certificates", "appointments"), asked with
        the other figures of the same level (one statement)."""
        return await self.volunteer_facts.load((volunteer_id, rows)) > 0

    async def hours_total(self, volunteer_id: int) -> float:
        return await self.volunteer_facts.load((volunteer_id, "hours")) / 100

    def __init__(self) -> None:
        self.community = DataLoader(_by_id(Community))
        self.team = DataLoader(_by_id(Team))
        self.event = DataLoader(_by_id(Event))
        self.shift = DataLoader(_by_id(Shift))
        self.volunteer = DataLoader(_by_id(Volunteer))
        self.series = DataLoader(_by_id(EventSeries))
        self.signup = DataLoader(_by_id(Signup))
        self.notification = DataLoader(_by_id(Notification))
        self.certificate = DataLoader(_by_id(Certificate))
        self.webhook = DataLoader(_by_id(Webhook))
        self.webhook_delivery = DataLoader(_by_id(WebhookDelivery))
        self.shifts_by_event = DataLoader(_shifts_by_event)
        self.member_count = DataLoader(_member_counts)
        self.signup_hours = DataLoader(_signup_hours)
        self.volunteer_hours = DataLoader(_volunteer_hours)
        self.volunteer_facts = DataLoader(_volunteer_facts)
        self.roster_pages = DataLoader(_roster_pages)
        self.personal_visibility = DataLoader(
            _personal_visibility, cache_key_fn=lambda key: (id(key[0]), key[1])
        )
        self.waitlist_position = DataLoader(_waitlist_positions)
        self.signup_by_volunteer_and_shift = DataLoader(_signups_by_volunteer_and_shift)
        self.appointment_slot = DataLoader(_by_id(AppointmentSlot))
        self.appointment = DataLoader(_by_id(Appointment))
        self.appointment_slots_by_event = DataLoader(_slots_by_event)
        self.appointment_at_event = DataLoader(_viewer_appointments)
        self.clashes = DataLoader(_clashes, cache_key_fn=lambda key: (key[0], key[1].id))
        # `node(id:)`: the loader for each type's global id prefix
        self.by_type: dict[str, DataLoader[int, Any]] = {
            "Community": self.community,
            "Team": self.team,
            "Event": self.event,
            "EventSeries": self.series,
            "Shift": self.shift,
            "Signup": self.signup,
            "Volunteer": self.volunteer,
            "Notification": self.notification,
            "Certificate": self.certificate,
            "AppointmentSlot": self.appointment_slot,
            "Appointment": self.appointment,
            "Webhook": self.webhook,
            "WebhookDelivery": self.webhook_delivery,
        }

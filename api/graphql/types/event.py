"""Events, their shifts (roles with seats) and the recurring series they may belong to.

Lists of events come with their shifts attached (one query for the page), so an event's seat
fields are plain sync resolvers there; an event reached alone awaits the DataLoader."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, TypeVar

import strawberry
from strawberry import Parent

from api import models
from api.domain import appointments, catalog, checkin, roster, signups
from api.domain.actors import Actor
from api.domain.catalog import EventQuery
from api.domain.errors import DomainError, ValidationErrors
from api.graphql.context import Info
from api.graphql.errors import present
from api.graphql.loaders import shifts_of_events
from api.graphql.pagination import (
    TOTAL,
    After,
    Connection,
    First,
    first_page,
    known_count,
    page_size,
    paginate,
    paginate_rows,
    table_list,
    wants_total,
)
from api.graphql.types.change import UPDATED_AT, written_at
from api.graphql.types.enums import EventKind, EventStatus, SignupStatus
from api.graphql.types.node import Node, global_id
from api.graphql.types.refs import (
    AppointmentRef,
    AppointmentSlotRef,
    CommunityRef,
    EventRef,
    EventSeriesRef,
    ShiftRef,
    SignupRef,
    TeamRef,
)
from api.http.errors import PublicError
from api.http.ids import decode_id_of
from api.infra import rows

EVENT_ROWS = [('"event"."starts_at"', "starts_at", datetime), ('"event"."id"', "id", int)]
_EVENT = rows.reader_of(models.Event)
APPOINTMENT_ORDER = (("starts_at", datetime), ("id", int))
ATTACHED_SHIFTS = "_linli_shifts"
R = TypeVar("R")


@strawberry.input(description="Narrows a list of events. All given conditions must hold.")
class EventFilter:
    kinds: list[EventKind] | None = strawberry.field(
        default=None, description="Only events of these kinds (any of them)."
    )
    community_id: strawberry.ID | None = strawberry.field(
        default=None, description="The community or any place below it."
    )
    team_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only the events of this team (a Team id)."
    )
    starts_after: datetime | None = strawberry.field(
        default=None,
        description="Events starting at or after this time. Without startsAfter or "
        "startsBefore, only events that have not ended yet are listed.",
    )
    starts_before: datetime | None = strawberry.field(
        default=None, description="Events starting before this time (exclusive)."
    )
    has_open_seats: bool | None = strawberry.field(
        default=None,
        description="True: only events with a free seat in some shift; false: only full ones.",
    )
    search: str | None = strawberry.field(
        default=None, description="Words in the title, place or description."
    )
    updated_since: datetime | None = strawberry.field(
        default=None,
        description="Events that changed at or after this time, themselves or one of their "
        "shifts (seats taken included): compare with `Event.updatedAt`. Lifts the default "
        '"not ended yet" bound. Deletions are not listed here: follow `changes` for those.',
    )
    statuses: list[EventStatus] | None = strawberry.field(
        default=None,
        description="Events of these statuses (default: PUBLISHED only). CANCELLED and "
        "COMPLETED events are public; DRAFT lists only the drafts you organize (leaders of "
        "their team, admins).",
    )

    def to_query(self) -> EventQuery:
        return EventQuery(
            kinds=[models.EventKind(k) for k in self.kinds] if self.kinds else None,
            community_id=decode_id_of(self.community_id, "Community", "communityId")
            if self.community_id
            else None,
            team_id=decode_id_of(self.team_id, "Team", "teamId") if self.team_id else None,
            starts_after=self.starts_after,
            starts_before=self.starts_before,
            has_open_seats=self.has_open_seats,
            search=self.search,
            updated_since=self.updated_since,
            statuses=[models.EventStatus(s) for s in self.statuses] if self.statuses else None,
        )


def _with_shifts(
    root: models.Event, info: Info, use: Callable[[list[models.Shift]], R]
) -> R | Awaitable[R]:
    attached = root.__dict__.get(ATTACHED_SHIFTS)
    if attached is not None:
        return use(attached)

    async def load() -> R:
        return use(await info.context.loaders.shifts_by_event.load(root.id))

    return load()


async def attach_shifts(connection: Connection[models.Event]) -> Connection[models.Event]:
    """Loads the shifts of a page of events in one query and attaches them to the rows."""
    events = [edge.node for edge in connection.edges]
    if events:
        grouped = await shifts_of_events(event.id for event in events)
        for event in events:
            event.__dict__[ATTACHED_SHIFTS] = grouped[event.id]
    return connection


async def event_connection(
    first: int | None,
    after: str | None,
    query: EventQuery,
    actor: Actor | None = None,
) -> Connection[models.Event]:
    """A page of the published events matching `query` (or of its statuses, as `actor` may
    see them), soonest first, shifts attached. `totalCount`, when asked, is its own statement:
    counted in the page's (`COUNT(*) OVER ()`), the whole catalogue would be read and sorted
    before the LIMIT — with 11 000 events the list's p99 went from 0.3 s to 0.85 s."""
    try:
        where = catalog.published_events(query, actor)
    except (DomainError, ValidationErrors) as exc:
        raise PublicError("INVALID_INPUT", str(exc)) from None
    return await attach_shifts(
        await paginate_rows(
            table_list(_EVENT, "event", where.condition, where.values, EVENT_ROWS),
            first=first,
            after=after,
        )
    )


@strawberry.type(description="Where an event takes place (地点).")
class Location:
    name: str = strawberry.field(
        description='The place as residents call it, e.g. "社区活动中心 2 楼".'
    )
    address: str | None = strawberry.field(
        description="Street address, when the organizer gave one; null otherwise."
    )


@strawberry.type(description="A recurring series of events expanded from one RRULE.")
class EventSeries(Node):
    id: strawberry.ID = global_id("EventSeries")
    rule: str = strawberry.field(
        description='The RFC 5545 RRULE, e.g. "FREQ=WEEKLY;BYDAY=SA;COUNT=4", expanded in '
        "Asia/Shanghai wall-clock time."
    )

    @classmethod
    def is_type_of(cls, obj: object, info: object) -> bool:
        return isinstance(obj, models.EventSeries)

    @strawberry.field(
        description="The events of the series, earliest first (drafts only for the team's "
        "leaders and admins).",
        graphql_type=Connection[EventRef],
    )
    async def events(
        self,
        root: Parent[models.EventSeries],
        info: Info,
        first: First = None,
        after: After = None,
    ) -> Connection[models.Event]:
        where = catalog.series_events(info.context.actor, root.id)
        return await attach_shifts(
            await paginate_rows(
                table_list(_EVENT, "event", where.condition, where.values, EVENT_ROWS),
                first=first,
                after=after,
                with_total=wants_total(info),
            )
        )


@strawberry.type(description="A service event: a haircut day, a clinic, a drill…")
class Event(Node):
    id: strawberry.ID = global_id("Event")
    title: str = strawberry.field(description="The title residents see (标题).")
    kind: EventKind = strawberry.field(description="What kind of service it is.")
    status: EventStatus = strawberry.field(
        description="DRAFT, PUBLISHED, CANCELLED or COMPLETED. Lists show PUBLISHED events "
        "unless asked otherwise."
    )
    description: str = strawberry.field(
        description="Free text by the organizer (plain text, may be empty)."
    )
    starts_at: datetime = strawberry.field(
        description="Start, ISO 8601 with offset (stored in UTC; shown in Asia/Shanghai)."
    )
    ends_at: datetime = strawberry.field(description="End, ISO 8601 with offset.")
    cancel_reason: str | None = strawberry.field(
        description="Why it was cancelled, as told to the volunteers; null unless CANCELLED."
    )

    @classmethod
    def is_type_of(cls, obj: object, info: object) -> bool:
        return isinstance(obj, models.Event)

    @strawberry.field(
        description="When the event or one of its shifts last changed (a seat taken or freed "
        "counts; any write, whatever made it). `EventFilter.updatedSince` compares with it.",
        graphql_type=datetime,
    )
    def updated_at(self, root: Parent[models.Event], info: Info) -> datetime | Awaitable[datetime]:
        return _with_shifts(
            root, info, lambda shifts: max([root.updated_at, *(written_at(s) for s in shifts)])
        )

    @strawberry.field(description="Where it takes place; null when not given (e.g. online).")
    def location(self, root: Parent[models.Event]) -> Location | None:
        if not root.location_name:
            return None
        return Location(name=root.location_name, address=root.location_address)

    @strawberry.field(
        description="The place (community or compound) it serves; null when not tied to one.",
        graphql_type=CommunityRef | None,
    )
    def community(
        self, root: Parent[models.Event], info: Info
    ) -> Awaitable[models.Community | None] | None:
        if root.community_id is None:
            return None
        return info.context.loaders.community.load(root.community_id)

    @strawberry.field(description="The volunteer team that organizes it.", graphql_type=TeamRef)
    def team(self, root: Parent[models.Event], info: Info) -> Awaitable[models.Team | None]:
        return info.context.loaders.team.load(root.team_id)

    @strawberry.field(
        description="The recurring series it belongs to; null for a one-off event.",
        graphql_type=EventSeriesRef | None,
    )
    def series(
        self, root: Parent[models.Event], info: Info
    ) -> Awaitable[models.EventSeries | None] | None:
        if root.series_id is None:
            return None
        return info.context.loaders.series.load(root.series_id)

    @strawberry.field(
        description="The shifts (roles), earliest first.", graphql_type=list[ShiftRef]
    )
    def shifts(
        self, root: Parent[models.Event], info: Info
    ) -> list[models.Shift] | Awaitable[list[models.Shift]]:
        return _with_shifts(root, info, lambda shifts: shifts)

    @strawberry.field(description="Seats in all shifts together.", graphql_type=int)
    def capacity(self, root: Parent[models.Event], info: Info) -> int | Awaitable[int]:
        return _with_shifts(root, info, lambda shifts: sum(s.capacity for s in shifts))

    @strawberry.field(
        description="Confirmed and attended sign-ups in all shifts together.", graphql_type=int
    )
    def seats_taken(self, root: Parent[models.Event], info: Info) -> int | Awaitable[int]:
        return _with_shifts(root, info, lambda shifts: sum(s.seats_taken for s in shifts))

    @strawberry.field(description="Free seats in all shifts together.", graphql_type=int)
    def seats_left(self, root: Parent[models.Event], info: Info) -> int | Awaitable[int]:
        return _with_shifts(root, info, lambda shifts: sum(s.seats_left for s in shifts))

    @strawberry.field(
        description="Waitlisted sign-ups (候补) in all shifts together.", graphql_type=int
    )
    def waitlist_count(self, root: Parent[models.Event], info: Info) -> int | Awaitable[int]:
        return _with_shifts(root, info, lambda shifts: sum(s.waitlist_count for s in shifts))

    @strawberry.field(description="Whether the viewer may organize this event.")
    async def viewer_can_organize(self, root: Parent[models.Event], info: Info) -> bool:
        return await info.context.actor.leads(root.team_id)

    @strawberry.field(
        description="The times residents may book (setAppointmentSlots), earliest first.",
        graphql_type=list[AppointmentSlotRef],
    )
    async def appointment_slots(
        self, root: Parent[models.Event], info: Info
    ) -> list[models.AppointmentSlot]:
        return await info.context.loaders.appointment_slots_by_event.load(root.id)

    @strawberry.field(
        description="The viewer's own appointment at this event (booked or served), if any.",
        graphql_type=AppointmentRef | None,
    )
    async def viewer_appointment(
        self, root: Parent[models.Event], info: Info
    ) -> models.Appointment | None:
        actor = info.context.actor
        if actor.volunteer is None or not appointments.reads_personal(actor):
            return None
        return await info.context.loaders.appointment_at_event.load((actor.volunteer.id, root.id))

    @strawberry.field(
        description="Whether leaders may book this service as a home visit (上门服务)."
    )
    def offers_home_visits(self, root: Parent[models.Event]) -> bool:
        return appointments.offers_home_visits(root.kind)

    @strawberry.field(
        description="The residents' bookings (booked and served) in time order: the event's "
        "leaders and admins; null for everyone else.",
        graphql_type=Connection[AppointmentRef] | None,
    )
    async def appointments(
        self,
        root: Parent[models.Event],
        info: Info,
        first: First = None,
        after: After = None,
    ) -> Connection[models.Appointment] | None:
        queryset = await appointments.bookings_of_event(info.context.actor, root)
        if queryset is None:
            return None
        return await paginate(queryset, first=first, after=after, order=APPOINTMENT_ORDER)


@strawberry.type(description="A role within an event, with its own times and seats.")
class Shift(Node):
    id: strawberry.ID = global_id("Shift")
    role: str = strawberry.field(
        description='What the volunteers of this shift do, e.g. "理发师" (barber), "引导员".'
    )
    starts_at: datetime = strawberry.field(description="Start, ISO 8601 with offset.")
    ends_at: datetime = strawberry.field(description="End, ISO 8601 with offset.")
    capacity: int = strawberry.field(description="Seats (名额) in this shift.")
    seats_taken: int = strawberry.field(description="Confirmed and attended sign-ups.")
    seats_left: int = strawberry.field(
        description="Free seats: capacity − seatsTaken, never below 0."
    )
    waitlist_count: int = strawberry.field(description="Waitlisted sign-ups (候补).")

    @classmethod
    def is_type_of(cls, obj: object, info: object) -> bool:
        return isinstance(obj, models.Shift)

    @strawberry.field(
        description=UPDATED_AT + " Every sign-up or cancellation that moves its seats counts."
    )
    def updated_at(self, root: Parent[models.Shift]) -> datetime:
        return written_at(root)

    @strawberry.field(description="The event the shift belongs to.", graphql_type=EventRef)
    def event(self, root: Parent[models.Shift], info: Info) -> Awaitable[models.Event]:
        return present(info.context.loaders.event.load(root.event_id), "event")

    @strawberry.field(
        description="The code volunteers enter on site (rotates every 10 minutes). "
        "Leaders of the team and admins only; null for everyone else."
    )
    async def check_in_code(self, root: Parent[models.Shift], info: Info) -> str | None:
        event = await info.context.loaders.event.load(root.event_id)
        if event is None:
            return None
        return await checkin.code_shown_to(info.context.actor, root.id, event)

    @strawberry.field(
        description="Who signed up (leaders of the team and admins; else null).",
        graphql_type=Connection[SignupRef] | None,
    )
    async def signups(
        self,
        root: Parent[models.Shift],
        info: Info,
        first: First = None,
        after: After = None,
        status: Annotated[
            list[SignupStatus] | None,
            strawberry.argument(description="Only sign-ups in these states; all when omitted."),
        ] = None,
    ) -> Connection[models.Signup] | None:
        actor = info.context.actor
        event = await info.context.loaders.event.load(root.event_id)
        if event is None:
            return None
        queryset = await roster.shift_signups(actor, event, root.id, status)
        if queryset is None:
            return None
        page: Connection[models.Signup]
        if after:
            page = await paginate(queryset, first=first, after=after)
        else:  # the first page of every shift of the event in one statement (the roster)
            size = page_size(first)
            statuses = tuple(models.SignupStatus(s) for s in status) if status else None
            loaders = info.context.loaders
            rows = await loaders.roster_pages.load((root.id, size, statuses)) if size else []
            total = int(getattr(rows[0], TOTAL)) if rows else 0
            page = first_page(rows, size, ["id"], known_count(total))
            for edge in page.edges:  # volunteers, hours and places came with the rows
                loaders.prime_signup(edge.node)
        # The page asks for each volunteer's phone: decided for all of them at once (for
        # every shift of the page: the pages come in the same tick).
        await info.context.loaders.personal_visibility.load_many(
            [(actor, edge.node.volunteer_id) for edge in page.edges]
        )
        return page

    @strawberry.field(description="Whether the shift takes sign-ups now (published, not started).")
    async def accepts_sign_ups(self, root: Parent[models.Shift], info: Info) -> bool:
        event = await info.context.loaders.event.load(root.event_id)
        return event is not None and signups.accepts_sign_ups(root, event)

    @strawberry.field(
        description="The viewer's own sign-up for this shift, if any.",
        graphql_type=SignupRef | None,
    )
    async def viewer_signup(self, root: Parent[models.Shift], info: Info) -> models.Signup | None:
        actor = info.context.actor
        if actor.volunteer is None:
            return None
        return await info.context.loaders.signup_by_volunteer_and_shift.load(
            (actor.volunteer.id, root.id)
        )

    @strawberry.field(
        description="Whether this shift overlaps one the viewer is confirmed on (another "
        "shift): signing up would answer SCHEDULE_CONFLICT. False for anonymous callers."
    )
    async def viewer_has_clash(self, root: Parent[models.Shift], info: Info) -> bool:
        actor = info.context.actor
        if actor.volunteer is None:
            return False
        return await info.context.loaders.clashes.load((actor.volunteer.id, root))

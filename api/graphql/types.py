"""The object types. Scalar fields are plain attributes of the ORM rows (cheap); relations and
counts go through the request's DataLoaders (one query per relation, whatever the page)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, TypeVar

import strawberry
from strawberry import Parent

from api import models
from api.domain import checkin, signups
from api.domain.catalog import EventQuery, published_events
from api.graphql.context import Info
from api.graphql.pagination import Connection, empty_connection, paginate
from api.http.ids import encode_id

if TYPE_CHECKING:
    from api.graphql.account_types import Session
    from api.graphql.organizer_types import Notification, ServiceStats

EventKind = strawberry.enum(models.EventKind, description="What kind of service an event is.")
EventStatus = strawberry.enum(models.EventStatus)
SignupStatus = strawberry.enum(models.SignupStatus)
TeamRole = strawberry.enum(models.TeamRole)
CommunityLevel = strawberry.enum(models.CommunityLevel)
NotificationKind = strawberry.enum(models.NotificationKind)

EVENT_ORDER = (("starts_at", datetime), ("id", int))


@strawberry.interface(description="An object with a global, opaque id; see `node(id:)`.")
class Node:
    id: strawberry.ID


def _gid(type_name: str):  # type: ignore[no-untyped-def]
    def resolve(root: Parent[models.Community]) -> strawberry.ID:
        return strawberry.ID(encode_id(type_name, root.id))

    return strawberry.field(resolver=resolve, description="A global, opaque id.")


@strawberry.input(description="Narrows a list of events. All given conditions must hold.")
class EventFilter:
    kinds: list[EventKind] | None = None  # type: ignore[valid-type]
    community_id: strawberry.ID | None = strawberry.field(
        default=None, description="The community or any place below it."
    )
    team_id: strawberry.ID | None = None
    starts_after: datetime | None = strawberry.field(
        default=None,
        description="Events starting at or after this time. Without startsAfter or "
        "startsBefore, only events that have not ended yet are listed.",
    )
    starts_before: datetime | None = None
    has_open_seats: bool | None = None
    search: str | None = strawberry.field(
        default=None, description="Words in the title, place or description."
    )

    def to_query(self) -> EventQuery:
        from api.http.ids import decode_id_of

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
        )


ATTACHED_SHIFTS = "_linli_shifts"
R = TypeVar("R")


def _with_shifts(
    root: models.Event, info: Info, use: Callable[[list[models.Shift]], R]
) -> R | Awaitable[R]:
    attached = root.__dict__.get(ATTACHED_SHIFTS)
    if attached is not None:
        return use(attached)

    async def load() -> R:
        return use(await info.context.loaders.shifts_by_event.load(root.id))

    return load()


async def attach_shifts(connection: Connection[Event]) -> Connection[Event]:
    """Loads the shifts of a page of events in one query and attaches them to the rows."""
    events: list[models.Event] = [edge.node for edge in connection.edges]  # type: ignore[misc]
    if events:
        grouped: dict[int, list[models.Shift]] = {e.id: [] for e in events}
        for shift in await models.Shift.filter(event_id__in=list(grouped)).order_by(
            "starts_at", "id"
        ):
            grouped[shift.event_id].append(shift)
        for event in events:
            event.__dict__[ATTACHED_SHIFTS] = grouped[event.id]
    return connection


async def event_connection(
    info: Info, first: int | None, after: str | None, query: EventQuery
) -> Connection[Event]:
    from api.domain.errors import DomainError, ValidationErrors
    from api.http.errors import PublicError

    try:
        queryset = published_events(query)
    except (DomainError, ValidationErrors) as exc:
        raise PublicError("INVALID_INPUT", str(exc)) from None
    return await attach_shifts(
        await paginate(queryset, first=first, after=after, order=EVENT_ORDER)
    )


@strawberry.type(description="A place: a district (town, sub-district), community or compound.")
class Community(Node):
    id: strawberry.ID = _gid("Community")
    name: str
    level: CommunityLevel  # type: ignore[valid-type]

    @classmethod
    def is_type_of(cls, obj: object, info: object) -> bool:
        return isinstance(obj, models.Community)

    @strawberry.field
    async def parent(self, root: Parent[models.Community], info: Info) -> Community | None:
        if root.parent_id is None:
            return None
        return await info.context.loaders.community.load(root.parent_id)  # type: ignore[return-value]

    @strawberry.field(
        description="Figures of every team's events in this place and the places below it; "
        "admins only (null for everyone else)."
    )
    async def stats(
        self,
        root: Parent[models.Community],
        info: Info,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Annotated[ServiceStats, strawberry.lazy("api.graphql.organizer_types")] | None:
        from api.graphql import organizer_types

        return await organizer_types.community_stats(root, info, since, until)  # type: ignore[return-value]


@strawberry.type(description="A volunteer team, run by its leaders.")
class Team(Node):
    id: strawberry.ID = _gid("Team")
    name: str
    description: str

    @classmethod
    def is_type_of(cls, obj: object, info: object) -> bool:
        return isinstance(obj, models.Team)

    @strawberry.field
    async def community(self, root: Parent[models.Team], info: Info) -> Community | None:
        if root.community_id is None:
            return None
        return await info.context.loaders.community.load(root.community_id)  # type: ignore[return-value]

    @strawberry.field
    async def member_count(self, root: Parent[models.Team], info: Info) -> int:
        return await info.context.loaders.member_count.load(root.id)

    @strawberry.field(description="The team's published events, soonest first.")
    async def events(
        self,
        root: Parent[models.Team],
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: EventFilter | None = None,
    ) -> Connection[Event]:
        query = filter.to_query() if filter else EventQuery()
        query.team_id = root.id
        return await event_connection(info, first, after, query)

    @strawberry.field(description="Whether the viewer leads this team (admins: true).")
    async def viewer_is_leader(self, root: Parent[models.Team], info: Info) -> bool:
        return await info.context.actor.leads(root.id)

    @strawberry.field(
        description="The team's figures (events held, volunteers, hours, attendance) for its "
        "leaders and admins; null for everyone else. `since`/`until` bound the events' start."
    )
    async def stats(
        self,
        root: Parent[models.Team],
        info: Info,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Annotated[ServiceStats, strawberry.lazy("api.graphql.organizer_types")] | None:
        from api.graphql import organizer_types

        return await organizer_types.team_stats(root, info, since, until)  # type: ignore[return-value]


@strawberry.type
class Location:
    name: str
    address: str | None


@strawberry.type(description="A recurring series of events expanded from one RRULE.")
class EventSeries(Node):
    id: strawberry.ID = _gid("EventSeries")
    rule: str

    @classmethod
    def is_type_of(cls, obj: object, info: object) -> bool:
        return isinstance(obj, models.EventSeries)

    @strawberry.field
    async def events(
        self,
        root: Parent[models.EventSeries],
        info: Info,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Event]:
        queryset = models.Event.filter(series_id=root.id, status=models.EventStatus.PUBLISHED)
        return await attach_shifts(
            await paginate(queryset, first=first, after=after, order=EVENT_ORDER)
        )


@strawberry.type(description="A service event: a haircut day, a clinic, a drill…")
class Event(Node):
    id: strawberry.ID = _gid("Event")
    title: str
    kind: EventKind  # type: ignore[valid-type]
    status: EventStatus  # type: ignore[valid-type]
    description: str
    starts_at: datetime
    ends_at: datetime
    cancel_reason: str | None

    @classmethod
    def is_type_of(cls, obj: object, info: object) -> bool:
        return isinstance(obj, models.Event)

    @strawberry.field
    def location(self, root: Parent[models.Event]) -> Location | None:
        if not root.location_name:
            return None
        return Location(name=root.location_name, address=root.location_address)

    @strawberry.field
    async def community(self, root: Parent[models.Event], info: Info) -> Community | None:
        if root.community_id is None:
            return None
        return await info.context.loaders.community.load(root.community_id)  # type: ignore[return-value]

    @strawberry.field
    async def team(self, root: Parent[models.Event], info: Info) -> Team:
        return await info.context.loaders.team.load(root.team_id)  # type: ignore[return-value]

    @strawberry.field
    async def series(self, root: Parent[models.Event], info: Info) -> EventSeries | None:
        if root.series_id is None:
            return None
        return await info.context.loaders.series.load(root.series_id)  # type: ignore[return-value]

    # Lists of events come with their shifts attached (one query for the page), so these
    # fields are plain sync resolvers there; an event reached alone awaits the DataLoader.
    @strawberry.field(description="The shifts (roles), earliest first.")
    def shifts(self, root: Parent[models.Event], info: Info) -> list[Shift]:
        return _with_shifts(root, info, lambda shifts: shifts)  # type: ignore[return-value, arg-type]

    @strawberry.field(description="Seats in all shifts together.")
    def capacity(self, root: Parent[models.Event], info: Info) -> int:
        return _with_shifts(root, info, lambda shifts: sum(s.capacity for s in shifts))  # type: ignore[return-value]

    @strawberry.field
    def seats_taken(self, root: Parent[models.Event], info: Info) -> int:
        return _with_shifts(root, info, lambda shifts: sum(s.seats_taken for s in shifts))  # type: ignore[return-value]

    @strawberry.field
    def seats_left(self, root: Parent[models.Event], info: Info) -> int:
        return _with_shifts(root, info, lambda shifts: sum(s.seats_left for s in shifts))  # type: ignore[return-value]

    @strawberry.field
    def waitlist_count(self, root: Parent[models.Event], info: Info) -> int:
        return _with_shifts(root, info, lambda shifts: sum(s.waitlist_count for s in shifts))  # type: ignore[return-value]

    @strawberry.field(description="Whether the viewer may organize this event.")
    async def viewer_can_organize(self, root: Parent[models.Event], info: Info) -> bool:
        return await info.context.actor.leads(root.team_id)


@strawberry.type(description="A role within an event, with its own times and seats.")
class Shift(Node):
    id: strawberry.ID = _gid("Shift")
    role: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    seats_taken: int
    seats_left: int
    waitlist_count: int

    @classmethod
    def is_type_of(cls, obj: object, info: object) -> bool:
        return isinstance(obj, models.Shift)

    @strawberry.field
    async def event(self, root: Parent[models.Shift], info: Info) -> Event:
        return await info.context.loaders.event.load(root.event_id)  # type: ignore[return-value]

    @strawberry.field(
        description="The code volunteers enter on site (rotates every 10 minutes). "
        "Leaders of the team and admins only; null for everyone else."
    )
    async def check_in_code(self, root: Parent[models.Shift], info: Info) -> str | None:
        event = await info.context.loaders.event.load(root.event_id)
        if event is None or not await info.context.actor.leads(event.team_id):
            return None
        return checkin.current_code(root.id)

    @strawberry.field(description="Who signed up (leaders of the team and admins; else null).")
    async def signups(
        self,
        root: Parent[models.Shift],
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: list[SignupStatus] | None = None,  # type: ignore[valid-type]
    ) -> Connection[Signup] | None:
        event = await info.context.loaders.event.load(root.event_id)
        if event is None or not await info.context.actor.leads(event.team_id):
            return None
        queryset = models.Signup.filter(shift_id=root.id)
        if status:
            queryset = queryset.filter(status__in=[models.SignupStatus(s) for s in status])
        page: Connection[Signup] = await paginate(queryset, first=first, after=after)
        await info.context.actor.preload_personal_visibility(
            edge.node.volunteer_id  # type: ignore[attr-defined]
            for edge in page.edges
        )
        return page

    @strawberry.field(description="Whether the shift takes sign-ups now (published, not started).")
    async def accepts_sign_ups(self, root: Parent[models.Shift], info: Info) -> bool:
        event = await info.context.loaders.event.load(root.event_id)
        return event is not None and signups.accepts_sign_ups(root, event)

    @strawberry.field(description="The viewer's own sign-up for this shift, if any.")
    async def viewer_signup(self, root: Parent[models.Shift], info: Info) -> Signup | None:
        actor = info.context.actor
        if actor.volunteer is None:
            return None
        return await info.context.loaders.signup_by_volunteer_and_shift.load(  # type: ignore[return-value]
            (actor.volunteer.id, root.id)
        )


@strawberry.type(description="One volunteer on one shift.")
class Signup(Node):
    id: strawberry.ID = _gid("Signup")
    status: SignupStatus  # type: ignore[valid-type]
    created_at: datetime
    checked_in_at: datetime | None

    @classmethod
    def is_type_of(cls, obj: object, info: object) -> bool:
        return isinstance(obj, models.Signup)

    @strawberry.field
    async def shift(self, root: Parent[models.Signup], info: Info) -> Shift:
        return await info.context.loaders.shift.load(root.shift_id)  # type: ignore[return-value]

    @strawberry.field
    async def volunteer(self, root: Parent[models.Signup], info: Info) -> Volunteer:
        return await info.context.loaders.volunteer.load(root.volunteer_id)  # type: ignore[return-value]

    @strawberry.field(
        description="Whether the volunteer can check in now (confirmed, window open)."
    )
    async def can_check_in(self, root: Parent[models.Signup], info: Info) -> bool:
        shift = await info.context.loaders.shift.load(root.shift_id)
        return shift is not None and checkin.can_check_in(root, shift)

    @strawberry.field(description="1-based place in the waitlist while WAITLISTED, else null.")
    async def waitlist_position(self, root: Parent[models.Signup], info: Info) -> int | None:
        if root.status != models.SignupStatus.WAITLISTED:
            return None
        return await info.context.loaders.waitlist_position.load(root.id)

    @strawberry.field(description="Service hours credited (from the hours ledger).")
    async def hours(self, root: Parent[models.Signup], info: Info) -> float | None:
        return await info.context.loaders.signup_hours.load(root.id)


@strawberry.type(description="A volunteer's account.")
class Volunteer(Node):
    id: strawberry.ID = _gid("Volunteer")
    display_name: str

    @classmethod
    def is_type_of(cls, obj: object, info: object) -> bool:
        return isinstance(obj, models.Volunteer)

    @strawberry.field(description="Only to the volunteer, their team leaders and admins.")
    async def phone(self, root: Parent[models.Volunteer], info: Info) -> str | None:
        if await info.context.actor.may_see_personal_data_of(root.id):
            return root.phone
        return None

    @strawberry.field(description="Whether this account administers Linli (self and admins).")
    def is_admin(self, root: Parent[models.Volunteer], info: Info) -> bool | None:
        actor = info.context.actor
        return root.is_admin if actor.id == root.id or actor.is_admin else None

    @strawberry.field(description="Total service hours: the sum of the hours ledger.")
    async def hours_total(self, root: Parent[models.Volunteer], info: Info) -> float:
        return await info.context.loaders.volunteer_hours.load(root.id)

    @strawberry.field(description="The volunteer's sign-ups, oldest first (self, leaders, admins).")
    async def signups(
        self,
        root: Parent[models.Volunteer],
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: list[SignupStatus] | None = None,  # type: ignore[valid-type]
    ) -> Connection[Signup]:
        if not await info.context.actor.may_see_personal_data_of(root.id):
            return empty_connection()
        queryset = models.Signup.filter(volunteer_id=root.id)
        if status:
            queryset = queryset.filter(status__in=[models.SignupStatus(s) for s in status])
        return await paginate(queryset, first=first, after=after)

    @strawberry.field(description="The teams this volunteer belongs to (self, leaders, admins).")
    async def teams(self, root: Parent[models.Volunteer], info: Info) -> list[Team]:
        if not await info.context.actor.may_see_personal_data_of(root.id):
            return []
        return await models.Team.filter(memberships__volunteer_id=root.id).order_by("id")  # type: ignore[return-value]

    @strawberry.field(description="The volunteer's notifications, newest first (self only).")
    async def notifications(
        self,
        root: Parent[models.Volunteer],
        info: Info,
        first: int | None = None,
        after: str | None = None,
        unread_only: bool | None = None,
    ) -> Connection[Annotated[Notification, strawberry.lazy("api.graphql.organizer_types")]]:
        from api.graphql import organizer_types

        return await organizer_types.notifications_of(root, info, first, after, bool(unread_only))  # type: ignore[return-value]

    @strawberry.field(
        description="Where the volunteer is logged in, most recent first (self only)."
    )
    async def sessions(
        self, root: Parent[models.Volunteer], info: Info
    ) -> list[Annotated[Session, strawberry.lazy("api.graphql.account_types")]]:
        from api.graphql import account_types

        return await account_types.sessions_of(root, info)

    @strawberry.field(description="Unread notifications (self only; 0 for anyone else).")
    async def unread_notification_count(self, root: Parent[models.Volunteer], info: Info) -> int:
        from api.domain import notifications

        if info.context.actor.id != root.id:
            return 0
        return await notifications.unread_count(root.id)

    @strawberry.field(
        description="The URL of the volunteer's private iCalendar feed of their shifts (self "
        "only); `resetCalendarToken` replaces it."
    )
    async def calendar_url(self, root: Parent[models.Volunteer], info: Info) -> str | None:
        from api.domain import calendar_feed

        if info.context.actor.id != root.id:
            return None
        return calendar_feed.feed_url(await calendar_feed.ensure_token(root))

"""Volunteers' accounts. Personal data (phone, sign-ups, teams) only to the volunteer, their
team leaders and admins; notifications and the calendar feed to the volunteer alone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry import Parent

from api import models
from api.domain import (
    api_tokens,
    appointments,
    calendar_feed,
    certificates,
    closing,
    notifications,
    sessions,
    signups,
    teams,
    visibility,
    waitlist,
    webhooks,
)
from api.graphql.context import Info
from api.graphql.loaders import PLACE, SIGNUP_HOURS, SIGNUP_HOURS_SQL
from api.graphql.pagination import (
    After,
    Connection,
    First,
    RowList,
    empty_connection,
    paginate,
    paginate_rows,
    wants_node_field,
    wants_total,
)
from api.graphql.types.api_token import ApiToken
from api.graphql.types.enums import SignupStatus
from api.graphql.types.node import Node, global_id
from api.graphql.types.notification import notifications_of
from api.graphql.types.refs import (
    AppointmentRef,
    CertificateRef,
    NotificationRef,
    SessionRef,
    SignupRef,
    TeamRef,
)
from api.graphql.types.webhook import Webhook
from api.infra import rows

_SIGNUP = rows.reader_of(models.Signup)
_SHIFT = rows.reader_of(models.Shift)
_EVENT = rows.reader_of(models.Event)
_MY_SHIFTS_SOURCE = (
    '"signup" LEFT OUTER JOIN "shift" "signup__shift"'
    ' ON "signup__shift"."id" = "signup"."shift_id"'
    ' LEFT OUTER JOIN "event" "signup__shift__event"'
    ' ON "signup__shift__event"."id" = "signup__shift"."event_id"'
)
_my_shifts_columns: dict[tuple[bool, bool], str] = {}


def _my_shifts(where: tuple[str, list[Any]], hours: bool, places: bool) -> RowList:
    """A volunteer's sign-ups with their shifts and events (and, when asked, hours and
    waitlist places) in one statement, its text written once per shape."""
    columns = _my_shifts_columns.get((hours, places))
    if columns is None:
        place = waitlist.position_sql('"signup"')
        columns = (
            f"{_SIGNUP.columns('signup')},{_SHIFT.columns('signup__shift')},"
            f"{_EVENT.columns('signup__shift__event')}"
            + (f",{SIGNUP_HOURS_SQL}" if hours else "")
            + (f",{place}" if places else "")
        )
        _my_shifts_columns[hours, places] = columns
    signup, shift, event = _SIGNUP.converter(), _SHIFT.converter(), _EVENT.converter()
    at_shift = len(_SIGNUP.names)
    at_event = at_shift + len(_SHIFT.names)
    extra = at_event + len(_EVENT.names)
    shift_id = at_shift + _SHIFT.names.index("id")
    event_id = at_event + _EVENT.names.index("id")

    def build(row: Sequence[Any]) -> models.Signup:
        made = signup(row)
        values = made.__dict__
        joined = None if row[shift_id] is None else shift(row, at_shift)
        if joined is not None:
            joined.__dict__["_event"] = None if row[event_id] is None else event(row, at_event)
        values["_shift"] = joined
        at = extra
        if hours:
            values[SIGNUP_HOURS] = row[at]
            at += 1
        if places:
            values[PLACE] = row[at]
        return made

    return RowList(
        columns=columns,
        source=_MY_SHIFTS_SOURCE,
        condition=where[0],
        values=where[1],
        order=[('"signup"."id"', "id", int)],
        build=build,
    )


@strawberry.type(description="A volunteer's account.")
class Volunteer(Node):
    id: strawberry.ID = global_id("Volunteer")
    display_name: str = strawberry.field(
        description="The name the volunteer chose (昵称); public wherever they appear."
    )

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
        return visibility.admin_flag_of(info.context.actor, root)

    @strawberry.field(
        description="Sign-ups marked as not come (NO_SHOW): to the volunteer, their team "
        "leaders and admins; null for anyone else."
    )
    async def no_show_count(self, root: Parent[models.Volunteer], info: Info) -> int | None:
        found = await closing.reliability(info.context.actor, root.id)
        return found.no_shows if found else None

    @strawberry.field(
        description="Own cancellations of a confirmed seat within the late window before the "
        "start (self, team leaders, admins)."
    )
    async def late_cancellation_count(
        self, root: Parent[models.Volunteer], info: Info
    ) -> int | None:
        found = await closing.reliability(info.context.actor, root.id)
        return found.late_cancellations if found else None

    @strawberry.field(
        description="Your API tokens that still work, newest first (only on your own account).",
        graphql_type=list[ApiToken],
    )
    async def api_tokens(self, root: Parent[models.Volunteer], info: Info) -> list[models.ApiToken]:
        actor = info.context.actor
        if actor.id != root.id or actor.scopes is not None:
            return []
        return await api_tokens.tokens_of(actor)

    @strawberry.field(
        description="Your webhooks, oldest first (only on your own account; a token needs the "
        "WEBHOOKS scope).",
        graphql_type=list[Webhook],
    )
    async def webhooks(self, root: Parent[models.Volunteer], info: Info) -> list[models.Webhook]:
        return await webhooks.webhooks_of(info.context.actor, root.id)

    @strawberry.field(description="Total service hours: the sum of the hours ledger.")
    async def hours_total(self, root: Parent[models.Volunteer], info: Info) -> float:
        return await info.context.loaders.hours_total(root.id)

    @strawberry.field(
        description="The volunteer's sign-ups, oldest first (self, leaders, admins).",
        graphql_type=Connection[SignupRef],
    )
    async def signups(
        self,
        root: Parent[models.Volunteer],
        info: Info,
        first: First = None,
        after: After = None,
        status: Annotated[
            list[SignupStatus] | None,
            strawberry.argument(description="Only sign-ups in these states; all when omitted."),
        ] = None,
    ) -> Connection[models.Signup]:
        where = await signups.signups_of(info.context.actor, root.id, status)
        if where is None:
            return empty_connection()
        # Each sign-up's shift, event and hours come in the same statement ("my shifts").
        hours = wants_node_field(info, "hours")
        places = wants_node_field(info, "waitlistPosition")
        page: Connection[models.Signup] = await paginate_rows(
            _my_shifts(where, hours, places), first=first, after=after, with_total=wants_total(info)
        )
        loaders = info.context.loaders
        for edge in page.edges:
            shift = edge.node.shift
            loaders.shift.prime(shift.id, shift)
            loaders.event.prime(shift.event_id, shift.event)
            if hours:
                centihours = getattr(edge.node, SIGNUP_HOURS)
                loaders.signup_hours.prime(
                    edge.node.id, None if centihours is None else int(centihours) / 100
                )
            place = getattr(edge.node, PLACE) if places else None
            if place is not None:
                loaders.waitlist_position.prime(edge.node.id, int(place))
        return page

    @strawberry.field(
        description="The teams this volunteer belongs to (self, leaders, admins).",
        graphql_type=list[TeamRef],
    )
    async def teams(self, root: Parent[models.Volunteer], info: Info) -> list[models.Team]:
        return await teams.teams_of(info.context.actor, root.id)

    @strawberry.field(
        description="The volunteer's notifications, newest first (self only).",
        graphql_type=Connection[NotificationRef],
    )
    async def notifications(
        self,
        root: Parent[models.Volunteer],
        info: Info,
        first: First = None,
        after: After = None,
        unread_only: Annotated[
            bool | None,
            strawberry.argument(description="True: only notifications not yet marked read."),
        ] = None,
    ) -> Connection[models.Notification]:
        return await notifications_of(info, root.id, first, after, bool(unread_only))

    @strawberry.field(
        description="Where the volunteer is logged in, most recently used first (self only).",
        graphql_type=list[SessionRef],
    )
    async def sessions(
        self, root: Parent[models.Volunteer], info: Info
    ) -> list[models.UserSession]:
        return await sessions.sessions_seen_by(info.context.actor, root.id)

    @strawberry.field(description="Unread notifications (self only; 0 for anyone else).")
    async def unread_notification_count(self, root: Parent[models.Volunteer], info: Info) -> int:
        return await notifications.unread_count_seen_by(
            info.context.actor, root.id, info.context.loaders.unread_count
        )

    @strawberry.field(
        description="The URL of the volunteer's private iCalendar feed of their shifts (self "
        "only); `resetCalendarToken` replaces it."
    )
    async def calendar_url(self, root: Parent[models.Volunteer], info: Info) -> str | None:
        return await calendar_feed.feed_url_for(info.context.actor, root)

    @strawberry.field(
        description="The volunteer's certificates of service hours, newest first (self, "
        "leaders, admins; empty for anyone else).",
        graphql_type=list[CertificateRef],
    )
    async def certificates(
        self, root: Parent[models.Volunteer], info: Info
    ) -> list[models.Certificate]:
        if not await info.context.loaders.has_any(root.id, "certificates"):
            return []  # most volunteers have none: no statement of their own
        return await certificates.certificates_of(info.context.actor, root.id)

    @strawberry.field(
        description="The resident's appointments, soonest first (self only).",
        graphql_type=Connection[AppointmentRef],
    )
    async def appointments(
        self,
        root: Parent[models.Volunteer],
        info: Info,
        first: First = None,
        after: After = None,
    ) -> Connection[models.Appointment]:
        queryset = appointments.appointments_of(info.context.actor, root.id)
        if queryset is None or not await info.context.loaders.has_any(root.id, "appointments"):
            return empty_connection()
        page: Connection[models.Appointment] = await paginate(
            queryset.select_related("event"),
            first=first,
            after=after,
            order=(("starts_at", datetime), ("id", int)),
            with_total=wants_total(info),
        )
        for edge in page.edges:
            info.context.loaders.event.prime(edge.node.event_id, edge.node.event)
        return page

"""Sign-ups: one volunteer on one shift."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime

import strawberry
from strawberry import Parent

from api import models
from api.domain import checkin, waitlist
from api.graphql.context import Info
from api.graphql.errors import present
from api.graphql.types.enums import SignupStatus
from api.graphql.types.node import Node, global_id
from api.graphql.types.refs import ShiftRef, VolunteerRef


@strawberry.type(description="One volunteer on one shift.")
class Signup(Node):
    id: strawberry.ID = global_id("Signup")
    status: SignupStatus = strawberry.field(
        description="CONFIRMED, WAITLISTED, CANCELLED, ATTENDED or NO_SHOW."
    )
    created_at: datetime = strawberry.field(
        description="When the volunteer signed up (the first time, if they signed up again)."
    )
    checked_in_at: datetime | None = strawberry.field(
        description="When they checked in on site (签到); null until then."
    )

    @classmethod
    def is_type_of(cls, obj: object, info: object) -> bool:
        return isinstance(obj, models.Signup)

    @strawberry.field(description="The shift signed up for.", graphql_type=ShiftRef)
    def shift(self, root: Parent[models.Signup], info: Info) -> Awaitable[models.Shift]:
        return present(info.context.loaders.shift.load(root.shift_id), "shift")

    @strawberry.field(description="Who signed up.", graphql_type=VolunteerRef)
    def volunteer(
        self, root: Parent[models.Signup], info: Info
    ) -> Awaitable[models.Volunteer | None]:
        return info.context.loaders.volunteer.load(root.volunteer_id)

    @strawberry.field(
        description="Whether the volunteer can check in now (confirmed, window open)."
    )
    async def can_check_in(self, root: Parent[models.Signup], info: Info) -> bool:
        shift = await info.context.loaders.shift.load(root.shift_id)
        return shift is not None and checkin.can_check_in(root, shift)

    @strawberry.field(
        description="1-based place in the waitlist while WAITLISTED, else null.",
        graphql_type=int | None,
    )
    def waitlist_position(
        self, root: Parent[models.Signup], info: Info
    ) -> Awaitable[int | None] | None:
        if not waitlist.has_position(root):
            return None
        return info.context.loaders.waitlist_position.load(root.id)

    @strawberry.field(
        description="Service hours credited (from the hours ledger).", graphql_type=float | None
    )
    def hours(self, root: Parent[models.Signup], info: Info) -> Awaitable[float | None]:
        return info.context.loaders.signup_hours.load(root.id)

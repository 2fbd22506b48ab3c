"""Residents' appointments: slots (leaders), bookings (residents; leaders for neighbours
without a phone), cancelling, and marking a resident served on site."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from api import models
from api.domain import appointments
from api.graphql.context import Info
from api.graphql.errors import USER_ERRORS, UserError
from api.graphql.mutations.payloads import INPUT, EventPayload, answer
from api.graphql.types.refs import AppointmentRef
from api.http.ids import decode_id_of


@strawberry.type(description="The answer to an appointment mutation (预约).")
class AppointmentPayload:
    appointment: models.Appointment | None = strawberry.field(
        description="The appointment after the change; null on failure.",
        graphql_type=AppointmentRef | None,
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)

    @classmethod
    def of(
        cls, appointment: models.Appointment | None, user_errors: list[UserError]
    ) -> AppointmentPayload:
        return cls(appointment=appointment, user_errors=user_errors)


@strawberry.input(
    description="Cutting an event's service time into bookable slots (预约时段), replacing "
    "the slots nobody booked."
)
class SetAppointmentSlotsInput:
    event_id: strawberry.ID = strawberry.field(description="The event (an Event id).")
    starts_at: datetime = strawberry.field(description="Start of the first slot.")
    ends_at: datetime = strawberry.field(description="End of the last slot.")
    minutes_each: int = strawberry.field(description="Each slot's length (5–480 minutes).")
    places: int = strawberry.field(description="Residents served at once (chairs, doctors).")


@strawberry.input(description="A resident booking a slot for themselves.")
class BookAppointmentInput:
    slot_id: strawberry.ID = strawberry.field(description="The slot (an AppointmentSlot id).")
    idempotency_key: str = strawberry.field(
        description="Chosen by the client and reused on every retry: one booking per key."
    )
    note: str | None = strawberry.field(default=None, description="For the volunteers (≤ 200).")


@strawberry.input(
    description="A leader booking a slot for a neighbour without an account (e.g. by phone)."
)
class BookAppointmentForResidentInput:
    slot_id: strawberry.ID = strawberry.field(description="The slot (an AppointmentSlot id).")
    idempotency_key: str = strawberry.field(
        description="Chosen by the client and reused on every retry: one booking per key."
    )
    name: str = strawberry.field(description="The neighbour's name.")
    compound_id: strawberry.ID | None = strawberry.field(
        default=None, description="The neighbour's compound (小区)."
    )
    building: str | None = strawberry.field(default=None, description="Building and flat.")
    phone: str | None = strawberry.field(
        default=None, description="The neighbour's phone, for the volunteers to call back."
    )
    home_visit: bool = strawberry.field(
        default=False, description="Served at home (上门服务): HAIRCUT, CLINIC, REPAIR, LEGAL_AID."
    )
    address: str | None = strawberry.field(default=None, description="Required for a home visit.")
    note: str | None = strawberry.field(
        default=None, description="For the volunteers (≤ 200 characters)."
    )


@strawberry.input(description="One appointment.")
class AppointmentIdInput:
    appointment_id: strawberry.ID = strawberry.field(
        description="The appointment (an Appointment id)."
    )


@strawberry.type
class AppointmentMutations:
    @strawberry.mutation(
        description="Leaders and admins: cuts startsAt–endsAt into slots of minutesEach with "
        "so many places each (at most 200 slots), replacing the slots that hold no bookings."
    )
    async def set_appointment_slots(
        self, info: Info, input: Annotated[SetAppointmentSlotsInput, INPUT]
    ) -> EventPayload:
        return await answer(
            EventPayload.of,
            lambda: appointments.set_slots(
                info.context.actor,
                decode_id_of(input.event_id, "Event", "eventId"),
                appointments.SlotPlan(
                    input.starts_at, input.ends_at, input.minutes_each, input.places
                ),
            ),
        )

    @strawberry.mutation(
        description="A resident books a slot: BOOKED, or SLOT_FULL, SCHEDULE_CONFLICT (another "
        "appointment at that time), ALREADY_BOOKED (one per event). Idempotent."
    )
    async def book_appointment(
        self, info: Info, input: Annotated[BookAppointmentInput, INPUT]
    ) -> AppointmentPayload:
        return await answer(
            AppointmentPayload.of,
            lambda: appointments.book(
                info.context.actor,
                decode_id_of(input.slot_id, "AppointmentSlot", "slotId"),
                input.idempotency_key,
                input.note,
            ),
        )

    @strawberry.mutation(
        description="The event's leaders and admins book for a neighbour without a phone, "
        "perhaps as a home visit. Idempotent."
    )
    async def book_appointment_for_resident(
        self, info: Info, input: Annotated[BookAppointmentForResidentInput, INPUT]
    ) -> AppointmentPayload:
        async def work() -> models.Appointment:
            compound = (
                decode_id_of(input.compound_id, "Community", "compoundId")
                if input.compound_id
                else None
            )
            return await appointments.book_for_resident(
                info.context.actor,
                decode_id_of(input.slot_id, "AppointmentSlot", "slotId"),
                input.idempotency_key,
                appointments.Neighbour(
                    name=input.name,
                    compound_id=compound,
                    building=input.building,
                    phone=input.phone,
                    home_visit=input.home_visit,
                    address=input.address,
                ),
                input.note,
            )

        return await answer(AppointmentPayload.of, work)

    @strawberry.mutation(
        description="The resident (until the slot starts), the event's leaders or admins: "
        "frees the place."
    )
    async def cancel_appointment(
        self, info: Info, input: Annotated[AppointmentIdInput, INPUT]
    ) -> AppointmentPayload:
        return await answer(
            AppointmentPayload.of,
            lambda: appointments.cancel(
                info.context.actor,
                decode_id_of(input.appointment_id, "Appointment", "appointmentId"),
            ),
        )

    @strawberry.mutation(description="On site, the event's leaders: the resident was served.")
    async def mark_appointment_served(
        self, info: Info, input: Annotated[AppointmentIdInput, INPUT]
    ) -> AppointmentPayload:
        return await answer(
            AppointmentPayload.of,
            lambda: appointments.mark_served(
                info.context.actor,
                decode_id_of(input.appointment_id, "Appointment", "appointmentId"),
            ),
        )

"""The object types by reference, for `graphql_type=`.

Resolvers return ORM rows (`models.Event`), so their annotations say what Python really
returns, and `graphql_type=EventRef` says which GraphQL type the row is shown as. The references
are lazy: the type modules never import each other in a circle, whatever refers to what."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

if TYPE_CHECKING:
    from api.graphql.types.accounts import Session
    from api.graphql.types.appointment import Appointment, AppointmentSlot
    from api.graphql.types.certificate import Certificate
    from api.graphql.types.community import Community
    from api.graphql.types.event import Event, EventSeries, Shift
    from api.graphql.types.notification import Notification
    from api.graphql.types.signup import Signup
    from api.graphql.types.team import Team
    from api.graphql.types.volunteer import Volunteer

CommunityRef = Annotated["Community", strawberry.lazy("api.graphql.types.community")]
TeamRef = Annotated["Team", strawberry.lazy("api.graphql.types.team")]
EventRef = Annotated["Event", strawberry.lazy("api.graphql.types.event")]
EventSeriesRef = Annotated["EventSeries", strawberry.lazy("api.graphql.types.event")]
ShiftRef = Annotated["Shift", strawberry.lazy("api.graphql.types.event")]
SignupRef = Annotated["Signup", strawberry.lazy("api.graphql.types.signup")]
VolunteerRef = Annotated["Volunteer", strawberry.lazy("api.graphql.types.volunteer")]
AppointmentSlotRef = Annotated["AppointmentSlot", strawberry.lazy("api.graphql.types.appointment")]
AppointmentRef = Annotated["Appointment", strawberry.lazy("api.graphql.types.appointment")]
NotificationRef = Annotated["Notification", strawberry.lazy("api.graphql.types.notification")]
SessionRef = Annotated["Session", strawberry.lazy("api.graphql.types.accounts")]
CertificateRef = Annotated["Certificate", strawberry.lazy("api.graphql.types.certificate")]

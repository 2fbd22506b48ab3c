"""The object types, one module per type family.

Scalar fields are plain attributes of the ORM rows (cheap); relations and counts go through the
request's DataLoaders (one query per relation, whatever the page). Resolvers return ORM rows
and name the GraphQL type they are shown as with `graphql_type=` (`refs`), so the type modules
never import each other in a circle. Who may see what, and which rows a list holds, are
decided in `api.domain`; a resolver asks the domain and maps the answer.

    node          the `Node` interface and global ids
    enums         the model enums, exposed as GraphQL enums
    stats         ServiceStats: what a team or a community achieved
    community     Community
    event         Event, Shift, EventSeries, Location, EventFilter; pages of events
    team          Team
    signup        Signup
    notification  Notification
    volunteer     Volunteer
"""

from api.graphql.types.community import Community
from api.graphql.types.enums import (
    CommunityLevel,
    EventKind,
    EventStatus,
    NotificationKind,
    SignupStatus,
    TeamRole,
)
from api.graphql.types.event import (
    Event,
    EventFilter,
    EventSeries,
    Location,
    Shift,
    event_connection,
)
from api.graphql.types.node import Node
from api.graphql.types.notification import Notification
from api.graphql.types.signup import Signup
from api.graphql.types.stats import ServiceStats
from api.graphql.types.team import Team
from api.graphql.types.volunteer import Volunteer

__all__ = [
    "Community",
    "CommunityLevel",
    "Event",
    "EventFilter",
    "EventKind",
    "EventSeries",
    "EventStatus",
    "Location",
    "Node",
    "Notification",
    "NotificationKind",
    "ServiceStats",
    "Shift",
    "Signup",
    "SignupStatus",
    "Team",
    "TeamRole",
    "Volunteer",
    "event_connection",
]

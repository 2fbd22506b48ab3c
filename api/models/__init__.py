"""Tortoise models, one module per aggregate."""

from api.models.account import (
    PhoneCode,
    PhoneCodePurpose,
    PhoneCodeRequest,
    SmsMessage,
    UserSession,
)
from api.models.appointment import Appointment, AppointmentSlot, AppointmentStatus
from api.models.catalog import CatalogVersion
from api.models.certificate import Certificate
from api.models.change_log import ChangeLogEntry, ChangeLogHorizon
from api.models.community import Community, CommunityLevel
from api.models.event import Event, EventKind, EventSeries, EventStatus, Shift
from api.models.hours import HoursEntry, HoursMethod
from api.models.notification import Notification, NotificationKind, ReminderDispatch
from api.models.outbox import DomainEvent
from api.models.rate_limit import RateLimitUsage
from api.models.signup import Signup, SignupStatus
from api.models.team import Team, TeamMembership, TeamRole
from api.models.throttle import ThrottleFailure
from api.models.volunteer import ApiToken, Volunteer
from api.models.webhook import Webhook, WebhookAttempt, WebhookDelivery

__all__ = [
    "ApiToken",
    "Appointment",
    "AppointmentSlot",
    "AppointmentStatus",
    "CatalogVersion",
    "ChangeLogEntry",
    "ChangeLogHorizon",
    "Certificate",
    "Community",
    "CommunityLevel",
    "DomainEvent",
    "Event",
    "EventKind",
    "EventSeries",
    "EventStatus",
    "HoursEntry",
    "HoursMethod",
    "Notification",
    "PhoneCode",
    "PhoneCodePurpose",
    "PhoneCodeRequest",
    "RateLimitUsage",
    "NotificationKind",
    "ReminderDispatch",
    "Shift",
    "Signup",
    "SignupStatus",
    "SmsMessage",
    "Team",
    "TeamMembership",
    "TeamRole",
    "ThrottleFailure",
    "UserSession",
    "Volunteer",
    "Webhook",
    "WebhookAttempt",
    "WebhookDelivery",
]

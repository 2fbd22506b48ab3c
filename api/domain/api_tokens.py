"""API tokens for third parties: scoped, expiring, listed and revocable by their owner.

Only a SHA-256 digest of the secret is stored; the secret is shown once, at creation. A
token acts for its owner within its scopes: `READ_PUBLIC` (published events, teams,
places), `READ_PERSONAL` (the owner's own and, for leaders, their members' personal data),
`WRITE_SIGNUPS` (sign-ups, check-in, joining teams), `WRITE_ORGANIZING` (everything a
leader or admin does), `WEBHOOKS`. Account operations (log-in, passwords, tokens) need a
session: a leaked token cannot mint another or change the password."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from api.domain.actors import Actor
from api.domain.errors import DomainError, ErrorCode, Validator
from api.infra import clock
from api.infra.i18n import N_
from api.models import ApiToken, Volunteer

MAX_TOKENS = 20
MAX_DAYS = 730
LAST_USED_GRANULARITY = timedelta(minutes=5)  # a read writes at most this often


class ApiScope(StrEnum):
    READ_PUBLIC = "READ_PUBLIC"
    READ_PERSONAL = "READ_PERSONAL"
    WRITE_SIGNUPS = "WRITE_SIGNUPS"
    WRITE_ORGANIZING = "WRITE_ORGANIZING"
    WEBHOOKS = "WEBHOOKS"


#: What a token made before scopes existed may do (the database default of the column).
LEGACY_SCOPES = (
    ApiScope.READ_PUBLIC,
    ApiScope.READ_PERSONAL,
    ApiScope.WRITE_SIGNUPS,
    ApiScope.WRITE_ORGANIZING,
)

#: Mutations a token may call with WRITE_SIGNUPS; account mutations need a session; every
#: other mutation needs WRITE_ORGANIZING (the safe default for a mutation added later).
SIGNUP_MUTATIONS = frozenset(
    {
        "signUp",
        "cancelSignup",
        "checkIn",
        "joinTeam",
        "leaveTeam",
        "markNotificationsRead",
        "bookAppointment",
        "cancelAppointment",
    }
)
SESSION_MUTATIONS = frozenset(
    {
        "logIn",
        "logInWithCode",
        "logOut",
        "logOutEverywhere",
        "register",
        "requestPhoneCode",
        "resetPassword",
        "changePassword",
        "createApiToken",
        "revokeApiToken",
        "resetCalendarToken",
    }
)
WEBHOOK_MUTATIONS = frozenset(
    {"createWebhook", "updateWebhook", "deleteWebhook", "redeliverWebhook"}
)


def scope_for_mutation(field_name: str) -> ApiScope | None:
    """The scope a token needs for a mutation; None: no token may call it."""
    if field_name in SESSION_MUTATIONS:
        return None
    if field_name in SIGNUP_MUTATIONS:
        return ApiScope.WRITE_SIGNUPS
    if field_name in WEBHOOK_MUTATIONS:
        return ApiScope.WEBHOOKS
    return ApiScope.WRITE_ORGANIZING


def missing_scope(actor: Actor, mutation_fields: list[str]) -> str | None:
    """What keeps this token from these mutations (None: allowed, or not a token)."""
    if actor.scopes is None:
        return None
    for name in mutation_fields:
        needed = scope_for_mutation(name)
        if needed is None:
            return f"{name} needs a logged-in session, not an API token."
        if needed not in actor.scopes:
            return f"This API token lacks the {needed} scope (for {name})."
    return None


def read_refusal(actor: Actor) -> str | None:
    """Why the actor may not read (a token without a read scope), or None."""
    if actor.scopes is None or actor.scopes & {ApiScope.READ_PUBLIC, ApiScope.READ_PERSONAL}:
        return None
    return "This API token has no read scope (READ_PUBLIC or READ_PERSONAL)."


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def scopes_of(row: ApiToken) -> list[ApiScope]:
    return [ApiScope(s) for s in row.scopes.split(",") if s in ApiScope.__members__]


@dataclass(frozen=True)
class Bearer:
    volunteer: Volunteer
    scopes: frozenset[str]
    token_id: int | None = None


async def create_token(
    actor: Actor, name: str, scopes: list[ApiScope], expires_in_days: int | None
) -> tuple[str, ApiToken]:
    """A new token for the actor (a session, not another token): its secret, once."""
    volunteer = actor.require_volunteer()
    if actor.scopes is not None:
        raise DomainError(ErrorCode.FORBIDDEN, N_("API tokens are made from a logged-in session."))
    v = Validator()
    clean = v.text(name, "name", max_length=100, label=N_("The name"))
    wanted = sorted(set(scopes))
    v.check(bool(wanted), N_("Choose at least one scope."), "scopes")
    if expires_in_days is not None:
        v.check(
            1 <= expires_in_days <= MAX_DAYS,
            N_("Expiry is 1–%(n)s days (or none).", n=MAX_DAYS),
            "expiresInDays",
        )
    v.raise_if_any()
    live = await ApiToken.filter(volunteer_id=volunteer.id, revoked_at=None).count()
    if live >= MAX_TOKENS:
        raise DomainError(
            ErrorCode.INVALID_STATE,
            N_("At most %(n)s tokens: revoke one you no longer use.", n=MAX_TOKENS),
        )
    secret = "linli_" + secrets.token_urlsafe(32)
    now = clock.now()
    row = await ApiToken.create(
        volunteer_id=volunteer.id,
        name=clean,
        token_digest=_digest(secret),
        scopes=",".join(wanted),
        expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    return secret, row


async def create_token_for(
    volunteer: Volunteer, name: str, scopes: list[ApiScope], expires_in_days: int | None
) -> tuple[str, ApiToken]:
    """The command line's door (the operator acts for the account)."""
    return await create_token(Actor(volunteer=volunteer), name, scopes, expires_in_days)


async def tokens_of(actor: Actor) -> list[ApiToken]:
    """The actor's own tokens that still work, newest first (never the secrets)."""
    volunteer = actor.require_volunteer()
    now = clock.now()
    rows = await ApiToken.filter(volunteer_id=volunteer.id, revoked_at=None).order_by("-id")
    return [r for r in rows if r.expires_at is None or r.expires_at > now]


async def revoke_token(actor: Actor, token_id: int) -> ApiToken:
    """The owner (or an admin) revokes a token; it answers 401 from then on."""
    volunteer = actor.require_volunteer()
    row = await ApiToken.get_or_none(id=token_id)
    if row is None or (row.volunteer_id != volunteer.id and not actor.is_admin):
        raise DomainError(ErrorCode.NOT_FOUND, N_("No such token."), ["id"])
    if actor.scopes is not None:
        raise DomainError(ErrorCode.FORBIDDEN, N_("Tokens are revoked from a logged-in session."))
    await ApiToken.filter(id=row.id, revoked_at=None).update(revoked_at=clock.now())
    return await ApiToken.get(id=row.id)


async def bearer(secret: str) -> Bearer | None:
    """The account and scopes behind a secret; None when unknown, revoked or expired."""
    if not secret or len(secret) > 200:
        return None
    row = await ApiToken.get_or_none(token_digest=_digest(secret), revoked_at=None).select_related(
        "volunteer"
    )
    now = clock.now()
    if row is None or (row.expires_at is not None and row.expires_at <= now):
        return None
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_GRANULARITY:
        await _touch(row.id, now)
    return Bearer(volunteer=row.volunteer, scopes=frozenset(scopes_of(row)), token_id=row.id)


async def _touch(token_id: int, now: datetime) -> None:
    """Best effort: a read must not fail because the database refuses a write."""
    try:
        await ApiToken.filter(id=token_id).update(last_used_at=now)
    except Exception:  # a read-only or busy database: the read goes on
        return


async def owner_of(token_id: int) -> Volunteer | None:
    """The account a token acts for (the command line revokes by number)."""
    row = await ApiToken.get_or_none(id=token_id).select_related("volunteer")
    return row.volunteer if row else None

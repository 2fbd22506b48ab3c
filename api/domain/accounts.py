"""Accounts: registering, logging in (throttled), creating admins from the shell."""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from datetime import timedelta

from tortoise.exceptions import IntegrityError

from api.domain import throttle
from api.domain.errors import DomainError, ErrorCode, Validator
from api.infra.passwords import hash_password, needs_rehash, verify_password
from api.models import ApiToken, Volunteer
from api.settings import get_settings

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
PASSWORD_MIN, PASSWORD_MAX = 8, 128
# Verifying against this keeps a log-in for an unknown phone as slow as for a known one.
_DUMMY_HASH: str | None = None


def normalize_phone(phone: str) -> str:
    digits = re.sub(r"[\s\-()]", "", phone or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return digits


def _validate_new_account(phone: str, password: str, display_name: str) -> tuple[str, str]:
    v = Validator()
    phone = normalize_phone(phone)
    v.check(
        bool(PHONE_RE.match(phone)),
        "Enter an 11-digit mainland mobile number, e.g. 13800000000.",
        "phone",
    )
    v.check(
        PASSWORD_MIN <= len(password or "") <= PASSWORD_MAX,
        f"The password must be {PASSWORD_MIN}–{PASSWORD_MAX} characters long.",
        "password",
    )
    name = v.text(display_name, "displayName", max_length=50, label="The display name")
    v.raise_if_any()
    return phone, name or ""


async def create_volunteer(
    phone: str, password: str, display_name: str, *, is_admin: bool = False
) -> Volunteer:
    phone, name = _validate_new_account(phone, password, display_name)
    if await Volunteer.filter(phone=phone).exists():
        raise DomainError(
            ErrorCode.PHONE_TAKEN, "This phone number is already registered.", ["phone"]
        )
    password_hash = await asyncio.to_thread(hash_password, password)
    try:
        return await Volunteer.create(
            phone=phone, password_hash=password_hash, display_name=name, is_admin=is_admin
        )
    except IntegrityError as exc:  # registered at the same moment by another request
        raise DomainError(
            ErrorCode.PHONE_TAKEN, "This phone number is already registered.", ["phone"]
        ) from exc


async def register(phone: str, password: str, display_name: str) -> Volunteer:
    return await create_volunteer(phone, password, display_name)


async def log_in(phone: str, password: str, client_address: str) -> Volunteer:
    settings = get_settings()
    phone = normalize_phone(phone)
    keys = [f"login:phone:{phone}", f"login:addr:{client_address}"]
    window = timedelta(seconds=settings.login_failure_window_seconds)
    await throttle.check(keys[:1], settings.login_failures_per_phone, window, "log-ins")
    await throttle.check(keys[1:], settings.login_failures_per_address, window, "log-ins")
    volunteer = await Volunteer.get_or_none(phone=phone)
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = await asyncio.to_thread(hash_password, secrets.token_hex(8))
    stored = volunteer.password_hash if volunteer else _DUMMY_HASH
    ok = await asyncio.to_thread(verify_password, stored, password or "")
    if volunteer is None or not ok:
        await throttle.record_failure(keys)
        raise DomainError(ErrorCode.BAD_CREDENTIALS, "Wrong phone number or password.")
    await throttle.clear(keys[:1])
    await _rehash_if_outdated(volunteer, password)
    return volunteer


async def _rehash_if_outdated(volunteer: Volunteer, password: str) -> None:
    """After a good log-in, a hash made with older argon2 parameters is replaced by one made
    with the current parameters (the plain password is only known at this moment)."""
    if not needs_rehash(volunteer.password_hash):
        return
    fresh = await asyncio.to_thread(hash_password, password)
    # Only if it is still the hash just verified (a password change meanwhile wins).
    await Volunteer.filter(id=volunteer.id, password_hash=volunteer.password_hash).update(
        password_hash=fresh
    )
    volunteer.password_hash = fresh


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_api_token(volunteer: Volunteer, name: str) -> str:
    """Creates a bearer token; the plain token is shown once and only its digest is kept."""
    token = "linli_" + secrets.token_urlsafe(32)
    await ApiToken.create(volunteer=volunteer, name=name[:100], token_digest=_digest(token))
    return token


async def volunteer_for_token(token: str) -> Volunteer | None:
    row = await ApiToken.get_or_none(token_digest=_digest(token), revoked_at=None).select_related(
        "volunteer"
    )
    return row.volunteer if row else None


async def volunteer_with_phone(phone: str) -> Volunteer | None:
    """The account registered with `phone` (written in any accepted form), if any."""
    return await Volunteer.get_or_none(phone=normalize_phone(phone))

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
from api.models import Volunteer
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


def checked_phone(v: Validator, phone: str, field: str = "phone") -> str:
    """The phone number in its stored form; a problem is noted in `v`."""
    phone = normalize_phone(phone)
    v.check(
        bool(PHONE_RE.match(phone)),
        "Enter an 11-digit mainland mobile number, e.g. 13800000000.",
        field,
    )
    return phone


def _validate_new_account(phone: str, password: str, display_name: str) -> tuple[str, str]:
    v = Validator()
    phone = checked_phone(v, phone)
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


def _phone_part(phone: str) -> str:
    # Anything typed is counted, but a key stays short (the column holds 150 characters).
    if PHONE_RE.match(phone):
        return phone
    return "~" + hashlib.sha256(phone.encode()).hexdigest()[:24]


def _phone_key(phone: str) -> str:
    return f"login:phone:{_phone_part(phone)}"


def _login_limits(phone: str, client_address: str, *, code_verified: bool) -> list[throttle.Limit]:
    """Failed log-ins are counted per phone at one address, per address, and per phone from
    every address. The first two refuse (RATE_LIMITED) only the address they come from, so a
    burst from one address never locks the owner out elsewhere; the third, set above what one
    address may reach, asks for an SMS code as well (CODE_REQUIRED) instead of refusing."""
    settings = get_settings()
    window = timedelta(seconds=settings.login_failure_window_seconds)
    address = client_address[:64]
    limits = [
        throttle.Limit(
            f"login:phone-addr:{_phone_part(phone)}|{address}",
            settings.login_failures_per_phone,
            window,
        ),
        throttle.Limit(f"login:addr:{address}", settings.login_failures_per_address, window),
    ]
    if not code_verified:
        limits.append(
            throttle.Limit(
                _phone_key(phone),
                settings.login_failures_per_phone_before_code,
                window,
                ErrorCode.CODE_REQUIRED,
                "Too many wrong passwords for this phone number: "
                "log in with a code sent to it by SMS.",
            )
        )
    return limits


async def password_login_needs_code(phone: str) -> bool:
    """True when so many passwords were wrong for this phone (from many addresses) that a
    password alone no longer logs in: an SMS code must be given as well."""
    settings = get_settings()
    window = timedelta(seconds=settings.login_failure_window_seconds)
    counted = await throttle.failures(_phone_key(normalize_phone(phone)), window)
    return counted >= settings.login_failures_per_phone_before_code


async def log_in(
    phone: str, password: str, client_address: str, *, code_verified: bool = False
) -> Volunteer:
    """The account for phone and password. `code_verified`: the caller has checked an SMS code
    for this phone, which lifts the phone-wide CODE_REQUIRED limit (not the per-address ones).

    The throttle decides before the password is verified, atomically (see `throttle`): of 30
    wrong passwords sent at once, at most the limit are verified."""
    phone = normalize_phone(phone)
    limits = _login_limits(phone, client_address, code_verified=code_verified)
    attempt = await throttle.attempt(limits, "log-ins")
    volunteer = await Volunteer.get_or_none(phone=phone)
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = await asyncio.to_thread(hash_password, secrets.token_hex(8))
    stored = volunteer.password_hash if volunteer else _DUMMY_HASH
    ok = await asyncio.to_thread(verify_password, stored, password or "")
    if volunteer is None or not ok:
        raise DomainError(ErrorCode.BAD_CREDENTIALS, "Wrong phone number or password.")
    await attempt.succeeded()
    await throttle.clear([limits[0].key])  # this phone's earlier typos at this address
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


async def volunteer_with_phone(phone: str) -> Volunteer | None:
    """The account registered with `phone` (written in any accepted form), if any."""
    return await Volunteer.get_or_none(phone=normalize_phone(phone))

"""Accounts: registering (with a verified phone), logging in by password (throttled) or by SMS
code, resetting and changing passwords, creating admins from the shell."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from datetime import timedelta

from tortoise.exceptions import IntegrityError

from api.domain import phone_codes, sessions, throttle
from api.domain.errors import DomainError, ErrorCode, Validator
from api.domain.phone_codes import PHONE_RE, normalize_phone
from api.infra import clock
from api.infra.passwords import hash_password, needs_rehash, verify_password
from api.models import PhoneCodePurpose, Volunteer
from api.settings import get_settings

__all__ = ["PHONE_RE", "normalize_phone"]

PASSWORD_MAX = 128
# Verifying against this keeps a log-in for an unknown phone as slow as for a known one.
_DUMMY_HASH: str | None = None
# Passwords common among Chinese users that zxcvbn's (English) lists do not know.
_COMMON_HERE = frozenset(
    """woaini1314 woaini520 5201314 1314520 woaini123 iloveyou1314 qq123456 qq5201314
    a123456 a12345678 aa123456 abc123456 123456abc 1qaz2wsx 1q2w3e4r zxcvbnm123 asd123456
    wang123456 zhang123456 li123456 liu123456 chen123456 huang123456 yang123456 zhao123456
    88888888 66666666 11223344 147258369 123456789 1234567890 987654321 password1
    nihao123 nihao123456 woshishui beijing2008 zhongguo""".split()
)


def check_new_password(
    v: Validator, password: str, field: str, *, phone: str = "", name: str = ""
) -> None:
    """Length, then strength: zxcvbn's estimate (common passwords, words, keyboard walks,
    dates, the person's own phone and name) must reach "somewhat guessable" or better."""
    minimum = get_settings().accounts.password_min_length
    password = password or ""
    if not minimum <= len(password) <= PASSWORD_MAX:
        v.fail(f"The password must be {minimum}–{PASSWORD_MAX} characters long.", field)
        return
    import zxcvbn  # imported here: its dictionaries take a moment to load

    inputs = [x for x in (phone, phone[-8:], name, "linli", "邻里") if x]
    weak = password.lower() in _COMMON_HERE or any(
        password.lower().startswith(x) and len(password) - len(x) <= 4 for x in inputs[:2]
    )
    if weak or zxcvbn.zxcvbn(password[:64], user_inputs=inputs)["score"] < 2:
        v.fail(
            "This password is too easy to guess. Add words or characters that are not "
            "a common password, your phone number or your name.",
            field,
        )


def checked_phone(v: Validator, phone: str, field: str = "phone") -> str:
    """The phone number in its stored form; a problem is noted in `v`."""
    phone = normalize_phone(phone)
    v.check(
        bool(PHONE_RE.match(phone)),
        "Enter an 11-digit mainland mobile number, e.g. 13800000000.",
        field,
    )
    return phone


def _validate_new_account(
    phone: str, password: str, display_name: str, code: str | None = None
) -> tuple[str, str]:
    v = Validator()
    phone = checked_phone(v, phone)
    name = v.text(display_name, "displayName", max_length=50, label="The display name")
    check_new_password(v, password, "password", phone=phone, name=name or "")
    if code is not None:
        v.check(
            bool(phone_codes.CODE_RE.match(code.strip())),
            "Enter the six-digit code from the SMS.",
            "code",
        )
    v.raise_if_any()
    return phone, name or ""


async def create_volunteer(
    phone: str,
    password: str,
    display_name: str,
    *,
    is_admin: bool = False,
    code: str | None = None,
) -> Volunteer:
    """A new account. With `code`, the phone's REGISTER code must be right (and is used up)."""
    phone, name = _validate_new_account(phone, password, display_name, code)
    if code is not None:  # first: without the code, nothing tells whether the phone is taken
        await phone_codes.consume(phone, PhoneCodePurpose.REGISTER, code)
    if await Volunteer.filter(phone=phone).exists():
        raise DomainError(
            ErrorCode.PHONE_TAKEN, "This phone number is already registered.", ["phone"]
        )
    password_hash = await asyncio.to_thread(hash_password, password)
    try:
        return await Volunteer.create(
            phone=phone,
            password_hash=password_hash,
            display_name=name,
            is_admin=is_admin,
            phone_verified_at=clock.now() if code is not None else None,
        )
    except IntegrityError as exc:  # registered at the same moment by another request
        raise DomainError(
            ErrorCode.PHONE_TAKEN, "This phone number is already registered.", ["phone"]
        ) from exc


async def register(
    phone: str, password: str, display_name: str, code: str | None = None
) -> Volunteer:
    """Registration from the outside world: the phone's SMS code is required unless the
    deployment turned verification off (`LINLI_PHONE_VERIFICATION=off`)."""
    if get_settings().accounts.phone_verification:
        return await create_volunteer(phone, password, display_name, code=code or "")
    return await create_volunteer(phone, password, display_name)


async def request_phone_code(
    phone: str, purpose: PhoneCodePurpose, client_address: str
) -> phone_codes.CodeRequest:
    return await phone_codes.request_code(phone, purpose, client_address)


async def _verified(volunteer: Volunteer) -> Volunteer:
    volunteer.phone_verified_at = clock.now()
    await Volunteer.filter(id=volunteer.id).update(phone_verified_at=volunteer.phone_verified_at)
    return volunteer


async def log_in_with_code(phone: str, code: str) -> Volunteer:
    phone = normalize_phone(phone)
    await phone_codes.consume(phone, PhoneCodePurpose.LOG_IN, code)
    volunteer = await Volunteer.get_or_none(phone=phone)
    if volunteer is None:  # the code went to a number without an account: it never works
        raise DomainError(ErrorCode.BAD_PHONE_CODE, "That code is not right.", ["code"])
    await throttle.clear([_phone_key(phone)])  # the owner proved the phone: passwords again
    return await _verified(volunteer)


async def reset_password(phone: str, code: str, new_password: str) -> Volunteer:
    """A new password for the phone's owner, proven by SMS code; every session ends."""
    phone = normalize_phone(phone)
    v = Validator()
    check_new_password(v, new_password, "newPassword", phone=phone)
    v.raise_if_any()
    await phone_codes.consume(phone, PhoneCodePurpose.RESET_PASSWORD, code)
    volunteer = await Volunteer.get_or_none(phone=phone)
    if volunteer is None:
        raise DomainError(ErrorCode.BAD_PHONE_CODE, "That code is not right.", ["code"])
    volunteer.password_hash = await asyncio.to_thread(hash_password, new_password)
    await Volunteer.filter(id=volunteer.id).update(password_hash=volunteer.password_hash)
    await sessions.end_all(volunteer.id)
    await throttle.clear([_phone_key(phone)])  # the owner proved the phone: passwords again
    return await _verified(volunteer)


async def change_password(
    volunteer: Volunteer,
    current_password: str,
    new_password: str,
    client_address: str,
    *,
    session_id: int | None,
) -> Volunteer:
    """A new password for a logged-in volunteer who knows the current one; every other
    session ends (this one stays)."""
    v = Validator()
    check_new_password(
        v, new_password, "newPassword", phone=volunteer.phone, name=volunteer.display_name
    )
    v.raise_if_any()
    # The current password is checked under the log-in limits (a stolen session cannot
    # guess it faster than a log-in form could).
    attempt = await throttle.attempt(
        _login_limits(volunteer.phone, client_address, code_verified=False), "log-ins"
    )
    if not await asyncio.to_thread(
        verify_password, volunteer.password_hash, current_password or ""
    ):
        raise DomainError(
            ErrorCode.BAD_CREDENTIALS, "The current password is not right.", ["currentPassword"]
        )
    await attempt.succeeded()
    volunteer.password_hash = await asyncio.to_thread(hash_password, new_password)
    await Volunteer.filter(id=volunteer.id).update(password_hash=volunteer.password_hash)
    await sessions.end_all(volunteer.id, keep=session_id)
    return volunteer


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

"""Verified phones: six-digit one-time codes sent by SMS.

Rules (every number in `AccountSettings`):

* a code has six digits, is stored only as a keyed hash, expires after 5 minutes and may be
  tried 5 times; a new code replaces the previous one;
* one phone gets at most one code per 60 s (the resend cool-down) and a few per day; one
  client address may ask for a few dozen per day;
* the answer never reveals whether a number is registered: every accepted request sends one
  SMS. A number that cannot use the purpose (registering a number that has an account, logging
  in with one that has none) gets a message that says so instead of a code.

Everything that has to hold under parallel requests is one conditional UPDATE of the phone's
row: the cool-down and the daily cap (`_claim`), the tries (`consume`), using a code once.
The SMS itself is written to `SmsMessage` (the durable outbox); the caller hands it to the
gateway (`api.jobs.delivery`), and the scheduler retries what could not be sent.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from api.domain.errors import DomainError, ErrorCode, InvalidInput
from api.infra import clock
from api.infra.i18n import DEFAULT_LANGUAGE, N_, Text, supported
from api.models import PhoneCode, PhoneCodePurpose, PhoneCodeRequest, SmsMessage, Volunteer
from api.settings import SHANGHAI, AccountSettings, get_settings

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
CODE_RE = re.compile(r"^\d{6}$")


def normalize_phone(phone: str) -> str:
    digits = re.sub(r"[\s\-()]", "", phone or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return digits


def valid_phone(phone: str) -> bool:
    return bool(PHONE_RE.match(phone))


def _key() -> bytes:
    return hashlib.sha256(b"linli.phone-code\0" + get_settings().secret_key.encode()).digest()


def code_hash(phone: str, purpose: PhoneCodePurpose, code: str) -> str:
    message = f"{phone}:{purpose.value}:{code}".encode()
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()


def _today(now: datetime) -> str:
    return now.astimezone(SHANGHAI).date().isoformat()


def _start_of_day(now: datetime) -> datetime:
    local = now.astimezone(SHANGHAI)
    return clock.utc(local.replace(hour=0, minute=0, second=0, microsecond=0))


@dataclass(frozen=True)
class CodeRequest:
    """The answer to "send me a code": when the next one may be asked for, and the SMS to send
    now (None when refused; `refusal` says why)."""

    retry_after_seconds: int
    sms_id: int | None = None
    refusal: DomainError | None = None


def _text(purpose: PhoneCodePurpose, registered: bool, code: str, minutes: int) -> Text:
    """The SMS, in one language (rendered in the account's language, else zh-CN)."""
    if purpose is PhoneCodePurpose.REGISTER and registered:
        return N_(
            "[Linli] This number already has a Linli account: log in, or reset your password "
            "with an SMS code."
        )
    if purpose is not PhoneCodePurpose.REGISTER and not registered:
        return N_("[Linli] No Linli account uses this number yet; you can register with it.")
    action = {
        PhoneCodePurpose.REGISTER: N_("register"),
        PhoneCodePurpose.LOG_IN: N_("log in"),
        PhoneCodePurpose.RESET_PASSWORD: N_("reset your password"),
    }[purpose]
    return N_(
        "[Linli] Your code to %(action)s: %(code)s (valid %(minutes)s min; never share it).",
        action=action,
        code=code,
        minutes=minutes,
    )


async def _claim(
    phone: str, purpose: PhoneCodePurpose, hashed: str, now: datetime, cfg: AccountSettings
) -> bool:
    """Makes `hashed` the phone's code if the cool-down is over and today's cap is not spent:
    one conditional UPDATE, so of many parallel requests exactly one wins."""
    today = _today(now)
    fresh: dict[str, Any] = {
        "purpose": purpose,
        "code_hash": hashed,
        "attempts": 0,
        "sent_at": now,
        "expires_at": now + timedelta(seconds=cfg.code_ttl_seconds),
        "used_at": None,
    }
    if not await PhoneCode.filter(phone=phone).exists():
        try:
            await PhoneCode.create(phone=phone, day=today, sends_today=1, **fresh)
            return True
        except IntegrityError:  # another request created it first: the cool-down applies
            return False
    await PhoneCode.filter(phone=phone).exclude(day=today).update(day=today, sends_today=0)
    claimed = await PhoneCode.filter(
        phone=phone,
        sent_at__lte=now - timedelta(seconds=cfg.code_resend_seconds),
        day=today,
        sends_today__lt=cfg.codes_per_phone_per_day,
    ).update(sends_today=F("sends_today") + 1, **fresh)
    return claimed == 1


async def _address_allows(address: str, phone: str, now: datetime, cap: int) -> int | None:
    """Counts this request against the address's daily cap: written first, then counted, so
    parallel requests can only ever refuse too many, never let too many through. The id of
    the counted row, or None when the cap is spent."""
    row = await PhoneCodeRequest.create(client_address=address[:64], phone=phone, created_at=now)
    used = await PhoneCodeRequest.filter(
        client_address=address[:64], created_at__gte=_start_of_day(now)
    ).count()
    if used > cap:
        await PhoneCodeRequest.filter(id=row.id).delete()
        return None
    return row.id


def _refused(message: str | Text, retry_after: int) -> CodeRequest:
    return CodeRequest(
        retry_after_seconds=max(1, retry_after),
        refusal=DomainError(ErrorCode.RATE_LIMITED, message),
    )


def _seconds_to_midnight(now: datetime) -> int:
    tomorrow = _start_of_day(now) + timedelta(days=1)
    return int((tomorrow - now).total_seconds()) + 1


async def request_code(phone: str, purpose: PhoneCodePurpose, client_address: str) -> CodeRequest:
    cfg = get_settings().accounts
    phone = normalize_phone(phone)
    if not valid_phone(phone):
        raise InvalidInput(
            N_("Enter an 11-digit mainland mobile number, e.g. 13800000000."), ["phone"]
        )
    now = clock.now()
    code = f"{secrets.randbelow(10**6):06d}"
    hashed = code_hash(phone, purpose, code)
    if not await _claim(phone, purpose, hashed, now, cfg):
        row = await PhoneCode.get(phone=phone)
        if row.day == _today(now) and row.sends_today >= cfg.codes_per_phone_per_day:
            return _refused(
                N_("This number has received too many codes today. Please try again tomorrow."),
                _seconds_to_midnight(now),
            )
        wait = cfg.code_resend_seconds - int((now - row.sent_at).total_seconds())
        return _refused(
            N_("A code was just sent. You can ask again in %(n)s seconds.", n=max(wait, 1)), wait
        )
    if await _address_allows(client_address, phone, now, cfg.codes_per_address_per_day) is None:
        # Not sent after all: the claimed code is void (nobody ever saw it).
        await PhoneCode.filter(phone=phone, code_hash=hashed).update(expires_at=now)
        return _refused(
            N_("Too many codes were requested from this network today. Please try again tomorrow."),
            _seconds_to_midnight(now),
        )
    language = await Volunteer.filter(phone=phone).first().values_list("language", flat=True)
    registered = language is not None
    text = _text(purpose, registered, code, cfg.code_ttl_seconds // 60).render(
        supported(str(language)) if registered else DEFAULT_LANGUAGE
    )
    sms = await SmsMessage.create(phone=phone, purpose=purpose.value, text=text)
    return CodeRequest(retry_after_seconds=cfg.code_resend_seconds, sms_id=sms.id)


def _expired() -> DomainError:
    return DomainError(
        ErrorCode.PHONE_CODE_EXPIRED,
        N_("This code has expired or was tried too often. Ask for a new code."),
        ["code"],
    )


def _wrong() -> DomainError:
    return DomainError(ErrorCode.BAD_PHONE_CODE, N_("That code is not right."), ["code"])


async def consume(phone: str, purpose: PhoneCodePurpose, code: str) -> None:
    """Uses the phone's code for `purpose`, or raises. Each try is counted before the code is
    compared (one conditional UPDATE), so a burst of guesses gets at most the tries allowed;
    a right code works once."""
    cfg = get_settings().accounts
    code = (code or "").strip()
    if not CODE_RE.match(code):
        raise DomainError(
            ErrorCode.BAD_PHONE_CODE, N_("Enter the six-digit code from the SMS."), ["code"]
        )
    now = clock.now()
    live = PhoneCode.filter(phone=phone, purpose=purpose, used_at=None, expires_at__gt=now)
    tried = await live.filter(attempts__lt=cfg.code_max_tries).update(attempts=F("attempts") + 1)
    if tried == 0:
        raise _expired()
    used = await PhoneCode.filter(
        phone=phone,
        purpose=purpose,
        used_at=None,
        expires_at__gt=now,
        code_hash=code_hash(phone, purpose, code),
    ).update(used_at=now)
    if used == 0:
        raise _wrong()


async def forget_old() -> None:
    """What the daily caps no longer need: requests counted before yesterday, and delivered
    messages (already blanked) older than a week."""
    now = clock.now()
    await PhoneCodeRequest.filter(created_at__lt=_start_of_day(now) - timedelta(days=1)).delete()
    await SmsMessage.filter(
        delivered_at__isnull=False, delivered_at__lt=now - timedelta(days=7)
    ).delete()

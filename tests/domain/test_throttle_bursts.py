"""Throttles that hold under bursts: wrong passwords and wrong check-in codes sent all at once
(asyncio.gather over HTTP through the ASGI app, one client address per attacker) are checked
at most the limit's number of times; a burst from one address never locks the owner out from
another; many failures from many addresses ask for an SMS code as well."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from api.domain import accounts, checkin, throttle
from api.http.ids import encode_id
from api.http.sessions import SESSION_COOKIE
from api.infra import clock
from api.models import HoursEntry, Shift, Signup, SignupStatus, ThrottleFailure
from api.settings import get_settings
from tests import factories

LOG_IN = """
mutation($phone: String!, $password: String!) {
  logIn(input: {phone: $phone, password: $password}) {
    volunteer { id }
    userErrors { code message }
  }
}"""
CHECK_IN = """
mutation($shift: ID!, $code: String!) {
  checkIn(input: {shiftId: $shift, code: $code}) {
    signup { status }
    userErrors { code }
  }
}"""


@asynccontextmanager
async def from_address(database: str, address: str) -> AsyncIterator[httpx.AsyncClient]:
    """A browser at `address`, talking to the real ASGI app."""
    from api.app import create_app

    transport = httpx.ASGITransport(app=create_app(database), client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def log_in(http: httpx.AsyncClient, phone: str, password: str) -> str:
    response = await http.post(
        "/graphql", json={"query": LOG_IN, "variables": {"phone": phone, "password": password}}
    )
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()["data"]["logIn"]
    return payload["userErrors"][0]["code"] if payload["userErrors"] else "OK"


@pytest.fixture
def verified(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password actually verified, in order. (The check itself is a plain comparison
    here, argon2 takes a second on a busy machine; the real one runs in test_throttle_server.)"""
    seen: list[str] = []

    def counting(stored: str, password: str) -> bool:
        seen.append(password)
        return stored == factories.password_hash() and password == factories.PASSWORD

    monkeypatch.setattr(accounts, "verify_password", counting)
    return seen


async def test_thirty_wrong_passwords_at_once_verify_at_most_five(database, verified):
    limit = get_settings().login_failures_per_phone
    owner = await factories.volunteer("业主")
    async with from_address(database, "203.0.113.7") as attacker:
        answers = await asyncio.gather(
            *(log_in(attacker, owner.phone, f"guess-{i:02d}") for i in range(30))
        )
        codes = Counter(answers)
        assert set(codes) <= {"BAD_CREDENTIALS", "RATE_LIMITED"}, codes
        in_burst = len(verified)
        assert codes["BAD_CREDENTIALS"] == in_burst <= limit, codes
        # the rest of the window: the burst and what follows verify exactly `limit` in all
        follow_up = [await log_in(attacker, owner.phone, "again") for _ in range(limit + 1)]
        assert follow_up.count("BAD_CREDENTIALS") == limit - in_burst
        assert follow_up[-1] == "RATE_LIMITED"
        assert len(verified) == limit
        # even the right password is not verified from that address now
        assert await log_in(attacker, owner.phone, factories.PASSWORD) == "RATE_LIMITED"
    assert len(verified) == limit
    # the owner, at home, is not locked out and needs no SMS code
    assert not await accounts.password_login_needs_code(owner.phone)
    async with from_address(database, "198.51.100.20") as home:
        assert await log_in(home, owner.phone, factories.PASSWORD) == "OK"


async def test_a_burst_over_many_phones_closes_only_that_address(database, verified):
    per_address = get_settings().login_failures_per_address
    neighbour = await factories.volunteer("邻居")
    async with from_address(database, "203.0.113.8") as attacker:
        answers = await asyncio.gather(
            *(log_in(attacker, f"1391234{i:04d}", "guess-123") for i in range(60))
        )
    codes = Counter(answers)
    assert codes["BAD_CREDENTIALS"] == len(verified) <= per_address, codes
    assert codes["BAD_CREDENTIALS"] + codes["RATE_LIMITED"] == 60
    async with from_address(database, "198.51.100.21") as elsewhere:
        assert await log_in(elsewhere, neighbour.phone, factories.PASSWORD) == "OK"


async def test_failures_from_many_addresses_ask_for_an_sms_code(database, verified):
    settings = get_settings()
    per_pair, before_code = (
        settings.login_failures_per_phone,
        settings.login_failures_per_phone_before_code,
    )
    owner = await factories.volunteer("业主")
    addresses = [f"203.0.113.{i}" for i in range(20, 40)]

    async def from_one(address: str) -> list[str]:
        async with from_address(database, address) as http:
            return [await log_in(http, owner.phone, "guess-123") for _ in range(per_pair)]

    # twenty addresses, five wrong passwords each, all at once
    answers = Counter(a for batch in await asyncio.gather(*map(from_one, addresses)) for a in batch)
    assert set(answers) <= {"BAD_CREDENTIALS", "CODE_REQUIRED"}, answers
    assert answers["BAD_CREDENTIALS"] == len(verified) <= before_code, answers
    # then more addresses, one after another: exactly `before_code` verified in all
    more = (f"203.0.113.{i}" for i in range(40, 80))
    while (answer := (await from_one(next(more)))[0]) != "CODE_REQUIRED":
        assert answer == "BAD_CREDENTIALS"
    assert len(verified) == before_code
    assert await accounts.password_login_needs_code(owner.phone)
    # the owner's right password alone no longer logs in, from anywhere: an SMS code is needed
    checked = len(verified)
    async with from_address(database, "198.51.100.22") as home:
        assert await log_in(home, owner.phone, factories.PASSWORD) == "CODE_REQUIRED"
        form = {"action": "login", "phone": owner.phone, "password": factories.PASSWORD}
        page = await home.post("/login", data=form)
        assert page.status_code == 400 and "请用短信验证码登录" in page.text
    assert len(verified) == checked  # not even verified
    # with a verified code (the SMS log-in's path), the password logs in
    assert (
        await accounts.log_in(owner.phone, factories.PASSWORD, "198.51.100.22", code_verified=True)
    ).id == owner.id
    # when the window has passed, a password alone is enough again
    later = clock.now() + timedelta(seconds=settings.login_failure_window_seconds + 1)
    clock.set_clock(lambda: later)
    assert not await accounts.password_login_needs_code(owner.phone)
    async with from_address(database, "198.51.100.22") as home:
        assert await log_in(home, owner.phone, factories.PASSWORD) == "OK"


async def test_one_address_alone_never_asks_the_owner_for_a_code(database, verified):
    settings = get_settings()
    assert settings.login_failures_per_phone_before_code > settings.login_failures_per_phone
    owner = await factories.volunteer("业主")
    async with from_address(database, "203.0.113.9") as attacker:
        for _ in range(settings.login_failures_per_phone * 3):
            await log_in(attacker, owner.phone, "guess-123")
    assert not await accounts.password_login_needs_code(owner.phone)


async def test_refused_and_successful_attempts_leave_no_failures(database, verified):
    owner = await factories.volunteer("业主")
    async with from_address(database, "198.51.100.23") as home:
        assert await log_in(home, owner.phone, "typo-typo") == "BAD_CREDENTIALS"
        assert await log_in(home, owner.phone, factories.PASSWORD) == "OK"
    # the success cleared this phone's typo at this address and its own rows; the phone-wide
    # and the address' failure stay counted
    keys = Counter(await ThrottleFailure.all().values_list("key", flat=True))
    assert sorted(k.split(":")[1] for k in keys) == ["addr", "phone"]
    # expired rows are purged
    clock.set_clock(lambda: datetime.now(UTC) + throttle.RETENTION + timedelta(minutes=1))
    assert await throttle.purge_expired() == 2
    assert await ThrottleFailure.all().count() == 0


async def _checking_in_volunteer(starts_in: timedelta) -> tuple[Any, Shift, Signup]:
    volunteer = await factories.volunteer("志愿者")
    team = await factories.team(leaders=(await factories.volunteer("组长"),))
    event = await factories.event(team, starts_at=datetime.now(UTC) + starts_in)
    shift = await Shift.get(event_id=event.id)
    signup = await Signup.create(
        shift=shift, volunteer=volunteer, status=SignupStatus.CONFIRMED, idempotency_key="k"
    )
    await Shift.filter(id=shift.id).update(seats_taken=1)
    return volunteer, shift, signup


async def test_two_hundred_wrong_check_in_codes_at_once_compare_at_most_five(database, monkeypatch):
    volunteer, shift, signup = await _checking_in_volunteer(timedelta(minutes=30))
    compared: list[str] = []
    real = checkin.code_is_valid

    def counting(shift_id: int, code: str) -> bool:
        compared.append(code)
        return real(shift_id, code)

    monkeypatch.setattr(checkin, "code_is_valid", counting)
    right = checkin.current_code(shift.id)
    valid = {right, checkin.code_for(shift.id, clock.now() - checkin.CODE_PERIOD)}
    wrong = [code for n in range(202) if (code := f"{n:06d}") not in valid][:200]
    gid = encode_id("Shift", shift.id)
    async with from_address(database, "203.0.113.10") as phone:
        phone.cookies.set(SESSION_COOKIE, factories.session_token(volunteer.id))

        async def check_in(code: str) -> str:
            response = await phone.post(
                "/graphql", json={"query": CHECK_IN, "variables": {"shift": gid, "code": code}}
            )
            errors = response.json()["data"]["checkIn"]["userErrors"]
            return errors[0]["code"] if errors else "OK"

        answers = Counter(await asyncio.gather(*map(check_in, wrong)))
        assert set(answers) <= {"BAD_CODE", "RATE_LIMITED"}, answers
        assert answers["BAD_CODE"] == len(compared) <= checkin.WRONG_CODE_LIMIT, answers
        # the burst and what follows compare exactly the limit in all; then even the right
        # code is refused for the rest of the window
        while len(compared) < checkin.WRONG_CODE_LIMIT:
            assert await check_in(wrong[0]) == "BAD_CODE"
        assert await check_in(right) == "RATE_LIMITED"
    assert len(compared) == checkin.WRONG_CODE_LIMIT
    await signup.refresh_from_db()
    assert signup.status == SignupStatus.CONFIRMED
    assert await HoursEntry.all().count() == 0

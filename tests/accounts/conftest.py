"""Accounts tests: a recording SMS gateway, a clock the test moves, settings from the
environment (phone verification on, as in production, unless a test turns it off)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from api.infra import clock, sms
from api.settings import get_settings
from tests.conftest import GraphQLClient

REQUEST_CODE = """
mutation($phone: String!, $purpose: PhoneCodePurpose!) {
  requestPhoneCode(input: {phone: $phone, purpose: $purpose}) {
    retryAfterSeconds
    userErrors { code field message }
  }
}"""
REGISTER = """
mutation($phone: String!, $code: String, $password: String!, $name: String!) {
  register(input: {phone: $phone, code: $code, password: $password, displayName: $name}) {
    volunteer { id displayName phone }
    userErrors { code field message }
  }
}"""
LOG_IN_WITH_CODE = """
mutation($phone: String!, $code: String!) {
  logInWithCode(input: {phone: $phone, code: $code}) {
    volunteer { displayName }
    userErrors { code field message }
  }
}"""
RESET_PASSWORD = """
mutation($phone: String!, $code: String!, $password: String!) {
  resetPassword(input: {phone: $phone, code: $code, newPassword: $password}) {
    volunteer { displayName }
    userErrors { code field message }
  }
}"""
LOG_IN = """
mutation($phone: String!, $password: String!) {
  logIn(input: {phone: $phone, password: $password}) {
    volunteer { displayName }
    userErrors { code field message }
  }
}"""
GOOD_PASSWORD = "邻里互助 2026 春天"


class RecordingGateway:
    """Takes every SMS (or refuses them all while `down`)."""

    name = "recording"

    def __init__(self) -> None:
        self.sent: list[sms.Sms] = []
        self.down = False

    async def send(self, message: sms.Sms) -> bool:
        if self.down:
            return False
        self.sent.append(message)
        return True

    def to(self, phone: str) -> list[sms.Sms]:
        return [m for m in self.sent if m.phone == phone]

    def code_for(self, phone: str) -> str:
        found = re.search(r"\b(\d{6})\b", self.to(phone)[-1].text)
        assert found, self.to(phone)[-1].text
        return found.group(1)


@pytest.fixture
def sms_gateway() -> Iterator[RecordingGateway]:
    gateway = RecordingGateway()
    sms.set_gateway(gateway)
    try:
        yield gateway
    finally:
        sms.set_gateway(None)


class Clock:
    def __init__(self) -> None:
        self.at = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: Any) -> None:
        self.at += timedelta(**delta)


@pytest.fixture
def frozen_clock() -> Iterator[Clock]:
    moving = Clock()
    clock.set_clock(moving)
    try:
        yield moving
    finally:
        clock.set_clock(None)


@pytest.fixture(autouse=True)
def account_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Set LINLI_* variables for one test: `account_settings(LINLI_PHONE_VERIFICATION="off")`."""

    def configure(**env: str) -> None:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    monkeypatch.setenv("LINLI_PHONE_VERIFICATION", "on")
    get_settings.cache_clear()
    yield configure
    get_settings.cache_clear()


async def request_code(gql: GraphQLClient, phone: str, purpose: str = "REGISTER") -> Any:
    answer = await gql.ok(REQUEST_CODE, {"phone": phone, "purpose": purpose})
    return answer["requestPhoneCode"]

"""Throttles against a real `linli serve --workers 2` behind a (simulated) proxy: 30 wrong
passwords and 200 wrong check-in codes sent at once over HTTP, on SQLite and PostgreSQL.

The server trusts `LINLI_TRUSTED_PROXIES=127.0.0.1`, so the client's address is the one in
`X-Forwarded-For`: the attacker and the owner are told apart as they would be behind nginx.
Without the setting, the header is ignored (every client is 127.0.0.1 here)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from tortoise.backends.base.executor import EXECUTOR_CACHE

from api.cli import proxy_options
from api.domain import checkin
from api.http.ids import encode_id
from api.infra import db
from api.models import Shift, Signup, SignupStatus
from api.settings import get_settings
from tests import factories
from tests.conftest import BACKENDS
from tests.serverproc import LinliServer, cookie_for, fresh_database

LOG_IN = """
mutation($phone: String!, $password: String!) {
  logIn(input: {phone: $phone, password: $password}) { volunteer { id } userErrors { code } }
}"""
CHECK_IN = """
mutation($shift: ID!, $code: String!) {
  checkIn(input: {shiftId: $shift, code: $code}) { signup { status } userErrors { code } }
}"""
ATTACKER, OWNER_AT_HOME = "203.0.113.7", "198.51.100.1"


@dataclass
class Site:
    owner_phone: str
    volunteer_id: int
    shift_id: int
    url: str


async def _seed(url: str) -> Site:
    EXECUTOR_CACHE.clear()
    await db.init_orm(url)
    try:
        owner = await factories.volunteer("业主")
        volunteer = await factories.volunteer("志愿者")
        team = await factories.team(leaders=(await factories.volunteer("组长"),))
        event = await factories.event(team, starts_at=datetime.now(UTC) + timedelta(minutes=30))
        shift = await Shift.get(event_id=event.id)
        await Signup.create(
            shift=shift, volunteer=volunteer, status=SignupStatus.CONFIRMED, idempotency_key="k"
        )
        await Shift.filter(id=shift.id).update(seats_taken=1)
        return Site(owner.phone, volunteer.id, shift.id, url)
    finally:
        await db.close_orm()


@pytest.fixture(params=BACKENDS)
async def site(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_server: str | None
) -> AsyncIterator[Site]:
    if request.param == "postgres" and request.node.get_closest_marker("sqlite_only"):
        pytest.skip("the proxy setting is the server's, not the database's")
    if request.param == "postgres" and postgres_server is None:
        pytest.skip("PostgreSQL not installed (mandatory under CI)")
    url = await fresh_database(request.param, tmp_path, postgres_server)
    yield await _seed(url)


async def _log_in(http: httpx.AsyncClient, phone: str, password: str, address: str) -> str:
    response = await http.post(
        "/graphql",
        json={"query": LOG_IN, "variables": {"phone": phone, "password": password}},
        headers={"X-Forwarded-For": address},
    )
    assert response.status_code == 200, response.text
    errors = response.json()["data"]["logIn"]["userErrors"]
    return errors[0]["code"] if errors else "OK"


def _serve(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, trusted: str
) -> LinliServer:
    monkeypatch.setenv("LINLI_TRUSTED_PROXIES", trusted)
    return LinliServer(site.url, 2, tmp_path / f"server-{trusted or 'none'}.log")


async def test_bursts_against_a_real_server_behind_a_proxy(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    limit = get_settings().login_failures_per_phone
    limits = httpx.Limits(max_connections=250, max_keepalive_connections=250)
    with _serve(site, tmp_path, monkeypatch, "127.0.0.1") as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=60, limits=limits) as http:
            # 30 wrong passwords for the owner's phone, at once, from one address
            answers = Counter(
                await asyncio.gather(
                    *(_log_in(http, site.owner_phone, f"guess-{i}", ATTACKER) for i in range(30))
                )
            )
            assert set(answers) <= {"BAD_CREDENTIALS", "RATE_LIMITED"}, answers
            assert answers["BAD_CREDENTIALS"] <= limit, answers
            burst = dict(answers)
            # then: that address stays closed for the phone; the owner at home logs in
            while answers["BAD_CREDENTIALS"] < limit:
                assert await _log_in(http, site.owner_phone, "again", ATTACKER) == "BAD_CREDENTIALS"
                answers["BAD_CREDENTIALS"] += 1
            assert (
                await _log_in(http, site.owner_phone, factories.PASSWORD, ATTACKER)
                == "RATE_LIMITED"
            )
            assert await _log_in(http, site.owner_phone, factories.PASSWORD, OWNER_AT_HOME) == "OK"

            # 200 wrong check-in codes, at once
            gid = encode_id("Shift", site.shift_id)
            now = datetime.now(UTC)
            valid = {checkin.code_for(site.shift_id, at) for at in (now, now - checkin.CODE_PERIOD)}
            wrong = [code for n in range(202) if (code := f"{n:06d}") not in valid][:200]

            http.cookies.clear()  # the owner's session: the volunteer checks in

            async def check_in(code: str) -> str:
                response = await http.post(
                    "/graphql",
                    json={"query": CHECK_IN, "variables": {"shift": gid, "code": code}},
                    headers=cookie_for(site.volunteer_id),
                )
                assert response.status_code == 200, response.text
                errors = response.json()["data"]["checkIn"]["userErrors"]
                return errors[0]["code"] if errors else "OK"

            codes = Counter(await asyncio.gather(*map(check_in, wrong)))
            assert set(codes) <= {"BAD_CODE", "RATE_LIMITED"}, codes
            assert codes["BAD_CODE"] <= checkin.WRONG_CODE_LIMIT, codes
    assert "Traceback" not in server.log(), server.log()[-4000:]
    print(f"\nburst against linli serve: log-in {burst}, check-in {dict(codes)}")


@pytest.mark.sqlite_only
async def test_without_trusted_proxies_forwarded_for_is_ignored(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    limit = get_settings().login_failures_per_phone
    with _serve(site, tmp_path, monkeypatch, "") as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as http:
            for _ in range(limit):
                assert await _log_in(http, site.owner_phone, "wrong", ATTACKER) == "BAD_CREDENTIALS"
            # a forged X-Forwarded-For does not make the attacker someone else
            assert await _log_in(http, site.owner_phone, factories.PASSWORD, OWNER_AT_HOME) == (
                "RATE_LIMITED"
            )


def test_trusted_proxies_become_uvicorns_forwarded_allow_ips(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for value, expected in [
        ("", {"proxy_headers": False}),
        (
            "10.0.0.2, 10.0.0.3",
            {"proxy_headers": True, "forwarded_allow_ips": "10.0.0.2, 10.0.0.3"},
        ),
        ("*", {"proxy_headers": True, "forwarded_allow_ips": "*"}),
    ]:
        monkeypatch.setenv("LINLI_TRUSTED_PROXIES", value)
        get_settings.cache_clear()
        try:
            assert proxy_options() == expected
        finally:
            monkeypatch.delenv("LINLI_TRUSTED_PROXIES")
            get_settings.cache_clear()

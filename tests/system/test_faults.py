"""A real server (2 workers) on its own PostgreSQL cluster, which is stopped and restarted, then
frozen (SIGSTOP) and thawed: while the database is gone every request answers 503 with
Retry-After — GraphQL a SERVICE_UNAVAILABLE error, pages the 稍后再试 page, never a 500, a reset
or a hang past the deadline — and service resumes without restarting the server."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

import httpx
import pytest
from tortoise.backends.base.executor import EXECUTOR_CACHE

from api.http.ids import encode_id
from api.infra import db
from tests import factories
from tests.conftest import BACKENDS
from tests.serverproc import LinliServer, cookie_for
from tests.support import pgcluster

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(
    not pgcluster.available() or "postgres" not in BACKENDS,
    reason="PostgreSQL not installed or not among the test backends",
)

EVENTS = "{ events(first: 5) { nodes { id title } } }"
SIGN_UP = """mutation($input: SignUpInput!) {
  signUp(input: $input) { signup { status } userErrors { code } } }"""


class FaultyServer(LinliServer):
    def env(self) -> dict[str, str]:
        return {
            **super().env(),
            "LINLI_DB_COMMAND_TIMEOUT": "2",
            "LINLI_DB_STATEMENT_TIMEOUT": "2",
            "LINLI_REQUEST_DEADLINE": "4",
            "LINLI_READY_TIMEOUT": "1",
        }


def _pg_ctl(directory: Path, *args: str) -> None:
    data = directory / "data"
    subprocess.run(
        pgcluster._as_postgres([pgcluster._bin("pg_ctl"), "-D", str(data), *args]),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _restart(directory: Path) -> None:
    port = (directory / "port").read_text().strip()
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {directory} -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    _pg_ctl(directory, "-o", options, "-l", str(directory / "log"), "-w", "start")


def _cluster_pids(directory: Path) -> list[int]:
    postmaster = int((directory / "data" / "postmaster.pid").read_text().split()[0])
    children = subprocess.run(["pgrep", "-P", str(postmaster)], capture_output=True, text=True)
    return [postmaster, *(int(p) for p in children.stdout.split())]


async def _requests(base_url: str, volunteer_id: int, shift_gid: str) -> list[httpx.Response]:
    """What phones send meanwhile: queries (anonymous and logged in), a sign-up, pages."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        calls = []
        for i in range(4):
            calls += [
                http.post("/graphql", json={"query": EVENTS}),
                http.post(
                    "/graphql",
                    json={"query": "{ viewer { displayName unreadNotificationCount } }"},
                    headers=cookie_for(volunteer_id),
                ),
                http.post(
                    "/graphql",
                    json={
                        "query": SIGN_UP,
                        "variables": {"input": {"shiftId": shift_gid, "idempotencyKey": f"f{i}"}},
                    },
                    headers=cookie_for(volunteer_id),
                ),
                http.get("/", headers={"Cache-Control": "no-cache"}),
                http.get("/me", headers=cookie_for(volunteer_id)),
            ]
        return list(await asyncio.gather(*calls))


def _all_unavailable(answers: list[httpx.Response]) -> None:
    for response in answers:
        assert response.status_code == 503, (response.request.url, response.text[:300])
        assert int(response.headers["retry-after"]) > 0
        if response.request.url.path == "/graphql":
            codes = [e["extensions"]["code"] for e in response.json()["errors"]]
            assert codes == ["SERVICE_UNAVAILABLE"]
        else:
            assert "稍后再试" in response.text


async def _served_again(base_url: str, volunteer_id: int) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        for _ in range(100):
            ready = await http.get("/readyz")
            if ready.status_code == 200:
                break
            await asyncio.sleep(0.2)
        assert ready.status_code == 200, ready.text
        for _ in range(4):  # both workers, several pooled connections
            me = await http.post(
                "/graphql",
                json={"query": "{ viewer { displayName } }"},
                headers=cookie_for(volunteer_id),
            )
            assert me.status_code == 200 and me.json()["data"]["viewer"]["displayName"] == "小林"
            assert (await http.get("/me", headers=cookie_for(volunteer_id))).status_code == 200


async def test_postgres_stopped_then_frozen(tmp_path: Path) -> None:
    # under the project: the `postgres` user cannot enter pytest's private temporary directory
    directory = ROOT / ".pgtest" / f"faults-{os.getpid()}"
    pgcluster.start(directory)
    try:
        url = pgcluster.create_database(directory, "linli_faults")
        EXECUTOR_CACHE.clear()  # statements cached for another database's dialect
        await db.migrate(url)
        await db.init_orm(url)
        try:
            me = await factories.volunteer("小林")
            team = await factories.team("邻里互助队")
            event = await factories.event(team, title="义诊", capacities=(50,))
            shift_gid = encode_id("Shift", (await event.shifts.all())[0].id)
        finally:
            await db.close_orm()
        # not strict: asyncpg notes its reconnecting pool with a traceback (checked below)
        with FaultyServer(url, 2, tmp_path / "server.log", strict=False) as server:
            await _served_again(server.base_url, me.id)

            _pg_ctl(directory, "-m", "fast", "-w", "stop")  # the database goes away
            async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
                assert (await http.get("/healthz")).status_code == 200  # alive
                assert (await http.get("/readyz")).status_code == 503  # but not ready
            _all_unavailable(await _requests(server.base_url, me.id, shift_gid))
            _restart(directory)
            await _served_again(server.base_url, me.id)

            pids = _cluster_pids(directory)  # the database freezes (SIGSTOP)
            for pid in pids:
                os.kill(pid, signal.SIGSTOP)
            try:
                _all_unavailable(await _requests(server.base_url, me.id, shift_gid))
            finally:
                for pid in pids:
                    os.kill(pid, signal.SIGCONT)
            await _served_again(server.base_url, me.id)
            log = server.log()
        # no traceback but asyncpg's own note that it is reconnecting its pool
        records = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
        tracebacks = [r for r in records if "exc" in r and r["logger"] != "asyncpg.pool"]
        assert not tracebacks, tracebacks[:3]
        assert not [line for line in log.splitlines() if line.startswith("Traceback")]
    finally:
        pgcluster.stop(directory)
        shutil.rmtree(directory, ignore_errors=True)
